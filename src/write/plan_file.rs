//! A plan as a value: per account the row it was planned as (its changes, each with the value
//! it was made from, and its tag guard), kept compactly so a hundred thousand rows fit in a few
//! MB; and the files that hold one — a saved plan (`--plan -o`), an undo file — read back.

use std::borrow::Cow;
use std::io::BufRead;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use super::change::{Op, PlanRow};
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
    let head = read_each(path, &mut |head, n, line| {
        rows.push(decode::<PlanRow>(path, head, n, line)?);
        Ok(())
    })?;
    Ok((head, rows))
}

/// A plan or an undo file as a job's input. A plan streams into its set (each row checked as
/// it is read, kept as its line); an undo file's rows of one account are merged first (a
/// resumed write may have appended a second one). Refuses an outcome file: it is not a plan.
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
    let head = read_each(path, &mut |head, at, line| {
        if head.kind == FileKind::Undo {
            undo_rows.push(decode::<PlanRow>(path, head, at, line)?);
        } else {
            // Checked whole here once (so a row no batch could read is refused), without
            // building it: its batch decodes it.
            let row = decode::<Checked<'_>>(path, head, at, line)?;
            if let Some(i) = first_of(&mut n, &row.account) {
                let problem = || spaced(&row.account).or_else(|| row_problem(row.changes(), head));
                if let Some(why) = (row.status == "planned").then(problem).flatten() {
                    bad.push((i, why));
                }
                let names = row.changes.iter().filter_map(|c| c.name.as_deref());
                set.push_line(&row.status, names, line);
            }
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
                    let changes =
                        r.changes.iter().map(|c| (c.op, c.name.as_deref(), c.tag.as_deref(), c.to.as_deref()));
                    bad.extend(spaced(&r.account).or_else(|| row_problem(changes, &head)).map(|why| (i, why)));
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
    if head.kind == FileKind::Plan && head.accounts != Some(input.total()) {
        bail!(
            "{} holds {} rows, and its planning had {} accounts: it was cut short (the planning stopped before it \
             ended) or rows were taken out; nothing was sent: plan again",
            path.display(),
            input.total(),
            head.accounts.map_or_else(|| "an unknown number of".to_string(), |n| n.to_string())
        );
    }
    input.mark_invalid(bad);
    Ok(Loaded { head, input, set, hash })
}

/// A change as `row_problem` looks at it: its op, name, tag and new value.
type ChangeView<'a> = (Op, Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// Why a row of a plan or undo file cannot be sent as it is, checked before anything is sent
/// (as a desired state is): a value or tag over the limit, an empty tag, an attribute the app
/// did not have when the file was made, a field changed twice. timx never writes such a row;
/// an edited file may hold one, and one bad row must not fail its whole batch.
fn row_problem<'a>(changes: impl Iterator<Item = ChangeView<'a>>, head: &FileHead) -> Option<String> {
    use crate::api::MAX_FIELD_BYTES;
    let mut seen: Vec<(bool, &str)> = Vec::new();
    for (op, name, tag, to) in changes {
        let is_tag = matches!(op, Op::Add | Op::Remove);
        let field = (is_tag, if is_tag { tag } else { name }.unwrap_or_default());
        if seen.contains(&field) {
            return Some(format!("changes {} twice: not a row timx wrote", field.1));
        }
        seen.push(field);
        if let Some(why) = shape_problem(op, name, tag, to) {
            return Some(why);
        }
        match (name, tag) {
            (Some(name), _) if !head.names.values().any(|n| n == name) => {
                return Some(format!("the app had no attribute named {name:?} when the file was made"));
            }
            (Some(name), _) if to.is_some_and(|v| v.len() > MAX_FIELD_BYTES) => {
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

/// An account with spaces around it: timx trims every account it reads, so such a row is not one
/// it wrote (sent as it is, it would name another account than the one shown trimmed).
fn spaced(account: &str) -> Option<String> {
    (account.trim() != account).then(|| "the account has spaces around it: not a row timx wrote".to_string())
}

/// A change that lacks what its op needs, or carries what it does not (a `set` without its
/// value would write an empty one; a tag change without its tag would fail its whole call).
fn shape_problem(op: Op, name: Option<&str>, tag: Option<&str>, to: Option<&str>) -> Option<String> {
    let ok = match op {
        Op::Set => name.is_some() && tag.is_none() && to.is_some_and(|v| !v.is_empty()),
        Op::Unset => name.is_some() && tag.is_none() && to.is_none(),
        Op::Add | Op::Remove => tag.is_some() && name.is_none() && to.is_none(),
    };
    let needs = match op {
        Op::Set => "a name and a value (\"to\"), no tag",
        Op::Unset => "a name, no value and no tag",
        Op::Add | Op::Remove => "a tag, no name and no value",
    };
    let op = match op {
        Op::Set => "set",
        Op::Unset => "unset",
        Op::Add => "add",
        Op::Remove => "remove",
    };
    (!ok).then(|| format!("a change {op:?} needs {needs}: not a row timx wrote"))
}

/// A row of a plan as loading checks it: every field of `PlanRow`, of the same types, but
/// strings borrowed from the line or only checked to be strings.
#[derive(Deserialize)]
struct Checked<'a> {
    #[serde(borrow)]
    account: Cow<'a, str>,
    #[serde(borrow)]
    status: Cow<'a, str>,
    #[serde(default, borrow)]
    changes: Vec<CheckedChange<'a>>,
    #[serde(default, rename = "error")]
    _error: Option<Text>,
    #[serde(default, borrow, rename = "not_written")]
    _not_written: Vec<CheckedChange<'a>>,
    #[serde(default, rename = "note")]
    _note: Option<Text>,
    #[serde(default, rename = "tags_before")]
    _tags_before: Option<Vec<Text>>,
    #[serde(default, rename = "exact_tags")]
    _exact_tags: bool,
    #[serde(default, rename = "tag_order")]
    _tag_order: Option<Vec<Text>>,
}

/// `change::Change`, checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckedChange<'a> {
    op: Op,
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    tag: Option<Cow<'a, str>>,
    #[serde(default, rename = "from")]
    _from: Option<Text>,
    #[serde(default, borrow)]
    to: Option<Cow<'a, str>>,
}

impl Checked<'_> {
    fn changes(&self) -> impl Iterator<Item = ChangeView<'_>> {
        self.changes.iter().map(|c| (c.op, c.name.as_deref(), c.tag.as_deref(), c.to.as_deref()))
    }
}

/// A string, checked and not kept.
struct Text;

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Text, E> {
                Ok(Text)
            }
        }
        d.deserialize_str(V)
    }
}

