//! The push audience: whether a push `Condition` would reach an account, and why not, before
//! anything is sent (the vendor has no dry run). Rules as documented (push-conditions.md A.3,
//! A.4); where the documents are silent the answer says what was assumed, and where its readings
//! disagree (`TagsNot`) an account they split is `null` with both readings.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::api::{Family, MAX_FIELD_BYTES, wire};
use crate::engine::{Record, Status};

/// Most tags in one condition list (90032).
pub const MAX_CONDITION_TAGS: usize = 10;

/// What the evaluation assumes where the documents are silent; shown with every summary.
pub const ASSUMPTIONS: &str = "assumed where the docs are silent: values compare as exact bytes; \
    AttrsAnd and AttrsOr combine with AND (as TagsAnd and TagsOr do); a user without a value does not match";

/// A push condition, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Condition {
    pub tags_and: Vec<String>,
    pub tags_or: Vec<String>,
    /// timpush only; two readings (see `evaluate`).
    pub tags_not: Vec<String>,
    pub attrs_and: BTreeMap<String, String>,
    pub attrs_or: BTreeMap<String, String>,
}

/// The audience a request names: everyone (no `Condition`), or those a condition selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// A push body without `Condition`: ALL users who have logged in or been imported.
    All,
    Some(Condition),
}

/// Why a condition cannot be sent, with the ErrorCode the service would answer (0: none known).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if *code > 0 { format!("{code}: ") } else { String::new() })]
pub struct Invalid {
    pub code: i64,
    pub message: String,
}

fn invalid(code: i64, message: impl Into<String>) -> Invalid {
    Invalid { code, message: message.into() }
}

const CONDITION_KEYS: [&str; 5] = ["TagsAnd", "TagsOr", "TagsNot", "AttrsAnd", "AttrsOr"];
/// Keys that mark a whole push request body (its `Condition`, or none = everyone).
const PUSH_KEYS: [&str; 8] = [
    "Condition",
    "MsgBody",
    "MsgRandom",
    "From_Account",
    "OfflinePushInfo",
    "MsgLifeTime",
    "OnlineOnlyFlag",
    "PushTarget",
];

/// Read a `Condition` object or a whole push request body, and check it as the service would.
/// `app_names`: the app's attribute names (an unknown one is 90033).
pub fn parse(json: &str, family: Family, app_names: &[String]) -> Result<Audience, Invalid> {
    let v: Value = serde_json::from_str(json).map_err(|e| invalid(0, format!("not JSON: {e}")))?;
    let Value::Object(obj) = &v else { return Err(invalid(0, "expected a JSON object: a Condition or a push body")) };
    let is_body = obj.keys().any(|k| PUSH_KEYS.contains(&k.as_str()));
    let cond = if is_body {
        match obj.get("Condition") {
            None | Some(Value::Null) => return Ok(Audience::All),
            Some(Value::Object(c)) => c,
            Some(_) => return Err(invalid(0, "Condition must be an object")),
        }
    } else {
        obj
    };
    if let Some(k) = cond.keys().find(|k| !CONDITION_KEYS.contains(&k.as_str())) {
        return Err(invalid(0, format!("unknown Condition key {k:?}; the keys are {}", CONDITION_KEYS.join(", "))));
    }
    let c = Condition {
        tags_and: strings(cond, "TagsAnd")?,
        tags_or: strings(cond, "TagsOr")?,
        tags_not: strings(cond, "TagsNot")?,
        attrs_and: pairs(cond, "AttrsAnd")?,
        attrs_or: pairs(cond, "AttrsOr")?,
    };
    check(&c, family, app_names)?;
    Ok(Audience::Some(c))
}

fn strings(obj: &serde_json::Map<String, Value>, key: &str) -> Result<Vec<String>, Invalid> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => {
            serde_json::from_value(v.clone()).map_err(|_| invalid(0, format!("{key} must be an array of strings")))
        }
    }
}

fn pairs(obj: &serde_json::Map<String, Value>, key: &str) -> Result<BTreeMap<String, String>, Invalid> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|_| invalid(0, format!("{key} must be an object of attribute name to string value"))),
    }
}

