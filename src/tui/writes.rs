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

/// The write in progress, bound to the profile it was planned on: its apply, read-back and undo
/// go there, whatever the explorer shows meanwhile.
#[derive(Debug)]
pub struct WriteFlow {
    pub job: u64,
    /// The app the plan was made on: its write, read-back and undo are on it, whatever else
    /// happens meanwhile (no switch is allowed while the flow lasts).
    pub profile: Profile,
    pub phase: Phase,
    pub kind: FlowKind,
    pub undo: Option<PathBuf>,
    /// The app's attribute names when the plan was made (slot → name).
    pub names: std::collections::BTreeMap<usize, String>,
    /// The plan's rows that are not unchanged, by write input index: applying the plan writes
    /// exactly its planned rows.
    pub plan_rows: std::collections::BTreeMap<u32, crate::write::change::PlanRow>,
    /// Read-back job input index → results row.
    pub(crate) read_back: Vec<u32>,
    /// Rows whose read-back was cancelled: they keep what they showed.
    pub(crate) not_read_back: u64,
}

impl WriteFlow {
    pub fn new(
        job: u64,
        kind: FlowKind,
        profile: crate::config::Profile,
        names: std::collections::BTreeMap<usize, String>,
    ) -> WriteFlow {
        WriteFlow {
            job,
            phase: Phase::Planning,
            kind,
            undo: None,
            profile,
            names,
            plan_rows: Default::default(),
            read_back: vec![],
            not_read_back: 0,
        }
    }

    /// The plan as reviewed, for `input`: its rows, unchanged where it kept none.
    pub fn plan_set(&mut self, input: &std::sync::Arc<crate::engine::Normalized>) -> crate::write::plan_file::PlanSet {
        let mut set = crate::write::plan_file::PlanSet::default();
        for i in 0..input.total() as u32 {
            let row = self.plan_rows.remove(&i).unwrap_or_else(|| crate::write::change::PlanRow {
                account: input.entries.get(i as usize).to_owned(),
                status: "unchanged".into(),
                ..Default::default()
            });
            set.push(&row);
        }
        set
    }
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
pub type Undos = HashMap<String, (crate::tui::target::AppRef, UndoRef)>;

/// The last write, for the summary tab and the status line.
#[derive(Debug, Clone)]
pub struct LastWrite {
    pub label: String,
    pub summary: Summary<WriteStatus>,
    pub undo: Option<PathBuf>,
}
