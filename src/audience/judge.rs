//! The rules, once: the verdict alone, fast enough for a million rows (the explorer), with what
//! failed reported as indices into `keys` (the summary's reasons), nothing allocated per row.
//! `evaluate` adds the reasons on top of it.

use super::{Audience, Checked};
use crate::api::Family;
use crate::engine::Status;
use crate::text::edges_shown;

#[derive(Debug, Clone)]
pub struct Judge {
    checked: Checked,
    /// What each miss index says: "lacks tag gold", "city ≠ 深圳"…
    pub keys: Vec<String>,
}

/// Miss index of an account that is not imported.
const NOT_IMPORTED: usize = 0;
/// Miss index of an account all_member_push cannot confirm exists (under ALL).
const UNCONFIRMED: usize = 1;
/// The first miss index of the condition's own clauses.
const CLAUSES: usize = 2;

impl Judge {
    pub fn new(checked: &Checked) -> Judge {
        let mut keys = vec!["not imported".to_string(), "existence not confirmed (all_member_push)".to_string()];
        if let Audience::Some(c) = &checked.audience {
            let all = |v: &[String]| v.iter().map(|t| edges_shown(t)).collect::<Vec<_>>().join(", ");
            keys.extend(c.tags_and.iter().map(|t| format!("lacks tag {}", edges_shown(t))));
            keys.push(format!("none of TagsOr {}", all(&c.tags_or)));
            keys.extend(c.attrs_and.iter().map(|(n, w)| format!("{n} ≠ {}", edges_shown(w))));
            let pairs: Vec<String> = c.attrs_or.iter().map(|(n, w)| format!("{n}={}", edges_shown(w))).collect();
            keys.push(format!("none of AttrsOr {}", pairs.join(", ")));
            keys.push(format!("TagsNot {}", all(&c.tags_not)));
            keys.push("TagsNot undecided".into());
        }
        Judge { checked: checked.clone(), keys }
    }

    /// The condition as checked: its audience, family and warnings.
    pub fn checked(&self) -> &Checked {
        &self.checked
    }

    /// The first of the two TagsNot miss keys (has all of them; the readings disagree).
    pub(super) fn tags_not_keys(&self) -> usize {
        self.keys.len().saturating_sub(2)
    }

    /// Under ALL: all_member_push answers an unknown account as an empty one, so an empty
    /// account there may not exist, and only logged-in or imported accounts receive a push.
    pub(super) fn unconfirmed(&self, status: Status) -> bool {
        self.checked.family == Family::AllMemberPush && status == Status::Empty
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
        let Audience::Some(c) = &self.checked.audience else {
            if self.unconfirmed(status) {
                miss(UNCONFIRMED);
                return None;
            }
            return Some(true);
        };
        let mut k = CLAUSES;
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