fn check(c: &Condition, family: Family, app_names: &[String]) -> Result<(), Invalid> {
    let lists = [("TagsAnd", &c.tags_and), ("TagsOr", &c.tags_or), ("TagsNot", &c.tags_not)];
    let has_tags = lists.iter().any(|(_, l)| !l.is_empty());
    let has_attrs = !c.attrs_and.is_empty() || !c.attrs_or.is_empty();
    if !has_tags && !has_attrs {
        return Err(invalid(
            0,
            "an empty Condition is ambiguous (all users, or an error?): timx will not read it as everyone; \
             leave Condition out of a push body to mean all users",
        ));
    }
    if has_tags && has_attrs {
        return Err(invalid(90039, "tag conditions and attribute conditions cannot be in one Condition"));
    }
    if !c.tags_not.is_empty() && family != Family::Timpush {
        return Err(invalid(0, "TagsNot is a timpush field; all_member_push does not have it"));
    }
    for (name, list) in lists {
        if list.len() > MAX_CONDITION_TAGS {
            return Err(invalid(90032, format!("{name} has {} tags, over {MAX_CONDITION_TAGS}", list.len())));
        }
        if list.iter().any(String::is_empty) {
            return Err(invalid(90040, format!("{name} has an empty tag")));
        }
        if let Some(t) = list.iter().find(|t| t.len() > MAX_FIELD_BYTES) {
            return Err(invalid(90020, format!("{name}: tag {t:?} is over {MAX_FIELD_BYTES} bytes")));
        }
    }
    if let Some(t) = c.tags_and.iter().find(|t| c.tags_or.contains(t)) {
        return Err(invalid(90022, format!("tag {t:?} is in both TagsAnd and TagsOr")));
    }
    if let Some(n) = c.attrs_and.keys().chain(c.attrs_or.keys()).find(|n| !app_names.contains(n)) {
        let has = if app_names.is_empty() { "none".to_string() } else { app_names.join(", ") };
        return Err(invalid(90033, format!("the app has no attribute named {n:?} (it has: {has})")));
    }
    Ok(())
}

/// One account's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub account: String,
    /// `null`: not read, or the documented rules do not decide it.
    pub targeted: Option<bool>,
    pub reasons: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attrs: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Short keys of what failed, for the summary's counts ("lacks tag gold").
    #[serde(skip)]
    pub misses: Vec<String>,
}

/// The app's slots, for reasons about account types.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Attribute name → account type (timpush `AttrTypes`).
    pub types: BTreeMap<String, u8>,
}

impl Schema {
    pub fn new(names: &wire::AttrNames) -> Schema {
        Schema { types: names.slots().filter_map(|s| Some((s.name?.to_owned(), s.attr_type))).collect() }
    }
}

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
    let Audience::Some(c) = &judge.audience else {
        v.reasons.push("no Condition: ALL users who have logged in or been imported".into());
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
        reasons.push(format!("TagsOr: has none of {}", join(&all)));
    } else {
        reasons.push(format!("TagsOr: has {}", join(&has)));
    }
}

/// `TagsNot` has two readings in the vendor's texts: NOT (all of them) and NOT (any of them).
fn tags_not(c: &Condition, tags: &[String], reasons: &mut Vec<String>) {
    let has: Vec<&String> = c.tags_not.iter().filter(|t| tags.contains(t)).collect();
    let all: Vec<&String> = c.tags_not.iter().collect();
    if has.is_empty() {
        reasons.push(format!("TagsNot: has none of {}", join(&all)));
    } else if has.len() == all.len() {
        reasons.push(format!("TagsNot: has all of {}", join(&all)));
    } else {
        reasons.push(format!(
            "TagsNot: has {} of {}: targeted if TagsNot means NOT ({}) (the EN example), not if it means \
             NOT ({}) (another reading); the vendor's texts disagree",
            join(&has),
            join(&all),
            all.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" AND "),
            all.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" OR ")
        ));
    }
}

fn attrs_and(c: &Condition, schema: &Schema, attrs: &BTreeMap<String, String>, reasons: &mut Vec<String>) {
    for (name, want) in &c.attrs_and {
        reasons.push(match attrs.get(name) {
            Some(have) if have == want => format!("AttrsAnd {name}: {have} = {want}"),
            Some(have) => format!("AttrsAnd {name}: {have} ≠ {want}"),
            None => format!("AttrsAnd {name}: no value (wanted {want}){}", type_note(schema, name)),
        });
    }
}

