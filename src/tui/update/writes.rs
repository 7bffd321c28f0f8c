//! Writes from the explorer: every write is planned first (the accounts read, the changes
//! worked out) and shown in the plan overlay; only a confirmation sends anything, with the
//! previous state in an undo file first. The outcome lands in each row, and the rows are read
//! back in place. One job at a time: a write never runs beside a read of the same accounts.

use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::{Event, JobKind, Normalized, Normalizer};
use crate::engine::{OutcomeStatus, Record, Status, Summary};
use crate::tui::app::{App, Effect, JobState, Pane};
use crate::tui::keymap::{self, Action};
use crate::tui::msg::{Cmd, SetNames, WorkerCmd, WriteJob};
use crate::tui::overlay::{EditForm, Overlay, PlanView};
use crate::tui::target::AppRef;
use crate::tui::writes::{FlowKind, LastWrite, Phase, UndoRef, WriteFlow, WriteRequest};
use crate::write::WriteStatus;
use crate::write::state_file::AccountState;
use crate::write::{Edit, States, Want, WriteRecord};

impl App {
    /// Plan a write and show the plan; nothing is sent until it is confirmed.
    pub(crate) fn start_write(&mut self, req: WriteRequest) -> Vec<Cmd> {
        if !self.may_write() {
            return vec![];
        }
        let Some(profile) = self.active_profile().cloned() else { return vec![] };
        let names = self.attr_names.names.as_ref().map(crate::write::file_head::names_of).unwrap_or_default();
        let job = self.next_job_id();
        let mut plan = PlanView::new(&req.label, "account", req.input.total() as u64);
        plan.warnings = req.warnings.clone();
        self.overlay = Overlay::Plan(Box::new(plan));
        let cmd = WorkerCmd::Write(Box::new(WriteJob {
            job,
            profile: profile.clone(),
            want: req.want.clone(),
            input: req.input.clone(),
            undo: None,
            command: req.label.clone(),
            names: names.clone(),
        }));
        self.write = Some(WriteFlow::new(job, FlowKind::Accounts(req), profile, names));
        self.info("planning: reading the accounts' current state… nothing is written yet");
        vec![cmd.into()]
    }

    /// Esc on the plan: nothing is sent; the plan's reads stop.
    pub(crate) fn back_out(&mut self) -> Effect {
        self.overlay = Overlay::None;
        let mut cmds = Vec::new();
        if let Some(flow) = self.write.take_if(|f| matches!(f.phase, Phase::Planning | Phase::Review)) {
            cmds.push(WorkerCmd::Cancel(flow.job).into());
            self.info("backed out: nothing was written");
        }
        Effect::run(cmds)
    }

    /// The plan was confirmed: apply exactly the plan shown (its planned rows, each checked
    /// against the state it was planned from), on the profile it was planned on, keeping the
    /// inverse in the undo file first.
    pub(crate) fn confirm_write(&mut self) -> Effect {
        self.overlay = Overlay::None;
        let Some(mut flow) = self.write.take() else { return Effect::redraw() };
        let profile = flow.profile.clone();
        if !self.may_write() {
            return Effect::redraw();
        }
        let name = match &flow.kind {
            FlowKind::Accounts(_) => profile.name.clone(),
            FlowKind::Schema { .. } => format!("{}-attr-names", profile.name),
        };
        let Some(undo) = self.undo_dir.as_deref().map(|d| crate::write::undo::path_in(d, &name)) else {
            self.error("no data directory for the undo file (set TIMX_DATA_DIR): nothing was written");
            return Effect::redraw();
        };
        let job = self.next_job_id();
        flow.job = job;
        flow.phase = Phase::Applying;
        flow.undo = Some(undo.clone());
        let names = flow.names.clone();
        let plan = match &flow.kind {
            FlowKind::Accounts(req) => Some(flow.plan_set(&req.input.clone())),
            FlowKind::Schema { .. } => None,
        };
        let cmd = match &mut flow.kind {
            FlowKind::Accounts(req) => {
                req.want = Want::Plan(Arc::new(plan.unwrap_or_default()));
                let total = req.input.total();
                if req.rows.is_none() {
                    // A file's accounts become the rows; each shows its outcome, then what it holds.
                    self.finish_export();
                    self.results.reset(total);
                    self.results.read_on = Some(AppRef::of(&profile));
                    req.rows = Some((0..total as u32).collect());
                }
                self.results.clear_outcomes();
                self.job = Some(JobState::new(job, &profile.name, total as u64));
                self.focus = Pane::Results;
                self.info(format!(
                    "writing {total} accounts… {} cancels; undo file: {}",
                    keymap::key_for(Action::Cancel),
                    undo.display()
                ));
                WorkerCmd::Write(Box::new(WriteJob {
                    job,
                    profile,
                    want: req.want.clone(),
                    input: req.input.clone(),
                    undo: Some(undo),
                    command: req.label.clone(),
                    names,
                }))
            }
            FlowKind::Schema { names, before } => {
                self.info("naming the slots…");
                let set = SetNames { job, profile, names: names.clone(), before: before.clone(), undo };
                WorkerCmd::SetAttrNames(Box::new(set))
            }
        };
        self.write = Some(flow);
        Effect::run(vec![cmd.into()])
    }

