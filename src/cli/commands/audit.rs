//! Headless `attr-names`, `attrs`, `tags`, `inspect`: the engine, printed to stdout in input
//! order; progress and the summary on stderr; the job in the audit journal.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use tokio_util::sync::CancellationToken;

use crate::api::wire;
use crate::cli::interrupt::{GRACE, Interrupt, Signals, progress, say};
use crate::cli::target::TargetArgs;
use crate::client::Client;
use crate::config::Profile;
use crate::engine::{self, Event, JobConfig, JobKind, Normalized, Normalizer, Outcome, OutcomeStatus, Record};
use crate::export::{self, Columns, Format, RecordWriter};
use crate::text::escape;

/// Which accounts, and where their rows go: shared by the commands that read accounts.
#[derive(Debug, Args)]
pub struct RowArgs {
    /// Accounts (UserIDs, or RegistrationIDs for timpush).
    pub accounts: Vec<String>,
    /// Read accounts from a file, one per line; `-` reads standard input.
    #[arg(short = 'f', long, value_name = "FILE")]
    pub file: Vec<PathBuf>,
    /// table, csv, json or ndjson (default: from -o's extension; else table on a terminal, else
    /// ndjson).
    #[arg(long)]
    pub format: Option<Format>,
    /// Write the rows to FILE (mode 0600) as batches finish, flushed per batch, so a killed run
    /// leaves a valid prefix (NDJSON, CSV).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub rows: RowArgs,
    /// Pick up an interrupted run: keep the rows of -o FILE whose outcome is final (found, empty,
    /// not_found, invalid), redo the rest, and leave FILE as one whole run would.
    #[arg(long, requires = "output")]
    pub resume: bool,
    /// Print how the accounts use the schema (share with a value, distinct and top values per
    /// attribute, tags per account, what the limits would refuse) instead of the rows; the rows
    /// still go to -o FILE when given. `--format json` prints it as JSON.
    #[arg(long, conflicts_with = "resume")]
    pub summary: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AttrNamesArgs {
    #[command(subcommand)]
    pub command: Option<AttrNamesCmd>,
    /// table, csv, json or ndjson (default: table on a terminal, else ndjson).
    #[arg(long)]
    pub format: Option<Format>,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum AttrNamesCmd {
    /// Name attribute slots (SLOT=NAME…), with timpush account types (--type SLOT=user|registration).
    Set(super::schema::AttrNamesSetArgs),
}

pub(crate) fn default_format(f: Option<Format>) -> Format {
    f.unwrap_or(if std::io::stdout().is_terminal() { Format::Table } else { Format::Ndjson })
}

/// The output format: as given, else from `-o`'s extension, else by the terminal.
pub(crate) fn output_format(format: Option<Format>, output: Option<&Path>) -> Format {
    match (format, output) {
        (Some(f), _) => f,
        (None, Some(path)) => Format::from_path(path).unwrap_or(Format::Ndjson),
        (None, None) => default_format(None),
    }
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

pub(crate) fn client(profile: &Profile) -> anyhow::Result<Arc<Client>> {
    Ok(Arc::new(Client::new(profile.client_config()?)?))
}

/// Feed a reader to the normalizer line by line: a million accounts are never all in memory
/// twice, and invalid UTF-8 becomes U+FFFD on its own line, which marks that account invalid
/// instead of failing the whole input.
fn push_lines(n: &mut Normalizer, mut reader: impl std::io::BufRead) -> std::io::Result<()> {
    // An account is at most 32 bytes: a line is kept to 4 KiB (longer is invalid anyway), and
    // a source to the input cap, so `-f /dev/zero` or a runaway pipe cannot fill the memory.
    const LINE_CAP: usize = 4096;
    let mut line = Vec::new();
    let mut total = 0u64;
    loop {
        line.clear();
        loop {
            let buf = reader.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let (len, ends) = buf.iter().position(|b| *b == b'\n').map_or((buf.len(), false), |i| (i + 1, true));
            let room = LINE_CAP.saturating_sub(line.len());
            line.extend_from_slice(&buf[..len.min(room)]);
            reader.consume(len);
            total += len as u64;
            if total > crate::paths::INPUT_CAP {
                return Err(std::io::Error::other("larger than 1 GiB: timx stops reading there"));
            }
            if ends {
                break;
            }
        }
        if line.is_empty() {
            return Ok(());
        }
        n.push_line(&String::from_utf8_lossy(&line));
    }
}

/// Read every account source into one normalized list.
pub fn read_accounts(args: &AuditArgs) -> anyhow::Result<Normalized> {
    read_account_sources(&args.rows.accounts, &args.rows.file, &args.target)
}

/// Accounts from arguments and files (`-` is standard input), normalized.
pub(crate) fn read_account_sources(
    accounts: &[String],
    files: &[PathBuf],
    target: &TargetArgs,
) -> anyhow::Result<Normalized> {
    let mut n = Normalizer::new();
    for a in accounts {
        n.push_account(a.trim());
    }
    for f in files {
        if f.as_os_str() == "-" {
            if target.reads_key_from_stdin() {
                bail!("-f - and --key-stdin both want standard input; put the key in a file or variable");
            }
            push_lines(&mut n, std::io::stdin().lock()).context("cannot read accounts from standard input")?;
        } else {
            let file = std::fs::File::open(f).with_context(|| format!("cannot read accounts file {}", f.display()))?;
            push_lines(&mut n, std::io::BufReader::new(file))
                .with_context(|| format!("cannot read accounts file {}", f.display()))?;
        }
    }
    let n = n.finish();
    if n.total() == 0 {
        bail!("no accounts given: pass them as arguments, or with -f FILE (-f - for standard input)");
    }
    Ok(n)
}

pub fn run_attr_names(args: AttrNamesArgs) -> anyhow::Result<ExitCode> {
    if let Some(AttrNamesCmd::Set(set)) = args.command {
        return super::schema::run(set);
    }
    let profile = args.target.resolve()?;
    let client = client(&profile)?;
    let format = default_format(args.format);
    let reply = runtime()?.block_on(engine::fetch_attr_names(client, profile.family, CancellationToken::new()));
    let names = match reply {
        Ok(r) => r.body,
        Err(e) => {
            eprintln!("timx: cannot read attribute names ({}): {}", profile.name, escape(&e.to_string()));
            return Ok(ExitCode::from(1));
        }
    };
    let timpush = profile.family == crate::api::Family::Timpush;
    let mut out = std::io::stdout().lock();
    let rows: Vec<serde_json::Value> = names
        .slots()
        .filter_map(|s| {
            let mut row = serde_json::json!({"slot": s.slot, "name": s.name?});
            if timpush {
                row["type"] = wire::attr_type_name(s.attr_type).into();
            }
            Some(row)
        })
        .collect();
    match format {
        Format::Ndjson => rows.iter().try_for_each(|r| writeln!(out, "{r}"))?,
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?,
        Format::Csv => {
            let mut w = csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Always).from_writer(&mut out);
            w.write_record(["slot", "name", "type"])?;
            for r in &rows {
                let name = export::neutralize_formula(r["name"].as_str().unwrap_or_default()).into_owned();
                w.write_record([r["slot"].to_string(), name, r["type"].as_str().unwrap_or_default().to_owned()])?;
            }
            w.flush()?;
        }
        Format::Table => {
            writeln!(out, "SLOT  NAME{}", if timpush { "                  TYPE" } else { "" })?;
            for s in names.slots() {
                let name = s.name.map(|n| escape(n).into_owned()).unwrap_or_else(|| "(empty)".into());
                let ty = if timpush && s.name.is_some() { wire::attr_type_name(s.attr_type) } else { "" };
                writeln!(out, "{:<4}  {name:<20}  {ty}", s.slot)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Restores input order from batches that finish in any order.
pub struct Reorder<R = Record> {
    next: u32,
    pending: BTreeMap<u32, R>,
}

impl<R> Default for Reorder<R> {
    fn default() -> Self {
        Reorder { next: 0, pending: BTreeMap::new() }
    }
}

impl<R: Outcome> Reorder<R> {
    pub fn push(&mut self, r: R, mut out: impl FnMut(R) -> std::io::Result<()>) -> std::io::Result<()> {
        self.pending.insert(r.index(), r);
        while let Some(r) = self.pending.remove(&self.next) {
            self.next += 1;
            out(r)?;
        }
        Ok(())
    }
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

/// Where an audit's rows go: standard output, or `-o FILE` (0600, flushed per batch).
pub(crate) fn open_output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    let Some(path) = path else {
        let stdout = std::io::stdout();
        // On a terminal a server's bytes are shown escaped; a pipe gets them exact.
        return Ok(if stdout.is_terminal() {
            Box::new(std::io::BufWriter::new(crate::text::TerminalSafe::new(stdout)))
        } else {
            Box::new(std::io::BufWriter::new(stdout))
        });
    };
    // A fresh run: copies an interrupted resume of an earlier run left are not this run's.
    crate::resume::discard_leftovers(path);
    let file = crate::private_file::open(path, crate::private_file::Open::Truncate)
        .with_context(|| format!("cannot write {}", path.display()))?;
    // Room for a whole batch, so each per-batch flush is one write: a kill leaves whole rows.
    Ok(Box::new(std::io::BufWriter::with_capacity(1 << 20, file)))
}

pub fn run_audit(kind: JobKind, args: AuditArgs) -> anyhow::Result<ExitCode> {
    crate::paths::output_is_not_an_input(args.rows.output.as_deref(), args.rows.file.iter().map(PathBuf::as_path))?;
    let profile = args.target.resolve()?;
    let input = Arc::new(read_accounts(&args)?);
    let client = client(&profile)?;
    let mut format = output_format(args.rows.format, args.rows.output.as_deref());
    // A resumed run reads FILE before it writes it; with nothing to resume, it is a plain run.
    let out = match args.rows.output.as_deref().filter(|p| args.resume && p.exists()) {
        Some(path) => Output::Resume(path.to_owned()),
        // With --summary and no -o, the report takes stdout and the rows go nowhere.
        None if args.summary && args.rows.output.is_none() => {
            format = Format::Ndjson;
            Output::Fresh(Box::new(std::io::sink()))
        }
        None => Output::Fresh(open_output(args.rows.output.as_deref())?),
    };
    let report = args.summary.then(|| {
        if args.rows.output.is_none() && args.rows.format == Some(Format::Json) { Format::Json } else { Format::Table }
    });
    let rt = runtime()?;
    rt.block_on(audit(kind, profile, client, input, format, out, report))
}

/// Counts the schema's use from the rows as they pass to the writer (with `--summary` only:
/// a plain audit keeps no value counts).
struct Tap<'a> {
    stats: Option<crate::schema_stats::SchemaStats>,
    inner: &'a mut dyn export::RecordWriter,
}

impl RecordWriter for Tap<'_> {
    fn write(&mut self, r: &Record) -> std::io::Result<()> {
        if let Some(s) = self.stats.as_mut() {
            s.add(r);
        }
        self.inner.write(r)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.inner.finish()
    }
}

/// `--summary`: the report on standard output.
fn print_report(stats: &crate::schema_stats::SchemaStats, names: &[String], format: Format) -> anyhow::Result<()> {
    let attrs = stats.attrs(names, &|n| stats.values.get(n), 5);
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        let report = serde_json::json!({
            "answered": stats.answered,
            "attributes": attrs,
            "tags_per_account": crate::schema_stats::BUCKETS.iter().zip(stats.tags_per_account)
                .map(|((_, _, l), n)| (l.to_string(), serde_json::Value::from(n))).collect::<serde_json::Map<String, serde_json::Value>>(),
            "at_tag_limit": stats.at_tag_limit,
            "long_values": stats.long_values,
            "long_tags": stats.long_tags,
            "empty_tags": stats.empty_tags,
            "rejected_accounts": stats.rejected_accounts,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        for line in stats.lines(&attrs) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// Where an audit's rows go: a fresh output, or the file of an interrupted run to resume.
enum Output {
    Fresh(Box<dyn Write>),
    Resume(PathBuf),
}

/// Statuses a resumed audit keeps.
const FINAL: [&str; 4] = ["found", "empty", "not_found", "invalid"];

/// Whether a row of an earlier NDJSON output came from the same command.
fn same_command(kind: JobKind, row: &crate::resume::RowInfo) -> Result<(), String> {
    let has = |k: &str| row.keys.iter().any(|x| x == k);
    if has("changes") {
        return Err("its rows are a write's outcomes".into());
    }
    let answered = matches!(row.status.as_str(), "found" | "empty");
    if (has("attrs") && !kind.wants_attrs())
        || (answered && kind.wants_attrs() && !row.keys.is_empty() && !has("attrs"))
    {
        return Err(format!("its rows are not `{}` rows (attributes differ)", kind.name()));
    }
    if (has("tags") && !kind.wants_tags()) || (answered && kind.wants_tags() && !row.keys.is_empty() && !has("tags")) {
        return Err(format!("its rows are not `{}` rows (tags differ)", kind.name()));
    }
    Ok(())
}

async fn audit(
    kind: JobKind,
    profile: Profile,
    client: Arc<Client>,
    input: Arc<Normalized>,
    format: Format,
    out: Output,
    report: Option<Format>,
) -> anyhow::Result<ExitCode> {
    // Tabular formats (and the schema report) need the attribute names for their columns.
    let mut columns = Columns { attr_names: vec![], attrs: kind.wants_attrs(), tags: kind.wants_tags() };
    let cfg = JobConfig::new(kind, profile.family, profile.rate_limit);
    if kind.wants_attrs() && (matches!(format, Format::Csv | Format::Table) || report.is_some()) {
        match engine::fetch_attr_names(client.clone(), profile.family, CancellationToken::new()).await {
            Ok(r) => columns.attr_names = r.body.names_in_slot_order(),
            Err(e) => {
                let Output::Fresh(out) = out else {
                    bail!("cannot read attribute names ({}): {e}; the output file is left as it was", profile.name);
                };
                // Every account still gets its row: failed, with the reason.
                eprintln!("timx: cannot read attribute names ({}): {}", profile.name, escape(&e.to_string()));
                let (records, summary) = engine::failed_job(&cfg, &input, &e, "cannot read the attribute names");
                let mut writer = export::writer(format, columns, out)?;
                records.iter().try_for_each(|r| writer.write(r))?;
                writer.finish()?;
                let streamed = Streamed { summary, interrupted: None, write_failed: None, held_back: 0 };
                return Ok(finish(&profile, kind.name(), &input, &streamed));
            }
        }
    }
    let out = match out {
        Output::Fresh(out) => out,
        Output::Resume(path) => return resumed(kind, &profile, client, cfg, &input, format, columns, &path).await,
    };
    let job = engine::spawn_job(client, cfg, input.clone());
    let names = columns.attr_names.clone();
    let mut writer = export::writer(format, columns, out)?;
    let stats = report.map(|_| crate::schema_stats::SchemaStats::new(true));
    let mut tap = Tap { stats, inner: writer.as_mut() };
    let streamed = stream(job, &mut tap).await?;
    let stats = tap.stats;
    if let Some(e) = &streamed.write_failed {
        say(&format!("timx: cannot write the results: {e}"));
    } else if streamed.interrupted != Some(Interrupt::Pipe) {
        writer.finish()?;
    }
    if streamed.held_back > 0 {
        bail!("internal error: {} rows were held back waiting for an earlier row that never came", streamed.held_back);
    }
    if let (Some(f), Some(stats), None) = (report, &stats, streamed.interrupted) {
        print_report(stats, &names, f)?;
    }
    Ok(finish(&profile, kind.name(), &input, &streamed))
}

/// `--resume`: redo what the earlier run did not finish, splicing its rows into FILE.
#[allow(clippy::too_many_arguments)]
async fn resumed(
    kind: JobKind,
    profile: &Profile,
    client: Arc<Client>,
    cfg: JobConfig,
    input: &Arc<Normalized>,
    format: Format,
    columns: Columns,
    path: &Path,
) -> anyhow::Result<ExitCode> {
    let rows =
        ResumeRows { path, format, input, is_final: &|s| FINAL.contains(&s), check: &|row| same_command(kind, row) };
    let streamed =
        rows.run(|buf| export::writer(format, columns, buf), |sub| engine::spawn_job(client, cfg, sub)).await?;
    Ok(finish(profile, kind.name(), input, &streamed))
}

/// An earlier run's FILE to resume: which rows it keeps, and how to tell it is this command's.
pub(crate) struct ResumeRows<'a> {
    pub path: &'a Path,
    pub format: Format,
    pub input: &'a Arc<Normalized>,
    /// Statuses (labels) whose rows are kept.
    pub is_final: &'a dyn Fn(&str) -> bool,
    pub check: &'a dyn Fn(&crate::resume::RowInfo) -> Result<(), String>,
}

impl ResumeRows<'_> {
    /// Redo the rows that are not kept with the job `spawn` starts, splicing them with the kept
    /// ones into FILE as one whole run would leave it. The summary counts both.
    pub async fn run<'w, R: Outcome>(
        &self,
        make: impl FnOnce(crate::resume::SharedBuf) -> std::io::Result<Box<dyn RecordWriter<R> + 'w>>,
        spawn: impl FnOnce(Arc<Normalized>) -> engine::JobHandle<R>,
    ) -> anyhow::Result<Streamed<R::Status>> {
        let mut earlier = crate::resume::Earlier::scan(self.path, self.format, self.input, self.is_final, self.check)?;
        let redo = earlier.redo(self.input);
        let kept = std::mem::take(&mut earlier.kept_statuses);
        eprintln!(
            "timx: resuming {}: {} of {} accounts kept, {} to do",
            self.path.display(),
            kept.len(),
            self.input.total(),
            redo.len()
        );
        let sub = Arc::new(crate::resume::sub_input(self.input, &redo));
        let mut splice = earlier.splice(redo, Vec::new(), make)?;
        let mut streamed = stream(spawn(sub), &mut splice).await?;
        if let Some(e) = &streamed.write_failed {
            bail!("cannot write the results: {e}");
        }
        splice.finish()?;
        for label in kept {
            if let Some(s) = R::Status::ALL.iter().find(|s| s.label() == label) {
                *streamed.summary.counts.entry(*s).or_default() += 1;
                streamed.summary.total += 1;
            }
        }
        Ok(streamed)
    }
}

/// How streaming a job's rows went.
pub(crate) struct Streamed<S: OutcomeStatus = engine::Status> {
    pub summary: engine::Summary<S>,
    /// What stopped the job early, if anything did (a closed stdout included).
    pub interrupted: Option<Interrupt>,
    /// Writing the rows failed for another reason than a closed stdout.
    pub write_failed: Option<std::io::Error>,
    /// Rows still waiting for an earlier one when the job ended (must be none).
    pub held_back: usize,
}

impl<S: OutcomeStatus> Streamed<S> {
    /// The exit code of an interrupted job, else `ok` or 1.
    pub fn exit(&self, ok: bool) -> ExitCode {
        match self.interrupted {
            Some(i) => ExitCode::from(i.code()),
            None if ok && self.write_failed.is_none() => ExitCode::SUCCESS,
            None => ExitCode::from(1),
        }
    }
}

/// Write the job's rows in input order as they come, with progress on a terminal. Ctrl-C,
/// SIGTERM, SIGHUP or a closed stdout stop the job: nothing more is sent, calls out finish
/// (within `GRACE`), and what finished is still written; a second signal cancels at once.
pub(crate) async fn stream<R: Outcome>(
    mut job: engine::JobHandle<R>,
    writer: &mut dyn export::RecordWriter<R>,
) -> anyhow::Result<Streamed<R::Status>> {
    let show_progress = std::io::stderr().is_terminal();
    let mut last_progress = Instant::now() - Duration::from_secs(1);
    let mut reorder = Reorder::default();
    let (mut interrupted, mut write_failed, mut summary) = (None, None, None);
    let mut signals = Signals::new();
    let mut grace = Box::pin(tokio::time::sleep(Duration::from_secs(86_400 * 365)));
    let mut writing = true;
    loop {
        let event = tokio::select! {
            why = signals.next() => { halt(&job, Some(why), &mut interrupted, &mut grace); continue; }
            () = &mut grace, if job.stop.is_cancelled() && !job.cancel.is_cancelled() => { job.cancel.cancel(); continue; }
            e = job.events.recv() => e,
        };
        let Some(event) = event else { break };
        match event {
            Event::Started { .. } => {}
            Event::Batch(records) if writing => {
                let written = records.into_iter().try_for_each(|r| reorder.push(r, |r| writer.write(&r)));
                // Per batch, so a killed run leaves every row it finished in the file.
                if let Err(e) = written.and_then(|()| writer.flush()) {
                    writing = false;
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        halt(&job, Some(Interrupt::Pipe), &mut interrupted, &mut grace);
                    } else {
                        halt(&job, None, &mut interrupted, &mut grace);
                        write_failed = Some(e);
                    }
                }
            }
            Event::Batch(_) => {}
            Event::Progress(p) if show_progress && last_progress.elapsed() >= Duration::from_millis(100) => {
                last_progress = Instant::now();
                let eta = p.eta_text().map(|t| format!("  ETA {t}")).unwrap_or_default();
                progress(&format!(
                    "\r\x1b[K{}/{} accounts  {} calls  {} retries  {:.0}/s{eta}",
                    p.done, p.total, p.calls, p.retries, p.rate
                ));
            }
            Event::Progress(_) => {}
            Event::Finished(s) => summary = Some(s),
        }
    }
    if show_progress {
        progress("\r\x1b[K");
    }
    if let Some(why) = interrupted {
        say(&format!("timx: {}: stopped sending; what finished is written", why.what()));
    }
    let summary = match summary {
        Some(s) => s,
        None => job.task.await.context("the job ended without a summary")?,
    };
    // Rows that could not be written are not "held back": they are counted in the summary.
    let held_back = if writing { reorder.pending.len() } else { 0 };
    Ok(Streamed { summary, interrupted, write_failed, held_back })
}

/// Stop the job: the first time, nothing more is sent and the calls out have `GRACE` to
/// finish; a second signal cancels them at once.
fn halt<R: Outcome>(
    job: &engine::JobHandle<R>,
    why: Option<Interrupt>,
    interrupted: &mut Option<Interrupt>,
    grace: &mut std::pin::Pin<Box<tokio::time::Sleep>>,
) {
    if job.stop.is_cancelled() {
        if let Some(w) = why {
            job.cancel.cancel();
            interrupted.get_or_insert(w);
        }
        return;
    }
    *interrupted = why;
    job.stop.cancel();
    grace.as_mut().reset(tokio::time::Instant::now() + GRACE);
}

/// The end of every audit (and trace): the summary on stderr, the journal line, the exit code.
pub(crate) fn finish<S: OutcomeStatus>(
    profile: &Profile,
    name: &str,
    input: &Normalized,
    streamed: &Streamed<S>,
) -> ExitCode {
    say(&streamed.summary.line());
    if let Err(e) = crate::journal::after_job(profile, name, &streamed.summary, Some(input), None) {
        say(&format!("timx: warning: {e}"));
    }
    streamed.exit(streamed.summary.all_answered())
}
