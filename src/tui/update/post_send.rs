//! `:trace TASKID` and `:stats TASKID…` in the explorer: start them on the worker, take their
//! events in. A trace goes at the documented 1 call/s, so its ETA is said up front.

use std::sync::Arc;

use crate::engine::{Event, Normalizer, Progress};
use crate::push::trace::TraceRow;
use crate::tui::app::{App, Effect};
use crate::tui::keymap;
use crate::tui::msg::{Cmd, WorkerCmd};
use crate::tui::overlay::{Overlay, Popup};
use crate::tui::post_send::{StatsView, TraceView};
use crate::tui::results::Tab;

impl App {
    /// The profile in use, or None after saying how to pick one.
    pub(crate) fn profile_or_say(&mut self) -> Option<crate::config::Profile> {
        let p = self.active_profile().cloned();
        if p.is_none() {
            self.error("pick a profile first: Enter in the Profiles pane");
        }
        p
    }

    /// Trace push `task` for the marked rows, else the shown rows.
    pub(crate) fn start_trace(&mut self, task: &str) -> Vec<Cmd> {
        let Some(profile) = self.profile_or_say() else { return vec![] };
        if self.trace.as_ref().is_some_and(TraceView::running) {
            self.warn(format!("a trace is running; {} cancels it", keymap::key_for(keymap::Action::Cancel)));
            return vec![];
        }
        let mut n = Normalizer::new();
        let mut rows = Vec::new();
        for row in self.results.write_targets() {
            if n.push_account(self.results.account(row).unwrap_or_default()).is_some() {
                rows.push(row);
            }
        }
        if rows.is_empty() {
            self.error("no rows to trace: run some accounts (marks and the filter pick which)");
            return vec![];
        }
        let input = Arc::new(n.finish());
        let id = self.next_job_id();
        let eta = Progress { total: rows.len() as u64, rate: 1.0, ..Progress::default() };
        let cancel = keymap::key_for(keymap::Action::Cancel);
        self.info(format!(
            "tracing {} rows at 1 call/s (the documented limit): about {}; {cancel} cancels",
            rows.len(),
            eta.eta_text().unwrap_or_default()
        ));
        self.trace = Some(TraceView::new(task.to_owned(), id, rows));
        vec![WorkerCmd::Trace { job: id, profile, task: task.to_owned(), input }.into()]
    }

    pub(crate) fn trace_event(&mut self, job: u64, event: Event<TraceRow>) -> Effect {
        let Some(t) = self.trace.as_mut().filter(|t| t.job == job) else { return Effect::none() };
        match event {
            Event::Started { .. } => {}
            Event::Batch(rows) => t.add(rows),
            Event::Progress(p) => t.progress = p,
            Event::Finished(s) => {
                let line = s.line();
                t.summary = Some(s);
                self.info(format!("trace: {line}"));
            }
        }
        Effect::redraw()
    }

    /// The funnel and loss reasons of `tasks` (none: the app's totals), in the summary tab.
    pub(crate) fn start_stats(&mut self, tasks: Vec<String>) -> Vec<Cmd> {
        let Some(profile) = self.profile_or_say() else { return vec![] };
        let id = self.next_job_id();
        self.stats = Some(StatsView { job: id, tasks: tasks.clone(), reports: None });
        self.tab = Tab::Summary;
        self.info("reading the tasks' statistics and loss reasons (1 call/s each)…");
        vec![WorkerCmd::Stats { job: id, profile, tasks }.into()]
    }

    pub(crate) fn stats_answer(
        &mut self,
        job: u64,
        result: Result<Vec<crate::push::stats::TaskReport>, String>,
    ) -> Effect {
        if self.stats.as_ref().is_none_or(|s| s.job != job) {
            return Effect::none();
        }
        match &result {
            Ok(r) => self.info(format!("statistics of {} tasks: the summary (3) shows them", r.len())),
            Err(e) => self.error(format!("cannot read the statistics: {}", crate::text::escape(e))),
        }
        if let Some(s) = self.stats.as_mut() {
            s.reports = Some(result);
        }
        Effect::redraw()
    }

    /// `:scheduled [ID]`: list the pending scheduled pushes, or apply one's Condition.
    pub(crate) fn ask_scheduled(&mut self, id: Option<u64>) -> Vec<Cmd> {
        let Some(profile) = self.profile_or_say() else { return vec![] };
        let job = self.next_job_id();
        self.scheduled_job = Some(job);
        self.info("reading the scheduled pushes (5 calls/s)…");
        vec![WorkerCmd::Scheduled { job, profile, id }.into()]
    }

    pub(crate) fn scheduled_answer(
        &mut self,
        job: u64,
        id: Option<u64>,
        result: Result<Vec<crate::api::post_send::SchedTask>, String>,
    ) -> Effect {
        if self.scheduled_job != Some(job) {
            return Effect::none();
        }
        self.scheduled_job = None;
        match (result, id) {
            (Err(e), _) => self.error(format!("cannot read the scheduled pushes: {}", crate::text::escape(&e))),
            (Ok(tasks), None) => {
                let lines = scheduled_lines(&tasks);
                self.open(Overlay::Info {
                    title: "Scheduled pushes (pending)".into(),
                    lines,
                    scroll: Popup::default(),
                });
            }
            (Ok(tasks), Some(_)) => {
                if let Some(t) = tasks.first() {
                    self.apply_scheduled(t);
                }
            }
        }
        Effect::redraw()
    }

    /// A scheduled push's target as the audience: its Condition, or everyone; a user list is
    /// not a Condition, and says so.
    fn apply_scheduled(&mut self, t: &crate::api::post_send::SchedTask) {
        let json = match crate::push::scheduled::target(t) {
            crate::push::scheduled::Target::Condition(json) => json,
            crate::push::scheduled::Target::Users(users) => {
                self.error(format!(
                    "scheduled task {} targets a list of {} users, not a Condition: timx audience --scheduled {} judges it",
                    t.task_id,
                    users.len(),
                    t.task_id
                ));
                return;
            }
        };
        crate::tui::commands::apply_audience(self, json);
        if self.results.audience.is_some() {
            self.info(format!(
                "scheduled task {} ({} UTC, {}) applied as the audience: see the Aud column",
                t.task_id,
                crate::text::escape(&t.sched_at),
                crate::push::scheduled::status_text(t)
            ));
        }
    }
}

/// The pending scheduled pushes, one a line, for the information popup.
fn scheduled_lines(tasks: &[crate::api::post_send::SchedTask]) -> Vec<String> {
    use crate::push::scheduled::target_text;
    let mut lines = vec!["ID          fires (UTC)          type  title · target".to_string(), String::new()];
    for t in tasks {
        lines.push(format!(
            "{:<10}  {:<19}  {:<4}  {} · {}",
            t.task_id,
            crate::text::escape(&t.sched_at),
            crate::text::escape(&t.kind),
            crate::text::escape(&t.title),
            crate::text::escape(&target_text(t))
        ));
    }
    if tasks.is_empty() {
        lines.push("no pending scheduled push in the next 30 days".into());
    }
    lines.push(String::new());
    lines.push(":scheduled ID applies one's Condition as the audience (the Aud column and reasons)".into());
    lines
}
