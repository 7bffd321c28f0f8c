//! One write job from its checked input to its exit code. `--plan` plans and writes nothing
//! (with `-o`, a plan file). Otherwise: without `--yes`, plan, show it, ask for the number of
//! accounts that change, then apply exactly that plan (each account checked against the state
//! it was planned from); with `--yes`, plan and apply each batch in one pass (its read is the
//! guard). A saved plan (`--from-plan`) is asked about as it is and applied the same way. The
//! undo file is made before any batch is sent; `-o` files start with the job's head, so
//! `--resume` takes only its own job's file and appends to its first run's undo file.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use tokio_util::sync::CancellationToken;

use super::audit::{Streamed, open_output, stream};
use super::write::WriteOpts;
use crate::api::Family;
use crate::cli::interrupt::{Interrupt, say};
use crate::client::Client;
use crate::config::Profile;
use crate::engine::{self, Event, JobConfig, JobKind, Normalized, OutcomeStatus};
use crate::export::{Format, RecordWriter};
use crate::resume::Earlier;
use crate::text::escape;
use crate::write::change::PlanRow;
use crate::write::file_head::{FileHead, FileKind, job_id};
use crate::write::plan_file::PlanSet;
use crate::write::undo::UndoLog;
use crate::write::{Mode, Want, WriteConfig, WriteRecord, WriteStatus};

/// Where a write's wants come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Edit,
    Desired,
    /// `--from-plan`: reviewed already; asked about as it is.
    SavedPlan,
    /// An undo file: planned against the accounts' state now, like any change.
    Undo,
}

pub(crate) struct WriteRun {
    profile: Profile,
    client: Arc<Client>,
    input: Normalized,
    want: Want,
    names: BTreeMap<usize, String>,
    source: Source,
    /// The command and what identifies its arguments (an edit, a file's hash).
    parts: Vec<String>,
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

/// What `--resume` found: where rows go, the whole input (when the job's is a part), and the
/// first run's undo file.
struct Resumed<'a> {
    dest: Dest<'a>,
    whole: Option<Normalized>,
    undo: Option<PathBuf>,
    /// The head of the file resumed: the job as its first run named it (kept byte for byte).
    head: Option<FileHead>,
}

impl WriteRun {
    pub fn new(
        profile: Profile,
        client: Arc<Client>,
        input: Normalized,
        want: Want,
        names: BTreeMap<usize, String>,
        source: Source,
    ) -> WriteRun {
        WriteRun { profile, client, input, want, names, source, parts: Vec::new() }
    }

    /// The command (first) and what identifies this job's arguments.
    pub fn job(mut self, parts: &[&str]) -> WriteRun {
        self.parts = parts.iter().map(|s| s.to_string()).collect();
        self
    }

    fn command(&self) -> &str {
        self.parts.first().map_or("write", String::as_str)
    }

    /// The job's identity: its command and arguments, its accounts, its target, its mode.
    fn head(&self, kind: FileKind) -> FileHead {
        // Digested as they go: ten million accounts are not copied into one buffer first.
        let accounts = {
            use sha2::Digest;
            let mut h = sha2::Sha256::new();
            for i in 0..self.input.total() {
                h.update(self.input.entries.get(i).as_bytes());
                h.update(b"\n");
            }
            h.finalize()
        };
        let target = serde_json::to_vec(&crate::write::file_head::Target::of(&self.profile)).unwrap_or_default();
        let mut parts: Vec<&[u8]> = self.parts.iter().map(|p| p.as_bytes()).collect();
        parts.extend([&accounts[..], &target[..], kind.label().as_bytes()]);
        let head = FileHead::new(kind, &self.profile, self.names.clone(), self.command(), job_id(&parts));
        FileHead { accounts: (kind == FileKind::Plan).then(|| self.input.total()), ..head }
    }

    fn cfg(&self, mode: Mode) -> WriteConfig {
        WriteConfig {
            job: JobConfig::new(JobKind::Inspect, self.profile.family, self.profile.rate_limit),
            want: self.want.clone(),
            mode,
        }
    }

