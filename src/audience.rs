//! The push audience: whether a push `Condition` would reach an account, and why not, before
//! anything is sent (the vendor has no dry run). Rules as documented (push-conditions.md A.3,
//! A.4); where the documents are silent the answer says what was assumed, and where its readings
//! disagree (`TagsNot`) an account they split is `null` with both readings.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::api::{Family, MAX_FIELD_BYTES, wire};

mod explain;
mod json;
mod judge;
mod near;
mod read;
mod warnings;

pub use explain::evaluate;
pub use judge::Judge;

/// Most tags in one condition list (90032).
pub const MAX_CONDITION_TAGS: usize = 10;

/// What the evaluation assumes where the documents are silent; shown with every summary.
pub const ASSUMPTIONS: &str = "assumed where the docs are silent: values compare as exact bytes; \
    the 10-tag cap is per list; AttrsAnd and AttrsOr combine with AND (as the tag lists do); \
    a user without a value does not match";

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

/// A condition as read for one family: the audience, and the warnings — each a point the
/// documents leave open that the answer rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub audience: Audience,
    pub family: Family,
    pub warnings: Vec<String>,
}

impl Checked {
    /// Does the push go to everyone?
    pub fn is_all(&self) -> bool {
        self.audience == Audience::All
    }
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

/// Read a `Condition` object or a whole push request body, and check it as the service would.
/// `app_names`: the app's attribute names (an unknown one is 90033). A key given twice
/// anywhere is refused.
pub fn parse(text: &str, family: Family, app_names: &[String]) -> Result<Checked, Invalid> {
    let v = json::parse(text)
        .map_err(|e| if e.is_data() { invalid(0, e.to_string()) } else { invalid(0, format!("not JSON: {e}")) })?;
    let Value::Object(obj) = &v else { return Err(invalid(0, "expected a JSON object: a Condition or a push body")) };
    let Some(cond) = read::condition_of(obj)? else {
        return Ok(Checked { audience: Audience::All, family, warnings: Vec::new() });
    };
    read::known_keys(cond)?;
    let c = Condition {
        tags_and: read::strings(cond, "TagsAnd")?,
        tags_or: read::strings(cond, "TagsOr")?,
        tags_not: read::strings(cond, "TagsNot")?,
        attrs_and: read::pairs(cond, "AttrsAnd")?,
        attrs_or: read::pairs(cond, "AttrsOr")?,
    };
    check(&c, family, app_names)?;
    let warnings = warnings::of(cond, &c);
    Ok(Checked { audience: Audience::Some(c), family, warnings })
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
    /// The condition's warnings: what the answer rests on that the documents leave open.
    pub warnings: Vec<String>,
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

#[cfg(test)]
mod tests;
