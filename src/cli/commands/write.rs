//! Headless writes: `apply` (a desired-state file), `edit` (one change for many accounts).
//! Plan → question → apply → verify, with the previous state in an undo file before any batch
//! is sent. Rows go to stdout in input order; the summary and the undo path to stderr.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;
use tokio_util::sync::CancellationToken;

use super::audit::{Streamed, client, open_output, read_account_sources, runtime, stream};
use crate::cli::target::TargetArgs;
use crate::client::Client;
use crate::config::Profile;
use crate::engine::{self, Event, JobConfig, JobKind, Normalized, OutcomeStatus};
use crate::export::{Format, RecordWriter};
use crate::resume::Earlier;
use crate::text::escape;
use crate::write::change::PlanRow;
use crate::write::desired::Desired;
use crate::write::job::Mode;
use crate::write::state_file;
use crate::write::undo::UndoLog;
use crate::write::{Edit, Want, WriteConfig, WriteRecord, WriteStatus};

/// What every write command takes besides what it writes.
#[derive(Debug, Args)]
pub struct WriteOpts {
    /// Print the plan and write nothing.
    #[arg(long)]
    pub plan: bool,
    /// Apply without asking (needed when standard input is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Read every changed account back and compare it with the desired state.
    #[arg(long)]
    pub verify: bool,
    /// Where to keep the previous state (default: undo/<time>-<profile>.ndjson in the data dir).
    #[arg(long, value_name = "PATH")]
    pub undo_file: Option<PathBuf>,
    /// table, csv, json or ndjson (default: from -o's extension; else table on a terminal, else
    /// ndjson).
    #[arg(long)]
    pub format: Option<Format>,
    /// Write the outcome rows to FILE (mode 0600) as batches finish, flushed per batch.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Pick up an interrupted write from its -o FILE: accounts with an outcome there are kept,
    /// the rest (cancelled, missing) are planned and written again.
    #[arg(long, requires = "output")]
    pub resume: bool,
    /// Allow writes through a one-off target (--region/--base-url); profiles use read_only.
    #[arg(long)]
    pub read_write: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The desired state: a timx export (CSV, JSON or NDJSON, by extension), edited; `-` reads
    /// standard input (say its --input-format).
    #[arg(short = 'f', long, value_name = "FILE")]
    pub file: PathBuf,
    /// csv, json or ndjson: the format of -f (default: from its extension).
    #[arg(long)]
    pub input_format: Option<Format>,
    #[command(flatten)]
    pub opts: WriteOpts,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// Accounts to change (UserIDs, or RegistrationIDs for timpush).
    pub accounts: Vec<String>,
    /// Read accounts from a file, one per line; `-` reads standard input.
    #[arg(short = 'f', long, value_name = "FILE")]
    pub file: Vec<PathBuf>,
    /// Set an attribute.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Remove an attribute.
    #[arg(long, value_name = "NAME")]
    pub unset: Vec<String>,
    /// Add a tag.
    #[arg(long, value_name = "TAG")]
    pub add_tag: Vec<String>,
    /// Remove a tag.
    #[arg(long, value_name = "TAG")]
    pub remove_tag: Vec<String>,
    /// Remove every tag (before any --add-tag).
    #[arg(long)]
    pub clear_tags: bool,
    #[command(flatten)]
    pub opts: WriteOpts,
}

/// The profile to write through, or why not (exit 2). `--plan` writes nothing, so any profile
/// may plan.
pub(crate) fn writable_profile(opts: &WriteOpts) -> anyhow::Result<Profile> {
    let mut profile = opts.target.resolve()?;
    let one_off = opts.target.is_one_off();
    if opts.read_write && !one_off {
        bail!(
            "--read-write is for one-off targets (--region/--base-url); a profile allows writes with read_only = false"
        );
    }
    if one_off && opts.read_write {
        profile.read_only = false;
    }
    if !opts.plan && profile.read_only {
        if one_off {
            bail!("one-off targets are read-only: pass --read-write to write (review first with --plan)");
        }
        bail!(
            "profile {:?} is read-only: set read_only = false in its [profiles.{}] section of the config to write \
             (review first with --plan)",
            profile.name,
            profile.name
        );
    }
    if !opts.plan && !opts.yes && !std::io::stdin().is_terminal() {
        bail!("standard input is not a terminal, so timx cannot ask: review the plan with --plan, then pass --yes");
    }
    Ok(profile)
}