    pub async fn run(mut self, opts: &WriteOpts) -> anyhow::Result<ExitCode> {
        if let (Some(o), Some(u)) = (opts.output.as_deref(), opts.undo_file.as_deref())
            && same_path(o, u)
        {
            bail!("--undo-file {} is also -o: name another file for one of them; nothing was sent", u.display());
        }
        // Held until the job ends: two runs of one job (a resume started twice) would record
        // accounts twice in its undo file and race on FILE.
        let _lock = match opts.output.as_deref() {
            Some(o) => Some(crate::private_file::lock_beside(o)?),
            None => None,
        };
        let format = super::audit::output_format(opts.format, opts.output.as_deref());
        let mut head = self.head(if opts.plan { FileKind::Plan } else { FileKind::Outcomes });
        let Resumed { dest, whole, undo, head: first_head } = self.resume(opts, format, &head)?;
        if let Some(h) = first_head {
            head = h;
        }
        let input = Arc::new(std::mem::take(&mut self.input));
        // The journal lists the whole input, also when a resume works on part of it.
        let full: &Normalized = whole.as_ref().unwrap_or(&input);
        if opts.plan {
            if opts.output.is_some() && format != Format::Ndjson {
                eprintln!("timx: note: a plan for --from-plan is saved as NDJSON (-o PLAN.ndjson)");
            }
            let job = crate::write::spawn_write(self.client.clone(), self.cfg(Mode::Plan), input.clone(), cancel());
            let streamed = emit(job, format, dest, &head).await?;
            let command = format!("{} --plan", self.command());
            return Ok(finish(&self.profile, &command, full, &streamed, None, false));
        }
        let resumed_undo = undo.is_some();
        let path = match undo.or_else(|| opts.undo_file.clone()) {
            Some(p) => p,
            None => crate::write::undo::default_path(&self.profile.name)
                .context("no data directory for the undo file: pass --undo-file PATH")?,
        };
        head.undo_file = Some(path.clone());
        if !opts.yes {
            let set = match self.source {
                Source::SavedPlan => None,
                _ => match self.plan_and_ask(input.clone()).await? {
                    Ok(set) => Some(set),
                    Err(code) => return Ok(code),
                },
            };
            if let Some(set) = set {
                self.want = Want::Plan(Arc::new(set));
            } else if let Some(code) = self.ask_saved()? {
                return Ok(code);
            }
        }
        let undo = if resumed_undo { UndoLog::resume(&path, &head)? } else { UndoLog::create(&path, &head)? };
        eprintln!(
            "timx: undo file: {} (made when the first account is about to change, never after; restore with: timx \
             apply -f {})",
            path.display(),
            path.display()
        );
        let mode = Mode::Apply { undo: Arc::new(undo), verify: opts.verify };
        let job = crate::write::spawn_write(self.client.clone(), self.cfg(mode), input.clone(), cancel());
        let streamed = emit(job, format, dest, &head).await?;
        Ok(finish(&self.profile, self.command(), full, &streamed, Some(&path), opts.verify))
    }

