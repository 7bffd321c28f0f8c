//! Compare-and-set for one account: just before an account is written, its current state is
//! checked against the state its plan was made from. The service has no compare-and-set of its
//! own, so this check and the write calls are a batch's round trip apart.
//!
//! Each change speaks for one field (an attribute, or one tag) and carries the value it was
//! planned from. A field still at that value is written; a field already at the planned value
//! is left alone (an earlier, interrupted run wrote it); any other value is a conflict, and
//! nothing is written to the account. A plan that speaks for the whole tag set (a desired-state
//! file's `tags`, `--clear-tags`) also guards the tags it does not change: one added or removed
//! since is a conflict.

use std::collections::BTreeMap;

use super::change::{Change, Op};

/// What a planned row says of the account's tags beyond its changes (carried inline in
/// `PlanRow`'s `tags_before`, `exact_tags` and `tag_order`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagGuard {
    /// The account's tags when the plan was made, in order (when the plan changes tags).
    pub tags_before: Option<Vec<String>>,
    /// The plan speaks for the whole tag set: tags it does not change must be as in
    /// `tags_before`.
    pub exact_tags: bool,
    /// The order to leave the tags in (an undo: the order before the write), where the family
    /// can write an order.
    pub tag_order: Option<Vec<String>>,
}

/// What an account needs written now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolved {
    /// The changes still to make, in the plan's order.
    pub needed: Vec<Change>,
    /// The whole tag set after the write, in order (when tags change).
    pub tags: Option<Vec<String>>,
    /// The order of `tags` differs from what appending gives: only a whole-set write keeps it.
    pub reorder: bool,
}

/// Check `changes` (and the tag guard) against the account's current state.
pub fn resolve(
    changes: &[Change],
    guard: &TagGuard,
    attrs: &BTreeMap<String, String>,
    tags: &[String],
) -> Result<Resolved, String> {
    let mut conflicts = Vec::new();
    let mut needed = Vec::new();
    for c in changes {
        match c.op {
            Op::Set | Op::Unset => {
                let name = c.name.as_deref().unwrap_or_default();
                let now = attrs.get(name);
                if now == c.to.as_ref() {
                    continue;
                }
                if now == c.from.as_ref() {
                    needed.push(c.clone());
                } else {
                    conflicts.push(format!("{name} is {}, the plan expected {}", shown(now), shown(c.from.as_ref())));
                }
            }
            Op::Add | Op::Remove => {
                let present = tags.iter().any(|t| Some(t) == c.tag.as_ref());
                if present != (c.op == Op::Add) {
                    needed.push(c.clone());
                }
            }
        }
    }
    if guard.exact_tags
        && let Some(before) = &guard.tags_before
    {
        let touched = |t: &String| changes.iter().any(|c| c.is_tag() && c.tag.as_ref() == Some(t));
        for t in tags.iter().filter(|t| !touched(t) && !before.contains(t)) {
            conflicts.push(format!("tag {} added", crate::text::escape(t)));
        }
        for t in before.iter().filter(|t| !touched(t) && !tags.contains(t)) {
            conflicts.push(format!("tag {} removed", crate::text::escape(t)));
        }
    }
    if !conflicts.is_empty() {
        return Err(format!("changed since the plan: {}; re-plan", conflicts.join(", ")));
    }
    let (tags, reorder) = new_tags(&needed, guard.tag_order.as_deref(), tags);
    Ok(Resolved { needed, tags, reorder })
}