pub fn run_apply(args: ApplyArgs) -> anyhow::Result<ExitCode> {
    let profile = writable_profile(&args.opts)?;
    let client = client(&profile)?;
    let rt = runtime()?;
    // The app's names are read while the file is parsed.
    let names = rt.spawn(app_names(client.clone(), profile.clone(), true));
    let (format, text) = if args.file.as_os_str() == "-" {
        if args.opts.target.reads_key_from_stdin() {
            bail!("-f - and --key-stdin both want standard input; put the key in a file or variable");
        }
        let Some(format) = args.input_format else { bail!("-f - needs --input-format csv|json|ndjson") };
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)?;
        (format, String::from_utf8_lossy(&bytes).into_owned())
    } else {
        let format = state_file::format_of(&args.file, args.input_format)?;
        let text =
            std::fs::read_to_string(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
        (format, text)
    };
    let desired =
        Desired::parse(&text, format).with_context(|| format!("{} is not a timx export", args.file.display()))?;
    drop(text);
    for (account, why) in &desired.skipped {
        eprintln!("timx: skipped {}: {why}", escape(account));
    }
    if desired.input.total() == 0 {
        bail!("{}: no rows to apply", args.file.display());
    }
    let names = if desired.needs_names() {
        rt.block_on(names).context("the attribute names task failed")??
    } else {
        Vec::new()
    };
    let (input, states) = desired.finish(&names);
    let run = WriteRun { profile, client, input, want: Want::Each(Arc::new(states)), command: "apply" };
    rt.block_on(run.run(&args.opts))
}

pub fn run_edit(args: EditArgs) -> anyhow::Result<ExitCode> {
    let mut edit = Edit {
        unset: args.unset.clone(),
        add_tags: args.add_tag.clone(),
        remove_tags: args.remove_tag.clone(),
        clear_tags: args.clear_tags,
        ..Edit::default()
    };
    for s in &args.set {
        let Some((name, value)) = s.split_once('=') else { bail!("--set {s:?}: expected NAME=VALUE") };
        edit.set.insert(name.to_owned(), value.to_owned());
    }
    if edit.is_empty() {
        bail!("nothing to change: give --set, --unset, --add-tag, --remove-tag or --clear-tags");
    }
    if let Some(n) = edit.set.keys().find(|n| edit.unset.contains(n)) {
        bail!("--set and --unset both name {n:?}");
    }
    if let Some(t) = edit.add_tags.iter().find(|t| edit.remove_tags.contains(t)) {
        bail!("--add-tag and --remove-tag both name {t:?}");
    }
    let profile = writable_profile(&args.opts)?;
    let mut input = read_account_sources(&args.accounts, &args.file, &args.opts.target)?;
    let client = client(&profile)?;
    let rt = runtime()?;
    let names = rt.block_on(app_names(client.clone(), profile.clone(), edit.touches_attrs()))?;
    if let Err(why) = edit.check(&names) {
        // The same for every account: each ends invalid with it, and nothing is sent.
        eprintln!("timx: {}", escape(&why));
        let all: Vec<(u32, String)> = input.valid_indices().map(|i| (i, why.clone())).collect();
        input.mark_invalid(all);
    }
    let run = WriteRun { profile, client, input, want: Want::Same(edit), command: "edit" };
    rt.block_on(run.run(&args.opts))
}

/// The app's attribute names, when the change names attributes (to check them first).
async fn app_names(client: Arc<Client>, profile: Profile, needed: bool) -> anyhow::Result<Vec<String>> {
    if !needed {
        return Ok(Vec::new());
    }
    match engine::fetch_attr_names(client.clone(), profile.family, CancellationToken::new()).await {
        Ok(r) => Ok(r.body.names_in_slot_order()),
        Err(e) => bail!("cannot read the attribute names of {}: {}", profile.name, e),
    }
}

/// One write job from its checked input to its exit code.
struct WriteRun {
    profile: Profile,
    client: Arc<Client>,
    input: Normalized,
    want: Want,
    command: &'static str,
}