    /// A write job's plan rows, outcome rows, progress and end.
    pub(crate) fn write_event(&mut self, job: u64, event: Event<WriteRecord>) -> Effect {
        let Some(flow) = self.write.as_mut().filter(|f| f.job == job) else { return Effect::none() };
        if flow.phase == Phase::Planning {
            let Overlay::Plan(plan) = &mut self.overlay else { return Effect::none() };
            match event {
                Event::Batch(rows) => {
                    plan.add(&rows);
                    flow.plan_rows
                        .extend(rows.iter().filter(|r| r.status != WriteStatus::Unchanged).map(|r| (r.index, r.row())));
                }
                Event::Finished(s) => {
                    plan.done = true;
                    flow.phase = Phase::Review;
                    if let Some(e) = &s.aborted {
                        plan.warnings.push(format!("the plan stopped: {e}"));
                    }
                    if let Some(left) = plan.left_out() {
                        plan.warnings.push(left);
                    }
                    let n = plan.changing();
                    let how = if plan.needs_typing() { format!("type {n}, then Enter") } else { "Enter".into() };
                    let esc = keymap::key_for(Action::Cancel);
                    if n == 0 {
                        self.info(format!("nothing to change; {esc} goes back"));
                    } else {
                        self.warn(format!("{n} to change: {how} to write them, {esc} backs out"));
                    }
                }
                Event::Started { .. } | Event::Progress(_) => {}
            }
            return Effect::redraw();
        }
        let FlowKind::Accounts(req) = &flow.kind else { return Effect::none() };
        match event {
            Event::Batch(rows) => {
                let map = req.rows.as_deref().unwrap_or_default();
                let placeholders = self.results.present() < self.results.total();
                for mut r in rows {
                    let Some(row) = map.get(r.index as usize).copied() else { continue };
                    if placeholders && self.results.get(row).is_none() {
                        self.results.insert(vec![placeholder(row, &r)]);
                    }
                    // Read back what a call may have changed, and what was read to plan it (unchanged,
                    // in conflict); a row the plan could not read, or never sent, keeps what it shows.
                    let read_back = match r.status {
                        WriteStatus::Failed => r.error.is_some(),
                        WriteStatus::Invalid
                        | WriteStatus::NotFound
                        | WriteStatus::Cancelled
                        | WriteStatus::Planned => false,
                        _ => true,
                    };
                    if read_back {
                        flow.read_back.push(row);
                    }
                    r.index = row;
                    self.results.set_outcome(r);
                }
            }
            Event::Progress(p) => {
                if let Some(j) = self.job.as_mut().filter(|j| j.id == job) {
                    j.progress = p;
                }
            }
            Event::Finished(s) => return self.write_finished(s),
            Event::Started { .. } => {}
        }
        Effect::redraw()
    }

    fn write_finished(&mut self, s: Summary<WriteStatus>) -> Effect {
        let Some(flow) = self.write.as_ref() else { return Effect::none() };
        let FlowKind::Accounts(req) = &flow.kind else { return Effect::none() };
        let (undo, label) = (flow.undo.clone(), req.label.clone());
        if let Some(j) = self.job.as_mut().filter(|j| j.id == flow.job) {
            j.summary = Some(as_read_summary(&s));
        }
        // An undo is offered only when a call may have changed something and its file exists.
        let wrote = WriteStatus::ALL.iter().any(|st| st.may_have_written() && s.count(*st) > 0)
            && undo.as_ref().is_some_and(|p| p.exists());
        let counts: Vec<String> =
            s.counts.iter().filter(|(_, n)| **n > 0).map(|(st, n)| format!("{n} {}", st.label())).collect();
        let undo_note = match undo.as_ref().filter(|_| wrote) {
            // The name only: the whole path is in the summary tab and the journal.
            Some(p) => format!(" — :undo puts it back ({})", p.file_name().unwrap_or_default().to_string_lossy()),
            None => String::new(),
        };
        let line = format!("{label}: {}{undo_note}", counts.join(", "));
        if s.all_answered() {
            self.info(line)
        } else {
            self.warn(line)
        }
        self.last_write = Some(LastWrite { label, summary: s, undo: undo.clone() });
        if let Some(path) = undo.filter(|_| wrote) {
            self.keep_undo(UndoRef::Accounts(path));
        }
        self.results.clear_marks();
        self.read_back()
    }

