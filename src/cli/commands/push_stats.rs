//! `timx push-stats [TASKID…] [--since TIME] [--until TIME]`: per task the funnel and the loss
//! reasons. `all_member_push_statistics` (≤5 tasks a call, 30 days kept) and
//! `all_member_push_loss` (≤5 tasks, 7 days kept), each at its documented 1 call/s.

use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use tokio_util::sync::CancellationToken;

use super::audit::{client, default_format, runtime};
use crate::api::post_send::{self as ps, PostCall};
use crate::cli::target::TargetArgs;
use crate::clock::{parse_when, unix_now, utc_text};
use crate::engine::calls::Calls;
use crate::export::Format;
use crate::push::stats::{self, TaskReport};
use crate::text::escape;

#[derive(Debug, Args)]
pub struct PushStatsArgs {
    /// Push TaskIds (none: the app's totals).
    pub tasks: Vec<String>,
    /// From (UTC): unix seconds, YYYY-MM-DD[ HH:MM[:SS]], now, or an age like 7d (default 7d;
    /// statistics are kept 30 days, loss reasons 7).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Until (UTC), as --since (default: now).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// table, json or ndjson (default: table on a terminal, else ndjson).
    #[arg(long)]
    pub format: Option<Format>,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// The window asked about, and the part of it the loss reasons still cover.
struct Window {
    since: u64,
    until: u64,
    /// None: the window is wholly older than the 7 days loss reasons are kept.
    loss_since: Option<u64>,
}

fn window(a: &PushStatsArgs, now: u64) -> anyhow::Result<Window> {
    let at = |s: &Option<String>, default: u64| -> anyhow::Result<u64> {
        s.as_deref().map_or(Ok(default), |s| parse_when(s, now).map_err(anyhow::Error::msg))
    };
    let since = at(&a.since, now.saturating_sub(ps::TRACE_DAYS * ps::DAY_SECS))?;
    let until = at(&a.until, now)?;
    if since > until {
        bail!("--since {} is after --until {}", utc_text(since), utc_text(until));
    }
    if since + ps::STATS_DAYS * ps::DAY_SECS < now {
        bail!("--since {} is older than the {} days statistics are kept", utc_text(since), ps::STATS_DAYS);
    }
    let loss_floor = now.saturating_sub(ps::TRACE_DAYS * ps::DAY_SECS);
    let loss_since = (until >= loss_floor).then_some(since.max(loss_floor));
    Ok(Window { since, until, loss_since })
}

pub fn run(a: PushStatsArgs) -> anyhow::Result<ExitCode> {
    let now = unix_now();
    let w = window(&a, now)?;
    let tasks: Vec<String> = a.tasks.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
    let profile = a.target.resolve()?;
    let calls = Calls::new(client(&profile)?, profile.family, CancellationToken::new(), None);
    let rt = runtime()?;
    let chunks: Vec<Vec<String>> = if tasks.is_empty() {
        vec![vec![]]
    } else {
        tasks.chunks(ps::MAX_TASKS_PER_CALL).map(<[String]>::to_vec).collect()
    };
    eprintln!(
        "timx: {} – {} UTC; {} statistics and {} loss calls at 1 call/s each",
        utc_text(w.since),
        utc_text(w.until),
        chunks.len(),
        if w.loss_since.is_some() { chunks.len() } else { 0 }
    );
    let mut reports = Vec::new();
    for chunk in &chunks {
        match rt.block_on(reports_of(&calls, &w, chunk)) {
            Ok(r) => reports.extend(r),
            Err(e) => {
                eprintln!("timx: cannot read push statistics ({}): {}", profile.name, escape(&e.to_string()));
                return Ok(ExitCode::from(1));
            }
        }
    }
    print(&reports, default_format(a.format))?;
    eprintln!("timx: {}", crate::api::push_codes::UNDOCUMENTED_NOTE);
    Ok(ExitCode::SUCCESS)
}

/// The reports of up to five tasks: one statistics call, one loss call.
async fn reports_of(calls: &Calls, w: &Window, tasks: &[String]) -> Result<Vec<TaskReport>, crate::client::CallError> {
    let req = ps::WindowRequest { start_time: w.since, end_time: w.until, task_id: tasks.to_vec() };
    let st = calls.post(PostCall::Statistics, || calls.client().push_statistics(&req)).await?.body.results;
    let loss = match w.loss_since {
        Some(since) => {
            let req = ps::WindowRequest { start_time: since, ..req.clone() };
            Some(calls.post(PostCall::Loss, || calls.client().push_loss(&req)).await?.body.results)
        }
        None => None,
    };
    // The app's totals come back as one result, under whatever TaskID the service gives it.
    let totals = tasks.is_empty();
    let ids: Vec<String> = if totals { vec![String::new()] } else { tasks.to_vec() };
    let st_of = |id: &str| if totals { st.first() } else { st.iter().find(|s| s.task_id == id) };
    let loss_of =
        |id: &str| loss.as_ref().and_then(|l| if totals { l.first() } else { l.iter().find(|x| x.task_id == id) });
    let clipped = w.loss_since.is_some_and(|s| s > w.since);
    Ok(ids
        .iter()
        .map(|id| {
            let mut r = stats::report(id, st_of(id), loss_of(id));
            match (&loss, clipped) {
                (None, _) => {
                    r.notes.push(format!("loss reasons are kept {} days: none for this window", ps::TRACE_DAYS))
                }
                (Some(_), true) => {
                    r.notes.push(format!("loss reasons cover only the last {} days of the window", ps::TRACE_DAYS))
                }
                _ => {}
            }
            r
        })
        .collect())
}

fn print(reports: &[TaskReport], format: Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(reports)?)?,
        Format::Ndjson => {
            for r in reports {
                writeln!(out, "{}", serde_json::to_string(r)?)?;
            }
        }
        Format::Csv => bail!("push-stats prints table, json or ndjson"),
        Format::Table => {
            for r in reports {
                for line in stats::text_lines(r) {
                    writeln!(out, "{line}")?;
                }
                writeln!(out)?;
            }
        }
    }
    Ok(())
}