    /// Plan, show the plan and ask for the number of accounts that change. Ok: the plan, to
    /// apply as it is; Err: the exit code (nothing to change, or the user stopped).
    async fn plan_and_ask(&self, input: Arc<Normalized>) -> anyhow::Result<Result<PlanSet, ExitCode>> {
        let mut job = crate::write::spawn_write(self.client.clone(), self.cfg(Mode::Plan), input.clone(), cancel());
        let mut rows: Vec<Option<PlanRow>> = vec![None; input.total()];
        let mut shown = 0;
        let mut summary = None;
        eprintln!("timx: planning…");
        let mut table = crate::write::change::writer(Format::Table, std::io::stderr())?;
        while let Some(event) = job.events.recv().await {
            match event {
                Event::Batch(batch) => {
                    for r in batch {
                        if r.status != WriteStatus::Unchanged {
                            if shown < 20 {
                                table.write(&r.row())?;
                            }
                            shown += 1;
                        }
                        if let Some(slot) = rows.get_mut(r.index as usize) {
                            *slot = Some(r.row());
                        }
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
            return Ok(Err(if summary.all_answered() { ExitCode::SUCCESS } else { ExitCode::from(1) }));
        }
        say_left_out(&summary.counts, summary.aborted.as_deref());
        if !typed_count(n, "change", "account", &self.profile)? {
            eprintln!("timx: stopped; nothing was written");
            return Ok(Err(ExitCode::from(2)));
        }
        let mut set = PlanSet::default();
        for (i, r) in rows.into_iter().enumerate() {
            let account = input.entries.get(i);
            set.push(&r.unwrap_or_else(|| PlanRow {
                account: account.to_owned(),
                status: "cancelled".into(),
                ..PlanRow::default()
            }));
        }
        Ok(Ok(set))
    }

    /// A saved plan: say what it holds and ask for its number of planned accounts.
    fn ask_saved(&self) -> anyhow::Result<Option<ExitCode>> {
        let Want::Plan(set) = &self.want else { return Ok(None) };
        // One pass: the statuses counted, and what will be written shown as the plan file says
        // it (the first 20). A plan with nothing planned never gets here (`planned_run`).
        let mut counts: BTreeMap<WriteStatus, u64> = BTreeMap::new();
        let mut table = crate::write::change::writer(Format::Table, std::io::stderr())?;
        let mut shown = 0;
        for r in (0..set.len() as u32).filter_map(|i| set.get(i)) {
            if let Some(s) = WriteStatus::from_label(&r.status) {
                *counts.entry(s).or_default() += 1;
            }
            if r.status == "planned" && shown < 20 {
                table.write(&r)?;
                shown += 1;
            }
        }
        let n = set.planned();
        if n > 20 {
            eprintln!("… and {} more (see them all in the plan file)", n - 20);
        }
        eprintln!("timx: the plan has {n} account{} to change", if n == 1 { "" } else { "s" });
        say_left_out(&counts, None);
        if !typed_count(n, "change", "account", &self.profile)? {
            eprintln!("timx: stopped; nothing was written");
            return Ok(Some(ExitCode::from(2)));
        }
        Ok(None)
    }

    /// With `--resume` and an earlier outcome file of this job: narrow the job to the accounts
    /// without a final outcome there.
    fn resume<'a>(&mut self, opts: &'a WriteOpts, format: Format, head: &FileHead) -> anyhow::Result<Resumed<'a>> {
        let fresh = || Resumed { dest: Dest::Fresh(opts.output.as_deref()), whole: None, undo: None, head: None };
        let Some(path) = opts.output.as_deref().filter(|p| opts.resume && crate::resume::has_earlier(p)) else {
            return Ok(fresh());
        };
        let is_write_row = |row: &crate::resume::RowInfo| {
            if row.keys.is_empty() || row.keys.iter().any(|k| k == "changes") {
                Ok(())
            } else {
                Err("its rows are not a write's outcomes".to_string())
            }
        };
        let undo = RefCell::new(None);
        let first_head = RefCell::new(None);
        let check = |found: Option<FileHead>| match found {
            None => Err("it names no job on its first line: it was not written by a timx write".to_string()),
            Some(h) if h.target != head.target => Err(format!("it was written on {}, not here", h.target.text())),
            Some(h) if h.job != head.job || h.kind != head.kind => Err(format!(
                "it was written by another job ({} {} of {}): resume only with the same command, arguments and accounts",
                h.kind.label(),
                escape(&h.command),
                h.time
            )),
            // Its rows and its undo file name attributes by the slots of then.
            Some(h) if h.names != head.names => Err(format!(
                "the app's attribute names changed since it was written ({}): finishing it would write into other \
                 slots; put the names back, or start over without --resume",
                names_moved(&h.names, &head.names)
            )),
            Some(h) => {
                // FILE is scanned first (else the newest copy): its undo file is the job's.
                undo.borrow_mut().get_or_insert_with(|| h.undo_file.clone().unwrap_or_default());
                first_head.borrow_mut().get_or_insert(h);
                Ok(())
            }
        };
        let finals: &[&str] = if opts.plan {
            &["planned", "unchanged", "not_found", "invalid", "conflict"]
        } else {
            &["changed", "unchanged", "not_found", "invalid", "conflict"]
        };
        let is_final = |s: &str| finals.contains(&s);
        let mut earlier = Earlier::scan_job(path, format, &self.input, &is_final, &is_write_row, Some(&check))?;
        let redo = earlier.redo(&self.input);
        let kept = std::mem::take(&mut earlier.kept_statuses);
        let undo = undo.into_inner().filter(|u| !u.as_os_str().is_empty());
        if let Some(u) = undo.as_ref().filter(|u| !u.exists() && !opts.plan)
            && earlier.any_written
        {
            bail!(
                "the undo file {} that {} names is missing: it holds what the first run changed, so the resume \
                 would lose it; nothing was sent (put it back, or start over without --resume)",
                u.display(),
                path.display()
            );
        }
        eprintln!(
            "timx: resuming {}: {} of {} accounts have a final outcome there, {} to do again",
            path.display(),
            kept.len(),
            self.input.total(),
            redo.len()
        );
        self.want = self.want.subset(&redo);
        let sub = crate::resume::sub_input(&self.input, &redo);
        let whole = std::mem::replace(&mut self.input, sub);
        let head = first_head.into_inner();
        Ok(Resumed { dest: Dest::Resume { earlier, redo, kept }, whole: Some(whole), undo, head })
    }
}

/// Whether two paths name the same file (or would: compared absolute when neither exists).
fn same_path(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => std::path::absolute(a).ok() == std::path::absolute(b).ok(),
    }
}