/// Row `at` (0-based, after the head) of `path` decoded, and refused with its line when it is
/// not a row, or of a status its kind of file does not hold.
fn decode<'a, T: Deserialize<'a> + HasStatus>(
    path: &Path,
    head: &FileHead,
    at: usize,
    line: &'a str,
) -> anyhow::Result<T> {
    let shown = || -> String { crate::text::escape(line).chars().take(200).collect() };
    let row: T = serde_json::from_str(line)
        .with_context(|| format!("{}: line {} is not a row of a plan: {}", path.display(), at + 2, shown()))?;
    if !allowed(head).contains(&row.status()) {
        bail!(
            "{}: line {}: status {:?} is not one a timx {} holds: {}",
            path.display(),
            at + 2,
            crate::text::escape(row.status()),
            head.kind.label(),
            shown()
        );
    }
    Ok(row)
}

/// The statuses a file of `head`'s kind holds. A plan holds what planning gives; an undo file
/// only rows to apply. Anything else (an outcome, `changed`) would be reported without a call
/// made.
fn allowed(head: &FileHead) -> &'static [&'static str] {
    match head.kind {
        FileKind::Undo => &["planned"],
        _ => &["planned", "unchanged", "invalid", "not_found", "failed", "conflict", "cancelled"],
    }
}

trait HasStatus {
    fn status(&self) -> &str;
}

impl HasStatus for PlanRow {
    fn status(&self) -> &str {
        &self.status
    }
}

impl HasStatus for Checked<'_> {
    fn status(&self) -> &str {
        &self.status
    }
}

