//! A plan as a value: per account the row it was planned as (its changes, each with the value
//! it was made from, and its tag guard), kept compactly so a hundred thousand rows fit in a few
//! MB; and the files that hold one — a saved plan (`--plan -o`), an undo file — read back.

use std::io::BufRead;
use std::path::Path;

use anyhow::{Context, bail};

use super::change::PlanRow;
use super::file_head::{FileHead, FileKind};
use crate::engine::{AccountList, Normalized, Normalizer};

/// Rows by input entry, each as a line of compact JSON.
#[derive(Debug, Default)]
pub struct PlanSet {
    rows: AccountList,
    planned: u64,
    /// Every attribute name the rows change.
    names: std::collections::BTreeSet<String>,
}

impl PlanSet {
    /// The next entry's row (entries are pushed in order, one each).
    pub fn push(&mut self, row: &PlanRow) {
        let names = row.changes.iter().filter_map(|c| c.name.as_deref());
        self.push_line(&row.status, names, &serde_json::to_string(row).unwrap_or_default());
    }

    /// `push`, with the row's JSON as read (not decoded whole, nor encoded again).
    fn push_line<'a>(&mut self, status: &str, names: impl Iterator<Item = &'a str>, json: &str) {
        if status == "planned" {
            self.planned += 1;
        }
        for name in names {
            if !self.names.contains(name) {
                self.names.insert(name.to_owned());
            }
        }
        self.rows.push(json);
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

    /// Every attribute name the rows change.
    pub fn names(&self) -> &std::collections::BTreeSet<String> {
        &self.names
    }
}

/// A plan file read back: its head, its accounts (in file order) and their rows, and the hash
/// of its bytes (what identifies a job that applies it).
#[derive(Debug)]
pub struct Loaded {
    pub head: FileHead,
    pub input: Normalized,
    pub set: PlanSet,
    pub hash: String,
}

/// Read a file a write left (a plan, an undo file): its head line, then one row a line.
pub fn read(path: &Path) -> anyhow::Result<(FileHead, Vec<PlanRow>)> {
    let mut rows = Vec::new();
    let head = read_each(path, &mut |_, r| {
        rows.push(r.row);
        Ok(())
    })?;
    Ok((head, rows))
}

/// One row of a plan file, and its line as read.
pub struct Line<'a> {
    pub row: PlanRow,
    pub line: &'a str,
}

/// A plan or an undo file as a job's input. A plan streams into its set; an undo file's rows of
/// one account are merged first (a resumed write may have appended a second one). Refuses an
/// outcome file: it is not a plan.
pub fn load_file(path: &Path) -> anyhow::Result<Loaded> {
    let mut n = Normalizer::new();
    let mut set = PlanSet::default();
    let mut undo_rows = Vec::new();
    let mut repeat: Option<String> = None;
    let mut bad: Vec<(u32, String)> = Vec::new();
    let mut first_of = |n: &mut Normalizer, account: &str| {
        let fresh = n.push_account(account);
        if fresh.is_none() {
            repeat.get_or_insert_with(|| account.to_owned());
        }
        fresh
    };
    // The file's hash (what identifies the job that applies it) on the other core meanwhile.
    let hashing = {
        let path = path.to_owned();
        std::thread::spawn(move || hash_file(&path))
    };
    let head = read_each(path, &mut |head, r| {
        if head.kind == FileKind::Undo {
            undo_rows.push(r.row);
        } else if let Some(i) = first_of(&mut n, &r.row.account) {
            if let Some(why) = (r.row.status == "planned").then(|| row_problem(&r.row, head)).flatten() {
                bad.push((i, why));
            }
            // Kept as read: decoded whole here once, so a row no batch could read is refused.
            let names = r.row.changes.iter().filter_map(|c| c.name.as_deref());
            set.push_line(&r.row.status, names, r.line);
        }
        Ok(())
    })?;
    match head.kind {
        FileKind::Outcomes => bail!(
            "{} holds the outcomes of a write, not a plan: finish it with its command and --resume -o FILE, or plan \
             again",
            path.display()
        ),
        FileKind::Undo => {
            for r in super::undo::merge(undo_rows) {
                if let Some(i) = first_of(&mut n, &r.account) {
                    bad.extend(row_problem(&r, &head).map(|why| (i, why)));
                    set.push(&r);
                }
            }
        }
        FileKind::Plan => {}
    }
    if let Some(a) = repeat {
        bail!("{}: {} has more than one row: not a plan timx wrote", path.display(), crate::text::escape(&a));
    }
    let hash = hashing.join().unwrap_or_else(|_| Ok(String::new()))?;
    let mut input = n.finish();
    input.mark_invalid(bad);
    Ok(Loaded { head, input, set, hash })
}