impl WriteRun {
    async fn run(mut self, opts: &WriteOpts) -> anyhow::Result<ExitCode> {
        let format = super::audit::output_format(opts.format, opts.output.as_deref());
        let (dest, whole) = self.resume(opts, format)?;
        let input = Arc::new(self.input);
        // The journal lists the whole input, also when a resume works on part of it.
        let full: &Normalized = whole.as_ref().unwrap_or(&input);
        let cfg = |mode| WriteConfig {
            job: JobConfig::new(JobKind::Inspect, self.profile.family, self.profile.rate_limit),
            want: self.want.clone(),
            mode,
        };
        if opts.plan {
            let job = crate::write::spawn_write(
                self.client.clone(),
                cfg(Mode::Plan),
                input.clone(),
                CancellationToken::new(),
            );
            let streamed = emit(job, format, dest).await?;
            let command = format!("{} --plan", self.command);
            return Ok(finish(&self.profile, &command, full, &streamed, None));
        }
        if !opts.yes {
            let job = crate::write::spawn_write(
                self.client.clone(),
                cfg(Mode::Plan),
                input.clone(),
                CancellationToken::new(),
            );
            if let Some(code) = confirm(&self.profile, job).await? {
                return Ok(code);
            }
        }
        let path = match &opts.undo_file {
            Some(p) => p.clone(),
            None => crate::write::undo::default_path(&self.profile.name)
                .context("no data directory for the undo file: pass --undo-file PATH")?,
        };
        let undo = Arc::new(UndoLog::create(&path)?);
        eprintln!("timx: undo file: {} (restore with: timx apply -f {} --yes)", path.display(), path.display());
        let job = crate::write::spawn_write(
            self.client.clone(),
            cfg(Mode::Apply { undo, verify: opts.verify }),
            input.clone(),
            CancellationToken::new(),
        );
        let streamed = emit(job, format, dest).await?;
        Ok(finish(&self.profile, self.command, full, &streamed, Some(&path)))
    }

    /// With `--resume` and an earlier outcome file: narrow the job to the accounts without an
    /// outcome there. Returns where the rows go, and the whole input when the job's is a part.
    fn resume<'a>(&mut self, opts: &'a WriteOpts, format: Format) -> anyhow::Result<(Dest<'a>, Option<Normalized>)> {
        let Some(path) = opts.output.as_deref().filter(|p| opts.resume && p.exists()) else {
            return Ok((Dest::Fresh(opts.output.as_deref()), None));
        };
        let is_write_row = |row: &crate::resume::RowInfo| {
            if row.keys.is_empty() || row.keys.iter().any(|k| k == "changes") {
                Ok(())
            } else {
                Err("its rows are not a write's outcomes".to_string())
            }
        };
        let mut earlier = Earlier::scan(path, format, &self.input, &|s| s != "cancelled", &is_write_row)?;
        let redo = earlier.redo(&self.input);
        let kept = std::mem::take(&mut earlier.kept_statuses);
        eprintln!(
            "timx: resuming {}: {} of {} accounts have an outcome there, {} to plan again",
            path.display(),
            kept.len(),
            self.input.total(),
            redo.len()
        );
        self.want = self.want.subset(&redo);
        let sub = crate::resume::sub_input(&self.input, &redo);
        let full = std::mem::replace(&mut self.input, sub);
        Ok((Dest::Resume { earlier, redo, kept }, Some(full)))
    }
}

/// Where the outcome rows go.
enum Dest<'a> {
    Fresh(Option<&'a std::path::Path>),
    /// Spliced into an earlier run's file; `kept` are the statuses of the rows it keeps.
    Resume {
        earlier: Earlier,
        redo: Vec<u32>,
        kept: Vec<String>,
    },
}

