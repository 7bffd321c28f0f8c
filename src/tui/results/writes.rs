//! What writes need of the results: marks (the rows a write acts on), each row's last write
//! outcome, and rows replaced in place by the read-back after a write.

use std::collections::HashMap;

use super::Results;
use crate::engine::Record;
use crate::tui::rows::Row;
use crate::write::WriteRecord;

impl Results {
    /// Mark or unmark a row; returns whether it is marked now.
    pub fn toggle_mark(&mut self, index: u32) -> bool {
        if self.marks.remove(&index) {
            false
        } else {
            self.marks.insert(index);
            true
        }
    }

    /// Mark every shown row (a filter still being applied is finished first).
    pub fn mark_shown(&mut self) -> usize {
        self.finish_filter();
        self.marks.extend(self.view.iter().copied());
        self.marks.len()
    }

    pub fn clear_marks(&mut self) {
        self.marks.clear();
    }

    pub fn is_marked(&self, index: u32) -> bool {
        self.marks.contains(&index)
    }

    pub fn marked(&self) -> usize {
        self.marks.len()
    }

    /// The rows a write acts on, in input order: the marked ones, else the shown ones. Only rows
    /// that were read (a row still streaming in has no account yet).
    pub fn write_targets(&mut self) -> Vec<u32> {
        let mut rows: Vec<u32> = if self.marks.is_empty() {
            self.finish_filter();
            self.view.clone()
        } else {
            self.marks.iter().copied().collect()
        };
        rows.sort_unstable();
        rows.retain(|i| self.rows.get(*i as usize).is_some_and(Option::is_some));
        rows
    }

    /// The account of a row.
    pub fn account(&self, index: u32) -> Option<&str> {
        Some(self.rows.get(index as usize)?.as_ref()?.account())
    }

    /// The rows holding these accounts, when every one of them is shown in the results (a
    /// file's write then lands in the rows the user sees, instead of replacing them).
    pub fn rows_of<'a>(&self, accounts: impl Iterator<Item = &'a str>) -> Option<Vec<u32>> {
        let by_account: HashMap<&str, u32> =
            (0..self.rows.len() as u32).filter_map(|i| Some((self.rows[i as usize].as_ref()?.account(), i))).collect();
        accounts.map(|a| by_account.get(a).copied()).collect()
    }

    /// A write's outcome for a row (`index` is the row's input index).
    pub fn set_outcome(&mut self, outcome: WriteRecord) {
        self.outcomes.insert(outcome.index, outcome);
    }

    pub fn outcome(&self, index: u32) -> Option<&WriteRecord> {
        self.outcomes.get(&index)
    }

    /// The last write's outcomes, by row.
    pub fn outcomes(&self) -> &HashMap<u32, WriteRecord> {
        &self.outcomes
    }

    /// A new write starts: the earlier one's outcomes go.
    pub fn clear_outcomes(&mut self) {
        self.outcomes.clear();
    }

    /// Put read-back records in place of the rows they name (by input index). The counts, the
    /// view and the verdicts catch up in `refresh_after_replace`, once the read-back is done.
    pub fn replace(&mut self, records: Vec<Record>) {
        for r in records {
            let idx = r.index as usize;
            let Some(slot) = self.rows.get_mut(idx) else { continue };
            if slot.is_none() {
                self.present += 1;
            }
            *slot = Some(Row::from_record(r, &mut self.pool));
        }
    }

    /// Counts, schema, verdicts and the filtered, sorted view, worked out again from the rows.
    pub fn refresh_after_replace(&mut self) {
        self.tag_counts.clear();
        self.attr_values.clear();
        self.status_counts.clear();
        self.schema = crate::schema_stats::SchemaStats::default();
        for i in 0..self.rows.len() as u32 {
            if let Some(r) = self.get(i) {
                self.count(&r);
            }
        }
        if let Some(a) = self.audience.take() {
            self.set_audience(a.checked().clone(), a.text);
        }
        // The selection stays on its account (the filter's end puts it back on the pinned row).
        let filter = self.filter.clone();
        self.set_filter(&filter);
        self.finish_filter();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Status;
    use crate::write::WriteStatus;

    fn record(i: u32, account: &str, tags: &[&str]) -> Record {
        Record {
            index: i,
            account: account.into(),
            status: Status::Found,
            attrs: Some(Default::default()),
            tags: Some(tags.iter().map(|t| t.to_string()).collect()),
            error: None,
            reason: None,
        }
    }

    #[test]
    fn marks_pick_the_targets_else_the_shown_rows() {
        let mut r = Results::default();
        r.reset(4);
        r.insert((0..4).map(|i| record(i, &format!("u{i}"), if i % 2 == 0 { &["vip"] } else { &[] })).collect());
        r.set_filter("vip");
        r.finish_filter();
        assert_eq!(r.write_targets(), [0, 2], "no marks: the shown rows");
        assert!(r.toggle_mark(3));
        assert!(r.toggle_mark(1));
        assert_eq!(r.write_targets(), [1, 3], "marks win, in input order");
        assert!(!r.toggle_mark(3));
        assert_eq!(r.marked(), 1);
        r.clear_marks();
        assert_eq!(r.mark_shown(), 2);
        assert!(r.is_marked(0) && r.is_marked(2) && !r.is_marked(1));
    }

    #[test]
    fn a_read_back_replaces_rows_in_place_and_the_counts_follow() {
        let mut r = Results::default();
        r.reset(2);
        r.insert(vec![record(0, "a", &["vip"]), record(1, "b", &[])]);
        r.set_outcome(WriteRecord::new(1, "b", WriteStatus::Changed));
        r.replace(vec![record(1, "b", &["vip", "gold"])]);
        r.refresh_after_replace();
        assert_eq!(r.present(), 2);
        assert_eq!(r.tag_counts.get("vip"), Some(&2));
        assert_eq!(r.tag_counts.get("gold"), Some(&1));
        assert_eq!(r.get(1).unwrap().tags.unwrap(), ["vip", "gold"]);
        assert_eq!(r.outcome(1).map(|o| o.status), Some(WriteStatus::Changed));
        assert_eq!(r.view(), [0, 1]);
        assert_eq!(r.rows_of(["b", "a"].into_iter()), Some(vec![1, 0]));
        assert_eq!(r.rows_of(["b", "c"].into_iter()), None, "c is not in the results");
    }
}
