//! The results model: rows by input index, a filtered and sorted view of them, a cursor,
//! and tag/attribute-value counts kept up to date as batches arrive (for the summary charts).

use std::collections::HashMap;

mod writes;

pub use super::rows::Needle;
use super::rows::{Pool, Prepared, Row};
use crate::engine::{Record, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Attrs,
    Tags,
    Summary,
}

/// Sort key: a column of the current table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    Account,
    Status,
    /// Would the push condition reach the account (`:audience`).
    Audience,
    /// What happened to a traced push (`:trace`).
    Delivery,
    Attr(String),
    Tags,
}

/// A push condition applied to the results (`:audience`): a verdict per row, worked out in
/// time-boxed steps like a filter, so no frame waits for a million rows.
#[derive(Debug)]
pub struct AudienceView {
    /// As the user typed it (shown while it applies).
    pub text: String,
    /// The rules, with the condition as checked (its audience, family and warnings).
    judge: crate::audience::Judge,
    /// Per input index: 0 not judged yet, 1 targeted, 2 not, 3 undecided.
    verdicts: Vec<u8>,
    /// Targeted, not, undecided.
    pub counts: [u64; 3],
    /// Per miss key of the judge: accounts it kept out.
    misses: Vec<u64>,
    /// Next input index the steps look at.
    next: usize,
}

impl AudienceView {
    /// The most common reasons for not being targeted.
    pub fn top_misses(&self, n: usize) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self
            .misses
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(k, c)| (self.judge.keys[k].clone(), *c))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }

    pub fn pending(&self) -> bool {
        self.next < self.verdicts.len()
    }

    /// The rules as applied (the detail view explains a row with them).
    pub fn judge(&self) -> &crate::audience::Judge {
        &self.judge
    }

    /// The condition as checked: whether it is everyone, its warnings.
    pub fn checked(&self) -> &crate::audience::Checked {
        self.judge.checked()
    }
}

/// A verdict as the table and the filter read it.
pub fn verdict_code(t: Option<bool>) -> u8 {
    match t {
        Some(true) => 1,
        Some(false) => 2,
        None => 3,
    }
}

/// A filter being applied in time-boxed steps, so no frame waits for a million rows.
#[derive(Debug)]
struct PendingFilter {
    needle: Prepared,
    /// Next row index to look at.
    next: usize,
    view: Vec<u32>,
}

#[derive(Debug, Default)]
pub struct Results {
    /// By input index; None until its batch arrives.
    rows: Vec<Option<Row>>,
    pool: Pool,
    present: usize,
    /// Indices shown, in display order.
    view: Vec<u32>,
    pub filter: String,
    pub sort: Option<(SortKey, bool)>,
    /// Position of the cursor in `view`; kept on `pinned` whenever the view changes.
    pub selected: usize,
    /// The input index of the selected row: the selection is an account, not a position, so
    /// the detail view and copies stay on it while batches stream in, sorts and filters change.
    pinned: Option<u32>,
    /// First visible row in `view`.
    pub offset: usize,
    /// Column the cursor is on (sort target; scrolls wide tables).
    pub column: usize,
    pub tag_counts: HashMap<String, u64>,
    /// attribute name → value → accounts.
    pub attr_values: HashMap<String, HashMap<String, u64>>,
    pub status_counts: HashMap<Status, u64>,
    pending: Option<PendingFilter>,
    /// The applied filter, prepared against the pool.
    needle: Prepared,
    pub audience: Option<AudienceView>,
    /// Tags per account and what the limits would refuse (values per attribute are in
    /// `attr_values`).
    pub schema: crate::schema_stats::SchemaStats,
    /// Rows marked for a write (input indices).
    marks: std::collections::BTreeSet<u32>,
    /// The last write's outcome per row (input index), shown in the Status column and detail.
    outcomes: HashMap<u32, crate::write::WriteRecord>,
    /// The app the rows were read on (None: no rows yet); set by whoever fills them after a
    /// `reset`. On another app they are stale: shown so, and no write acts on them.
    pub read_on: Option<crate::tui::target::AppRef>,
}

