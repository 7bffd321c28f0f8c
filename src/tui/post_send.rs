//! The explorer's post-send state: a `:trace` of some result rows (its progress and each row's
//! delivery) and the `:stats` reports the summary draws.

use std::collections::{HashMap, HashSet};

use crate::engine::{Progress, Summary};
use crate::push::stats::TaskReport;
use crate::push::trace::{TraceRow, TraceStatus};

/// A trace of some result rows.
#[derive(Debug)]
pub struct TraceView {
    pub task: String,
    pub job: u64,
    /// Trace input index → result row index.
    pub rows: Vec<u32>,
    /// The result rows traced, for the cell of each drawn row without a scan.
    traced: HashSet<u32>,
    /// Result row index → its trace, as they come.
    pub done: HashMap<u32, TraceRow>,
    pub progress: Progress,
    pub summary: Option<Summary<TraceStatus>>,
}

impl TraceView {
    pub fn new(task: String, job: u64, rows: Vec<u32>) -> TraceView {
        let total = rows.len() as u64;
        TraceView {
            task,
            job,
            traced: rows.iter().copied().collect(),
            rows,
            done: HashMap::new(),
            progress: Progress { total, ..Progress::default() },
            summary: None,
        }
    }

    pub fn running(&self) -> bool {
        self.summary.is_none()
    }

    /// Rows of the trace's input, put under the result rows they were made from.
    pub fn add(&mut self, rows: Vec<TraceRow>) {
        for r in rows {
            if let Some(at) = self.rows.get(r.index as usize) {
                self.done.insert(*at, r);
            }
        }
    }

    /// What the Delivery column shows for a result row: `None` when it is not traced.
    pub fn cell(&self, row: u32) -> Option<DeliveryCell> {
        match self.done.get(&row) {
            Some(r) => Some(DeliveryCell::Done(r.status)),
            None if self.running() && self.traced.contains(&row) => Some(DeliveryCell::Waiting),
            None => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryCell {
    Waiting,
    Done(TraceStatus),
}

impl DeliveryCell {
    /// ✓✓ clicked, ✓ delivered, ✗ stopped, – no trace: symbols, so NO_COLOR reads the same.
    pub fn symbol(self) -> &'static str {
        match self {
            DeliveryCell::Waiting => "…",
            DeliveryCell::Done(TraceStatus::Clicked) => "✓✓",
            DeliveryCell::Done(TraceStatus::Delivered) => "✓",
            DeliveryCell::Done(TraceStatus::Stopped) => "✗",
            DeliveryCell::Done(TraceStatus::NoTrace | TraceStatus::NoDevices) => "–",
            DeliveryCell::Done(TraceStatus::Failed | TraceStatus::Invalid) => "!",
            DeliveryCell::Done(TraceStatus::Cancelled) => "",
        }
    }
}

/// `:stats`: the tasks asked about, and their reports once they come.
#[derive(Debug)]
pub struct StatsView {
    pub job: u64,
    pub tasks: Vec<String>,
    pub reports: Option<Result<Vec<TaskReport>, String>>,
}
