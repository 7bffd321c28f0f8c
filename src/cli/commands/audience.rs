//! `timx audience --condition JSON|@FILE [ACCOUNTS…]`: would a push with this condition reach
//! these accounts, and why not. The accounts are read as `inspect` reads them (paced, retried),
//! each row says `targeted` true/false/null with the reasons; the summary counts them and the
//! most common reasons for not being targeted.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;
use tokio_util::sync::CancellationToken;

use super::audit::{client, open_output, output_format, read_account_sources, runtime, stream};
use crate::audience::{self, ASSUMPTIONS, Checked, Schema, Verdict};
use crate::cli::interrupt::{Interrupt, say};
use crate::cli::target::TargetArgs;
use crate::engine::{self, JobConfig, JobKind, Record};
use crate::export::{Format, RecordWriter, RowShape, shaped_writer};
use crate::text::escape;

/// Said when the push goes to everyone: first, and again on the last line.
const ALL_USERS: &str = "ALL USERS: no Condition, so this push goes to every user who has logged in or been imported";

#[derive(Debug, Args)]
#[group(id = "what", required = true, args = ["condition", "scheduled"])]
pub struct AudienceArgs {
    /// The push `Condition` as JSON, or a whole push request body (its Condition; none means
    /// everyone); `@FILE` reads it from a file.
    #[arg(long, value_name = "JSON|@FILE", conflicts_with = "scheduled")]
    pub condition: Option<String>,
    /// Judge a scheduled push before it fires: its Condition (Tag), its user list (User) or
    /// everyone (All), from `get_sched_task`.
    #[arg(long, value_name = "ID")]
    pub scheduled: Option<u64>,
    #[command(flatten)]
    pub rows: super::audit::RowArgs,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// A `--condition` argument: the JSON itself, or `@FILE`.
pub(crate) fn condition_text(arg: &str) -> anyhow::Result<String> {
    match arg.strip_prefix('@') {
        Some(path) => crate::paths::read_text_capped(&crate::paths::expand(path), crate::paths::CONDITION_CAP)
            .context("cannot read the condition file"),
        None => Ok(arg.to_owned()),
    }
}

/// The app's attribute names and the audience `json` names, checked against them. None when
/// the names cannot be read (said on stderr).
pub(crate) fn prepare(
    rt: &tokio::runtime::Runtime,
    client: &Arc<crate::client::Client>,
    profile: &crate::config::Profile,
    json: &str,
) -> anyhow::Result<Option<(Checked, crate::api::wire::AttrNames)>> {
    let names = match rt.block_on(engine::fetch_attr_names(client.clone(), profile.family, CancellationToken::new())) {
        Ok(r) => r.body,
        Err(e) => {
            eprintln!("timx: cannot read attribute names ({}): {}", profile.name, escape(&e.to_string()));
            return Ok(None);
        }
    };
    let checked = match audience::parse(json, profile.family, &names.names_in_slot_order()) {
        Ok(a) => a,
        Err(e) => bail!("invalid condition: {e}"),
    };
    if checked.is_all() && json != USER_LIST {
        eprintln!("timx: WARNING: {ALL_USERS}");
    }
    Ok(Some((checked, names)))
}

/// A push body without a Condition: what a User task's judge starts from (its list decides).
const USER_LIST: &str = r#"{"From_Account":""}"#;

/// What a scheduled task targets, said before the rows: its Condition (JSON), or its user list.
fn scheduled_target(
    rt: &tokio::runtime::Runtime,
    client: &Arc<crate::client::Client>,
    profile: &crate::config::Profile,
    id: u64,
) -> anyhow::Result<(String, Option<BTreeSet<String>>)> {
    let t = super::scheduled::fetch(rt, client, profile, id)?;
    eprintln!(
        "timx: scheduled task {id}: {} push firing {} UTC, {}; {}",
        escape(&t.kind),
        escape(&t.sched_at),
        crate::push::scheduled::status_text(&t),
        escape(&crate::push::scheduled::target_text(&t))
    );
    if !t.is_pending() {
        eprintln!("timx: warning: it is not pending: `timx trace --task {id}` shows what it did");
    }
    Ok(match crate::push::scheduled::target(&t) {
        crate::push::scheduled::Target::Condition(json) => (json, None),
        crate::push::scheduled::Target::Users(users) => (USER_LIST.into(), Some(users.into_iter().collect())),
    })
}

pub fn run(args: AudienceArgs) -> anyhow::Result<ExitCode> {
    crate::paths::output_is_not_an_input(args.rows.output.as_deref(), args.rows.file.iter().map(|p| p.as_path()))?;
    let profile = args.target.resolve()?;
    let input = Arc::new(read_account_sources(&args.rows.accounts, &args.rows.file, &args.target)?);
    let client = client(&profile)?;
    let rt = runtime()?;
    let (json, users) = match (&args.condition, args.scheduled) {
        (Some(c), _) => (condition_text(c)?, None),
        (None, Some(id)) => scheduled_target(&rt, &client, &profile, id)?,
        (None, None) => bail!("give --condition JSON or --scheduled ID"),
    };
    let Some((checked, names)) = prepare(&rt, &client, &profile, &json)? else { return Ok(ExitCode::from(1)) };
    // A User task's list decides, whatever its (absent) Condition says.
    let all = checked.is_all() && users.is_none();
    let format = output_format(args.rows.format, args.rows.output.as_deref());
    let out = open_output(args.rows.output.as_deref())?;
    let mut writer = Verdicts {
        judge: audience::Judge::new(&checked),
        schema: Schema::new(&names),
        inner: verdict_writer(format, out)?,
        users,
        targeted: [0; 3],
        misses: BTreeMap::new(),
    };
    let cfg = JobConfig::new(JobKind::Inspect, profile.family, profile.rate_limit);
    let streamed = rt.block_on(async { stream(engine::spawn_job(client, cfg, input.clone()), &mut writer).await })?;
    if let Some(e) = &streamed.write_failed {
        say(&format!("timx: cannot write the results: {e}"));
    } else if streamed.interrupted != Some(Interrupt::Pipe) {
        writer.finish()?;
    }
    writer.summary(input.total());
    say(&streamed.summary.line());
    if let Err(e) = crate::journal::after_job(&profile, "audience", &streamed.summary, Some(&input), None) {
        say(&format!("timx: warning: {e}"));
    }
    if all {
        // The last line, where the eye lands: the WARNING above has scrolled away.
        say(&format!("timx: {ALL_USERS}"));
    }
    let unread = streamed.summary.count(engine::Status::Failed)
        + streamed.summary.count(engine::Status::Invalid)
        + streamed.summary.count(engine::Status::Cancelled);
    Ok(streamed.exit(unread == 0))
}

/// Turns each inspect record into its verdict row, counting as it goes.
struct Verdicts<'a> {
    judge: audience::Judge,
    schema: Schema,
    inner: Box<dyn RecordWriter<Verdict> + 'a>,
    /// A User task's list: membership decides, not the condition.
    users: Option<BTreeSet<String>>,
    /// targeted, not, undecided
    targeted: [u64; 3],
    misses: BTreeMap<String, u64>,
}

