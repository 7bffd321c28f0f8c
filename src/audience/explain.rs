//! One account's answer with its reasons, clause by clause: what matched, what failed, and
//! where a value or tag only nearly matched (Unicode form, case, spaces), how.

use std::collections::BTreeMap;

use super::near::{differs_only, nearest};
use super::{Audience, Condition, Judge, Schema, Verdict};
use crate::api::wire;
use crate::engine::{Record, Status};
use crate::text::edges_shown;

/// Would the push reach this account, and why (not)? From an inspect record. The verdict and
/// what is counted against it are the judge's; this adds the reasons, clause by clause.
pub fn evaluate(judge: &Judge, schema: &Schema, r: &Record) -> Verdict {
    let empty_tags = Vec::new();
    let tags = r.tags.as_ref().unwrap_or(&empty_tags);
    let no_attrs = BTreeMap::new();
    let attrs = r.attrs.as_ref().unwrap_or(&no_attrs);
    let mut missed = Vec::new();
    let targeted = judge.decide(
        r.status,
        |t| tags.iter().any(|x| x == t),
        |n| attrs.get(n).map(String::as_str),
        |k| missed.push(k),
    );
    let mut v = Verdict {
        account: r.account.clone(),
        targeted,
        reasons: Vec::new(),
        warnings: judge.checked().warnings.clone(),
        attrs: r.attrs.clone(),
        tags: r.tags.clone(),
        error: None,
        misses: missed.iter().map(|k| judge.keys[*k].clone()).collect(),
    };
    match r.status {
        Status::Found | Status::Empty => {}
        Status::NotFound => {
            v.reasons.push(
                "not imported (70107): the account has never logged in or been imported, so no push reaches it".into(),
            );
            return v;
        }
        Status::Failed | Status::Invalid | Status::Cancelled => {
            v.error = Some(crate::export::error_text(r)).filter(|e| !e.is_empty()).or(Some(r.status.label().into()));
            v.reasons.push(format!("not decided: the account's data was not read ({})", r.status.label()));
            return v;
        }
    }
    let Audience::Some(c) = &judge.checked().audience else {
        v.reasons.push(if judge.unconfirmed(r.status) {
            "all_member_push does not say whether this account exists; only logged-in or imported accounts \
             receive it"
                .into()
        } else {
            "no Condition: ALL users who have logged in or been imported".into()
        });
        return v;
    };
    tags_and(c, tags, &mut v.reasons);
    tags_or(c, tags, &mut v.reasons);
    attrs_and(c, schema, attrs, &mut v.reasons);
    attrs_or(c, schema, attrs, &mut v.reasons);
    if !c.tags_not.is_empty() {
        // The judge looks at TagsNot only when every other clause holds.
        let excluded = targeted == Some(false) && missed.iter().all(|k| *k < judge.tags_not_keys());
        if excluded {
            v.reasons.push("TagsNot: not needed, another clause already excludes the account".into());
        } else {
            tags_not(c, tags, &mut v.reasons);
        }
    }
    v
}

/// Tags shown with their surrounding spaces visible.
fn join(v: &[&String]) -> String {
    v.iter().map(|s| edges_shown(s)).collect::<Vec<_>>().join(", ")
}

/// For tags the account lacks: the ones it holds that nearly match, and how.
fn near_tags(wanted: &[&String], held: &[String]) -> String {
    wanted
        .iter()
        .filter_map(|w| nearest(w, held))
        .map(|(h, how)| format!(" (the account has {}: {how})", edges_shown(h)))
        .collect()
}

fn tags_and(c: &Condition, tags: &[String], reasons: &mut Vec<String>) {
    if c.tags_and.is_empty() {
        return;
    }
    let (has, lacks): (Vec<&String>, Vec<&String>) = c.tags_and.iter().partition(|t| tags.contains(t));
    let mut text = String::from("TagsAnd:");
    if !has.is_empty() {
        text += &format!(" has {}", join(&has));
    }
    if !lacks.is_empty() {
        text += &format!("{} lacks {}", if has.is_empty() { "" } else { "," }, join(&lacks));
        text += &near_tags(&lacks, tags);
    }
    reasons.push(text);
}

