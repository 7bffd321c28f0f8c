//! `timx trace --task TASKID [ACCOUNTS…]`: did each account get push TASKID, device by device
//! and stage by stage, and was it meant for them. One `all_member_push_trace` call per account
//! at the documented 1 call/s (a 600-account trace is ten minutes: the ETA says so), rows in
//! input order as they finish; formats, `-o`, `--resume` and exit codes as for audits.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::bail;
use clap::Args;
use tokio_util::sync::CancellationToken;

use super::audit::{ResumeRows, client, finish, open_output, output_format, read_account_sources, runtime, stream};
use crate::api::post_send::PostCall;
use crate::audience::{self, Judge, Schema};
use crate::cli::target::TargetArgs;
use crate::engine::{JobConfig, JobKind, Normalized, Progress};
use crate::export::{Format, RecordWriter, RowShape, shaped_writer};
use crate::push::delivery;
use crate::push::trace::{self, Judging, TraceRow, TraceStatus};
use crate::text::escape;

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The push's TaskId, as the push answered it. Digits only: a scheduled task's TaskID, traced
    /// as the push it became (its PushTaskID) and judged by its Condition.
    #[arg(long, value_name = "TASKID")]
    pub task: String,
    /// Also judge each account against this push `Condition` (JSON, a whole push body, or @FILE),
    /// on its attributes and tags as they are now.
    #[arg(long, value_name = "JSON|@FILE")]
    pub condition: Option<String>,
    #[command(flatten)]
    pub rows: super::audit::RowArgs,
    /// Pick up an interrupted run: keep the rows of -o FILE that have an answer (clicked,
    /// delivered, stopped, no_devices, no_trace, invalid), trace the rest.
    #[arg(long, requires = "output")]
    pub resume: bool,
    /// Trace calls per second. The service documents 1, the default; more only against the
    /// emulator (`timx serve` without --strict).
    #[arg(long, value_name = "N", default_value_t = PostCall::Trace.rate())]
    pub pace: u32,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Statuses a resumed trace keeps.
const FINAL: [&str; 6] = ["clicked", "delivered", "stopped", "no_devices", "no_trace", "invalid"];

pub fn run(args: TraceArgs) -> anyhow::Result<ExitCode> {
    if args.pace == 0 || args.pace > crate::api::MAX_CALLS_PER_SECOND {
        bail!("--pace must be 1-{}, got {}", crate::api::MAX_CALLS_PER_SECOND, args.pace);
    }
    if args.pace > PostCall::Trace.rate() {
        eprintln!(
            "timx: warning: --pace {} is over the documented 1 call/s; the service may refuse (60007)",
            args.pace
        );
    }
    let profile = args.target.resolve()?;
    let input = Arc::new(read_account_sources(&args.rows.accounts, &args.rows.file, &args.target)?);
    let client = client(&profile)?;
    let rt = runtime()?;
    let (task, condition) = resolve_task(&rt, &client, &profile, &args)?;
    let traced = Traced { task: task.clone(), condition: condition.clone() };
    let judging = match condition {
        Some(json) => {
            let Some((aud, names)) = super::audience::prepare(&rt, &client, &profile, &json)? else {
                return Ok(ExitCode::from(1));
            };
            eprintln!("timx: {}", trace::MAY_HAVE_CHANGED);
            for w in &aud.warnings {
                eprintln!("timx: warning: {}", crate::text::escape(w));
            }
            if matches!(aud.audience, audience::Audience::Some(_)) {
                eprintln!("timx: {}", audience::ASSUMPTIONS);
            }
            Some(Judging { judge: Judge::new(&aud), schema: Schema::new(&names) })
        }
        None => None,
    };
    let format = output_format(args.rows.format, args.rows.output.as_deref());
    let cfg = JobConfig::per_account(JobKind::Trace, profile.family, profile.rate_limit, args.pace);
    // Said as the job starts: for a resumed run, of the accounts still to do.
    let spawn = |sub: Arc<Normalized>| {
        announce(&sub, args.pace);
        trace::spawn(client.clone(), cfg.clone(), sub, CancellationToken::new(), task.clone(), judging)
    };
    let resume = args.rows.output.as_deref().filter(|p| args.resume && p.exists());
    // FILE's rows are verdicts of one task (and condition): a resume of another is refused.
    match (resume, args.rows.output.as_deref()) {
        (Some(path), _) => traced.check(path)?,
        (None, Some(path)) => traced.record(path)?,
        (None, None) => {}
    }
    let streamed = match resume {
        Some(path) => rt.block_on(async {
            let check = |row: &crate::resume::RowInfo| same_command(row);
            let rows = ResumeRows { path, format, input: &input, is_final: &|s| FINAL.contains(&s), check: &check };
            rows.run(|buf| trace_writer(format, buf), spawn).await
        })?,
        None => {
            let mut writer = trace_writer(format, open_output(args.rows.output.as_deref())?)?;
            let streamed = rt.block_on(async { stream(spawn(input.clone()), writer.as_mut()).await })?;
            if let Some(e) = &streamed.write_failed {
                crate::cli::interrupt::say(&format!("timx: cannot write the results: {e}"));
            } else if streamed.interrupted != Some(crate::cli::interrupt::Interrupt::Pipe) {
                writer.finish()?;
            }
            streamed
        }
    };
    let summary = &streamed.summary;
    if summary.count(TraceStatus::Stopped) + summary.count(TraceStatus::Delivered) + summary.count(TraceStatus::Clicked)
        > 0
    {
        eprintln!("timx: {}", crate::api::push_codes::UNDOCUMENTED_NOTE);
    }
    Ok(finish(&profile, JobKind::Trace.name(), &input, &streamed))
}