    /// Read the written accounts again, so each row shows what the service holds now.
    fn read_back(&mut self) -> Effect {
        let Some(mut flow) = self.write.take() else { return Effect::none() };
        // On the plan's app, as the write was.
        let profile = flow.profile.clone();
        flow.read_back.sort_unstable();
        flow.read_back.dedup();
        if flow.read_back.is_empty() {
            return Effect::redraw();
        }
        let mut n = Normalizer::new();
        for row in &flow.read_back {
            n.push_account(self.results.account(*row).unwrap_or_default());
        }
        let input = Arc::new(n.finish());
        let job = self.next_job_id();
        flow.job = job;
        flow.phase = Phase::ReadingBack;
        self.job = Some(JobState::new(job, &profile.name, input.total() as u64));
        self.write = Some(flow);
        Effect::run(vec![WorkerCmd::RunJob { job, profile, kind: JobKind::Inspect, input }.into()])
    }

    /// Read-back records go into their rows; true when `job` was a read-back.
    pub(crate) fn read_back_event(&mut self, job: u64, event: &mut Event) -> bool {
        let Some(flow) = self.write.as_mut().filter(|f| f.job == job && f.phase == Phase::ReadingBack) else {
            return false;
        };
        match event {
            Event::Batch(records) => {
                // A cancelled read holds nothing: the row keeps what it showed (found in review:
                // it was blanked, still saying `changed`).
                let (unread, read): (Vec<Record>, Vec<Record>) =
                    std::mem::take(records).into_iter().partition(|r| r.status == Status::Cancelled);
                flow.not_read_back += unread.len() as u64;
                let moved: Vec<Record> = read
                    .into_iter()
                    .filter_map(|mut r| {
                        r.index = *flow.read_back.get(r.index as usize)?;
                        Some(r)
                    })
                    .collect();
                self.results.replace(moved);
            }
            Event::Finished(_) => {
                let unread = flow.not_read_back;
                self.write = None;
                self.results.refresh_after_replace();
                if unread > 0 {
                    self.warn(format!(
                        "{unread} rows were not read back (cancelled): they show what was read before the write; {} \
                         reads them again",
                        keymap::key_for(Action::Run)
                    ));
                }
            }
            Event::Started { .. } | Event::Progress(_) => {}
        }
        true
    }

    /// `e` on a row: the edit form for its account.
    pub(crate) fn edit_selected(&mut self) -> Effect {
        if !self.may_write_rows() {
            return Effect::redraw();
        }
        let Some(record) = self.results.selected_record() else {
            self.warn("no row to edit: run some accounts first");
            return Effect::redraw();
        };
        if !record.status.is_answer() {
            self.warn(format!(
                "{} was not read ({}): run it again before editing",
                record.account,
                record.status.label()
            ));
            return Effect::redraw();
        }
        let names = self.attr_names.columns();
        self.results.pin_current();
        self.overlay = Overlay::Edit(Box::new(EditForm::new(&record, &names)));
        Effect::redraw()
    }

    /// The edit form is done: plan that one account.
    pub(crate) fn review_edit(&mut self, desired: AccountState) -> Effect {
        let Overlay::Edit(form) = std::mem::replace(&mut self.overlay, Overlay::None) else { return Effect::none() };
        let mut n = Normalizer::new();
        n.push_account(&desired.account);
        let mut states = States::default();
        states.push(desired);
        let req = WriteRequest {
            label: format!("edit {}", form.account),
            want: Want::Each(Arc::new(states)),
            input: Arc::new(n.finish()),
            rows: Some(vec![form.row]),
            warnings: vec![],
        };
        Effect::run(self.start_write(req))
    }

    /// `:tag …` / `:attr …`: one change for the marked rows, else the shown ones.
    pub(crate) fn bulk_edit(&mut self, label: String, edit: Edit) -> Vec<Cmd> {
        if !self.may_write_rows() {
            return vec![];
        }
        if let Err(why) = edit.check(&self.attr_names.columns()) {
            self.error(why);
            return vec![];
        }
        let marked = self.results.marked();
        let rows = self.results.write_targets();
        if rows.is_empty() {
            self.error("no rows to change: run some accounts (marks and the filter pick which)");
            return vec![];
        }
        let mut n = Normalizer::new();
        let mut kept = Vec::with_capacity(rows.len());
        for row in rows {
            if n.push_account(self.results.account(row).unwrap_or_default()).is_some() {
                kept.push(row);
            }
        }
        let which = if marked > 0 { "marked" } else { "shown" };
        let req = WriteRequest {
            label: format!("{label} on {} {which} rows", kept.len()),
            want: Want::Same(edit),
            input: Arc::new(n.finish()),
            rows: Some(kept),
            warnings: vec![],
        };
        self.start_write(req)
    }

