//! Messages into `update` (keys, paste, resize, worker events) and commands out of it.

use std::sync::Arc;

use crossterm::event::KeyEvent;

use crate::api::wire::AttrNames;
use crate::client::CallError;
use crate::config::Profile;
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
        message: String,
    },
    /// Which regions answer for this SDKAppID (after 70016/70020).
    Probe {
        profile: String,
        results: Vec<(String, Result<(), CallError>)>,
    },
    /// The in-process demo emulator is up; here is its profile.
    DemoReady(Profile),
    /// Something the worker could not do, explained.
    Failed(String),
}

/// Work for the worker task, or for the loop that owns the terminal.
#[derive(Debug, Clone)]
pub enum Cmd {
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
    Cancel(u64),
    Probe(Profile),
    /// OSC 52 to the terminal.
    Clipboard(String),
    /// Start the emulator in-process with the demo data.
    StartDemo,
}