impl Results {
    pub fn reset(&mut self, total: usize) {
        let filter = std::mem::take(&mut self.filter);
        let audience = self.audience.take().map(|a| (a.text, a.judge.checked().clone()));
        *self = Results {
            rows: Vec::with_capacity(total),
            needle: Prepared::new(Needle::new(&filter)),
            filter,
            ..Results::default()
        };
        self.rows.resize_with(total, || None);
        // The condition stays on screen for the next job's rows.
        if let Some((text, a)) = audience {
            self.set_audience(a, text);
        }
    }

    /// Apply a push condition: every row gets its verdict, in steps (`poll_audience`).
    pub fn set_audience(&mut self, checked: crate::audience::Checked, text: String) {
        let judge = crate::audience::Judge::new(&checked);
        let misses = vec![0; judge.keys.len()];
        self.audience =
            Some(AudienceView { text, judge, verdicts: vec![0; self.rows.len()], counts: [0; 3], misses, next: 0 });
        self.poll_audience(std::time::Duration::from_millis(8));
    }

    pub fn clear_audience(&mut self) {
        self.audience = None;
        if self.needle.needle.audience.is_some() {
            self.set_filter("");
        }
    }

    /// A row's verdict: None when no condition applies or it is not judged yet.
    pub fn verdict(&self, index: u32) -> Option<Option<bool>> {
        match self.audience.as_ref()?.verdicts.get(index as usize)? {
            1 => Some(Some(true)),
            2 => Some(Some(false)),
            3 => Some(None),
            _ => None,
        }
    }

    pub fn audience_pending(&self) -> bool {
        self.audience.as_ref().is_some_and(AudienceView::pending)
    }

    /// Judge rows for up to `budget`; returns true while work remains.
    pub fn poll_audience(&mut self, budget: std::time::Duration) -> bool {
        let Some(a) = self.audience.as_mut() else { return false };
        if a.next >= self.rows.len() {
            return false;
        }
        let start = std::time::Instant::now();
        while a.next < self.rows.len() {
            let end = (a.next + 8192).min(self.rows.len());
            for i in a.next..end {
                if let Some(row) = &self.rows[i] {
                    judge_row(a, i, row, &self.pool);
                }
            }
            a.next = end;
            if start.elapsed() >= budget {
                return true;
            }
        }
        // A filter on the verdicts waits for them: applied again now that they are all in.
        if self.needle.needle.audience.is_some() {
            let filter = self.filter.clone();
            self.set_filter(&filter);
        }
        false
    }

    pub fn total(&self) -> usize {
        self.rows.len()
    }
    pub fn present(&self) -> usize {
        self.present
    }
    pub fn view_len(&self) -> usize {
        self.view.len()
    }
    pub fn view(&self) -> &[u32] {
        &self.view
    }
    /// The record at an input index, rebuilt from the compact row.
    pub fn get(&self, index: u32) -> Option<Record> {
        Some(self.rows.get(index as usize)?.as_ref()?.to_record(index, &self.pool))
    }
    /// The compact row and the pool its ids refer to (cheap reads for drawing).
    pub fn row(&self, index: u32) -> Option<(&Row, &Pool)> {
        Some((self.rows.get(index as usize)?.as_ref()?, &self.pool))
    }
    pub fn selected_record(&self) -> Option<Record> {
        self.get(*self.view.get(self.selected)?)
    }

    /// The input index of the selected row.
    pub fn selected_index(&self) -> Option<u32> {
        self.view.get(self.selected).copied()
    }

    /// Pin the row under the cursor (the user looks at it: detail view, copy).
    pub fn pin_current(&mut self) {
        self.pinned = self.selected_index();
    }

