//! `timx scheduled list` and `timx scheduled show ID`: the app's scheduled pushes
//! (`list_sched_task` / `get_sched_task`, 5 calls/s): type, when each fires (UTC, as the list's
//! times are), status, title, its Condition or user list, and the push TaskId once dispatched.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::bail;
use clap::{Args, Subcommand};
use tokio_util::sync::CancellationToken;

use super::audit::{client, default_format, runtime};
use crate::api::post_send::{self as ps, SchedTask};
use crate::cli::target::TargetArgs;
use crate::clock::{parse_when, unix_now, utc_text};
use crate::engine::calls::Calls;
use crate::export::Format;
use crate::push::scheduled::{self, status_text, target_text};
use crate::text::escape;

#[derive(Debug, Subcommand)]
pub enum ScheduledCmd {
    /// The scheduled pushes in a window (default: 30 days either side of now).
    List(ListArgs),
    /// One scheduled push: its content, Condition or user list, and the push it became.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// From (UTC): unix seconds, YYYY-MM-DD[ HH:MM[:SS]], now, or an age like 7d.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Until (UTC), as --since (default: 30 days from now).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only tasks whose title or description holds K (the service's Keyword).
    #[arg(long, value_name = "K")]
    pub keyword: Option<String>,
    /// table or json (default: table on a terminal, else ndjson: one task a line).
    #[arg(long)]
    pub format: Option<Format>,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The scheduled task's TaskID (an integer).
    pub id: u64,
    /// table or json (default: table on a terminal, else json).
    #[arg(long)]
    pub format: Option<Format>,
    #[command(flatten)]
    pub target: TargetArgs,
}

pub fn run(cmd: ScheduledCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        ScheduledCmd::List(a) => list(a),
        ScheduledCmd::Show(a) => show(a),
    }
}

/// One scheduled task, under the retry policy (used by `trace` and `audience --scheduled`).
pub(crate) fn fetch(
    rt: &tokio::runtime::Runtime,
    client: &Arc<crate::client::Client>,
    profile: &crate::config::Profile,
    id: u64,
) -> anyhow::Result<SchedTask> {
    let calls = Calls::new(client.clone(), profile.family, CancellationToken::new(), None);
    match rt.block_on(scheduled::get(&calls, id)) {
        Ok(t) => Ok(t),
        // The service documents no "no such task" code; 90001 (its generic "bad request") is
        // what an unknown id gets from the emulator, and the catalog's "a timx bug" would mislead.
        Err(crate::client::CallError::Service { code: 90001, info }) => bail!(
            "scheduled task {id} cannot be read ({}): the service refused the id (90001: {}); check the id with \
             `timx scheduled list` (the service does not document an unknown-task answer)",
            profile.name,
            escape(&info)
        ),
        Err(e) => bail!("cannot read scheduled task {id} ({}): {}", profile.name, escape(&e.to_string())),
    }
}

fn list(a: ListArgs) -> anyhow::Result<ExitCode> {
    let now = unix_now();
    let month = 30 * ps::DAY_SECS;
    let since = a.since.as_deref().map(|s| parse_when(s, now)).transpose().map_err(anyhow::Error::msg)?;
    let until = a.until.as_deref().map(|s| parse_when(s, now)).transpose().map_err(anyhow::Error::msg)?;
    let (since, until) = (since.unwrap_or(now.saturating_sub(month)), until.unwrap_or(now + month));
    if since > until {
        bail!("--since {} is after --until {}", utc_text(since), utc_text(until));
    }
    let profile = a.target.resolve()?;
    let client = client(&profile)?;
    let rt = runtime()?;
    let calls = Calls::new(client, profile.family, CancellationToken::new(), None);
    let tasks = match rt.block_on(scheduled::list_all(&calls, since, until, a.keyword.as_deref())) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("timx: cannot list scheduled tasks ({}): {}", profile.name, escape(&e.to_string()));
            return Ok(ExitCode::from(1));
        }
    };
    eprintln!(
        "timx: {} scheduled tasks firing {} – {} UTC (which time the window applies to is not documented; \
         the emulator takes SchedAt)",
        tasks.len(),
        utc_text(since),
        utc_text(until)
    );
    print_list(&tasks, default_format(a.format))?;
    Ok(ExitCode::SUCCESS)
}

fn print_list(tasks: &[SchedTask], format: Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(tasks)?)?,
        Format::Ndjson => {
            tasks.iter().try_for_each(|t| writeln!(out, "{}", serde_json::to_string(t).unwrap_or_default()))?
        }
        Format::Csv => bail!("scheduled list prints table, json or ndjson"),
        Format::Table => {
            writeln!(
                out,
                "{:<10}  {:<4}  {:<19}  {:<22}  {:<24}  TARGET",
                "ID", "TYPE", "FIRES (UTC)", "STATUS", "TITLE"
            )?;
            for t in tasks {
                writeln!(
                    out,
                    "{:<10}  {:<4}  {:<19}  {}  {}  {}",
                    t.task_id,
                    escape(&t.kind),
                    escape(&t.sched_at),
                    crate::text::pad(&status_text(t), 22),
                    crate::text::pad(&escape(&t.title), 24),
                    escape(&target_text(t))
                )?;
            }
        }
    }
    Ok(())
}

fn show(a: ShowArgs) -> anyhow::Result<ExitCode> {
    let profile = a.target.resolve()?;
    let client = client(&profile)?;
    let rt = runtime()?;
    let t = match fetch(&rt, &client, &profile, a.id) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("timx: {e:#}");
            return Ok(ExitCode::from(1));
        }
    };
    let mut out = std::io::stdout().lock();
    if a.format.unwrap_or(if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        Format::Table
    } else {
        Format::Json
    }) != Format::Table
    {
        writeln!(out, "{}", serde_json::to_string_pretty(&t)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    for line in show_lines(&t) {
        writeln!(out, "{line}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `scheduled show` as lines of `field: value`, escaped.
pub fn show_lines(t: &SchedTask) -> Vec<String> {
    let pushed = if t.push_task_id.is_empty() {
        "(not dispatched yet)".to_string()
    } else {
        escape(&t.push_task_id).into_owned()
    };
    vec![
        format!("TaskID:        {}", t.task_id),
        format!("Type:          {}", escape(&t.kind)),
        format!("Fires at:      {} UTC", escape(&t.sched_at)),
        format!("Created at:    {} UTC", escape(&t.create_at)),
        format!("Status:        {}", status_text(t)),
        format!("Title:         {}", escape(&t.title)),
        format!("Description:   {}", escape(&t.desc)),
        format!("Target:        {}", escape(&target_text(t))),
        format!("PushTaskID:    {pushed}"),
        format!("Dispatch:      success {} / error {} (raw: not documented)", t.dispatch_success, t.dispatch_err),
        format!("Content:       {}", escape(&t.content.to_string())),
    ]
}