/// The push TaskId to trace and the Condition to judge by: given, or from a scheduled task.
fn resolve_task(
    rt: &tokio::runtime::Runtime,
    client: &Arc<crate::client::Client>,
    profile: &crate::config::Profile,
    args: &TraceArgs,
) -> anyhow::Result<(String, Option<String>)> {
    let given = args.condition.as_deref().map(super::audience::condition_text).transpose()?;
    let task = args.task.trim();
    if task.is_empty() {
        bail!("--task is empty: give the push's TaskId");
    }
    let Ok(id) = task.parse::<u64>() else { return Ok((task.to_owned(), given)) };
    let sched = super::scheduled::fetch(rt, client, profile, id)?;
    if sched.push_task_id.is_empty() {
        bail!(
            "scheduled task {id} has not fired (status {:?}, no PushTaskID yet): nothing to trace; \
             `timx audience --scheduled {id}` judges it before it fires",
            escape(&sched.status)
        );
    }
    eprintln!("timx: scheduled task {id} fired as push {}", escape(&sched.push_task_id));
    let condition = given.or_else(|| sched.condition().map(|c| c.to_string()));
    Ok((sched.push_task_id, condition))
}

/// How long it will take, before it starts: at 1 call/s a 600-account trace is ten minutes.
fn announce(input: &Normalized, pace: u32) {
    let n = input.valid_indices().count() as u64;
    let eta = Progress { total: n, rate: f64::from(pace), ..Progress::default() };
    let about = eta.eta_text().map(|t| format!(": about {t}")).unwrap_or_default();
    eprintln!("timx: tracing {n} accounts at {pace} call/s (the documented limit is 1/s){about}");
}

/// Whether a row of an earlier NDJSON output is a trace's.
fn same_command(row: &crate::resume::RowInfo) -> Result<(), String> {
    if row.keys.is_empty() || row.keys.iter().any(|k| k == "verdict") {
        Ok(())
    } else {
        Err("its rows are not `trace` rows (they have no verdict)".into())
    }
}

fn targeted(r: &TraceRow) -> &'static str {
    match r.audience.as_ref().map(|a| a.targeted) {
        None => "",
        Some(Some(true)) => "yes",
        Some(Some(false)) => "no",
        Some(None) => "unknown",
    }
}

fn devices_text(r: &TraceRow) -> String {
    r.devices.iter().map(delivery::device_line).collect::<Vec<_>>().join(" | ")
}

fn trace_writer<'a, W: std::io::Write + 'a>(
    format: Format,
    out: W,
) -> std::io::Result<Box<dyn RecordWriter<TraceRow> + 'a>> {
    let shape = RowShape {
        csv_header: &["account", "status", "verdict", "devices", "targeted", "audience_reasons", "error"],
        csv_cells: |r: &TraceRow| {
            let reasons = r.audience.as_ref().map(|a| a.reasons.join("; ")).unwrap_or_default();
            let error = r.error.as_ref().map(|e| format!("{}: {}", e.label, e.meaning)).unwrap_or_default();
            vec![
                r.account.clone(),
                r.status.label().into(),
                r.verdict.clone(),
                devices_text(r),
                targeted(r).into(),
                reasons,
                error,
            ]
        },
        table_header: || format!("{}  {}  DEVICES", crate::text::pad("ACCOUNT", 16), crate::text::pad("VERDICT", 40)),
        table_line: |r: &TraceRow| {
            let meant = match targeted(r) {
                "" => String::new(),
                t => format!("  [targeted: {t}]"),
            };
            format!(
                "{}  {}  {}{meant}",
                crate::text::pad(&escape(&r.account), 16),
                crate::text::pad(&escape(&r.verdict), 40),
                escape(&devices_text(r))
            )
        },
    };
    shaped_writer(format, out, shape)
}

/// What a trace's `-o FILE` traced, kept beside it (`.FILE.timx-trace`): its rows are verdicts of
/// that task and condition only, so `--resume` with another is refused.
#[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Traced {
    task: String,
    condition: Option<String>,
}

impl Traced {
    fn record(&self, path: &std::path::Path) -> anyhow::Result<()> {
        crate::private_file::write(&crate::paths::companion(path, "trace"), &serde_json::to_string(self)?)
    }

    fn check(&self, path: &std::path::Path) -> anyhow::Result<()> {
        let side = crate::paths::companion(path, "trace");
        let earlier: Option<Traced> = std::fs::read_to_string(&side).ok().and_then(|t| serde_json::from_str(&t).ok());
        match earlier {
            Some(e) if e == *self => Ok(()),
            Some(e) => bail!(
                "{} holds the trace of task {}{}, not of task {}{}: resume only the same trace (or start over \
                 without --resume); it was left as it is",
                path.display(),
                crate::text::escape(&e.task),
                if e.condition.is_some() { " with a condition" } else { "" },
                crate::text::escape(&self.task),
                match (&e.condition, &self.condition) {
                    (a, b) if a == b => "",
                    (_, Some(_)) => " with another condition",
                    _ => " without one",
                }
            ),
            None => bail!(
                "cannot tell which task {} traced ({} is missing): resume only a trace timx started with -o; it was \
                 left as it is",
                path.display(),
                side.display()
            ),
        }
    }
}
