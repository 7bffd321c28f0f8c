//! The worker's post-send jobs: `:trace` (one trace call per account at the documented 1
//! call/s, streamed and journaled like any job) and `:stats` (the tasks' reports).

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use std::collections::HashMap;

use super::msg::{WorkerCmd, WorkerEvent};
use super::worker::{Clients, JobEnd, forward, job_client};
use crate::api::post_send::PostCall;
use crate::config::Profile;
use crate::engine::calls::Calls;
use crate::engine::{JobConfig, JobKind, Normalized};
use crate::push::fetch::{self, Window};
use crate::push::scheduled;

/// Start `:trace` (cancellable, like a read job) or `:stats`; other commands are not ours.
pub(super) fn start(
    cmd: WorkerCmd,
    clients: &Clients,
    events: &UnboundedSender<WorkerEvent>,
    jobs: &mut HashMap<u64, CancellationToken>,
    running: &mut tokio::task::JoinSet<u64>,
) {
    match cmd {
        WorkerCmd::Trace { job, profile, task, input } => {
            let cancel = CancellationToken::new();
            jobs.insert(job, cancel.clone());
            let run = TraceRun { job, profile, task, input, cancel };
            running.spawn(run_trace(clients.clone(), events.clone(), run));
        }
        WorkerCmd::Stats { job, profile, tasks } => {
            tokio::spawn(run_stats(clients.clone(), events.clone(), job, profile, tasks));
        }
        WorkerCmd::Scheduled { job, profile, id } => {
            tokio::spawn(run_scheduled(clients.clone(), events.clone(), job, profile, id));
        }
        _ => {}
    }
}

pub(super) struct TraceRun {
    pub job: u64,
    pub profile: Profile,
    pub task: String,
    pub input: Arc<Normalized>,
    pub cancel: CancellationToken,
}

/// Run a trace and stream it; returns the job's id, so the worker forgets it.
pub(super) async fn run_trace(clients: Clients, events: UnboundedSender<WorkerEvent>, run: TraceRun) -> u64 {
    let TraceRun { job, profile, task, input, cancel } = run;
    let Some(client) = job_client(&clients, &events, job, &profile, &cancel).await else { return job };
    let cfg = JobConfig::per_account(JobKind::Trace, profile.family, profile.rate_limit, PostCall::Trace.rate());
    let handle = crate::push::trace::spawn(client, cfg, input.clone(), cancel, task, None);
    let end = JobEnd { profile: &profile, command: JobKind::Trace.name(), input: &input, undo: None };
    forward(&clients, &events, handle, |event| WorkerEvent::Trace { job, event }, end).await;
    job
}

/// The reports of `tasks` (none: the app's totals) over the last 7 days.
pub(super) async fn run_stats(
    clients: Clients,
    events: UnboundedSender<WorkerEvent>,
    job: u64,
    profile: Profile,
    tasks: Vec<String>,
) {
    let result = with_calls(&clients, &profile, async |calls| {
        let w = Window::new(None, None, crate::clock::unix_now())?;
        fetch::reports(&calls, &w, &tasks).await.map_err(|e| e.to_string())
    })
    .await;
    let _ = events.send(WorkerEvent::Stats { job, result });
}

/// The pending scheduled pushes of the next 30 days, or the one asked for.
async fn run_scheduled(
    clients: Clients,
    events: UnboundedSender<WorkerEvent>,
    job: u64,
    profile: Profile,
    id: Option<u64>,
) {
    let result = with_calls(&clients, &profile, async |calls| {
        let now = crate::clock::unix_now();
        let month = 30 * crate::api::post_send::DAY_SECS;
        let got = match id {
            Some(id) => scheduled::get(&calls, id).await.map(|t| vec![t]),
            None => scheduled::list_all(&calls, now, now + month, None)
                .await
                .map(|ts| ts.into_iter().filter(|t| t.is_pending()).collect()),
        };
        got.map_err(|e| e.to_string())
    })
    .await;
    let _ = events.send(WorkerEvent::Scheduled { job, id, result });
}

/// Run `f` with paced, retried post-send calls on the profile's client; why not, as text.
async fn with_calls<T>(
    clients: &Clients,
    profile: &Profile,
    f: impl AsyncFnOnce(Calls) -> Result<T, String>,
) -> Result<T, String> {
    let client = clients.get(profile).await.map_err(|e| e.to_string())?;
    f(Calls::new(client, profile.family, CancellationToken::new(), None)).await
}
