//! `timx push-stats [TASKID…] [--since TIME] [--until TIME]`: per task the funnel and the loss
//! reasons. `all_member_push_statistics` (≤5 tasks a call, 30 days kept) and
//! `all_member_push_loss` (≤5 tasks, 7 days kept), each at its documented 1 call/s.

use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use tokio_util::sync::CancellationToken;

use super::audit::{client, default_format, runtime};
use crate::cli::target::TargetArgs;
use crate::clock::{unix_now, utc_text};
use crate::engine::calls::Calls;
use crate::export::Format;
use crate::push::fetch::{self, Window};
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

pub fn run(a: PushStatsArgs) -> anyhow::Result<ExitCode> {
    let now = unix_now();
    let w = Window::new(a.since.as_deref(), a.until.as_deref(), now).map_err(anyhow::Error::msg)?;
    let tasks: Vec<String> = a.tasks.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
    let profile = a.target.resolve()?;
    let calls = Calls::new(client(&profile)?, profile.family, CancellationToken::new(), None);
    let rt = runtime()?;
    let chunks = fetch::calls_needed(&tasks);
    eprintln!(
        "timx: {} – {} UTC; {} statistics and {} loss calls at 1 call/s each",
        utc_text(w.since),
        utc_text(w.until),
        chunks,
        if w.loss_since.is_some() { chunks } else { 0 }
    );
    let reports = match rt.block_on(fetch::reports(&calls, &w, &tasks)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("timx: cannot read push statistics ({}): {}", profile.name, escape(&e.to_string()));
            return Ok(ExitCode::from(1));
        }
    };
    print(&reports, default_format(a.format))?;
    eprintln!("timx: {}", crate::api::push_codes::UNDOCUMENTED_NOTE);
    Ok(ExitCode::SUCCESS)
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
