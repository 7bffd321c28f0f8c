//! A plan as a value: per account the row it was planned as (its changes, each with the value
//! it was made from, and its tag guard), kept compactly so a hundred thousand rows fit in a few
//! MB; and the files that hold one — a saved plan (`--plan -o`), an undo file — read back.

use std::io::BufRead;
use std::path::Path;

use anyhow::{Context, bail};

use super::change::PlanRow;
use super::file_head::FileHead;
use crate::engine::{AccountList, Normalized, Normalizer};

/// Rows by input entry, each as a line of compact JSON.
#[derive(Debug, Default)]
pub struct PlanSet {
    rows: AccountList,
    planned: u64,
}

impl PlanSet {
    /// The next entry's row (entries are pushed in order, one each).
    pub fn push(&mut self, row: &PlanRow) {
        if row.status == "planned" {
            self.planned += 1;
        }
        self.rows.push(&serde_json::to_string(row).unwrap_or_default());
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// How many rows are planned (the rest are not written).
    pub fn planned(&self) -> u64 {
        self.planned
    }

    pub fn get(&self, i: u32) -> Option<PlanRow> {
        let i = i as usize;
        (i < self.rows.len()).then(|| serde_json::from_str(self.rows.get(i)).ok()).flatten()
    }

    /// These entries' rows, in order.
    pub fn subset(&self, entries: &[u32]) -> PlanSet {
        let mut out = PlanSet::default();
        for r in entries.iter().filter_map(|i| self.get(*i)) {
            out.push(&r);
        }
        out
    }

    /// Every attribute name the planned rows change.
    pub fn names(&self) -> std::collections::BTreeSet<String> {
        (0..self.len() as u32)
            .filter_map(|i| self.get(i))
            .flat_map(|r| r.changes.into_iter().filter_map(|c| c.name))
            .collect()
    }
}

/// A plan file read back: its head, its accounts (in file order) and their rows.
#[derive(Debug)]
pub struct Loaded {
    pub head: FileHead,
    pub input: Normalized,
    pub set: PlanSet,
}

/// Read a file a write left (a plan, an undo file): its head line, then one row a line.
pub fn read(path: &Path) -> anyhow::Result<(FileHead, Vec<PlanRow>)> {
    let mut rows = Vec::new();
    let head = read_each(path, &mut |r| rows.push(r))?;
    Ok((head, rows))
}

/// Like `read`, each row handed to `sink` as it is read.
pub fn read_each(path: &Path, sink: &mut dyn FnMut(PlanRow)) -> anyhow::Result<FileHead> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = std::io::BufReader::new(file).lines();
    let first = lines.next().transpose().with_context(|| format!("cannot read {}", path.display()))?;
    let Some(head) = first.as_deref().and_then(FileHead::parse) else {
        bail!(
            "{} is not a file of a timx write: its first line names no job (a plan or undo file starts with one)",
            path.display()
        );
    };
    for (n, line) in lines.enumerate() {
        let line = line.with_context(|| format!("{}: line {} cannot be read", path.display(), n + 2))?;
        if line.trim().is_empty() {
            continue;
        }
        let row: PlanRow = serde_json::from_str(&line).with_context(|| {
            let shown: String = crate::text::escape(&line).chars().take(200).collect();
            format!("{}: line {} is not a row of a plan: {shown}", path.display(), n + 2)
        })?;
        sink(row);
    }
    Ok(head)
}

/// A plan's rows as a job's input: its accounts, one entry each (a repeated account is refused:
/// a plan has one row per account).
pub fn load(path: &Path, rows: impl IntoIterator<Item = PlanRow>, head: FileHead) -> anyhow::Result<Loaded> {
    let mut n = Normalizer::new();
    let mut set = PlanSet::default();
    for r in rows {
        if n.push_account(&r.account).is_none() {
            bail!(
                "{}: {} has more than one row: not a plan timx wrote",
                path.display(),
                crate::text::escape(&r.account)
            );
        }
        set.push(&r);
    }
    Ok(Loaded { head, input: n.finish(), set })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_keeps_rows_in_order_and_counts_the_planned() {
        let mut s = PlanSet::default();
        for (a, st) in [("a", "planned"), ("b", "unchanged"), ("c", "planned")] {
            s.push(&PlanRow { account: a.into(), status: st.into(), ..PlanRow::default() });
        }
        assert_eq!((s.len(), s.planned()), (3, 2));
        assert_eq!(s.get(1).unwrap().account, "b");
        let sub = s.subset(&[2, 1]);
        assert_eq!((sub.get(0).unwrap().account.as_str(), sub.planned()), ("c", 1));
        assert!(s.get(3).is_none());
    }
}
