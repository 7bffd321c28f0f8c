//! The schema as the queried accounts use it: for each attribute, how many have a value, how
//! many distinct values and which are most common; tags per account against the per-user limit
//! of 100; and the accounts whose values or tags the current limits would reject. Shown by
//! `timx inspect --summary` and in the explorer's summary tab.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::api::{MAX_FIELD_BYTES, MAX_TAGS_PER_USER};
use crate::engine::{Record, Status};

/// Tags-per-account histogram buckets: (lowest, highest, label).
pub const BUCKETS: [(usize, usize, &str); 8] = [
    (0, 0, "0"),
    (1, 1, "1"),
    (2, 5, "2-5"),
    (6, 10, "6-10"),
    (11, 20, "11-20"),
    (21, 50, "21-50"),
    (51, 99, "51-99"),
    (100, usize::MAX, "100+"),
];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SchemaStats {
    /// Accounts answered (found or empty): the share's denominator.
    pub answered: u64,
    /// Attribute name → value → accounts (kept when `values` is on; the explorer has its own).
    #[serde(skip)]
    pub values: BTreeMap<String, HashMap<String, u64>>,
    /// Accounts per bucket of `BUCKETS`.
    pub tags_per_account: [u64; 8],
    /// Accounts with 100 tags (the limit: no tag can be added).
    pub at_tag_limit: u64,
    pub long_values: u64,
    pub long_tags: u64,
    pub empty_tags: u64,
    /// Accounts with any of the above (over 100 tags counts too).
    pub rejected_accounts: u64,
    keep_values: bool,
}

/// One attribute's line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttrUse {
    pub name: String,
    pub with_value: u64,
    pub distinct: usize,
    pub top: Vec<(String, u64)>,
}

impl SchemaStats {
    /// `keep_values`: count values per attribute here (headless); off where they are kept
    /// already (the explorer's results).
    pub fn new(keep_values: bool) -> SchemaStats {
        SchemaStats { keep_values, ..SchemaStats::default() }
    }

    pub fn add(&mut self, r: &Record) {
        if !matches!(r.status, Status::Found | Status::Empty) {
            return;
        }
        self.answered += 1;
        let mut rejected = false;
        for (name, value) in r.attrs.iter().flatten() {
            if value.len() > MAX_FIELD_BYTES {
                self.long_values += 1;
                rejected = true;
            }
            if self.keep_values {
                let values = self.values.entry(name.clone()).or_default();
                match values.get_mut(value) {
                    Some(n) => *n += 1,
                    None => {
                        values.insert(value.clone(), 1);
                    }
                }
            }
        }
        if let Some(tags) = &r.tags {
            let n = tags.len();
            if let Some(b) = BUCKETS.iter().position(|(lo, hi, _)| (*lo..=*hi).contains(&n)) {
                self.tags_per_account[b] += 1;
            }
            if n == MAX_TAGS_PER_USER {
                self.at_tag_limit += 1;
            }
            rejected |= n > MAX_TAGS_PER_USER;
            for t in tags {
                if t.is_empty() {
                    self.empty_tags += 1;
                    rejected = true;
                } else if t.len() > MAX_FIELD_BYTES {
                    self.long_tags += 1;
                    rejected = true;
                }
            }
        }
        if rejected {
            self.rejected_accounts += 1;
        }
    }

