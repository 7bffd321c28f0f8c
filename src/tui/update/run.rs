//! Reads started from the explorer: Ctrl-R runs the editor's accounts on the app in use (the
//! rows remember that app), and the region probe asks every region for the SDKAppID.

use std::sync::Arc;

use crate::api::Endpoint;
use crate::engine::JobKind;
use crate::tui::app::{App, JobState, Pane};
use crate::tui::keymap;
use crate::tui::msg::{Cmd, WorkerCmd};
use crate::tui::target::AppRef;

impl App {
    /// Run the accounts in the editor (an inspect job); the results are replaced by its rows.
    pub(crate) fn run(&mut self) -> Vec<Cmd> {
        let Some(profile) = self.profile_or_say() else { return vec![] };
        if self.busy() {
            self.warn(format!("a job is running; {} cancels it", keymap::key_for(keymap::Action::Cancel)));
            return vec![];
        }
        let input = self.editor_input();
        if input.total() == 0 {
            self.error("no accounts: paste or type them in the Accounts pane (Tab to get there)");
            self.focus = Pane::Accounts;
            return vec![];
        }
        // An export of the old rows finishes before they are replaced.
        self.finish_export();
        let id = self.next_job_id();
        // The filter carries over to the new job's rows (reset keeps it applied).
        self.results.reset(input.total());
        // A trace's deliveries belong to the rows it traced: they go with them.
        let stop_trace: Vec<Cmd> =
            self.trace.take().filter(|t| t.running()).map(|t| WorkerCmd::Cancel(t.job).into()).into_iter().collect();
        self.results.read_on = Some(AppRef::of(&profile));
        self.job = Some(JobState::new(id, &profile.name, input.total() as u64));
        self.focus = Pane::Results;
        let cancel = keymap::key_for(keymap::Action::Cancel);
        self.info(format!("running {} accounts on {}… {cancel} cancels", input.total(), profile.name));
        let mut cmds = stop_trace;
        cmds.push(WorkerCmd::RunJob { job: id, profile, kind: JobKind::Inspect, input: Arc::new(input) }.into());
        cmds
    }

    pub(crate) fn probe(&mut self) -> Vec<Cmd> {
        match self.active_profile() {
            Some(p) if matches!(p.endpoint, Endpoint::Region { .. }) => {
                let p = p.clone();
                self.info(format!("probing every region for SDKAppID {}…", p.sdkappid));
                vec![WorkerCmd::Probe(p).into()]
            }
            Some(_) => {
                self.warn("probing regions needs a profile with a region, not a base URL");
                vec![]
            }
            None => {
                self.error("pick a profile first");
                vec![]
            }
        }
    }
}
