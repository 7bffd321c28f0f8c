//! `:undo` from the explorer: the last undo is kept per profile, bound to the SDKAppID it was
//! made on; without one, the profile's newest undo file (matched by its exact name). Every undo
//! plan is titled "undo …".

use crate::api::wire::AttrNames;
use crate::cli::commands::schema::Wanted;
use crate::tui::app::App;
use crate::tui::msg::Cmd;
use crate::tui::overlay::Overlay;
use crate::tui::writes::UndoRef;

impl App {
    /// Keep `undo` as what `:undo` offers on the profile of the write in progress (the plan's).
    pub(crate) fn keep_undo(&mut self, undo: UndoRef) {
        let Some(p) = self.write.as_ref().map(|f| &f.profile) else { return };
        self.last_undo.insert(p.name.clone(), (crate::tui::target::AppRef::of(p), undo));
    }

    /// `:undo`: plan putting back what the last write on this profile changed.
    pub(crate) fn undo_last(&mut self) -> Vec<Cmd> {
        if !self.may_write() {
            return vec![];
        }
        // may_write() saw the profile.
        let Some(profile) = self.active_profile().cloned() else { return vec![] };
        let last = match self.last_undo.get(&profile.name) {
            Some((made_on, _)) if *made_on != crate::tui::target::AppRef::of(&profile) => {
                let now = crate::tui::target::AppRef::of(&profile);
                self.error(format!(
                    "the last undo on {} was made on {} (SDKAppID {}, {}); the profile is {} (SDKAppID {}, {}) now: \
                     refused, nothing is planned",
                    profile.name,
                    made_on.label(),
                    made_on.sdkappid,
                    made_on.endpoint.label(),
                    now.label(),
                    now.sdkappid,
                    now.endpoint.label()
                ));
                return vec![];
            }
            Some((_, undo)) => Some(undo.clone()),
            None => self
                .undo_dir
                .as_deref()
                .and_then(|d| crate::write::undo::newest_in(d, &profile.name))
                .map(UndoRef::Accounts),
        };
        match last {
            Some(UndoRef::Accounts(path)) => {
                let label = format!("undo {}", file_name(&path));
                self.load_desired(path, label)
            }
            Some(UndoRef::Schema { path, before }) => self.undo_schema(&path, &before),
            None => {
                self.error("no write to undo yet for this profile (undo files are in the data dir's undo/)");
                vec![]
            }
        }
    }

    /// Plan naming the slots as they were `before`.
    fn undo_schema(&mut self, path: &std::path::Path, before: &AttrNames) -> Vec<Cmd> {
        let wanted: Wanted = before.slots().filter_map(|s| Some((s.slot, s.name?.to_owned(), None))).collect();
        // A slot that was empty before: the docs say nothing of clearing a slot's name, so
        // timx does not guess; the plan says that name stays.
        let named_since: Vec<String> = match &self.attr_names.names {
            Some(now) => now
                .slots()
                .zip(before.slots())
                .filter(|(n, b)| n.name.is_some() && b.name.is_none())
                .map(|(n, _)| n.slot.to_string())
                .collect(),
            None => vec![],
        };
        let cmds = self.start_schema(&wanted, &format!("undo attribute names ({})", file_name(path)));
        if let Overlay::Plan(plan) = &mut self.overlay
            && !named_since.is_empty()
        {
            plan.warnings.push(format!(
                "slot {} was empty before: clearing a slot's name is not documented, so timx leaves it named",
                named_since.join(", ")
            ));
        }
        cmds
    }
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().unwrap_or_default().to_string_lossy().into_owned()
}