impl Verdicts<'_> {
    fn summary(&self, total: usize) {
        let [yes, no, unknown] = self.targeted;
        eprintln!("{yes} of {total} would be targeted ({no} not, {unknown} undecided)");
        let mut top: Vec<(&String, &u64)> = self.misses.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (why, n) in top.into_iter().take(5) {
            eprintln!("  {}: {n}", escape(why));
        }
        let checked = self.judge.checked();
        for w in &checked.warnings {
            eprintln!("timx: warning: {}", escape(w));
        }
        if !checked.is_all() {
            eprintln!("timx: {ASSUMPTIONS}");
        }
    }
}

impl RecordWriter<Record> for Verdicts<'_> {
    fn write(&mut self, r: &Record) -> std::io::Result<()> {
        let mut v = audience::evaluate(&self.judge, &self.schema, r);
        if let Some(users) = &self.users {
            listed(&mut v, users, r);
        }
        self.targeted[match v.targeted {
            Some(true) => 0,
            Some(false) => 1,
            None => 2,
        }] += 1;
        for m in &v.misses {
            *self.misses.entry(m.clone()).or_default() += 1;
        }
        self.inner.write(&v)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.inner.finish()
    }
}

/// A User task reaches exactly the accounts in its list.
fn listed(v: &mut Verdict, users: &BTreeSet<String>, r: &Record) {
    let yes = users.contains(&r.account);
    v.targeted = Some(yes);
    v.misses.clear();
    v.reasons = vec![if yes {
        "in the task's user list (To_Account)".to_string()
    } else {
        v.misses.push("not in the task's user list".into());
        format!("not in the task's user list ({} accounts)", users.len())
    }];
    if r.status == engine::Status::NotFound {
        v.reasons.push("the account is not imported in the app".into());
    }
}

fn targeted_label(t: Option<bool>) -> &'static str {
    match t {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

fn verdict_writer<'a, W: Write + 'a>(format: Format, out: W) -> std::io::Result<Box<dyn RecordWriter<Verdict> + 'a>> {
    let shape = RowShape {
        csv_header: &["account", "targeted", "reasons", "error", "warnings"],
        csv_cells: |v: &Verdict| {
            let targeted = targeted_label(v.targeted).to_owned();
            let error = v.error.clone().unwrap_or_default();
            vec![v.account.clone(), targeted, v.reasons.join("; "), error, v.warnings.join("; ")]
        },
        table_header: || format!("{}  TARGETED  REASONS", crate::text::pad("ACCOUNT", 20)),
        table_line: |v: &Verdict| {
            let account = crate::text::pad(&escape(&v.account), 20);
            format!("{account}  {:<8}  {}", targeted_label(v.targeted), escape(&v.reasons.join("; ")))
        },
    };
    shaped_writer(format, out, shape)
}
