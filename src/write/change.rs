//! What would change for an account, going from one state to another: `set NAME: from → to`,
//! `unset NAME (was …)`, `add tag`, `remove tag`. The plan of a write and the output of
//! `timx diff` are rows of these.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::export::{Format, RecordWriter, RowShape, shaped_writer};
use crate::text::escape;
use crate::write::state_file::AccountState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Set,
    Unset,
    Add,
    Remove,
}

/// One change: an attribute set or unset (`name`), or a tag added or removed (`tag`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub op: Op,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

impl Change {
    /// As a person reads it (escaped for a terminal).
    pub fn text(&self) -> String {
        let e = |s: &Option<String>| escape(s.as_deref().unwrap_or_default()).into_owned();
        match self.op {
            Op::Set if self.from.is_some() => format!("set {}: {} → {}", e(&self.name), e(&self.from), e(&self.to)),
            Op::Set => format!("set {}: {}", e(&self.name), e(&self.to)),
            Op::Unset => format!("unset {} (was {})", e(&self.name), e(&self.from)),
            Op::Add => format!("add tag {}", e(&self.tag)),
            Op::Remove => format!("remove tag {}", e(&self.tag)),
        }
    }

    /// The change that puts back what this one changes: `set a: x → y` is undone by
    /// `set a: y → x`, a set of a new value by an unset, an added tag by its removal.
    pub fn inverse(&self) -> Change {
        let (op, from, to) = match self.op {
            Op::Set if self.from.is_none() => (Op::Unset, self.to.clone(), None),
            Op::Set => (Op::Set, self.to.clone(), self.from.clone()),
            Op::Unset => (Op::Set, None, self.from.clone()),
            Op::Add => (Op::Remove, None, None),
            Op::Remove => (Op::Add, None, None),
        };
        Change { op, name: self.name.clone(), tag: self.tag.clone(), from, to }
    }

    /// The field it changes: `a:NAME` for an attribute, `t:TAG` for a tag.
    pub fn field(&self) -> String {
        match self.op {
            Op::Set | Op::Unset => format!("a:{}", self.name.as_deref().unwrap_or_default()),
            Op::Add | Op::Remove => format!("t:{}", self.tag.as_deref().unwrap_or_default()),
        }
    }

    pub fn is_tag(&self) -> bool {
        matches!(self.op, Op::Add | Op::Remove)
    }
}

/// The changes from `attrs`/`tags` to what `want` states (only what it states).
pub fn changes(attrs: &BTreeMap<String, String>, tags: &[String], want: &AccountState) -> Vec<Change> {
    let mut out = Vec::new();
    if let Some(w) = &want.attrs {
        let names: Vec<&String> = attrs.keys().chain(w.values.keys()).collect();
        let mut seen: Vec<&String> = Vec::new();
        for name in names.into_iter().filter(|n| w.covers(n)) {
            if seen.contains(&name) {
                continue;
            }
            seen.push(name);
            let (from, to) = (attrs.get(name), w.values.get(name));
            let change = |op| Change { op, name: Some(name.clone()), tag: None, from: from.cloned(), to: to.cloned() };
            match (from, to) {
                (a, Some(b)) if a != Some(b) => out.push(change(Op::Set)),
                (Some(_), None) => out.push(change(Op::Unset)),
                _ => {}
            }
        }
    }
    if let Some(want_tags) = &want.tags {
        let tag = |op, t: &String| Change { op, name: None, tag: Some(t.clone()), from: None, to: None };
        out.extend(want_tags.iter().filter(|t| !tags.contains(t)).map(|t| tag(Op::Add, t)));
        out.extend(tags.iter().filter(|t| !want_tags.contains(t)).map(|t| tag(Op::Remove, t)));
    }
    out
}

/// One account's row of a plan, a write's outcome, an undo file or a diff. A planned row
/// carries what applying it needs: the changes (each with the value it was planned from), and
/// the guard of its tags (see `write::guard`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlanRow {
    pub account: String,
    pub status: String,
    #[serde(default)]
    pub changes: Vec<Change>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `partial`: the changes that were not written (`changes` are the ones that were).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_written: Vec<Change>,
    /// What the row says beside its changes (tag order that cannot be restored, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    // The tag guard (`write::guard::TagGuard`, which documents each field), inline rather than
    // `flatten`: that makes serde buffer every row, and a plan's rows are decoded once per batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags_before: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exact_tags: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_order: Option<Vec<String>>,
}

