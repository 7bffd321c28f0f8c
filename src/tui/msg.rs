//! Messages into `update` (keys, paste, resize, worker events) and commands out of it, split by
//! who runs them: the worker (network, files, config) or the loop that owns the terminal.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::KeyEvent;

use crate::api::wire::AttrNames;
use crate::client::CallError;
use crate::config::{Config, Profile};
use crate::engine::{self, JobKind, Normalized};

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    Resize(u16, u16),
    Worker(WorkerEvent),
    /// SIGTERM/SIGHUP: leave cleanly.
    Quit,
}

/// Why the worker could not do something; shown in the status line.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The profile's client could not be made (most often: the key could not be read).
    #[error("profile {profile}: {message}")]
    Profile { profile: String, message: String },
    #[error("cancelled before it started")]
    Cancelled,
    #[error("cannot start the demo emulator: {0}")]
    Demo(String),
    #[error("{0}")]
    Journal(String),
    /// A write could not start (its undo file could not be made): nothing was sent.
    #[error("nothing was written: {0}")]
    Write(String),
}

#[derive(Debug)]
pub enum WorkerEvent {
    AttrNames {
        /// Which fetch this answers: only the latest one is shown.
        fetch: u64,
        profile: String,
        result: Result<AttrNames, CallError>,
    },
    Job {
        job: u64,
        event: engine::Event,
    },
    /// The job could not start (e.g. the secret could not be read).
    JobError {
        job: u64,
        error: WorkerError,
    },
    /// Which regions answer for this SDKAppID (after 70016/70020).
    Probe {
        profile: String,
        results: Vec<(String, Result<(), CallError>)>,
    },
    /// The in-process demo emulator is up; here is its profile.
    DemoReady(Profile),
    /// A `:load` file was read (invalid UTF-8 becomes U+FFFD, so that line is flagged invalid).
    Loaded {
        path: PathBuf,
        result: Result<String, String>,
    },
    /// The profile form's profile was written to the config file (or why not).
    ProfileSaved {
        config: Box<Config>,
        profile: Box<Profile>,
        result: Result<(), String>,
    },
    /// A write job's plan or apply (`job` is the app's id for it).
    Write {
        job: u64,
        event: engine::Event<crate::write::WriteRecord>,
    },
    /// A desired-state file for `:apply` / `:undo` was read and parsed (or why not).
    DesiredLoaded {
        path: PathBuf,
        result: Result<LoadedFile, String>,
    },
    /// The attribute names were written (`job` as sent); the error says why not.
    AttrNamesSet {
        job: u64,
        result: Result<(), String>,
    },
    /// The `:trace` job's progress and rows.
    Trace {
        job: u64,
        event: engine::Event<crate::push::trace::TraceRow>,
    },
    /// The `:stats` reports (or why not).
    Stats {
        job: u64,
        result: Result<Vec<crate::push::stats::TaskReport>, String>,
    },
    /// `:scheduled`: the pending scheduled pushes, or (`id`) the one asked for.
    Scheduled {
        job: u64,
        id: Option<u64>,
        result: Result<Vec<crate::api::post_send::SchedTask>, String>,
    },
    /// Something the worker could not do, explained.
    Failed(WorkerError),
}

/// Work for the worker task.
#[derive(Debug, Clone)]
pub enum WorkerCmd {
    /// Read the attribute names; `fetch` tags the answer. Resolves the key anew.
    FetchAttrNames {
        fetch: u64,
        profile: Profile,
    },
    RunJob {
        job: u64,
        profile: Profile,
        kind: JobKind,
        input: Arc<Normalized>,
    },
    /// Plan a write or apply it.
    Write(Box<WriteJob>),
    /// Name attribute slots; the names before are written to `undo` first.
    SetAttrNames(Box<SetNames>),
    /// Read and parse a desired-state file (`:apply`, `:undo`).
    LoadDesired(PathBuf),
    Cancel(u64),
    Probe(Profile),
    /// Start the emulator in-process with the demo data.
    StartDemo,
    /// Read an accounts file for `:load`.
    /// `:load`: read an account list; the token stops the read (Esc).
    Load(PathBuf, tokio_util::sync::CancellationToken),
    /// Trace push `task` for these accounts (`:trace`), at the documented 1 call/s.
    Trace {
        job: u64,
        profile: Profile,
        task: String,
        input: Arc<Normalized>,
    },
    /// The funnel and loss reasons of these tasks over the last 7 days (`:stats`).
    Stats {
        job: u64,
        profile: Profile,
        tasks: Vec<String>,
    },
    /// The pending scheduled pushes (the next 30 days), or one of them (`:scheduled [ID]`).
    Scheduled {
        job: u64,
        profile: Profile,
        id: Option<u64>,
    },
    /// Add the profile to the config file.
    SaveProfile {
        config: Box<Config>,
        profile: Box<Profile>,
    },
}

/// A file `:apply` / `:undo` read: a desired state (an export, edited), or a plan made before
/// (an undo file, a saved plan), which is planned again against the accounts as they are now.
#[derive(Debug)]
pub enum LoadedFile {
    Desired(Box<crate::write::desired::Desired>),
    Plan(Box<crate::write::plan_file::Loaded>),
}

/// A write for the worker: plan it (`undo: None`) or apply it, keeping the previous state in
/// `undo` first.
#[derive(Debug, Clone)]
pub struct WriteJob {
    pub job: u64,
    pub profile: Profile,
    pub want: crate::write::Want,
    pub input: Arc<Normalized>,
    pub undo: Option<PathBuf>,
    /// As the plan names it: `edit alice`, `apply x.csv`, `tag add vip on 3 marked rows`… (the
    /// journal keeps only its verb unless the profile journals accounts).
    pub command: String,
    /// The app's attribute names (slot → name) the plan was made with, for the undo file's head.
    pub names: std::collections::BTreeMap<usize, String>,
}

/// Attribute names to set, with the names as they were (for the undo file).
#[derive(Debug, Clone)]
pub struct SetNames {
    pub job: u64,
    pub profile: Profile,
    pub names: AttrNames,
    pub before: AttrNames,
    pub undo: PathBuf,
}

/// Work for the loop that owns the terminal.
#[derive(Debug, Clone)]
pub enum TerminalCmd {
    /// OSC 52 to the terminal.
    Clipboard(String),
}

/// What `update` asks to be done.
#[derive(Debug, Clone)]
pub enum Cmd {
    Worker(WorkerCmd),
    Terminal(TerminalCmd),
}

impl From<WorkerCmd> for Cmd {
    fn from(c: WorkerCmd) -> Cmd {
        Cmd::Worker(c)
    }
}

impl From<TerminalCmd> for Cmd {
    fn from(c: TerminalCmd) -> Cmd {
        Cmd::Terminal(c)
    }
}
