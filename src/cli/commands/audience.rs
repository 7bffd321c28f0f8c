//! `timx audience --condition JSON|@FILE [ACCOUNTS…]`: would a push with this condition reach
//! these accounts, and why not. The accounts are read as `inspect` reads them (paced, retried),
//! each row says `targeted` true/false/null with the reasons; the summary counts them and the
//! most common reasons for not being targeted.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;
use tokio_util::sync::CancellationToken;

use super::audit::{client, open_output, output_format, read_account_sources, runtime, stream};
use crate::audience::{self, ASSUMPTIONS, Schema, Verdict};
use crate::cli::interrupt::{Interrupt, say};
use crate::cli::target::TargetArgs;
use crate::engine::{self, JobConfig, JobKind, Record};
use crate::export::{Format, RecordWriter, RowShape, shaped_writer};
use crate::text::escape;

/// Said when the push goes to everyone: first, and again on the last line.
const ALL_USERS: &str = "ALL USERS: no Condition, so this push goes to every user who has logged in or been imported";

#[derive(Debug, Args)]
pub struct AudienceArgs {
    /// The push `Condition` as JSON, or a whole push request body (its Condition; none means
    /// everyone); `@FILE` reads it from a file.
    #[arg(long, value_name = "JSON|@FILE")]
    pub condition: String,
    #[command(flatten)]
    pub rows: super::audit::RowArgs,
    #[command(flatten)]
    pub target: TargetArgs,
}

pub fn run(args: AudienceArgs) -> anyhow::Result<ExitCode> {
    let json = match args.condition.strip_prefix('@') {
        Some(path) => crate::paths::read_text_capped(&crate::paths::expand(path), crate::paths::CONDITION_CAP)
            .context("cannot read the condition file")?,
        None => args.condition.clone(),
    };
    crate::paths::output_is_not_an_input(args.rows.output.as_deref(), args.rows.file.iter().map(|p| p.as_path()))?;
    let profile = args.target.resolve()?;
    let input = Arc::new(read_account_sources(&args.rows.accounts, &args.rows.file, &args.target)?);
    let client = client(&profile)?;
    let rt = runtime()?;
    let names = match rt.block_on(engine::fetch_attr_names(client.clone(), profile.family, CancellationToken::new())) {
        Ok(r) => r.body,
        Err(e) => {
            eprintln!("timx: cannot read attribute names ({}): {}", profile.name, escape(&e.to_string()));
            return Ok(ExitCode::from(1));
        }
    };
    let checked = match audience::parse(&json, profile.family, &names.names_in_slot_order()) {
        Ok(a) => a,
        Err(e) => bail!("invalid condition: {e}"),
    };
    if checked.is_all() {
        eprintln!("timx: WARNING: {ALL_USERS}");
    }
    let format = output_format(args.rows.format, args.rows.output.as_deref());
    let out = open_output(args.rows.output.as_deref())?;
    let mut writer = Verdicts {
        judge: audience::Judge::new(&checked),
        schema: Schema::new(&names),
        inner: verdict_writer(format, out)?,
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
    if checked.is_all() {
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
        let v = audience::evaluate(&self.judge, &self.schema, r);
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