    /// Per attribute (in `names` order, then any others these stats counted): share, distinct,
    /// top values. `values` finds an attribute's value counts (here, or in the explorer's).
    pub fn attrs<'a>(
        &'a self,
        names: &[String],
        values: &dyn Fn(&str) -> Option<&'a HashMap<String, u64>>,
        top: usize,
    ) -> Vec<AttrUse> {
        let others = self.values.keys().filter(|k| !names.contains(k)).cloned();
        names
            .iter()
            .cloned()
            .chain(others)
            .map(|name| {
                let counts = values(&name);
                AttrUse {
                    with_value: counts.map(|m| m.values().sum()).unwrap_or(0),
                    distinct: counts.map(HashMap::len).unwrap_or(0),
                    top: counts.map(|m| top_values(m, top)).unwrap_or_default(),
                    name,
                }
            })
            .collect()
    }

    /// The report as lines of text (escaped), for the terminal.
    pub fn lines(&self, attrs: &[AttrUse]) -> Vec<String> {
        let e = |s: &str| crate::text::escape(s).into_owned();
        let pct = |n: u64| if self.answered == 0 { 0.0 } else { n as f64 * 100.0 / self.answered as f64 };
        let mut out = vec![format!("Schema use of {} answered accounts", self.answered)];
        out.push(format!(
            "  {}  {:>12}  {:>8}  top values",
            crate::text::pad("attribute", 16),
            "have a value",
            "distinct"
        ));
        for a in attrs {
            let top: Vec<String> = a.top.iter().map(|(v, n)| format!("{} {n}", e(v))).collect();
            out.push(format!(
                "  {}  {:>5.1}% {:>6}  {:>8}  {}",
                crate::text::pad(&e(&a.name), 16),
                pct(a.with_value),
                a.with_value,
                a.distinct,
                top.join(", ")
            ));
        }
        let hist: Vec<String> =
            BUCKETS.iter().zip(self.tags_per_account).map(|((_, _, l), n)| format!("{l}: {n}")).collect();
        out.push(format!("Tags per account  {}", hist.join("  ")));
        out.push(format!("  at the limit of {MAX_TAGS_PER_USER} tags (no tag can be added): {}", self.at_tag_limit));
        out.push(format!(
            "Over the limits: {} values and {} tags over {MAX_FIELD_BYTES} bytes, {} empty tags: {} accounts \
             the service would refuse as they are",
            self.long_values, self.long_tags, self.empty_tags, self.rejected_accounts
        ));
        out
    }
}

/// The `n` most frequent values, highest first (ties by value): a partial selection, so a
/// million distinct values cost one pass, not a sort.
pub fn top_values(counts: &HashMap<String, u64>, n: usize) -> Vec<(String, u64)> {
    let order = |a: &(&String, &u64), b: &(&String, &u64)| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0));
    let mut v: Vec<(&String, &u64)> = counts.iter().collect();
    if n == 0 {
        return Vec::new();
    }
    if v.len() > n {
        v.select_nth_unstable_by(n - 1, order);
        v.truncate(n);
    }
    v.sort_by(order);
    v.into_iter().map(|(k, c)| (k.clone(), *c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(status: Status, attrs: &[(&str, &str)], tags: &[&str]) -> Record {
        Record {
            attrs: Some(attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
            tags: Some(tags.iter().map(|t| t.to_string()).collect()),
            ..Record::new(0, "a", status)
        }
    }

    #[test]
    fn shares_distinct_values_histogram_and_limits() {
        let mut s = SchemaStats::new(true);
        let hundred: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
        let hundred: Vec<&str> = hundred.iter().map(String::as_str).collect();
        let long = "x".repeat(51);
        s.add(&rec(Status::Found, &[("city", "深圳"), ("sex", "F")], &["vip"]));
        s.add(&rec(Status::Found, &[("city", "深圳")], &hundred));
        s.add(&rec(Status::Found, &[("city", &long)], &["", "ok"]));
        s.add(&rec(Status::Empty, &[], &[]));
        s.add(&rec(Status::NotFound, &[("city", "x")], &[]));
        assert_eq!(s.answered, 4, "not-found accounts are not part of the share");
        let attrs = s.attrs(&["sex".to_string(), "city".to_string(), "plan".to_string()], &|n| s.values.get(n), 2);
        assert_eq!(attrs[0], AttrUse { name: "sex".into(), with_value: 1, distinct: 1, top: vec![("F".into(), 1)] });
        assert_eq!((attrs[1].with_value, attrs[1].distinct), (3, 2));
        assert_eq!(attrs[1].top[0], ("深圳".to_string(), 2));
        assert_eq!((attrs[2].with_value, attrs[2].distinct), (0, 0), "a slot nobody uses");
        assert_eq!(s.tags_per_account, [1, 1, 1, 0, 0, 0, 0, 1]);
        assert_eq!((s.at_tag_limit, s.long_values, s.empty_tags, s.rejected_accounts), (1, 1, 1, 1));
        let text = s.lines(&attrs).join("\n");
        let counts: HashMap<String, u64> = (0..1000).map(|i| (format!("v{i:04}"), (i % 7) as u64)).collect();
        let top = top_values(&counts, 3);
        assert_eq!(top, [("v0006".to_string(), 6), ("v0013".to_string(), 6), ("v0020".to_string(), 6)]);
        assert!(text.contains("75.0%") && text.contains("100+: 1") && text.contains("1 accounts"), "{text}");
    }
}
