//! The worker's side of writes: plan or apply a write job and stream its rows back, name
//! attribute slots, read a desired-state file. Every apply keeps the previous state in its undo
//! file before anything is sent, and is journaled like a headless write.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::msg::{SetNames, WorkerError, WorkerEvent, WriteJob};
use super::worker::{Clients, JobEnd, forward};
use crate::engine::{JobConfig, JobKind};
use crate::write::job::Mode;
use crate::write::undo::UndoLog;
use crate::write::{WriteConfig, WriteStatus};

/// Plan or apply; returns the job's id so the worker forgets it.
pub(super) async fn run_write(
    clients: Clients,
    events: UnboundedSender<WorkerEvent>,
    run: WriteJob,
    cancel: CancellationToken,
) -> u64 {
    let WriteJob { job, profile, want, input, undo, command } = run;
    let Some(client) = super::worker::job_client(&clients, &events, job, &profile, &cancel).await else { return job };
    let mode = match &undo {
        None => Mode::Plan,
        Some(path) => match UndoLog::create(path) {
            // The explorer always checks what it wrote: a row the service did not keep is failed.
            Ok(log) => Mode::Apply { undo: Arc::new(log), verify: true },
            Err(e) => {
                let error = WorkerError::Write(format!("{e:#}"));
                let _ = events.send(WorkerEvent::JobError { job, error });
                return job;
            }
        },
    };
    let cfg = WriteConfig { job: JobConfig::new(JobKind::Inspect, profile.family, profile.rate_limit), want, mode };
    let handle = crate::write::spawn_write(client, cfg, input.clone(), cancel);
    let command = if undo.is_some() { command } else { format!("{command} --plan") };
    let end = JobEnd { profile: &profile, command: &command, input: &input, undo: undo.as_deref() };
    forward(&clients, &events, handle, |event| WorkerEvent::Write { job, event }, end).await;
    job
}

/// Keep the names as they were in `undo`, write `names`, read them back, journal it.
pub(super) async fn set_attr_names(clients: &Clients, set: &SetNames) -> Result<(), String> {
    let SetNames { profile, names, before, undo, .. } = set;
    let client = clients.get(profile).await.map_err(|e| e.to_string())?;
    let (path, b) = (undo.to_owned(), before.clone());
    tokio::task::spawn_blocking(move || crate::cli::commands::schema::write_undo(&path, &b))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("nothing was written: {e:#}"))?;
    let started = std::time::Instant::now();
    let error = crate::cli::commands::schema::send_names(&client, profile.family, names, true).await;
    let n = names.attr_names.len();
    let status = if error.is_some() { WriteStatus::Failed } else { WriteStatus::Changed };
    let outcomes = std::iter::repeat_n(status, n);
    let summary = crate::cli::commands::schema::summary(profile.family, outcomes, n, 2, started.elapsed());
    if let Err(e) = crate::journal::after_job(profile, "attr-names set", &summary, None, Some(undo)) {
        tracing::warn!("{e}");
    }
    error.map_or(Ok(()), Err)
}

/// `:apply PATH` / `:undo`: read and parse the file off the loop.
pub(super) async fn load_desired(events: UnboundedSender<WorkerEvent>, path: PathBuf) {
    let read = path.clone();
    let parsed = tokio::task::spawn_blocking(move || -> Result<Box<crate::write::desired::Desired>, String> {
        let format = crate::write::state_file::format_of(&read, None).map_err(|e| format!("{e:#}"))?;
        let text = std::fs::read_to_string(&read).map_err(|e| format!("cannot read {}: {e}", read.display()))?;
        crate::write::desired::Desired::parse(&text, format)
            .map(Box::new)
            .map_err(|e| format!("{} is not a timx export: {e:#}", read.display()))
    })
    .await;
    let result = parsed.unwrap_or_else(|e| Err(e.to_string()));
    let _ = events.send(WorkerEvent::DesiredLoaded { path, result });
}
