//! Warnings: a valid condition that rests on a point the documents leave open. Each says what
//! timx assumed and names the undocumented point, so the answer is never a silent guess.

use serde_json::{Map, Value};

use super::read::CONDITION_KEYS;
use super::{Condition, MAX_CONDITION_TAGS};
use crate::api::MAX_FIELD_BYTES;
use crate::text::edges_shown;

/// The warnings for a condition that passed the checks; `raw` is its object as written.
pub fn of(raw: &Map<String, Value>, c: &Condition) -> Vec<String> {
    let mut out = Vec::new();
    cap_in_total(c, &mut out);
    empty_keys(raw, c, &mut out);
    tags_not(c, &mut out);
    repeated_tags(c, &mut out);
    long_values(c, &mut out);
    out
}

fn cap_in_total(c: &Condition, out: &mut Vec<String>) {
    let lists = [("TagsAnd", &c.tags_and), ("TagsOr", &c.tags_or), ("TagsNot", &c.tags_not)];
    let total: usize = lists.iter().map(|(_, l)| l.len()).sum();
    if total > MAX_CONDITION_TAGS {
        let parts: Vec<String> =
            lists.iter().filter(|(_, l)| !l.is_empty()).map(|(n, l)| format!("{n} {}", l.len())).collect();
        out.push(format!(
            "{total} tags in all ({}): timx reads the {MAX_CONDITION_TAGS}-tag cap per list — undocumented: the \
             field table says per list, the 90032 text says tags in the condition, which may mean the total",
            parts.join(" + ")
        ));
    }
}

/// A key given with nothing in it: read as absent, which the documents do not promise.
fn empty_keys(raw: &Map<String, Value>, c: &Condition, out: &mut Vec<String>) {
    let has_tags = !(c.tags_and.is_empty() && c.tags_or.is_empty() && c.tags_not.is_empty());
    for key in CONDITION_KEYS {
        let empty = match raw.get(key) {
            None => false,
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Object(o)) => o.is_empty(),
            Some(v) => v.is_null(),
        };
        if !empty {
            continue;
        }
        let other_kind = if key.starts_with("Tags") { !has_tags } else { has_tags };
        let why = if other_kind {
            if key.starts_with("Tags") {
                "the service may see a tag key beside attribute conditions and answer 90039"
            } else {
                "the service may see an attribute key beside tag conditions and answer 90039"
            }
        } else {
            "whether the service ignores an empty list"
        };
        out.push(format!("{key} is empty: timx reads it as absent — undocumented: {why}"));
    }
}

fn tags_not(c: &Condition, out: &mut Vec<String>) {
    if c.tags_not.is_empty() {
        return;
    }
    if c.tags_and.is_empty() && c.tags_or.is_empty() {
        out.push(
            "TagsNot alone: read as everyone who has logged in or been imported, except those tags — \
             undocumented: TagsNot without TagsAnd or TagsOr"
                .into(),
        );
    }
    let both: Vec<&String> = c.tags_not.iter().filter(|t| c.tags_and.contains(t)).collect();
    if both.is_empty() {
        return;
    }
    let names: Vec<String> = both.iter().map(|t| format!("{:?}", t)).collect();
    let when = if both.len() == c.tags_not.len() {
        "under either reading of TagsNot"
    } else {
        "if TagsNot means NOT (any of them)"
    };
    out.push(format!(
        "{} in both TagsAnd and TagsNot: an account must have it and must not, so nobody is targeted {when} — \
         undocumented: the service does not list this as an error",
        names.join(", ")
    ));
}

fn repeated_tags(c: &Condition, out: &mut Vec<String>) {
    for (name, list) in [("TagsAnd", &c.tags_and), ("TagsOr", &c.tags_or), ("TagsNot", &c.tags_not)] {
        let mut seen = Vec::new();
        for t in list {
            if seen.contains(&t) {
                out.push(format!(
                    "{name} lists {} twice: timx counts it once for matching and twice toward the cap — \
                     undocumented: how the service counts a repeated tag",
                    edges_shown(t)
                ));
                break;
            }
            seen.push(t);
        }
    }
}

fn long_values(c: &Condition, out: &mut Vec<String>) {
    for (clause, pairs) in [("AttrsAnd", &c.attrs_and), ("AttrsOr", &c.attrs_or)] {
        for (name, v) in pairs.iter().filter(|(_, v)| v.len() > MAX_FIELD_BYTES) {
            out.push(format!(
                "{clause} {name}: the value is {} bytes, over the {MAX_FIELD_BYTES} a stored value may have, so no \
                 account can match it — undocumented: whether the service refuses it",
                v.len()
            ));
        }
    }
}