impl PlanRow {
    /// Its tag guard (see `write::guard`).
    pub fn guard(&self) -> crate::write::guard::TagGuard {
        let (tags_before, exact_tags, tag_order) = (self.tags_before.clone(), self.exact_tags, self.tag_order.clone());
        crate::write::guard::TagGuard { tags_before, exact_tags, tag_order }
    }

    /// With this tag guard.
    pub fn with_guard(self, g: crate::write::guard::TagGuard) -> PlanRow {
        PlanRow { tags_before: g.tags_before, exact_tags: g.exact_tags, tag_order: g.tag_order, ..self }
    }

    /// The row's error, what it did not write and its note, as one text (CSV and table).
    pub fn problem(&self) -> Option<String> {
        let not_written: Vec<String> = self.not_written.iter().map(Change::text).collect();
        let parts: Vec<String> = [
            self.error.clone(),
            (!not_written.is_empty()).then(|| format!("not written: {}", not_written.join("; "))),
            self.note.clone(),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| parts.join(" — "))
    }
}

/// Write plan rows in a format: JSON keeps every string; CSV neutralizes formulas; the table
/// escapes control characters.
pub fn write(format: Format, rows: &[PlanRow], out: &mut impl Write) -> io::Result<()> {
    let mut w = writer(format, out)?;
    rows.iter().try_for_each(|r| w.write(r))?;
    w.finish()
}

/// A streaming writer of plan rows (the header first; a JSON array closed by `finish`).
pub fn writer<'a, W: Write + 'a>(format: Format, out: W) -> io::Result<Box<dyn RecordWriter<PlanRow> + 'a>> {
    let shape = RowShape {
        csv_header: &["account", "status", "changes", "error"],
        csv_cells: |r: &PlanRow| {
            let changes: Vec<String> = r.changes.iter().map(Change::text).collect();
            vec![r.account.clone(), r.status.clone(), changes.join("; "), r.problem().unwrap_or_default()]
        },
        table_header: || format!("{}  {:<10}  CHANGES", crate::text::pad("ACCOUNT", 20), "STATUS"),
        table_line: |r: &PlanRow| {
            let changes: Vec<String> = r.changes.iter().map(Change::text).collect();
            let tail = r.problem().map(|e| format!("  {}", escape(&e))).unwrap_or_default();
            format!("{}  {:<10}  {}{tail}", crate::text::pad(&escape(&r.account), 20), r.status, changes.join("; "))
        },
    };
    shaped_writer(format, out, shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::state_file::AttrSet;

    /// Attribute values, and the names a CSV's columns speak for (None: every name).
    type Attrs<'a> = (&'a [(&'a str, &'a str)], Option<&'a [&'a str]>);

    fn state(attrs: Option<Attrs<'_>>, tags: Option<&[&str]>) -> AccountState {
        AccountState {
            account: "a".into(),
            attrs: attrs.map(|(v, names)| AttrSet {
                values: v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                names: names.map(|n| n.iter().map(|s| s.to_string()).collect()),
            }),
            tags: tags.map(|t| t.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn sets_unsets_adds_and_removes_only_what_the_state_speaks_for() {
        let attrs: BTreeMap<String, String> = [("city", "北京"), ("sex", "F"), ("plan", "gold")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let tags = vec!["vip".to_string(), "old".to_string()];
        // CSV columns city and sex: city changes, sex is emptied, plan is not a column.
        let want = state(Some((&[("city", "深圳")], Some(&["city", "sex"]))), Some(&["vip", "new"]));
        let c: Vec<String> = changes(&attrs, &tags, &want).iter().map(Change::text).collect();
        assert_eq!(c, ["set city: 北京 → 深圳", "unset sex (was F)", "add tag new", "remove tag old"]);
        // JSON attrs: the whole set, so plan goes too; no tags: tags are left alone.
        let want = state(Some((&[("city", "北京"), ("sex", "F"), ("lang", "=1")], None)), None);
        let c: Vec<String> = changes(&attrs, &tags, &want).iter().map(Change::text).collect();
        assert_eq!(c, ["unset plan (was gold)", "set lang: =1"]);
        assert!(changes(&attrs, &tags, &state(None, Some(&["old", "vip"]))).is_empty(), "tag order is no change");
    }

    #[test]
    fn csv_rows_cannot_start_a_formula() {
        let row = PlanRow {
            account: "=cmd".into(),
            status: "changed".into(),
            changes: vec![Change { op: Op::Add, name: None, tag: Some("=x".into()), from: None, to: None }],
            ..PlanRow::default()
        };
        let mut out = Vec::new();
        write(Format::Csv, &[row], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\"'=cmd\"") && text.contains("\"add tag =x\""), "{text}");
    }
}