    /// A desired-state file was read (`:apply`, `:undo`): check it and plan it as `label`.
    pub(crate) fn desired_loaded(
        &mut self,
        path: &std::path::Path,
        label: String,
        d: crate::write::desired::Desired,
    ) -> Vec<Cmd> {
        if d.needs_names() && self.file_names().is_none() {
            return vec![];
        }
        let mut warnings: Vec<String> =
            d.skipped.iter().take(5).map(|(a, why)| format!("skipped {}: {why}", crate::text::escape(a))).collect();
        if d.skipped.len() > 5 {
            warnings.push(format!("… {} rows skipped in all", d.skipped.len() as u64 + d.skipped_more));
        }
        warnings.extend(d.notes.iter().take(5).cloned());
        let (input, states) = d.finish(&self.attr_names.columns());
        if input.total() == 0 {
            self.error(format!("{}: no rows to apply", path.display()));
            return vec![];
        }
        self.start_file_write(label, Want::Each(Arc::new(states)), input, warnings)
    }

    /// The app's attribute names, to check a file's against; None (with the message) when they
    /// have not loaded.
    fn file_names(&mut self) -> Option<crate::api::wire::AttrNames> {
        let names = self.attr_names.names.clone();
        if names.is_none() {
            self.error("the attribute names have not loaded: they check the file's names (R reloads them)");
        }
        names
    }

    /// Plan a file's write: accounts the results already show are written in place; otherwise
    /// the file's accounts become the rows.
    fn start_file_write(&mut self, label: String, want: Want, input: Normalized, warnings: Vec<String>) -> Vec<Cmd> {
        // An undo writes its own file's accounts on the app it is bound to: rows read on another
        // app are not written into but replaced by them (found in review: it was refused).
        let undo_over_stale = label.starts_with("undo ") && self.stale_results().is_some();
        let rows =
            if undo_over_stale { None } else { self.results.rows_of((0..input.total()).map(|i| input.entries.get(i))) };
        if rows.is_some() && !self.may_write_rows() {
            return vec![];
        }
        self.start_write(WriteRequest { label, want, input: Arc::new(input), rows, warnings })
    }

    /// An undo file or a saved plan was read (`:undo`, `:apply`): refused when it was made on
    /// another app, or the app's attribute names moved since; else planned against the accounts
    /// as they are now, like any write.
    pub(crate) fn plan_loaded(
        &mut self,
        path: &std::path::Path,
        label: String,
        p: crate::write::plan_file::Loaded,
    ) -> Vec<Cmd> {
        let Some(profile) = self.active_profile().cloned() else { return vec![] };
        let what = format!("{} ({})", path.display(), p.head.kind.label());
        if let Err(e) = p.head.check_target(&profile, &what) {
            self.error(format!("{e:#}"));
            return vec![];
        }
        let used = p.set.names().clone();
        if !used.is_empty() {
            let Some(names) = self.file_names() else { return vec![] };
            let now = crate::write::file_head::names_of(&names);
            if let Err(e) = p.head.check_names(&now, used.iter().map(String::as_str), &what) {
                self.error(format!("{e:#}"));
                return vec![];
            }
        }
        self.start_file_write(label, Want::Plan(Arc::new(p.set)), p.input, vec![])
    }

    /// Read a desired-state file (`:apply`, `:undo`) off the loop; its plan, named `label`,
    /// follows.
    pub(crate) fn load_desired(&mut self, path: PathBuf, label: String) -> Vec<Cmd> {
        if !self.may_write() {
            return vec![];
        }
        let esc = keymap::key_for(Action::Cancel);
        self.info(format!("reading {}… ({esc} stops)", path.display()));
        self.loading_desired = Some((path.clone(), label));
        vec![WorkerCmd::LoadDesired(path).into()]
    }
}

/// A row for an account a file brought, until the read-back fills it in.
fn placeholder(row: u32, r: &WriteRecord) -> Record {
    let status = match r.status {
        WriteStatus::NotFound => Status::NotFound,
        WriteStatus::Invalid => Status::Invalid,
        WriteStatus::Failed => Status::Failed,
        WriteStatus::Cancelled => Status::Cancelled,
        _ => Status::Found,
    };
    Record {
        index: row,
        account: r.account.clone(),
        status,
        attrs: None,
        tags: None,
        error: r.error.clone(),
        reason: r.reason.clone(),
    }
}

/// The parts of a write's summary the progress line shows.
fn as_read_summary(s: &Summary<WriteStatus>) -> Summary {
    Summary {
        total: s.total,
        calls: s.calls,
        retries: s.retries,
        elapsed: s.elapsed,
        cancelled: s.cancelled,
        aborted: s.aborted.clone(),
        ..Summary::default()
    }
}
