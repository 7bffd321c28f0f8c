//! Naming attribute slots from the explorer: the plan per slot (with the warnings about renames
//! and account types), and the end of the write (the names read again, the undo kept).

use crate::cli::commands::schema::{self, Wanted};
use crate::tui::app::{App, Effect, Level, StatusMsg};
use crate::tui::msg::Cmd;
use crate::tui::overlay::{Overlay, PlanView};
use crate::tui::writes::{FlowKind, Phase, UndoRef, WriteFlow};
use crate::write::WriteStatus;

impl App {
    /// Plan naming attribute slots (`:attr-name`, `e` in the attribute-names pane, `:undo`),
    /// the plan titled `title`.
    pub(crate) fn start_schema(&mut self, wanted: &Wanted, title: &str) -> Vec<Cmd> {
        if !self.may_write() {
            return vec![];
        }
        let Some(before) = self.attr_names.names.clone() else {
            self.error("the attribute names have not loaded yet (R reloads them)");
            return vec![];
        };
        let rows = schema::plan(&before, wanted);
        let changing: Vec<schema::SlotRow> = rows.iter().filter(|r| r.status == "planned").cloned().collect();
        let mut plan = PlanView::new(title, "slot", rows.len() as u64);
        plan.warnings = schema::warnings(&changing).into_iter().map(str::to_owned).collect();
        plan.warnings.extend(schema::column_warnings(&changing));
        for r in &rows {
            let status = match r.status {
                "planned" => WriteStatus::Planned,
                "invalid" => WriteStatus::Invalid,
                _ => WriteStatus::Unchanged,
            };
            *plan.counts.entry(status).or_default() += 1;
            let from = r.from.as_deref().unwrap_or("(empty)");
            let ty = r.r#type.map(|t| format!(" ({t})")).unwrap_or_default();
            let mut details = vec![format!("name: {from} → {}{ty}", r.to)];
            details.extend(r.error.clone());
            if status != WriteStatus::Unchanged {
                plan.entries.push(crate::tui::overlay::plan::PlanEntry {
                    head: format!("slot {}", r.slot),
                    status,
                    details,
                });
            }
        }
        if !changing.is_empty() {
            plan.ops.insert("set_attr_name".into(), changing.len() as u64);
        }
        plan.progress.0 = plan.progress.1;
        plan.done = true;
        // may_write() above saw the profile.
        let Some(profile) = self.active_profile().cloned() else { return vec![] };
        let names = schema::request(profile.family, wanted, &changing);
        let job = self.next_job_id();
        self.overlay = Overlay::Plan(Box::new(plan));
        let slots = crate::write::file_head::names_of(&before);
        let mut flow = WriteFlow::new(job, FlowKind::Schema { names, before }, profile, slots);
        flow.phase = Phase::Review;
        self.write = Some(flow);
        vec![]
    }

    /// A schema write ended.
    pub(crate) fn attr_names_set(&mut self, job: u64, result: Result<(), String>) -> Effect {
        let Some(flow) = self.write.as_ref().filter(|f| f.job == job) else { return Effect::none() };
        let FlowKind::Schema { before, .. } = &flow.kind else { return Effect::none() };
        let (undo, before) = (flow.undo.clone().unwrap_or_default(), before.clone());
        match result {
            Ok(()) => {
                let note = format!("slots named and read back — :undo puts them back (undo file {})", undo.display());
                // Kept for the plan's profile, while the flow still says which.
                self.keep_undo(UndoRef::Schema { path: undo, before });
                self.after_names = Some(StatusMsg { text: note, level: Level::Warn });
            }
            Err(e) => {
                let text = format!("naming the slots failed: {e}");
                self.after_names = Some(StatusMsg { text, level: Level::Error });
            }
        }
        self.write = None;
        // Show the names as they are now (the note above comes with them); the app is the
        // plan's, as no switch was allowed meanwhile.
        Effect::run(self.reload_names())
    }
}