fn attrs_or(c: &Condition, schema: &Schema, attrs: &BTreeMap<String, String>, reasons: &mut Vec<String>) {
    if c.attrs_or.is_empty() {
        return;
    }
    let hit: Vec<String> =
        c.attrs_or.iter().filter(|(n, w)| attrs.get(*n) == Some(*w)).map(|(n, w)| format!("{n}={w}")).collect();
    if hit.is_empty() {
        let all: Vec<String> = c.attrs_or.iter().map(|(n, w)| format!("{n}={w}")).collect();
        let notes: String = c.attrs_or.keys().map(|n| type_note(schema, n)).collect();
        reasons.push(format!("AttrsOr: none of {}{notes}", all.join(", ")));
    } else {
        reasons.push(format!("AttrsOr: {}", hit.join(", ")));
    }
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

fn join(v: &[&String]) -> String {
    v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

/// The rules, once: the verdict alone, fast enough for a million rows (the explorer), with what
/// failed reported as indices into `keys` (the summary's reasons), nothing allocated per row.
/// `evaluate` adds the reasons on top of it.
#[derive(Debug, Clone)]
pub struct Judge {
    audience: Audience,
    /// What each miss index says: "lacks tag gold", "city ≠ 深圳"…
    pub keys: Vec<String>,
}

/// Miss index of an account that is not imported.
const NOT_IMPORTED: usize = 0;

impl Judge {
    /// The first of the two TagsNot miss keys (has all of them; the readings disagree).
    fn tags_not_keys(&self) -> usize {
        self.keys.len().saturating_sub(2)
    }

    pub fn new(audience: &Audience) -> Judge {
        let mut keys = vec!["not imported".to_string()];
        if let Audience::Some(c) = audience {
            let all = |v: &[String]| v.iter().map(String::as_str).collect::<Vec<_>>().join(", ");
            keys.extend(c.tags_and.iter().map(|t| format!("lacks tag {t}")));
            keys.push(format!("none of TagsOr {}", all(&c.tags_or)));
            keys.extend(c.attrs_and.iter().map(|(n, w)| format!("{n} ≠ {w}")));
            let pairs: Vec<String> = c.attrs_or.iter().map(|(n, w)| format!("{n}={w}")).collect();
            keys.push(format!("none of AttrsOr {}", pairs.join(", ")));
            keys.push(format!("TagsNot {}", all(&c.tags_not)));
            keys.push("TagsNot undecided".into());
        }
        Judge { audience: audience.clone(), keys }
    }

    /// `Some(true)` targeted, `Some(false)` not, `None` undecided or not read.
    pub fn decide<'a>(
        &self,
        status: Status,
        has_tag: impl Fn(&str) -> bool,
        attr: impl Fn(&str) -> Option<&'a str>,
        mut miss: impl FnMut(usize),
    ) -> Option<bool> {
        match status {
            Status::Found | Status::Empty => {}
            Status::NotFound => {
                miss(NOT_IMPORTED);
                return Some(false);
            }
            Status::Failed | Status::Invalid | Status::Cancelled => return None,
        }
        let Audience::Some(c) = &self.audience else { return Some(true) };
        let mut k = 1;
        let mut ok = true;
        for t in &c.tags_and {
            if !has_tag(t) {
                ok = false;
                miss(k);
            }
            k += 1;
        }
        if !c.tags_or.is_empty() && !c.tags_or.iter().any(|t| has_tag(t)) {
            ok = false;
            miss(k);
        }
        k += 1;
        for (name, want) in &c.attrs_and {
            if attr(name) != Some(want.as_str()) {
                ok = false;
                miss(k);
            }
            k += 1;
        }
        if !c.attrs_or.is_empty() && !c.attrs_or.iter().any(|(n, w)| attr(n) == Some(w.as_str())) {
            ok = false;
            miss(k);
        }
        k += 1;
        if !ok || c.tags_not.is_empty() {
            return Some(ok);
        }
        let held = c.tags_not.iter().filter(|t| has_tag(t)).count();
        match (held < c.tags_not.len(), held == 0) {
            (true, true) => Some(true),
            (false, false) => {
                miss(k);
                Some(false)
            }
            _ => {
                miss(k + 1);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;