/// How two slot → name maps differ, in words (`slot 1: city → lang`).
fn names_moved(then: &BTreeMap<usize, String>, now: &BTreeMap<usize, String>) -> String {
    let shown = |n: Option<&String>| n.map_or_else(|| "(empty)".to_string(), |n| escape(n).into_owned());
    let slots: std::collections::BTreeSet<usize> = then.keys().chain(now.keys()).copied().collect();
    slots
        .into_iter()
        .filter(|s| then.get(s) != now.get(s))
        .map(|s| format!("slot {s}: {} → {}", shown(then.get(&s)), shown(now.get(&s))))
        .collect::<Vec<_>>()
        .join(", ")
}

fn cancel() -> CancellationToken {
    CancellationToken::new()
}

/// Before the question: how many accounts will not be written, and why.
fn say_left_out(counts: &BTreeMap<WriteStatus, u64>, aborted: Option<&str>) {
    let out: Vec<String> = counts
        .iter()
        .filter(|(s, n)| **n > 0 && !matches!(s, WriteStatus::Planned | WriteStatus::Unchanged))
        .map(|(s, n)| format!("{n} {}", s.label()))
        .collect();
    if out.is_empty() {
        return;
    }
    let n: u64 = counts
        .iter()
        .filter(|(s, _)| !matches!(s, WriteStatus::Planned | WriteStatus::Unchanged))
        .map(|(_, n)| n)
        .sum();
    let why = aborted.map(|a| format!("; the plan stopped: {a}")).unwrap_or_default();
    eprintln!("timx: {n} account{} will not be written ({}){why}", if n == 1 { "" } else { "s" }, out.join(", "));
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
    head: &FileHead,
) -> anyhow::Result<Streamed<WriteStatus>> {
    let first = head.line(format).unwrap_or_default().into_bytes();
    let (mut streamed, kept) = match dest {
        Dest::Fresh(output) => {
            let mut out = open_output(output)?;
            // On disk before anything is sent: a run killed at once can still be resumed.
            out.write_all(&first)?;
            out.flush()?;
            let mut rows = Rows(crate::write::change::writer(format, out)?);
            let streamed = stream(job, &mut rows).await?;
            if streamed.write_failed.is_none() && streamed.interrupted != Some(Interrupt::Pipe) {
                rows.finish()?;
            }
            (streamed, Vec::new())
        }
        Dest::Resume { earlier, redo, kept } => {
            let make = |buf| -> std::io::Result<Box<dyn RecordWriter<WriteRecord>>> {
                Ok(Box::new(Rows(crate::write::change::writer(format, buf)?)))
            };
            let mut rows = earlier.splice(redo, first, make)?;
            let streamed = stream(job, &mut rows).await?;
            if streamed.write_failed.is_none() {
                rows.finish()?;
            }
            (streamed, kept)
        }
    };
    if let Some(e) = &streamed.write_failed {
        say(&format!("timx: cannot write the results: {e}; the undo file holds what was changed"));
    }
    if streamed.held_back > 0 {
        bail!("internal error: {} rows were held back waiting for an earlier row that never came", streamed.held_back);
    }
    for label in kept {
        if let Some(s) = WriteStatus::from_label(&label) {
            *streamed.summary.counts.entry(s).or_default() += 1;
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
    verified: bool,
) -> ExitCode {
    let summary = &streamed.summary;
    say(&summary.line());
    let wrote = WriteStatus::ALL.iter().filter(|s| s.may_have_written()).any(|s| summary.count(*s) > 0);
    if let Some(p) = undo.filter(|p| wrote && p.exists()) {
        say(&format!("timx: to undo: timx apply -f {}", p.display()));
    }
    if profile.family == Family::AllMemberPush && summary.count(WriteStatus::Changed) > 0 && !verified {
        say("timx: note: all_member_push does not report accounts that do not exist, so a write to one comes back \
             changed; --verify reads every account back and catches it");
    }
    if summary.count(WriteStatus::Conflict) > 0 {
        say("timx: accounts in conflict changed since the plan and were not written: plan again to see them now");
    }
    if let Err(e) = crate::journal::after_job(profile, command, summary, Some(input), undo.filter(|p| p.exists())) {
        say(&format!("timx: warning: {e}"));
    }
    streamed.exit(summary.all_answered())
}
