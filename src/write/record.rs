//! One account's outcome in a write or its plan, and the outcome classes.

use std::collections::BTreeMap;

use serde::Serialize;

use super::change::{Change, Op, PlanRow};
use super::guard::TagGuard;
use crate::engine::{ErrorDetail, Outcome, OutcomeStatus};

/// The outcome class of one account in a write (or its plan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteStatus {
    /// Would change (`--plan`).
    Planned,
    Changed,
    Unchanged,
    /// Some of its calls were carried out, some not: the row says which.
    Partial,
    /// A call was sent and its answer lost (to a cancel, or after every retry): it may or may
    /// not have been carried out.
    Unknown,
    /// Changed since the plan in a field the plan touches: nothing was written to it.
    Conflict,
    NotFound,
    Failed,
    Invalid,
    Cancelled,
}

impl OutcomeStatus for WriteStatus {
    const ALL: &'static [WriteStatus] = &[
        WriteStatus::Planned,
        WriteStatus::Changed,
        WriteStatus::Unchanged,
        WriteStatus::Partial,
        WriteStatus::Unknown,
        WriteStatus::Conflict,
        WriteStatus::NotFound,
        WriteStatus::Failed,
        WriteStatus::Invalid,
        WriteStatus::Cancelled,
    ];
    fn label(self) -> &'static str {
        match self {
            WriteStatus::Planned => "planned",
            WriteStatus::Changed => "changed",
            WriteStatus::Unchanged => "unchanged",
            WriteStatus::Partial => "partial",
            WriteStatus::Unknown => "unknown",
            WriteStatus::Conflict => "conflict",
            WriteStatus::NotFound => "not_found",
            WriteStatus::Failed => "failed",
            WriteStatus::Invalid => "invalid",
            WriteStatus::Cancelled => "cancelled",
        }
    }
    fn is_ok(self) -> bool {
        matches!(self, WriteStatus::Planned | WriteStatus::Changed | WriteStatus::Unchanged)
    }
    fn always_listed(self) -> bool {
        // The rarer outcomes (partial, unknown, conflict, cancelled) are listed when they occur.
        matches!(self, WriteStatus::Unchanged | WriteStatus::NotFound | WriteStatus::Failed | WriteStatus::Invalid)
    }
    fn cancelled() -> WriteStatus {
        WriteStatus::Cancelled
    }
}

impl WriteStatus {
    pub fn from_label(label: &str) -> Option<WriteStatus> {
        WriteStatus::ALL.iter().copied().find(|s| s.label() == label)
    }

    /// Whether a call may have changed an account that ended so (its undo record matters).
    pub fn may_have_written(self) -> bool {
        matches!(self, WriteStatus::Changed | WriteStatus::Partial | WriteStatus::Unknown | WriteStatus::Failed)
    }
}

/// One account's result of a write or a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteRecord {
    pub index: u32,
    pub account: String,
    pub status: WriteStatus,
    /// Planned or made (for a failed or cancelled account: what was to be made; for a partial
    /// one: what was made).
    pub changes: Vec<Change>,
    /// A partial (or unknown, once read back) account: the changes not made.
    pub not_written: Vec<Change>,
    pub error: Option<ErrorDetail>,
    /// Why the account is invalid, in conflict, or not written.
    pub reason: Option<String>,
    pub note: Option<String>,
    /// A planned row's tag guard (what applying it checks).
    pub guard: TagGuard,
}

impl WriteRecord {
    pub fn new(index: u32, account: &str, status: WriteStatus) -> WriteRecord {
        WriteRecord {
            index,
            account: account.to_owned(),
            status,
            changes: Vec::new(),
            not_written: Vec::new(),
            error: None,
            reason: None,
            note: None,
            guard: TagGuard::default(),
        }
    }

    /// The output row (`account`, `status`, `changes`, `error`, and what applying it needs).
    pub fn row(&self) -> PlanRow {
        let error = match (&self.reason, &self.error) {
            (Some(r), _) => Some(r.clone()),
            (None, Some(e)) => Some(format!("{}: {} {}", e.label, e.meaning, e.fix)),
            (None, None) => None,
        };
        PlanRow {
            account: self.account.clone(),
            status: self.status.label().to_owned(),
            changes: self.changes.clone(),
            error,
            not_written: self.not_written.clone(),
            note: self.note.clone(),
            ..PlanRow::default()
        }
        .with_guard(self.guard.clone())
    }

    /// A row of a plan read back, as the record it stands for (its error text kept as the
    /// reason).
    pub fn from_row(index: u32, row: PlanRow) -> WriteRecord {
        let guard = row.guard();
        let status = WriteStatus::from_label(&row.status).unwrap_or(WriteStatus::Failed);
        WriteRecord {
            changes: row.changes,
            not_written: row.not_written,
            reason: row.error,
            note: row.note,
            guard,
            ..WriteRecord::new(index, &row.account, status)
        }
    }
}

impl Outcome for WriteRecord {
    type Status = WriteStatus;
    fn index(&self) -> u32 {
        self.index
    }
    fn status(&self) -> WriteStatus {
        self.status
    }
    fn tally(&self, ops: &mut BTreeMap<String, u64>) {
        if matches!(self.status, WriteStatus::Planned | WriteStatus::Changed | WriteStatus::Partial) {
            for c in &self.changes {
                *ops.entry(op_name(c.op).to_owned()).or_default() += 1;
            }
        }
    }
}

pub fn op_name(op: Op) -> &'static str {
    match op {
        Op::Set => "set",
        Op::Unset => "unset",
        Op::Add => "add_tag",
        Op::Remove => "remove_tag",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_operations_of_changed_and_planned_rows_only() {
        let change = Change { op: Op::Add, name: None, tag: Some("t".into()), from: None, to: None };
        let mut ops = BTreeMap::new();
        let mut r = WriteRecord { changes: vec![change], ..WriteRecord::new(0, "a", WriteStatus::Changed) };
        r.tally(&mut ops);
        r.status = WriteStatus::Failed;
        r.tally(&mut ops);
        assert_eq!(ops, [("add_tag".to_string(), 1)].into());
    }

    #[test]
    fn a_row_reads_back_as_its_record() {
        let change = Change { op: Op::Remove, name: None, tag: Some("t".into()), from: None, to: None };
        let r = WriteRecord { changes: vec![change], ..WriteRecord::new(3, "a", WriteStatus::Conflict) };
        let back = WriteRecord::from_row(3, serde_json::from_str(&serde_json::to_string(&r.row()).unwrap()).unwrap());
        assert_eq!(back, r);
    }
}