    /// After the view changed: put the cursor back on the pinned account if it is still
    /// shown. Otherwise (nothing chosen yet, or filtered out) keep the position, clamped.
    fn repin(&mut self) {
        let found = self.pinned.and_then(|p| match self.sort {
            None => self.view.binary_search(&p).ok(),
            Some(_) => self.view.iter().position(|i| *i == p),
        });
        match found {
            Some(pos) => self.selected = pos,
            None => {
                self.selected = self.selected.min(self.view.len().saturating_sub(1));
                if self.pinned.is_some() {
                    self.pinned = self.selected_index();
                }
            }
        }
    }
    /// Every present row, in input order.
    pub fn all(&self) -> impl Iterator<Item = Record> + '_ {
        (0..self.rows.len() as u32).filter_map(|i| self.get(i))
    }
    /// The rows in the view, in display order.
    pub fn shown(&self) -> impl Iterator<Item = Record> + '_ {
        self.view.iter().filter_map(|i| self.get(*i))
    }

    /// Add a batch. Rows join the view if they match the filter; order is kept.
    pub fn insert(&mut self, records: Vec<Record>) {
        let mut sorted_new = Vec::new();
        for r in records {
            let idx = r.index;
            let Some(empty) = self.rows.get(idx as usize).map(Option::is_none) else { continue };
            if empty {
                self.present += 1;
            }
            self.count(&r);
            let row = Row::from_record(r, &mut self.pool);
            if let Some(a) = self.audience.as_mut()
                && (idx as usize) < a.next
            {
                judge_row(a, idx as usize, &row, &self.pool);
            }
            let verdict = self.audience.as_ref().and_then(|a| a.verdicts.get(idx as usize).copied());
            let matches = self.needle.matches(&row, &self.pool, verdict);
            if let Some(p) = self.pending.as_mut()
                && (idx as usize) < p.next
                && p.needle.matches(&row, &self.pool, verdict)
            {
                let pos = p.view.partition_point(|i| *i < idx);
                p.view.insert(pos, idx);
            }
            self.rows[idx as usize] = Some(row);
            if matches {
                // Batches arrive nearly in order: append when we can, insert otherwise.
                if self.sort.is_some() {
                    sorted_new.push(idx);
                } else if self.view.last().is_none_or(|l| *l < idx) {
                    self.view.push(idx);
                } else {
                    let pos = self.view.partition_point(|i| *i < idx);
                    self.view.insert(pos, idx);
                }
            }
        }
        if !sorted_new.is_empty() {
            self.merge_sorted(sorted_new);
        }
        self.repin();
    }

    /// Add a record to the counts the summary charts and the schema view read.
    fn count(&mut self, r: &Record) {
        // Count without allocating a key for strings already counted (the usual case).
        for t in r.tags.iter().flatten() {
            bump(&mut self.tag_counts, t);
        }
        for (k, v) in r.attrs.iter().flatten() {
            match self.attr_values.get_mut(k) {
                Some(values) => bump(values, v),
                None => bump(self.attr_values.entry(k.clone()).or_default(), v),
            }
        }
        *self.status_counts.entry(r.status).or_default() += 1;
        self.schema.add(r);
    }

    /// Merge new rows into a sorted view: each finds its place by binary search (a few sort
    /// keys built, not one per row), then the view is rebuilt once. No full re-sort per batch.
    fn merge_sorted(&mut self, mut new: Vec<u32>) {
        let Some((key, desc)) = self.sort.clone() else { return };
        let verdicts = self.audience.as_ref().map(|a| a.verdicts.as_slice()).unwrap_or_default();
        let keyed = |i: u32| (sort_value(&self.rows, &self.pool, verdicts, &key, i), i);
        new.sort_by_cached_key(|i| keyed(*i));
        if desc {
            new.reverse();
        }
        let goes_before = |a: &(String, u32), b: &(String, u32)| if desc { a > b } else { a < b };
        let mut merged = Vec::with_capacity(self.view.len() + new.len());
        let mut from = 0;
        for i in new {
            let k = keyed(i);
            let pos = from + self.view[from..].partition_point(|v| goes_before(&keyed(*v), &k));
            merged.extend_from_slice(&self.view[from..pos]);
            merged.push(i);
            from = pos;
        }
        merged.extend_from_slice(&self.view[from..]);
        self.view = merged;
    }

    /// Start applying a new filter. Small result sets finish at once; large ones finish over
    /// the next calls to `poll_filter`, while the old view stays on screen.
    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_owned();
        self.needle = Prepared::new(Needle::new(filter));
        if self.needle.needle.audience.is_some() {
            // The verdicts first (a million rows take well under a frame's worth of steps).
            while self.poll_audience(std::time::Duration::from_secs(3600)) {}
        }
        self.pending = Some(PendingFilter { needle: Prepared::new(Needle::new(filter)), next: 0, view: Vec::new() });
        self.poll_filter(std::time::Duration::from_millis(8));
    }

    /// Finish a filter still being applied, so what is "shown" is what the filter says (an
    /// export of the shown rows or a copy of them must not use the old filter's rows).
    pub fn finish_filter(&mut self) {
        while self.poll_filter(std::time::Duration::from_secs(3600)) {}
    }

    pub fn filter_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Filter for up to `budget`; returns true while work remains.
    pub fn poll_filter(&mut self, budget: std::time::Duration) -> bool {
        let Some(p) = self.pending.as_mut() else { return false };
        let start = std::time::Instant::now();
        while p.next < self.rows.len() {
            let end = (p.next + 4096).min(self.rows.len());
            for (i, row) in self.rows[p.next..end].iter().enumerate() {
                let verdict = self.audience.as_ref().and_then(|a| a.verdicts.get(p.next + i).copied());
                if let Some(r) = row
                    && p.needle.matches(r, &self.pool, verdict)
                {
                    p.view.push((p.next + i) as u32);
                }
            }
            p.next = end;
            if start.elapsed() >= budget {
                return true;
            }
        }
        if let Some(done) = self.pending.take() {
            self.view = done.view;
            self.apply_sort();
            self.offset = 0;
            self.selected = 0;
            self.repin();
        }
        false
    }

    pub fn set_sort(&mut self, key: SortKey, descending: bool) {
        self.sort = Some((key, descending));
        self.apply_sort();
    }

    fn apply_sort(&mut self) {
        let Some((key, desc)) = self.sort.clone() else {
            self.view.sort_unstable();
            self.repin();
            return;
        };
        let (rows, pool) = (&self.rows, &self.pool);
        let verdicts = self.audience.as_ref().map(|a| a.verdicts.as_slice()).unwrap_or_default();
        // Stable, with input order as the tie-break.
        self.view.sort_by_cached_key(|i| (sort_value(rows, pool, verdicts, &key, *i), *i));
        if desc {
            self.view.reverse();
        }
        self.repin();
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.view.is_empty() {
            self.selected = 0;
            return;
        }
        let max = self.view.len() as isize - 1;
        self.selected = (self.selected as isize + delta).clamp(0, max) as usize;
        self.pinned = self.selected_index();
    }

    pub fn select_last(&mut self) {
        self.selected = self.view.len().saturating_sub(1);
        self.pinned = self.selected_index();
    }

    /// Keep the cursor visible in a window of `height` rows.
    pub fn scroll_into_view(&mut self, height: usize) {
        let h = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + h {
            self.offset = self.selected + 1 - h;
        }
        self.offset = self.offset.min(self.view.len().saturating_sub(1));
    }

    /// The visible slice (only these rows are built for a frame).
    pub fn window(&self, height: usize) -> &[u32] {
        let start = self.offset.min(self.view.len());
        let end = (start + height).min(self.view.len());
        &self.view[start..end]
    }

    /// Most frequent (value, count) pairs, highest first.
    pub fn top(counts: &HashMap<String, u64>, n: usize) -> Vec<(String, u64)> {
        crate::schema_stats::top_values(counts, n)
    }
}

