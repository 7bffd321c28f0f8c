//! The state of writes in the explorer: what a write acts on, where it is (planning, waiting
//! for the user, applying, reading back), and what the last one left (its summary, its undo
//! file). The handlers are in `update/writes.rs`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::api::wire::AttrNames;
use crate::config::Profile;
use crate::engine::{Normalized, Summary};
use crate::write::{Want, WriteStatus};

/// What a write acts on and what it makes of it.
#[derive(Debug, Clone)]
pub struct WriteRequest {
    /// As the plan and the status line name it: `tag add vip`, `edit alice`, `apply x.csv`.
    pub label: String,
    pub want: Want,
    pub input: Arc<Normalized>,
    /// Write input index → results row; None: the accounts replace the results (a file).
    pub rows: Option<Vec<u32>>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Planning,
    /// The plan is on screen, waiting for the user.
    Review,
    Applying,
    /// The written accounts are read again to show what they hold now.
    ReadingBack,
}

/// The write in progress.
#[derive(Debug)]
pub struct WriteFlow {
    pub job: u64,
    /// The app the plan was made on: its write, read-back and undo are on it, whatever else
    /// happens meanwhile (no switch is allowed while the flow lasts).
    pub profile: Profile,
    pub phase: Phase,
    pub kind: FlowKind,
    pub undo: Option<PathBuf>,
    /// Read-back job input index → results row.
    pub(crate) read_back: Vec<u32>,
}

#[derive(Debug)]
pub enum FlowKind {
    Accounts(WriteRequest),
    /// Attribute names: the slots to set, and the names as they are.
    Schema {
        names: AttrNames,
        before: AttrNames,
    },
}

/// What `:undo` restores.
#[derive(Debug, Clone)]
pub enum UndoRef {
    Accounts(PathBuf),
    Schema { path: PathBuf, before: AttrNames },
}

/// What `:undo` offers on each profile (by name): the last undo made there, with the SDKAppID
/// it was made on; on another SDKAppID it is refused.
pub type Undos = HashMap<String, (u64, UndoRef)>;

/// The last write, for the summary tab and the status line.
#[derive(Debug, Clone)]
pub struct LastWrite {
    pub label: String,
    pub summary: Summary<WriteStatus>,
    pub undo: Option<PathBuf>,
}
