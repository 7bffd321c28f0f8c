//! Headless writes: `apply` (a desired-state file, an undo file, or `--from-plan` a saved
//! plan), `edit` (one change for many accounts). What each reads and checks before the write
//! runs; the run itself (plan → question → apply that plan → verify) is in `write_run`.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;
use tokio_util::sync::CancellationToken;

use super::audit::{client, read_account_sources, runtime};
use super::write_run::{Source, WriteRun};
use crate::cli::target::TargetArgs;
use crate::client::Client;
use crate::config::Profile;
use crate::engine;
use crate::export::Format;
use crate::text::escape;
use crate::write::desired::Desired;
use crate::write::file_head::{FileHead, FileKind, names_of};
use crate::write::{Edit, Want, plan_file, state_file};

/// What every write command takes besides what it writes.
#[derive(Debug, Args)]
pub struct WriteOpts {
    /// Print the plan and write nothing; with -o FILE.ndjson it is a plan file that
    /// `timx apply --from-plan FILE` applies exactly.
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
    /// Pick up an interrupted write from its -o FILE (only that job's): accounts whose outcome
    /// there is final are kept, the rest are written again, and the first run's undo file is
    /// appended to.
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
    /// The desired state: a timx export (CSV, JSON or NDJSON, by extension), edited, or an
    /// undo file; `-` reads standard input (say its --input-format).
    #[arg(short = 'f', long, value_name = "FILE", required_unless_present = "from_plan", conflicts_with = "from_plan")]
    pub file: Option<PathBuf>,
    /// Apply exactly the plan saved by `--plan -o FILE`: its planned accounts only, each checked
    /// against the state it was planned from (changed since: conflict, not written).
    #[arg(long, value_name = "FILE")]
    pub from_plan: Option<PathBuf>,
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
    let inputs = args.file.iter().chain(args.from_plan.iter()).map(PathBuf::as_path);
    crate::paths::output_is_not_an_input(args.opts.output.as_deref(), inputs)?;
    let profile = writable_profile(&args.opts)?;
    let client = client(&profile)?;
    let rt = runtime()?;
    // The app's names are read while the file is parsed.
    let names = rt.spawn(app_names(client.clone(), profile.clone(), true));
    if let Some(path) = &args.from_plan {
        let loaded = read_plan(path, FileKind::Plan, &profile)?;
        let names = rt.block_on(names).context("the attribute names task failed")??;
        return rt.block_on(planned_run(profile, client, loaded, names, Source::SavedPlan, path, &args.opts));
    }
    let Some(file) = args.file.as_deref() else { bail!("give -f FILE or --from-plan FILE") };
    let (format, first, stdin) = first_line(file, args.input_format, &args.opts)?;
    if let Some(kind) = head_kind(&first) {
        return match kind {
            FileKind::Undo if stdin.is_none() => {
                let loaded = read_plan(file, FileKind::Undo, &profile)?;
                let names = rt.block_on(names).context("the attribute names task failed")??;
                rt.block_on(planned_run(profile, client, loaded, names, Source::Undo, file, &args.opts))
            }
            FileKind::Undo => {
                bail!("an undo file is applied by its path (timx apply -f UNDO), not from standard input")
            }
            FileKind::Plan if format == Format::Csv => bail!(
                "{} is a plan saved as CSV, which is for reading: save it with --plan -o PLAN.ndjson, then timx apply \
                 --from-plan PLAN.ndjson",
                file.display()
            ),
            FileKind::Plan => {
                bail!(
                    "{} is a saved plan: apply exactly it with timx apply --from-plan {}",
                    file.display(),
                    file.display()
                )
            }
            FileKind::Outcomes => bail!(
                "{} holds the outcomes of a write that ran, not a desired state: finish it with the same command and \
                 --resume -o {}, or plan again (--plan -o PLAN, then --from-plan PLAN)",
                file.display(),
                file.display()
            ),
        };
    }
    // Read as it streams (its states kept in a temporary file), hashed as it goes.
    let (desired, hash) = match stdin {
        Some(rest) => Desired::read_stream(std::io::Cursor::new(first).chain(rest), "standard input", format)?,
        None => Desired::read(file, format)?,
    };
    for (account, why) in &desired.skipped {
        eprintln!("timx: skipped {}: {why}", escape(account));
    }
    if desired.skipped_more > 0 {
        eprintln!("timx: skipped {} more rows like these", desired.skipped_more);
    }
    for note in &desired.notes {
        eprintln!("timx: note: {note}");
    }
    if desired.input.total() == 0 {
        bail!("{}: no rows to apply", file.display());
    }
    let names = rt.block_on(names).context("the attribute names task failed")??;
    let (input, states) = desired.finish(&names.values().cloned().collect::<Vec<_>>());
    let run = WriteRun::new(profile, client, input, Want::Each(Arc::new(states)), names, Source::Desired);
    rt.block_on(run.job(&["apply", &hash]).run(&args.opts))
}

