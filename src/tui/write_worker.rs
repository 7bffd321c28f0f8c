//! The worker's side of writes: plan or apply a write job and stream its rows back, name
//! attribute slots, read a desired-state file. Every apply keeps the previous state in its undo
//! file before anything is sent, and is journaled like a headless write.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::msg::{LoadedFile, SetNames, WorkerError, WorkerEvent, WriteJob};
use super::worker::{Clients, JobEnd, forward};
use crate::engine::{JobConfig, JobKind};
use crate::write::file_head::{FileHead, FileKind};
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
    let WriteJob { job, profile, want, input, undo, command, names } = run;
    let Some(client) = super::worker::job_client(&clients, &events, job, &profile, &cancel).await else { return job };
    let command = journal_label(&command, input.total(), profile.journal_accounts);
    let head = FileHead::new(FileKind::Outcomes, &profile, names, &command, job.to_string());
    let mode = match &undo {
        None => Mode::Plan,
        Some(path) => match UndoLog::create(path, &head) {
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

/// What the journal (and the undo file's head) call a write: its verb and how many accounts,
/// with no account or value unless the profile journals accounts.
fn journal_label(label: &str, accounts: usize, journal_accounts: bool) -> String {
    if journal_accounts {
        return label.to_owned();
    }
    let words: Vec<&str> = label.split_whitespace().collect();
    let verb = match words.as_slice() {
        ["tag" | "attr", how, ..] => format!("{} {how}", words[0]),
        [first, ..] => (*first).to_owned(),
        [] => "write".to_owned(),
    };
    format!("{verb} ({accounts} account{})", if accounts == 1 { "" } else { "s" })
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

/// `:apply PATH` / `:undo`: read and parse the file off the loop — a plan made before (an undo
/// file, a saved plan: it starts with its job's head) or a desired state.
pub(super) async fn load_desired(events: UnboundedSender<WorkerEvent>, path: PathBuf) {
    let read = path.clone();
    let parsed = tokio::task::spawn_blocking(move || -> Result<LoadedFile, String> {
        let format = crate::write::state_file::format_of(&read, None).map_err(|e| format!("{e:#}"))?;
        // A plan or undo file streams (it may hold millions of rows): look at its first line only.
        let first = crate::paths::open_regular(&read).map_err(|e| format!("{e:#}")).and_then(|f| {
            let mut line = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(std::io::Read::take(f, 64 * 1024)), &mut line)
                .map(|_| line)
                .map_err(|e| format!("cannot read {}: {e}", read.display()))
        })?;
        if FileHead::is_head(first.trim_end()) {
            return crate::write::plan_file::load_file(&read)
                .map(|p| LoadedFile::Plan(Box::new(p)))
                .map_err(|e| format!("{e:#}"));
        }
        // Streamed, its states kept in a temporary file, as `timx apply -f` reads it.
        crate::write::desired::Desired::read(&read, format)
            .map(|(d, _)| LoadedFile::Desired(Box::new(d)))
            .map_err(|e| format!("{e:#}"))
    })
    .await;
    let result = parsed.unwrap_or_else(|e| Err(e.to_string()));
    let _ = events.send(WorkerEvent::DesiredLoaded { path, result });
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_journal_names_no_account_or_value_unless_the_profile_journals_accounts() {
        assert_eq!(super::journal_label("edit alice", 1, false), "edit (1 account)");
        assert_eq!(super::journal_label("tag add vip on 3 marked rows", 3, false), "tag add (3 accounts)");
        assert_eq!(super::journal_label("attr set city=深圳 on 2 shown rows", 2, false), "attr set (2 accounts)");
        assert_eq!(super::journal_label("apply /home/a/x.csv", 9, false), "apply (9 accounts)");
        assert_eq!(super::journal_label("edit alice", 1, true), "edit alice");
    }
}