/// The tag set after `needed`, ordered by `order` where given; None when no tag changes.
fn new_tags(needed: &[Change], order: Option<&[String]>, tags: &[String]) -> (Option<Vec<String>>, bool) {
    if !needed.iter().any(Change::is_tag) {
        return (None, false);
    }
    let removed = |t: &String| needed.iter().any(|c| c.op == Op::Remove && c.tag.as_ref() == Some(t));
    let mut out: Vec<String> = tags.iter().filter(|t| !removed(t)).cloned().collect();
    for c in needed.iter().filter(|c| c.op == Op::Add) {
        if let Some(t) = c.tag.as_ref().filter(|t| !out.contains(t)) {
            out.push(t.clone());
        }
    }
    let Some(order) = order else { return (Some(out), false) };
    let appended = out.clone();
    // Stable: tags the order does not know keep their place after the ones it does.
    out.sort_by_key(|t| order.iter().position(|o| o == t).unwrap_or(usize::MAX));
    let reorder = out != appended;
    (Some(out), reorder)
}

fn shown(v: Option<&String>) -> String {
    v.map_or_else(|| "absent".to_string(), |v| format!("{:?}", crate::text::escape(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, from: Option<&str>, to: Option<&str>) -> Change {
        let op = if to.is_some() { Op::Set } else { Op::Unset };
        Change { op, name: Some(name.into()), tag: None, from: from.map(Into::into), to: to.map(Into::into) }
    }

    fn tag(op: Op, t: &str) -> Change {
        Change { op, name: None, tag: Some(t.into()), from: None, to: None }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn attrs(v: &[(&str, &str)]) -> BTreeMap<String, String> {
        v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_field_at_its_planned_from_is_written_at_its_to_is_left_and_else_conflicts() {
        let plan = [set("city", Some("北京"), Some("深圳")), set("sex", None, Some("F"))];
        let g = TagGuard::default();
        let r = resolve(&plan, &g, &attrs(&[("city", "北京")]), &[]).unwrap();
        assert_eq!(r.needed, plan);
        let r = resolve(&plan, &g, &attrs(&[("city", "深圳"), ("sex", "F")]), &[]).unwrap();
        assert!(r.needed.is_empty(), "already written: nothing to do");
        let e = resolve(&plan, &g, &attrs(&[("city", "上海")]), &[]).unwrap_err();
        assert_eq!(e, "changed since the plan: city is \"上海\", the plan expected \"北京\"; re-plan");
        // Another attribute changed since: not a field of this plan.
        assert!(resolve(&plan, &g, &attrs(&[("city", "北京"), ("lang", "x")]), &[]).is_ok());
    }

    #[test]
    fn a_whole_set_plan_conflicts_on_a_tag_added_since_and_an_incremental_one_keeps_it() {
        let clear = [tag(Op::Remove, "a"), tag(Op::Remove, "b")];
        let exact = TagGuard { tags_before: Some(strings(&["a", "b"])), exact_tags: true, tag_order: None };
        let e = resolve(&clear, &exact, &BTreeMap::new(), &strings(&["a", "b", "q"])).unwrap_err();
        assert!(e.contains("tag q added"), "{e}");
        let add = [tag(Op::Add, "new")];
        let loose = TagGuard { tags_before: Some(strings(&["a"])), ..TagGuard::default() };
        let r = resolve(&add, &loose, &BTreeMap::new(), &strings(&["a", "q"])).unwrap();
        assert_eq!(r.tags, Some(strings(&["a", "q", "new"])), "q, added by someone else, stays");
    }

    #[test]
    fn an_undo_puts_tags_back_in_their_old_order() {
        let undo = [tag(Op::Add, "b")];
        let g = TagGuard { tag_order: Some(strings(&["a", "b", "c", "d", "e"])), ..TagGuard::default() };
        let r = resolve(&undo, &g, &BTreeMap::new(), &strings(&["a", "c", "d", "e"])).unwrap();
        assert_eq!(r.tags, Some(strings(&["a", "b", "c", "d", "e"])));
        assert!(r.reorder, "appending would give a,c,d,e,b");
        let r = resolve(&[tag(Op::Add, "e")], &g, &BTreeMap::new(), &strings(&["a", "b", "c", "d"])).unwrap();
        assert!(!r.reorder, "appended is already in order");
    }
}
