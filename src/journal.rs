//! The audit journal: one JSON line per job under the data dir, so support staff can answer
//! "who looked at what, when". Never keys or UserSigs; accounts only when the profile asks.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::Profile;
use crate::engine::{Normalized, OutcomeStatus, Summary};

#[derive(Debug, Serialize)]
pub struct Entry<'a> {
    pub time: String,
    pub user: String,
    pub profile: &'a str,
    pub region: String,
    pub sdkappid: u64,
    pub family: &'a str,
    pub command: &'a str,
    pub accounts: u64,
    /// How far the job got: accounts that ended in anything but `cancelled`.
    pub done: u64,
    pub duplicates: u64,
    pub outcomes: std::collections::BTreeMap<&'static str, u64>,
    pub errors_seen: &'a std::collections::BTreeMap<String, u64>,
    /// Writes: operations by kind (`set`, `unset`, `add_tag`, `remove_tag`).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub operations: &'a std::collections::BTreeMap<String, u64>,
    /// Writes: the undo file that restores what the job changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undo_file: Option<String>,
    pub calls: u64,
    pub retries: u64,
    pub duration_ms: u64,
    pub cancelled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aborted: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_list: Option<Vec<&'a str>>,
}

pub fn default_path() -> Option<PathBuf> {
    crate::config::data_dir().map(|d| d.join("journal.ndjson"))
}

pub fn entry<'a, S: OutcomeStatus>(
    profile: &'a Profile,
    command: &'a str,
    summary: &'a Summary<S>,
    input: Option<&'a Normalized>,
) -> Entry<'a> {
    Entry {
        time: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        user: std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_default(),
        profile: &profile.name,
        region: profile.endpoint.label(),
        sdkappid: profile.sdkappid,
        family: profile.family.service(),
        command,
        accounts: summary.total,
        done: summary.total.saturating_sub(summary.count(S::cancelled())),
        duplicates: summary.duplicates,
        outcomes: summary.counts.iter().map(|(s, n)| (s.label(), *n)).collect(),
        errors_seen: &summary.errors_seen,
        operations: &summary.ops,
        undo_file: None,
        calls: summary.calls,
        retries: summary.retries,
        duration_ms: summary.elapsed.as_millis() as u64,
        cancelled: summary.cancelled,
        aborted: summary.aborted.as_deref(),
        account_list: input.filter(|_| profile.journal_accounts).map(|n| n.entries.iter().collect()),
    }
}

/// The one journal step after every job, headless or in the explorer, read or write (cancelled
/// and stopped jobs too): one line, unless the profile turned the journal off. A write names its
/// undo file.
pub fn after_job<S: OutcomeStatus>(
    profile: &Profile,
    command: &str,
    summary: &Summary<S>,
    input: Option<&Normalized>,
    undo: Option<&Path>,
) -> anyhow::Result<()> {
    if !profile.journal {
        return Ok(());
    }
    let Some(path) = default_path() else { return Ok(()) };
    let mut line = entry(profile, command, summary, input);
    line.undo_file = undo.map(|p| p.display().to_string());
    append(&path, &line).map_err(|e| anyhow::anyhow!("cannot write the audit journal {}: {e}", path.display()))
}

/// Append one line; the journal is created 0600.
pub fn append(path: &Path, entry: &Entry<'_>) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = crate::private_file::open(path, crate::private_file::Open::Append)?;
    let mut line = serde_json::to_vec(entry)?;
    line.push(b'\n');
    f.write_all(&line)?;
    Ok(())
}