/// The first line of `-f FILE` (or of standard input, then the rest of it to read), with
/// the file's format: enough to tell a desired state from a file a write left.
#[allow(clippy::type_complexity)]
fn first_line(
    file: &Path,
    format: Option<Format>,
    opts: &WriteOpts,
) -> anyhow::Result<(Format, Vec<u8>, Option<std::io::BufReader<std::io::Stdin>>)> {
    const HEAD_CAP: u64 = 64 << 10;
    let mut first = Vec::new();
    if file.as_os_str() == "-" {
        if opts.target.reads_key_from_stdin() {
            bail!("-f - and --key-stdin both want standard input; put the key in a file or variable");
        }
        let Some(format) = format else { bail!("-f - needs --input-format csv|json|ndjson") };
        let mut stdin = std::io::BufReader::with_capacity(1 << 16, std::io::stdin());
        (&mut stdin).take(HEAD_CAP).read_until(b'\n', &mut first).context("cannot read standard input")?;
        return Ok((format, first, Some(stdin)));
    }
    let format = state_file::format_of(file, format)?;
    let f = crate::paths::open_regular(file)?;
    std::io::BufReader::new(f.take(HEAD_CAP))
        .read_until(b'\n', &mut first)
        .with_context(|| format!("cannot read {}", file.display()))?;
    Ok((format, first, None))
}

/// The kind of a write's file, when the bytes start with a job's head.
fn head_kind(bytes: &[u8]) -> Option<FileKind> {
    let end = bytes.iter().position(|b| *b == b'\n').unwrap_or(bytes.len());
    FileHead::parse(&String::from_utf8_lossy(&bytes[..end])).map(|h| h.kind)
}

/// A plan or undo file, refused when it is of another kind or another app (nothing is sent).
fn read_plan(path: &Path, kind: FileKind, profile: &Profile) -> anyhow::Result<plan_file::Loaded> {
    let loaded = plan_file::load_file(path)?;
    let head = &loaded.head;
    let what = format!("{} ({})", path.display(), head.kind.label());
    if head.kind != kind {
        bail!(
            "{what} is not a {} file{}",
            kind.label(),
            match head.kind {
                FileKind::Undo => ": apply an undo file with timx apply -f UNDO",
                FileKind::Plan => ": apply a saved plan with timx apply --from-plan PLAN",
                FileKind::Outcomes => ": finish an interrupted write with its command and --resume -o FILE",
            }
        );
    }
    head.check_target(profile, &what)?;
    Ok(loaded)
}

/// A plan made before (saved, or an undo file) as a write job, once the app's names still put
/// its attributes in the same slots.
async fn planned_run(
    profile: Profile,
    client: Arc<Client>,
    loaded: plan_file::Loaded,
    names: BTreeMap<usize, String>,
    source: Source,
    path: &Path,
    opts: &WriteOpts,
) -> anyhow::Result<ExitCode> {
    let plan_file::Loaded { head, input, set, hash } = loaded;
    let used = set.names().clone();
    head.check_names(&names, used.iter().map(String::as_str), &path.display().to_string())?;
    if set.planned() == 0 {
        eprintln!("timx: {}: no account is planned to change; nothing was written", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let label = if source == Source::Undo { "apply (undo)" } else { "apply --from-plan" };
    let run = WriteRun::new(profile, client, input, Want::Plan(Arc::new(set)), names, source);
    run.job(&[label, &hash]).run(opts).await
}

pub fn run_edit(args: EditArgs) -> anyhow::Result<ExitCode> {
    let edit = Edit {
        set: crate::write::edit_args::parse_sets(&args.set)?,
        unset: args.unset.clone(),
        add_tags: args.add_tag.clone(),
        remove_tags: args.remove_tag.clone(),
        clear_tags: args.clear_tags,
    };
    if edit.is_empty() {
        bail!("nothing to change: give --set, --unset, --add-tag, --remove-tag or --clear-tags");
    }
    if let Some(n) = edit.set.keys().find(|n| edit.unset.contains(n)) {
        bail!("--set and --unset both name {n:?}");
    }
    if let Some(t) = edit.add_tags.iter().find(|t| edit.remove_tags.contains(t)) {
        bail!("--add-tag and --remove-tag both name {t:?}");
    }
    crate::paths::output_is_not_an_input(args.opts.output.as_deref(), args.file.iter().map(PathBuf::as_path))?;
    let profile = writable_profile(&args.opts)?;
    let mut input = read_account_sources(&args.accounts, &args.file, &args.opts.target)?;
    let client = client(&profile)?;
    let rt = runtime()?;
    let names = rt.block_on(app_names(client.clone(), profile.clone(), edit.touches_attrs()))?;
    if let Err(why) = edit.check(&names.values().cloned().collect::<Vec<_>>()) {
        // The same for every account: each ends invalid with it, and nothing is sent.
        eprintln!("timx: {}", escape(&why));
        let all: Vec<(u32, String)> = input.valid_indices().map(|i| (i, why.clone())).collect();
        input.mark_invalid(all);
    }
    let what = serde_json::to_string(&edit).unwrap_or_default();
    let run = WriteRun::new(profile, client, input, Want::Same(edit), names, Source::Edit);
    rt.block_on(run.job(&["edit", &what]).run(&args.opts))
}

/// The app's attribute names, slot → name (for the files' heads and to check the names a
/// change uses). When the change names no attribute, a failed read is only a warning.
async fn app_names(client: Arc<Client>, profile: Profile, needed: bool) -> anyhow::Result<BTreeMap<usize, String>> {
    match engine::fetch_attr_names(client.clone(), profile.family, CancellationToken::new()).await {
        Ok(r) => Ok(names_of(&r.body)),
        Err(e) if needed => bail!("cannot read the attribute names of {}: {}", profile.name, e),
        Err(e) => {
            eprintln!(
                "timx: warning: cannot read the attribute names of {} ({e}); the files will not list them",
                profile.name
            );
            Ok(BTreeMap::new())
        }
    }
}