/// Plan first and ask for the number of accounts that will change. None: go ahead.
async fn confirm(profile: &Profile, mut job: engine::JobHandle<WriteRecord>) -> anyhow::Result<Option<ExitCode>> {
    let mut shown = 0;
    let mut summary = None;
    eprintln!("timx: planning…");
    let mut table = crate::write::change::writer(Format::Table, std::io::stderr())?;
    while let Some(event) = job.events.recv().await {
        match event {
            Event::Batch(rows) => {
                for r in rows.iter().filter(|r| r.status != WriteStatus::Unchanged) {
                    if shown < 20 {
                        table.write(&r.row())?;
                    }
                    shown += 1;
                }
            }
            Event::Finished(s) => summary = Some(s),
            Event::Started { .. } | Event::Progress(_) => {}
        }
    }
    let summary = summary.context("the plan ended without a summary")?;
    if shown > 20 {
        eprintln!("… and {} more (see them all with --plan)", shown - 20);
    }
    eprintln!("{}", summary.line());
    let n = summary.count(WriteStatus::Planned);
    if n == 0 {
        eprintln!("timx: nothing to change; nothing was written");
        return Ok(Some(if summary.all_answered() { ExitCode::SUCCESS } else { ExitCode::from(1) }));
    }
    if !typed_count(n, "change", "account", profile)? {
        eprintln!("timx: stopped; nothing was written");
        return Ok(Some(ExitCode::from(2)));
    }
    Ok(None)
}

/// Ask the user to type `n`, the number of things that will change (`Type 3 to change 3
/// accounts of prod (SDKAppID …)`); true when they did.
pub(crate) fn typed_count(n: u64, verb: &str, noun: &str, profile: &Profile) -> std::io::Result<bool> {
    eprint!(
        "Type {n} to {verb} {n} {noun}{} of {} (SDKAppID {}), anything else to stop: ",
        if n == 1 { "" } else { "s" },
        escape(&profile.name),
        profile.sdkappid
    );
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == n.to_string())
}

/// Output rows of a write: the plan format.
struct Rows<'a>(Box<dyn RecordWriter<PlanRow> + 'a>);

impl RecordWriter<WriteRecord> for Rows<'_> {
    fn write(&mut self, r: &WriteRecord) -> std::io::Result<()> {
        self.0.write(&r.row())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.0.finish()
    }
}

async fn emit(
    job: engine::JobHandle<WriteRecord>,
    format: Format,
    dest: Dest<'_>,
) -> anyhow::Result<Streamed<WriteStatus>> {
    let (mut streamed, kept) = match dest {
        Dest::Fresh(output) => {
            let mut rows = Rows(crate::write::change::writer(format, open_output(output)?)?);
            let streamed = stream(job, &mut rows).await?;
            if streamed.write_failed.is_none() {
                rows.finish()?;
            }
            (streamed, Vec::new())
        }
        Dest::Resume { earlier, redo, kept } => {
            let make = |buf| -> std::io::Result<Box<dyn RecordWriter<WriteRecord>>> {
                Ok(Box::new(Rows(crate::write::change::writer(format, buf)?)))
            };
            let mut rows = earlier.splice(redo, make)?;
            let streamed = stream(job, &mut rows).await?;
            if streamed.write_failed.is_none() {
                rows.finish()?;
            }
            (streamed, kept)
        }
    };
    if let Some(e) = &streamed.write_failed
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        bail!("cannot write the results: {e}");
    }
    if streamed.held_back > 0 {
        bail!("internal error: {} rows were held back waiting for an earlier row that never came", streamed.held_back);
    }
    for label in kept {
        if let Some(s) = WriteStatus::ALL.iter().find(|s| s.label() == label) {
            *streamed.summary.counts.entry(*s).or_default() += 1;
            streamed.summary.total += 1;
        }
    }
    Ok(streamed)
}

/// The summary on stderr, the journal line, the exit code.
fn finish(
    profile: &Profile,
    command: &str,
    input: &Normalized,
    streamed: &Streamed<WriteStatus>,
    undo: Option<&std::path::Path>,
) -> ExitCode {
    let summary = &streamed.summary;
    eprintln!("{}", summary.line());
    if let Some(p) = undo
        && summary.count(WriteStatus::Changed)
            + summary.count(WriteStatus::Failed)
            + summary.count(WriteStatus::Cancelled)
            > 0
    {
        eprintln!("timx: to undo: timx apply -f {} --yes", p.display());
    }
    if let Err(e) = crate::journal::after_job(profile, command, summary, Some(input), undo) {
        eprintln!("timx: warning: {e}");
    }
    if streamed.interrupted {
        ExitCode::from(130)
    } else if streamed.write_failed.is_some() || !summary.all_answered() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
