//! Which write calls a batch needs, in which order: pure, so the rules are tested on their own.
//!
//! - Attributes: `set_attr` for new values (it merges), `remove_attr` for removed names.
//! - Tags: an empty desired set is one `remove_all_tags`/`clear_all_tags`; in timpush, a set
//!   that loses tags or gains more than one request's 10 is one `add_tag` with `Replace: 1`
//!   (the whole desired set, ≤100); otherwise removals go first (so a user never passes 100
//!   tags) and additions follow, ≤10 tags per user per `add_tag`.
//!
//! Calls in one stage go out together; stages go in order, and an account whose call failed
//! is left out of its later stages.

use std::collections::BTreeMap;

use crate::api::{Command, Family, MAX_TAGS_PER_ADD};

/// What one account needs written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AccountWrite {
    pub set: BTreeMap<String, String>,
    pub unset: Vec<String>,
    pub add: Vec<String>,
    pub remove: Vec<String>,
    /// The whole desired tag set, when the account's tags are written.
    pub want_tags: Option<Vec<String>>,
    /// `want_tags` is in an order appending would not give (an undo): timpush writes it whole.
    pub reorder: bool,
}

/// What a call carries for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Payload {
    Attrs(BTreeMap<String, String>),
    Names(Vec<String>),
    Tags(Vec<String>),
    Nothing,
}

/// One call: a command, and per account (its position in the batch) what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Call {
    pub cmd: Command,
    /// timpush `add_tag` `Replace: 1`.
    pub replace: bool,
    pub items: Vec<(usize, Payload)>,
}

/// The calls of a batch, as stages.
pub(crate) fn plan(family: Family, writes: &[AccountWrite]) -> Vec<Vec<Call>> {
    let mut first = Vec::new();
    let mut call = |cmd, replace, items: Vec<(usize, Payload)>| {
        if !items.is_empty() {
            first.push(Call { cmd, replace, items });
        }
    };
    let each = |f: &dyn Fn(&AccountWrite) -> Option<Payload>| -> Vec<(usize, Payload)> {
        writes.iter().enumerate().filter_map(|(k, w)| Some((k, f(w)?))).collect()
    };
    call(Command::SetAttr, false, each(&|w| (!w.set.is_empty()).then(|| Payload::Attrs(w.set.clone()))));
    call(Command::RemoveAttr, false, each(&|w| (!w.unset.is_empty()).then(|| Payload::Names(w.unset.clone()))));
    let clear = |w: &AccountWrite| w.want_tags.as_ref().is_some_and(|t| t.is_empty()) && !w.remove.is_empty();
    let replace = |w: &AccountWrite| {
        family == Family::Timpush && !clear(w) && (w.reorder || !w.remove.is_empty() || w.add.len() > MAX_TAGS_PER_ADD)
    };
    call(Command::RemoveAllTags, false, each(&|w| clear(w).then_some(Payload::Nothing)));
    call(Command::AddTag, true, each(&|w| if replace(w) { w.want_tags.clone().map(Payload::Tags) } else { None }));
    let plain = |w: &AccountWrite| !clear(w) && !replace(w);
    call(
        Command::RemoveTag,
        false,
        each(&|w| (plain(w) && !w.remove.is_empty()).then(|| Payload::Tags(w.remove.clone()))),
    );
    // Additions by rounds of ≤10 tags; an account that removes first starts a stage later.
    let mut stages = vec![first];
    for (k, w) in writes.iter().enumerate().filter(|(_, w)| plain(w)) {
        let offset = usize::from(!w.remove.is_empty());
        for (round, chunk) in w.add.chunks(MAX_TAGS_PER_ADD).enumerate() {
            let s = round + offset;
            while stages.len() <= s {
                stages.push(Vec::new());
            }
            let stage = &mut stages[s];
            let at = match stage.iter().position(|c: &Call| c.cmd == Command::AddTag && !c.replace) {
                Some(i) => i,
                None => {
                    stage.push(Call { cmd: Command::AddTag, replace: false, items: Vec::new() });
                    stage.len() - 1
                }
            };
            stage[at].items.push((k, Payload::Tags(chunk.to_vec())));
        }
    }
    stages.retain(|s| !s.is_empty());
    stages
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn write(add: &[&str], remove: &[&str], want: &[&str]) -> AccountWrite {
        AccountWrite {
            add: strings(add),
            remove: strings(remove),
            want_tags: Some(strings(want)),
            ..Default::default()
        }
    }

    fn shape(stages: &[Vec<Call>]) -> Vec<Vec<(Command, bool, Vec<usize>)>> {
        stages
            .iter()
            .map(|s| s.iter().map(|c| (c.cmd, c.replace, c.items.iter().map(|(k, _)| *k).collect())).collect())
            .collect()
    }

    #[test]
    fn attributes_are_set_and_removed_in_one_stage() {
        let w = AccountWrite {
            set: [("city".to_string(), "深圳".to_string())].into(),
            unset: strings(&["sex"]),
            ..Default::default()
        };
        let stages = plan(Family::AllMemberPush, &[w.clone(), AccountWrite::default(), w]);
        assert_eq!(
            shape(&stages),
            [vec![(Command::SetAttr, false, vec![0, 2]), (Command::RemoveAttr, false, vec![0, 2])]]
        );
    }

    #[test]
    fn all_member_push_removes_before_it_adds_ten_at_a_time() {
        let many: Vec<String> = (0..25).map(|i| format!("t{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let stages = plan(Family::AllMemberPush, &[write(&many, &["old"], &many), write(&["x"], &[], &["x"])]);
        assert_eq!(
            shape(&stages),
            [
                vec![(Command::RemoveTag, false, vec![0]), (Command::AddTag, false, vec![1])],
                vec![(Command::AddTag, false, vec![0])],
                vec![(Command::AddTag, false, vec![0])],
                vec![(Command::AddTag, false, vec![0])],
            ]
        );
        let sizes: Vec<usize> = stages[1..]
            .iter()
            .map(|s| match &s[0].items[0].1 {
                Payload::Tags(t) => t.len(),
                _ => 0,
            })
            .collect();
        assert_eq!(sizes, [10, 10, 5]);
    }

    #[test]
    fn timpush_replaces_when_it_saves_calls_and_clears_an_empty_set() {
        let stages = plan(
            Family::Timpush,
            &[write(&["new"], &["old"], &["keep", "new"]), write(&["x"], &[], &["a", "x"]), write(&[], &["a"], &[])],
        );
        assert_eq!(
            shape(&stages),
            [vec![
                (Command::RemoveAllTags, false, vec![2]),
                (Command::AddTag, true, vec![0]),
                (Command::AddTag, false, vec![1]),
            ]]
        );
        assert_eq!(stages[0][1].items[0].1, Payload::Tags(strings(&["keep", "new"])), "the whole desired set");
        // all_member_push has no Replace: the same writes remove, then add.
        let amp = plan(Family::AllMemberPush, &[write(&["new"], &["old"], &["keep", "new"])]);
        assert_eq!(shape(&amp), [vec![(Command::RemoveTag, false, vec![0])], vec![(Command::AddTag, false, vec![0])]]);
    }
}