fn tags_or(c: &Condition, tags: &[String], reasons: &mut Vec<String>) {
    if c.tags_or.is_empty() {
        return;
    }
    let has: Vec<&String> = c.tags_or.iter().filter(|t| tags.contains(t)).collect();
    if has.is_empty() {
        let all: Vec<&String> = c.tags_or.iter().collect();
        reasons.push(format!("TagsOr: has none of {}{}", join(&all), near_tags(&all, tags)));
    } else {
        reasons.push(format!("TagsOr: has {}", join(&has)));
    }
}

/// `TagsNot` has two readings in the vendor's texts: NOT (all of them) and NOT (any of them).
fn tags_not(c: &Condition, tags: &[String], reasons: &mut Vec<String>) {
    let has: Vec<&String> = c.tags_not.iter().filter(|t| tags.contains(t)).collect();
    let all: Vec<&String> = c.tags_not.iter().collect();
    if has.is_empty() {
        reasons.push(format!("TagsNot: has none of {}{}", join(&all), near_tags(&all, tags)));
    } else if has.len() == all.len() {
        reasons.push(format!("TagsNot: has all of {}", join(&all)));
    } else {
        let lacks: Vec<&String> = all.iter().copied().filter(|t| !has.contains(t)).collect();
        reasons.push(format!(
            "TagsNot: has {} of {}: targeted if TagsNot means NOT ({}) (the EN example), not if it means \
             NOT ({}) (another reading); the vendor's texts disagree{}",
            join(&has),
            join(&all),
            all.iter().map(|s| edges_shown(s)).collect::<Vec<_>>().join(" AND "),
            all.iter().map(|s| edges_shown(s)).collect::<Vec<_>>().join(" OR "),
            near_tags(&lacks, tags)
        ));
    }
}

fn attrs_and(c: &Condition, schema: &Schema, attrs: &BTreeMap<String, String>, reasons: &mut Vec<String>) {
    for (name, want) in &c.attrs_and {
        let w = edges_shown(want);
        reasons.push(match attrs.get(name) {
            Some(have) if have == want => format!("AttrsAnd {name}: {} = {w}", edges_shown(have)),
            Some(have) => format!("AttrsAnd {name}: {} ≠ {w}{}", edges_shown(have), near_value(want, have)),
            None => format!("AttrsAnd {name}: no value (wanted {w}){}", type_note(schema, name)),
        });
    }
}

fn attrs_or(c: &Condition, schema: &Schema, attrs: &BTreeMap<String, String>, reasons: &mut Vec<String>) {
    if c.attrs_or.is_empty() {
        return;
    }
    let pair = |n: &String, w: &String| format!("{n}={}", edges_shown(w));
    let hit: Vec<String> =
        c.attrs_or.iter().filter(|(n, w)| attrs.get(*n) == Some(*w)).map(|(n, w)| pair(n, w)).collect();
    if hit.is_empty() {
        let all: Vec<String> = c.attrs_or.iter().map(|(n, w)| pair(n, w)).collect();
        let notes: String = c.attrs_or.keys().map(|n| type_note(schema, n)).collect();
        let near: String = c
            .attrs_or
            .iter()
            .filter_map(|(n, w)| attrs.get(n).and_then(|have| Some((n, have, differs_only(w, have)?))))
            .map(|(n, have, how)| format!(" ({n} is {}: {how})", edges_shown(have)))
            .collect();
        reasons.push(format!("AttrsOr: none of {}{notes}{near}", all.join(", ")));
    } else {
        reasons.push(format!("AttrsOr: {}", hit.join(", ")));
    }
}

/// " (differs only in …)" when `have` nearly is `want`; empty otherwise.
fn near_value(want: &str, have: &str) -> String {
    differs_only(want, have).map(|how| format!(" ({how})")).unwrap_or_default()
}

/// For a RegistrationID-typed attribute: only RegistrationIDs carry it.
fn type_note(schema: &Schema, name: &str) -> String {
    match schema.types.get(name) {
        Some(&wire::ATTR_TYPE_REGISTRATION_ID) => {
            format!(" ({name} is a RegistrationID attribute: only RegistrationIDs carry it, UserIDs never match)")
        }
        _ => String::new(),
    }
}
