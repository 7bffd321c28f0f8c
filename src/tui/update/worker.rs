//! Worker events: attribute names, job progress, probe answers, the demo, files and saves.

use crate::api::wire::AttrNames;
use crate::client::CallError;
use crate::engine::{self, Event, Summary};
use crate::tui::app::{App, Effect};
use crate::tui::keymap::{self, Action};
use crate::tui::msg::{LoadedFile, WorkerEvent};
use crate::tui::overlay::{Overlay, Popup};

impl App {
    pub(crate) fn worker(&mut self, ev: WorkerEvent) -> Effect {
        match ev {
            WorkerEvent::AttrNames { fetch, profile, result } => self.attr_names_answer(fetch, &profile, result),
            WorkerEvent::Job { job, event } => self.job_event(job, event),
            WorkerEvent::Write { job, event } => self.write_event(job, event),
            WorkerEvent::AttrNamesSet { job, result } => self.attr_names_set(job, result),
            // Only the file still awaited: Esc may have stopped it, a newer one replaced it.
            WorkerEvent::DesiredLoaded { path, result } => match self.loading_desired.take_if(|(p, _)| *p == path) {
                // Only the file still awaited: Esc may have stopped it, a newer one replaced it.
                None => Effect::none(),
                Some((_, label)) => match result {
                    Ok(LoadedFile::Desired(d)) => Effect::run(self.desired_loaded(&path, label, *d)),
                    Ok(LoadedFile::Plan(p)) => Effect::run(self.plan_loaded(&path, label, *p)),
                    Err(e) => {
                        self.error(e);
                        Effect::redraw()
                    }
                },
            },
            WorkerEvent::JobError { job, error } => {
                if let Some(state) = self.job.as_mut().filter(|j| j.id == job) {
                    state.summary = Some(Summary::default());
                }
                if let Some(t) = self.trace.as_mut().filter(|t| t.job == job) {
                    t.summary = Some(Summary::default());
                }
                if self.write.as_ref().is_some_and(|w| w.job == job) {
                    self.write = None;
                    if matches!(self.overlay, Overlay::Plan(_)) {
                        self.overlay = Overlay::None;
                    }
                }
                self.error(error.to_string());
                Effect::redraw()
            }
            WorkerEvent::Probe { profile, results } => {
                let lines = crate::tui::probe::report(&profile, &results);
                self.open(Overlay::Info { title: "Region probe".into(), lines, scroll: Popup::default() });
                Effect::redraw()
            }
            WorkerEvent::Trace { job, event } => self.trace_event(job, event),
            WorkerEvent::Stats { job, result } => self.stats_answer(job, result),
            WorkerEvent::Scheduled { job, id, result } => self.scheduled_answer(job, id, result),
            WorkerEvent::DemoReady(profile) => self.demo_ready(profile),
            // Only the load still wanted (Esc stopped it, or a newer `:load` replaced it).
            WorkerEvent::Loaded { path, result } => match self.loading.take_if(|(p, _)| *p == path) {
                Some(_) => self.loaded(&path, result),
                None => Effect::none(),
            },
            WorkerEvent::ProfileSaved { config, profile, result } => self.profile_saved(*config, *profile, result),
            WorkerEvent::Failed(e) => {
                self.attr_names.loading = false;
                self.error(e.to_string());
                Effect::redraw()
            }
        }
    }

    fn attr_names_answer(&mut self, fetch: u64, profile: &str, result: Result<AttrNames, CallError>) -> Effect {
        if fetch != self.attr_names.fetch {
            return Effect::none();
        }
        self.attr_names.loading = false;
        match result {
            Ok(names) => {
                let n = names.attr_names.len();
                self.attr_names.names = Some(names);
                self.attr_names.error = None;
                let run = keymap::key_for(Action::Run);
                let hint = match self.input_stats.accounts {
                    0 => format!(" — paste accounts in the Accounts pane, then {run}"),
                    k => format!(" — {run} runs the {k} accounts in the editor"),
                };
                match self.after_names.take() {
                    Some(note) => self.status = Some(note),
                    None => self.info(format!("profile {profile}: {n} attribute names{hint}")),
                }
                self.recheck_audience();
            }
            Err(e) => {
                let ex = engine::ErrorDetail::from_call(&e, 1);
                let hint = if ex.wrong_region() {
                    format!(" — press {} to probe the other regions", keymap::key_for(Action::Probe))
                } else {
                    String::new()
                };
                self.error(format!("{}: {}{hint}", ex.label, ex.meaning));
                self.attr_names.error = Some(ex);
                self.recheck_audience();
            }
        }
        Effect::redraw()
    }

    fn job_event(&mut self, job: u64, mut event: Event) -> Effect {
        if self.read_back_event(job, &mut event) {
            if let Some(state) = self.job.as_mut().filter(|j| j.id == job) {
                match event {
                    Event::Progress(p) => state.progress = p,
                    Event::Finished(s) => state.summary = Some(s),
                    _ => {}
                }
            }
            return Effect::redraw();
        }
        let Some(state) = self.job.as_mut().filter(|j| j.id == job) else { return Effect::none() };
        match event {
            Event::Started { .. } => {}
            Event::Batch(records) => self.results.insert(records),
            Event::Progress(p) => state.progress = p,
            Event::Finished(s) => {
                let line = s.line();
                let failed = s.count(engine::Status::Failed) > 0 || s.aborted.is_some();
                state.summary = Some(s);
                if failed { self.warn(line) } else { self.info(line) }
            }
        }
        let h = self.results_height();
        self.results.scroll_into_view(h);
        Effect::redraw()
    }

    fn demo_ready(&mut self, profile: crate::config::Profile) -> Effect {
        if matches!(self.overlay, Overlay::FirstRun) {
            self.overlay = Overlay::None;
        }
        let what = format!("demo ready (profile {})", profile.name);
        // While a write holds the app it is listed, not switched to (the status says so).
        let Some(cmds) = self.offer_profile(profile, &what) else { return Effect::redraw() };
        if self.editor.is_empty() {
            self.set_accounts_text(crate::demo::SAMPLE_ACCOUNTS);
        }
        let run = keymap::key_for(Action::Run);
        self.info(format!("demo ready: sample accounts are in the Accounts pane — press {run} to run"));
        Effect::run(cmds)
    }
}