/// The value a row sorts by in a column.
fn sort_value(rows: &[Option<Row>], pool: &Pool, verdicts: &[u8], key: &SortKey, i: u32) -> String {
    let Some(r) = rows.get(i as usize).and_then(Option::as_ref) else { return String::new() };
    match key {
        SortKey::Account => r.account().to_owned(),
        SortKey::Status => r.status.label().to_owned(),
        SortKey::Audience => verdicts.get(i as usize).copied().unwrap_or_default().to_string(),
        // The trace lives beside the rows; its column is not a sort key.
        SortKey::Delivery => String::new(),
        SortKey::Attr(name) => r.attr(name, pool).unwrap_or_default().to_owned(),
        SortKey::Tags => r.tags(pool).collect::<Vec<_>>().join(","),
    }
}

/// Judge one present row into the view's verdicts, counts and misses.
fn judge_row(a: &mut AudienceView, i: usize, row: &Row, pool: &Pool) {
    if a.verdicts.get(i).is_none_or(|v| *v != 0) {
        return;
    }
    let misses = &mut a.misses;
    let t = a.judge.decide(
        row.status,
        |t| row.tags(pool).any(|x| x == t),
        |n| row.attr(n, pool),
        |k| {
            if let Some(m) = misses.get_mut(k) {
                *m += 1;
            }
        },
    );
    let code = verdict_code(t);
    a.verdicts[i] = code;
    a.counts[code as usize - 1] += 1;
}

