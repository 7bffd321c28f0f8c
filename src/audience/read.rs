//! Which object is the `Condition`, and its lists and pairs. A body without `Condition` is ALL
//! users, so anything that looks like a condition but is not one (its keys at the top level,
//! `condition` in another case, `Condition: null`) is refused rather than read as everyone.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Invalid, invalid};

pub const CONDITION_KEYS: [&str; 5] = ["TagsAnd", "TagsOr", "TagsNot", "AttrsAnd", "AttrsOr"];
/// Keys that look like a condition's when found at the top level of a push body: the five, and
/// `AttrsNot`, which no document has but a reader of `TagsNot` may write.
const CONDITION_LIKE: [&str; 6] = ["TagsAnd", "TagsOr", "TagsNot", "AttrsAnd", "AttrsOr", "AttrsNot"];
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

/// Whether `key` is within two edits of `target` once both are lower-cased and stripped of
/// anything but ASCII letters (`Conditions`, `"Condition "`, `Cοndition` with a Greek ο,
/// `Tags_And`, `TagAnd`). Keys of a push body proper (`MsgRandom`, `OfflinePushInfo`…) are far.
fn near(key: &str, target: &str) -> bool {
    let norm =
        |s: &str| -> Vec<u8> { s.bytes().filter(u8::is_ascii_alphabetic).map(|b| b.to_ascii_lowercase()).collect() };
    let (a, b) = (norm(key), norm(target));
    if a.is_empty() || a.len().abs_diff(b.len()) > 2 {
        return false;
    }
    // Levenshtein distance, one row at a time.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()] <= 2
}

/// The condition object of a Condition or a push body; None: a body without one (everyone).
pub fn condition_of(obj: &Map<String, Value>) -> Result<Option<&Map<String, Value>>, Invalid> {
    if let Some(k) = obj.keys().find(|k| k.eq_ignore_ascii_case("Condition") && *k != "Condition") {
        return Err(invalid(
            0,
            format!(
                "{k:?} is not \"Condition\": keys are case-sensitive, so the service would not read it, and a \
                 push without \"Condition\" goes to ALL users; spell it \"Condition\""
            ),
        ));
    }
    if !obj.keys().any(|k| PUSH_KEYS.contains(&k.as_str())) {
        return Ok(Some(obj));
    }
    if obj.contains_key("To_Account") {
        return Err(invalid(
            0,
            "the body has \"To_Account\": it is a push to the accounts it lists, not one judged by a Condition \
             (timx would read it as ALL users); judge such a task with --scheduled ID, or give its Condition",
        ));
    }
    // Not the real key but close to it (a plural, a stray space, a look-alike letter, a typo):
    // the service would not read it either, and the push would go to everyone.
    if !obj.contains_key("Condition")
        && let Some(k) = obj.keys().find(|k| near(k, "Condition"))
    {
        return Err(invalid(
            0,
            format!(
                "{k:?} looks like \"Condition\" but is not it: the service would not read it, and a push without \
                 \"Condition\" goes to ALL users; spell it \"Condition\""
            ),
        ));
    }
    if let Some(k) = obj.keys().find(|k| CONDITION_LIKE.iter().any(|c| c.eq_ignore_ascii_case(k) || near(k, c))) {
        return Err(invalid(
            0,
            format!(
                "{k:?} is at the top level of the push body, outside \"Condition\": the service would not read it \
                 as a condition, and a body without \"Condition\" goes to ALL users; put it inside \"Condition\""
            ),
        ));
    }
    match obj.get("Condition") {
        None => Ok(None),
        Some(Value::Null) => Err(invalid(
            0,
            "\"Condition\" is null: the documents do not say whether that is no condition (ALL users) or an \
             error, so timx will not read it as everyone; leave \"Condition\" out to mean all users",
        )),
        Some(Value::Object(c)) => Ok(Some(c)),
        Some(_) => Err(invalid(0, "Condition must be an object")),
    }
}

/// Every key is one of the five, spelled as documented.
pub fn known_keys(cond: &Map<String, Value>) -> Result<(), Invalid> {
    let Some(k) = cond.keys().find(|k| !CONDITION_KEYS.contains(&k.as_str())) else { return Ok(()) };
    let hint = CONDITION_KEYS
        .iter()
        .find(|c| c.eq_ignore_ascii_case(k))
        .map(|c| format!(" (keys are case-sensitive: {c}?)"))
        .unwrap_or_default();
    Err(invalid(0, format!("unknown Condition key {k:?}{hint}; the keys are {}", CONDITION_KEYS.join(", "))))
}

pub fn strings(obj: &Map<String, Value>, key: &str) -> Result<Vec<String>, Invalid> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => {
            serde_json::from_value(v.clone()).map_err(|_| invalid(0, format!("{key} must be an array of strings")))
        }
    }
}

pub fn pairs(obj: &Map<String, Value>, key: &str) -> Result<BTreeMap<String, String>, Invalid> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|_| invalid(0, format!("{key} must be an object of attribute name to string value"))),
    }
}