/// Why a row of a plan or undo file cannot be sent as it is, checked before anything is sent
/// (as a desired state is): a value or tag over the limit, an empty tag, an attribute the app
/// did not have when the file was made, a field changed twice. timx never writes such a row;
/// an edited file may hold one, and one bad row must not fail its whole batch.
fn row_problem(row: &PlanRow, head: &FileHead) -> Option<String> {
    use crate::api::MAX_FIELD_BYTES;
    let mut seen = std::collections::HashSet::new();
    for c in &row.changes {
        if !seen.insert(c.field()) {
            return Some(format!("changes {} twice: not a row timx wrote", c.field().split_at(2).1));
        }
        match (&c.name, &c.tag) {
            (Some(name), _) if !head.names.values().any(|n| n == name) => {
                return Some(format!("the app had no attribute named {name:?} when the file was made"));
            }
            (Some(name), _) if c.to.as_ref().is_some_and(|v| v.len() > MAX_FIELD_BYTES) => {
                return Some(format!("the value of {name} is over the {MAX_FIELD_BYTES}-byte limit"));
            }
            (None, Some(t)) if t.is_empty() || t.len() > MAX_FIELD_BYTES => {
                return Some(format!("tag {t:?} is empty or over the {MAX_FIELD_BYTES}-byte limit"));
            }
            _ => {}
        }
    }
    None
}

/// Each row handed to `sink` (with the file's head) as it is read; returns the head.
pub fn read_each(
    path: &Path,
    sink: &mut dyn FnMut(&FileHead, Line<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<FileHead> {
    let file = crate::paths::open_regular(path)?;
    let mut lines = std::io::BufReader::new(file).lines();
    let first = lines.next().transpose().with_context(|| format!("cannot read {}", path.display()))?;
    if first.as_deref().is_some_and(|l| l.starts_with("#timx_file")) {
        bail!(
            "{} is a plan saved as CSV, which is for reading: save it with --plan -o PLAN.ndjson to apply it",
            path.display()
        );
    }
    let Some(head) = first.as_deref().and_then(FileHead::parse) else {
        bail!(
            "{} is not a file of a timx write: its first line names no job (a plan or undo file starts with one)",
            path.display()
        );
    };
    let allowed: &[&str] = match head.kind {
        // A plan holds what planning gives; an undo file only rows to apply. Anything else (an
        // outcome, `changed`) would be reported without a call made.
        FileKind::Undo => &["planned"],
        _ => &["planned", "unchanged", "invalid", "not_found", "failed", "conflict", "cancelled"],
    };
    let check = |n: usize, line: &str| -> anyhow::Result<PlanRow> {
        let shown = || -> String { crate::text::escape(line).chars().take(200).collect() };
        let row: PlanRow = serde_json::from_str(line)
            .with_context(|| format!("{}: line {} is not a row of a plan: {}", path.display(), n + 2, shown()))?;
        if !allowed.contains(&row.status.as_str()) {
            bail!(
                "{}: line {}: status {:?} is not one a timx {} holds: {}",
                path.display(),
                n + 2,
                crate::text::escape(&row.status),
                head.kind.label(),
                shown()
            );
        }
        Ok(row)
    };
    for (n, line) in lines.enumerate() {
        let line = line.with_context(|| format!("{}: line {} cannot be read", path.display(), n + 2))?;
        if !line.trim().is_empty() {
            sink(&head, Line { row: check(n, &line)?, line: &line })?;
        }
    }
    Ok(head)
}

/// A short hash of a file's bytes, read as it streams.
fn hash_file(path: &Path) -> anyhow::Result<String> {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    let mut file = crate::paths::open_regular(path)?;
    std::io::copy(&mut file, &mut hash).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hash.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect())
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