/// Each row's line handed to `sink` (with the file's head and the row's place after it) as it
/// is read; returns the head. Blank lines are not rows.
pub fn read_each(
    path: &Path,
    sink: &mut dyn FnMut(&FileHead, usize, &str) -> anyhow::Result<()>,
) -> anyhow::Result<FileHead> {
    let file = crate::paths::open_regular(path)?;
    let mut r = std::io::BufReader::with_capacity(1 << 20, file);
    let mut buf = Vec::new();
    let mut next = |buf: &mut Vec<u8>, n: usize| -> anyhow::Result<bool> {
        buf.clear();
        let got =
            r.read_until(b'\n', buf).with_context(|| format!("{}: line {} cannot be read", path.display(), n + 1))?;
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        Ok(got > 0)
    };
    let text = |buf: &[u8], n: usize| -> anyhow::Result<String> {
        std::str::from_utf8(buf)
            .map(str::to_owned)
            .map_err(|_| anyhow::anyhow!("{}: line {} is not UTF-8: not a file timx wrote", path.display(), n + 1))
    };
    let first = if next(&mut buf, 0)? { Some(text(&buf, 0)?) } else { None };
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
    let mut n = 0;
    while next(&mut buf, n + 1)? {
        let line = std::str::from_utf8(&buf)
            .map_err(|_| anyhow::anyhow!("{}: line {} is not UTF-8: not a file timx wrote", path.display(), n + 2))?;
        if !line.trim().is_empty() {
            sink(&head, n, line)?;
        }
        n += 1;
    }
    Ok(head)
}

/// A short hash of a file's bytes, read as it streams.
fn hash_file(path: &Path) -> anyhow::Result<String> {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    let mut file = crate::paths::open_regular(path)?;
    std::io::copy(&mut file, &mut hash).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(super::file_head::short_hash(&hash.finalize()))
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

    /// Loading checks a row as `Checked` and a batch decodes it as `PlanRow`: a row one takes
    /// and the other refuses would be sent unchecked, or fail in its batch.
    #[test]
    fn loading_accepts_exactly_the_rows_a_batch_can_decode() {
        let ok = r#"{"account":"a","status":"planned","changes":[{"op":"set","name":"city","from":"x","to":"y"},{"op":"add","tag":"t"}],"tags_before":["t0"],"exact_tags":true,"tag_order":["t0"],"note":"n","error":"e","not_written":[{"op":"remove","tag":"q"}]}"#;
        let lines = [
            ok.to_string(),
            r#"{"account":"a\u0062","status":"planned","unknown":[1,{"x":2}]}"#.to_string(),
            r#"{"status":"planned"}"#.into(),
            r#"{"account":"a"}"#.into(),
            r#"{"account":1,"status":"planned"}"#.into(),
            r#"{"account":"a","status":"planned","changes":[{"op":"rename","name":"x"}]}"#.into(),
            r#"{"account":"a","status":"planned","changes":[{"op":"set","name":"x","extra":1}]}"#.into(),
            r#"{"account":"a","status":"planned","changes":[{"op":"set","name":5}]}"#.into(),
            r#"{"account":"a","status":"planned","changes":{"op":"set"}}"#.into(),
            r#"{"account":"a","status":"planned","tags_before":"t"}"#.into(),
            r#"{"account":"a","status":"planned","tags_before":[1]}"#.into(),
            r#"{"account":"a","status":"planned","exact_tags":"yes"}"#.into(),
            r#"{"account":"a","status":"planned","tag_order":[null]}"#.into(),
            r#"{"account":"a","status":"planned","note":3}"#.into(),
            r#"{"account":"a","status":"planned","error":null,"note":null,"tags_before":null}"#.into(),
            r#"{"account":"a","status":"planned","not_written":[{"op":"set","from":1}]}"#.into(),
            r#"{"account":"a","account":"b","status":"planned"}"#.into(),
            r#"{"account":"a","status":"planned","changes":[{"op":"set","to":"\ud800"}]}"#.into(),
            r#"["a","planned"]"#.into(),
            ok.replace("\"to\":\"y\"", "\"to\":\"y\",\"to\":\"z\""),
        ];
        for line in &lines {
            let full = serde_json::from_str::<PlanRow>(line).is_ok();
            let checked = serde_json::from_str::<Checked<'_>>(line).is_ok();
            assert_eq!(full, checked, "{line}");
        }
        assert!(serde_json::from_str::<Checked<'_>>(ok).is_ok());
        let row: Checked<'_> = serde_json::from_str(ok).unwrap();
        let changes: Vec<ChangeView<'_>> = row.changes().collect();
        assert_eq!(changes[0], (Op::Set, Some("city"), None, Some("y")));
    }
}