fn bump(counts: &mut HashMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_owned(), 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: u32, account: &str, city: &str, tags: &[&str]) -> Record {
        let mut r = Record::new(i, account, Status::Found);
        r.attrs = Some([("city".to_string(), city.to_string())].into());
        r.tags = Some(tags.iter().map(|t| t.to_string()).collect());
        r
    }

    #[test]
    fn out_of_order_batches_show_in_input_order_and_filter_and_sort() {
        let mut res = Results::default();
        res.reset(4);
        res.insert(vec![rec(2, "carol", "北京", &["vip"]), rec(3, "dave", "Seoul", &[])]);
        res.insert(vec![rec(0, "alice", "Seoul", &["vip", "beta"]), rec(1, "bob", "深圳", &[])]);
        assert_eq!(res.view(), &[0, 1, 2, 3]);
        assert_eq!(res.tag_counts["vip"], 2);
        assert_eq!(res.attr_values["city"]["Seoul"], 2);
        res.set_filter("seoul");
        assert_eq!(res.view(), &[0, 3]);
        res.set_filter("city=北京");
        assert_eq!(res.view(), &[2]);
        res.set_filter("");
        res.set_sort(SortKey::Account, true);
        assert_eq!(res.view(), &[3, 2, 1, 0]);
        res.set_sort(SortKey::Attr("city".into()), false);
        assert_eq!(res.view()[..2], [0, 3], "ties keep input order");
    }

    #[test]
    fn reset_keeps_the_filter_working() {
        let mut res = Results::default();
        res.reset(2);
        res.set_filter("seoul");
        res.reset(2);
        res.insert(vec![rec(0, "alice", "Seoul", &[]), rec(1, "bob", "深圳", &[])]);
        assert_eq!(res.filter, "seoul");
        assert_eq!(res.view(), &[0], "the kept filter applies to rows of the new job");
    }

    #[test]
    fn the_selection_stays_on_its_account_through_inserts_sorts_and_filters() {
        let mut res = Results::default();
        res.reset(6);
        res.insert(vec![rec(2, "carol", "b", &[]), rec(3, "dave", "a", &[])]);
        res.move_by(1);
        assert_eq!(res.selected_record().unwrap().account, "dave");
        let mut fresh = Results::default();
        fresh.reset(4);
        fresh.insert(vec![rec(2, "carol", "b", &[])]);
        fresh.insert(vec![rec(0, "alice", "c", &[])]);
        assert_eq!(fresh.selected, 0, "nothing chosen yet: the cursor stays at the top");
        // An earlier batch lands before it.
        res.insert(vec![rec(0, "alice", "c", &[]), rec(1, "bob", "a", &[])]);
        assert_eq!(res.selected_record().unwrap().account, "dave");
        res.set_sort(SortKey::Account, true);
        assert_eq!(res.selected_record().unwrap().account, "dave");
        res.set_sort(SortKey::Attr("city".into()), false);
        assert_eq!(res.selected_record().unwrap().account, "dave");
        // Streaming while sorted keeps both the order and the selection.
        res.insert(vec![rec(5, "frank", "a", &[]), rec(4, "erin", "0", &[])]);
        assert_eq!(res.view(), &[4, 1, 3, 5, 2, 0]);
        assert_eq!(res.selected_record().unwrap().account, "dave");
        res.set_filter("city=a");
        assert_eq!(res.selected_record().unwrap().account, "dave");
        res.set_filter("carol");
        assert_eq!(res.selected_record().unwrap().account, "carol", "filtered out: the first shown row");
    }

    #[test]
    fn sorted_inserts_equal_a_full_sort() {
        for desc in [false, true] {
            let mut res = Results::default();
            res.reset(300);
            res.set_sort(SortKey::Attr("city".into()), desc);
            for chunk in (0..300u32).rev().collect::<Vec<_>>().chunks(37) {
                res.insert(chunk.iter().map(|i| rec(*i, &format!("u{i}"), &format!("c{}", i % 11), &[])).collect());
            }
            let streamed = res.view().to_vec();
            res.set_sort(SortKey::Attr("city".into()), desc);
            assert_eq!(streamed, res.view(), "desc={desc}");
        }
    }

    #[test]
    fn a_pending_filter_is_finished_before_the_shown_rows_are_used() {
        let mut res = Results::default();
        res.reset(50_000);
        res.insert(
            (0..50_000).map(|i| rec(i, &format!("u{i}"), if i % 2 == 0 { "even" } else { "odd" }, &[])).collect(),
        );
        // A zero budget leaves the filter pending after its first step.
        res.filter = "city=odd".into();
        res.needle = Prepared::new(Needle::new("city=odd"));
        res.pending = Some(PendingFilter { needle: Prepared::new(Needle::new("city=odd")), next: 0, view: Vec::new() });
        res.poll_filter(std::time::Duration::ZERO);
        assert!(res.filter_pending());
        res.finish_filter();
        assert!(!res.filter_pending());
        assert_eq!(res.view_len(), 25_000);
        assert!(res.shown().all(|r| r.attrs.unwrap()["city"] == "odd"));
    }

    #[test]
    fn an_audience_judges_every_row_counts_reasons_and_filters() {
        let mut res = Results::default();
        res.reset(5);
        res.insert(vec![rec(0, "a", "深圳", &["vip"]), rec(1, "b", "北京", &["vip"]), rec(2, "c", "深圳", &[])]);
        let json = r#"{"AttrsAnd":{"city":"深圳"}}"#;
        let a = crate::audience::parse(json, crate::api::Family::Timpush, &["city".to_string()]).unwrap();
        res.set_audience(a, json.into());
        assert_eq!(res.verdict(0), Some(Some(true)));
        assert_eq!(res.verdict(1), Some(Some(false)));
        // Rows that come later are judged as they land.
        let mut ghost = Record::new(3, "ghost", Status::NotFound);
        ghost.error = None;
        res.insert(vec![ghost, Record::new(4, "broken", Status::Failed)]);
        assert_eq!(res.verdict(3), Some(Some(false)));
        assert_eq!(res.verdict(4), Some(None));
        let a = res.audience.as_ref().unwrap();
        assert_eq!(a.counts, [2, 2, 1]);
        assert_eq!(a.top_misses(5), [("city ≠ 深圳".to_string(), 1), ("not imported".to_string(), 1)]);
        res.set_filter("audience=no");
        assert_eq!(res.view(), &[1, 3]);
        res.set_filter("audience=unknown");
        assert_eq!(res.view(), &[4]);
        // A new job keeps the condition and judges its rows.
        res.reset(1);
        res.insert(vec![rec(0, "z", "深圳", &[])]);
        assert_eq!(res.verdict(0), Some(Some(true)));
        assert_eq!(res.view(), &[] as &[u32], "the verdict filter holds for the new rows");
        res.clear_audience();
        assert_eq!(res.view(), &[0]);
    }

    #[test]
    fn cursor_and_window() {
        let mut res = Results::default();
        res.reset(100);
        res.insert((0..100).map(|i| rec(i, &format!("u{i}"), "x", &[])).collect());
        res.move_by(50);
        res.scroll_into_view(10);
        assert_eq!(res.offset, 41);
        assert_eq!(res.window(10).len(), 10);
        res.select_last();
        res.scroll_into_view(10);
        assert_eq!(res.window(10).last(), Some(&99));
        res.move_by(-1000);
        assert_eq!(res.selected, 0);
    }
}
