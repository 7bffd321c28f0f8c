//! Compact storage for a million result rows. Attribute names, values and tags repeat across
//! accounts, so each distinct string is stored once and rows hold small ids; a row costs about
//! a hundred bytes instead of a kilobyte. Records are rebuilt on demand (visible rows, detail,
//! copy, export), and a filter is matched once per distinct string instead of once per row.

use std::collections::HashMap;
use std::sync::Arc;

use crate::engine::{ErrorDetail, Record, Status};

/// Each distinct string once.
#[derive(Debug, Default)]
pub struct Pool {
    ids: HashMap<Arc<str>, u32>,
    strs: Vec<Arc<str>>,
}

impl Pool {
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        let id = self.strs.len() as u32;
        let a: Arc<str> = Arc::from(s);
        self.strs.push(a.clone());
        self.ids.insert(a, id);
        id
    }
    pub fn get(&self, id: u32) -> &str {
        &self.strs[id as usize]
    }
    pub fn len(&self) -> usize {
        self.strs.len()
    }
    pub fn is_empty(&self) -> bool {
        self.strs.is_empty()
    }
}

/// What is rare: errors and invalid reasons live out of line.
#[derive(Debug)]
struct Extra {
    error: Option<ErrorDetail>,
    reason: Option<String>,
}

#[derive(Debug)]
pub struct Row {
    /// Inline up to 24 bytes (every valid UserID fits in 32; most in 24): no allocation.
    account: compact_str::CompactString,
    pub status: Status,
    /// One allocation for everything else: `[header, (name, value)*, tag*]` as pool ids; the
    /// header holds the attribute count and which parts the job asked for.
    ids: Box<[u32]>,
    extra: Option<Box<Extra>>,
}

const HAS_ATTRS: u32 = 1 << 30;
const HAS_TAGS: u32 = 1 << 31;

impl Row {
    pub fn from_record(r: Record, pool: &mut Pool) -> Row {
        let n_attrs = r.attrs.as_ref().map_or(0, |a| a.len());
        let n_tags = r.tags.as_ref().map_or(0, |t| t.len());
        let mut ids = Vec::with_capacity(1 + 2 * n_attrs + n_tags);
        let header = n_attrs as u32
            | if r.attrs.is_some() { HAS_ATTRS } else { 0 }
            | if r.tags.is_some() { HAS_TAGS } else { 0 };
        ids.push(header);
        for (k, v) in r.attrs.iter().flatten() {
            ids.push(pool.intern(k));
            ids.push(pool.intern(v));
        }
        for t in r.tags.iter().flatten() {
            ids.push(pool.intern(t));
        }
        let extra =
            (r.error.is_some() || r.reason.is_some()).then(|| Box::new(Extra { error: r.error, reason: r.reason }));
        Row {
            account: compact_str::CompactString::from(r.account),
            status: r.status,
            ids: ids.into_boxed_slice(),
            extra,
        }
    }

    fn header(&self) -> u32 {
        self.ids[0]
    }

    fn attr_ids(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let n = (self.header() & !(HAS_ATTRS | HAS_TAGS)) as usize;
        self.ids[1..1 + 2 * n].chunks_exact(2).map(|p| (p[0], p[1]))
    }

    fn tag_ids(&self) -> &[u32] {
        let n = (self.header() & !(HAS_ATTRS | HAS_TAGS)) as usize;
        &self.ids[1 + 2 * n..]
    }

    pub fn to_record(&self, index: u32, pool: &Pool) -> Record {
        let h = self.header();
        Record {
            index,
            account: self.account.to_string(),
            status: self.status,
            attrs: (h & HAS_ATTRS != 0)
                .then(|| self.attr_ids().map(|(k, v)| (pool.get(k).to_owned(), pool.get(v).to_owned())).collect()),
            tags: (h & HAS_TAGS != 0).then(|| self.tag_ids().iter().map(|t| pool.get(*t).to_owned()).collect()),
            error: self.extra.as_ref().and_then(|e| e.error.clone()),
            reason: self.extra.as_ref().and_then(|e| e.reason.clone()),
        }
    }

    pub fn account(&self) -> &str {
        &self.account
    }

    /// The value of the attribute called `name`.
    pub fn attr<'a>(&'a self, name: &str, pool: &'a Pool) -> Option<&'a str> {
        self.attr_ids().find(|(k, _)| pool.get(*k) == name).map(|(_, v)| pool.get(v))
    }

    pub fn tags<'a>(&'a self, pool: &'a Pool) -> impl Iterator<Item = &'a str> + 'a {
        self.tag_ids().iter().map(|t| pool.get(*t))
    }

    pub fn error(&self) -> Option<&ErrorDetail> {
        self.extra.as_ref()?.error.as_ref()
    }

    pub fn reason(&self) -> Option<&str> {
        self.extra.as_ref()?.reason.as_deref()
    }

    pub fn has_tags_part(&self) -> bool {
        self.header() & HAS_TAGS != 0
    }

    pub fn error_label(&self) -> Option<&str> {
        self.error().map(|e| e.label.as_str())
    }
}

/// Substring match over account, status, attribute values (and `name=value`), tags and error
/// label. Lower-case queries match case-insensitively ("smart case").
#[derive(Debug, Clone, Default)]
pub struct Needle {
    text: String,
    insensitive: bool,
    /// For `name=value` queries: the name part.
    pair: Option<(String, String)>,
    /// `audience=yes|no|unknown` (also ✓ ✗ ?): a filter on the push-audience verdict (1, 2, 3).
    pub audience: Option<u8>,
}

impl Needle {
    pub fn new(filter: &str) -> Needle {
        let insensitive = !filter.chars().any(char::is_uppercase);
        let text = if insensitive { filter.to_lowercase() } else { filter.to_owned() };
        let pair = text.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned()));
        Needle { text, insensitive, pair, audience: audience_query(filter) }
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    fn hit_with(&self, hay: &str, needle: &str) -> bool {
        if needle.is_empty() {
            return true;
        }
        if !self.insensitive {
            return hay.contains(needle);
        }
        if hay.is_ascii() {
            // Candidates by first byte (either case), then a case-insensitive compare; no allocation.
            let (h, n) = (hay.as_bytes(), needle.as_bytes());
            if h.len() < n.len() {
                return false;
            }
            let (lo, up) = (n[0].to_ascii_lowercase(), n[0].to_ascii_uppercase());
            return (0..=h.len() - n.len())
                .any(|i| (h[i] == lo || h[i] == up) && h[i..i + n.len()].eq_ignore_ascii_case(n));
        }
        hay.to_lowercase().contains(needle)
    }

    pub fn hit(&self, hay: &str) -> bool {
        self.hit_with(hay, &self.text)
    }

    /// The reference semantics over a whole record; `Prepared::matches` must agree with it.
    #[cfg(test)]
    pub fn matches(&self, r: &Record) -> bool {
        self.is_empty()
            || self.hit(&r.account)
            || self.hit(r.status.label())
            || r.attrs.iter().flatten().any(|(k, v)| self.hit(v) || self.pair_hit(k, v))
            || r.tags.iter().flatten().any(|t| self.hit(t))
            || r.error.as_ref().is_some_and(|e| self.hit(&e.label))
    }

    fn pair_hit(&self, k: &str, v: &str) -> bool {
        self.pair.as_ref().is_some_and(|(pk, pv)| k.len() == pk.len() && self.hit_with(k, pk) && self.hit_with(v, pv))
    }
}

/// The verdict an `audience=…` query asks for.
fn audience_query(filter: &str) -> Option<u8> {
    let (k, v) = filter.trim().split_once('=')?;
    if !k.trim().eq_ignore_ascii_case("audience") {
        return None;
    }
    match v.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "✓" => Some(1),
        "no" | "n" | "false" | "✗" => Some(2),
        "unknown" | "null" | "?" => Some(3),
        _ => None,
    }
}

/// A needle prepared against the pool: each distinct string is tested once.
#[derive(Debug, Default)]
pub struct Prepared {
    pub needle: Needle,
    /// Per pool id: does the string contain the needle? (None: not computed yet.)
    hits: Vec<Option<bool>>,
    statuses: [bool; 6],
}

impl Prepared {
    pub fn new(needle: Needle) -> Prepared {
        let statuses = Status::ALL.map(|s| needle.hit(s.label()));
        Prepared { needle, hits: Vec::new(), statuses }
    }

    fn hit_id(&mut self, id: u32, pool: &Pool) -> bool {
        let i = id as usize;
        if i >= self.hits.len() {
            self.hits.resize(pool.len().max(i + 1), None);
        }
        *self.hits[i].get_or_insert_with(|| self.needle.hit(pool.get(id)))
    }

    /// Does the row match? `verdict`: the row's push-audience verdict, if one is applied.
    pub fn matches(&mut self, row: &Row, pool: &Pool, verdict: Option<u8>) -> bool {
        if let Some(want) = self.needle.audience {
            return verdict == Some(want);
        }
        if self.needle.is_empty() {
            return true;
        }
        let status = Status::ALL.iter().position(|s| *s == row.status).is_some_and(|i| self.statuses[i]);
        if status || self.needle.hit(&row.account) {
            return true;
        }
        for (k, v) in row.attr_ids() {
            if self.hit_id(v, pool) || (self.needle.pair.is_some() && self.needle.pair_hit(pool.get(k), pool.get(v))) {
                return true;
            }
        }
        for t in row.tag_ids() {
            if self.hit_id(*t, pool) {
                return true;
            }
        }
        row.error_label().is_some_and(|l| self.needle.hit(l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_through_the_pool_and_match_like_records() {
        let mut pool = Pool::default();
        let mut r = Record::new(7, "bob", Status::Found);
        r.attrs = Some([("city".to_string(), "Seoul".to_string())].into());
        r.tags = Some(vec!["vip".into(), "vip2".into()]);
        let row = Row::from_record(r.clone(), &mut pool);
        assert_eq!(row.to_record(7, &pool), r);
        assert_eq!(row.attr("city", &pool), Some("Seoul"));
        for q in ["seoul", "SEOUL", "city=seo", "vip2", "found", "bo", "nope", "city=x"] {
            let mut p = Prepared::new(Needle::new(q));
            assert_eq!(p.matches(&row, &pool, None), Needle::new(q).matches(&r), "{q}");
        }
        // The second row with the same strings adds nothing to the pool.
        let n = pool.len();
        Row::from_record(r, &mut pool);
        assert_eq!(pool.len(), n);
    }
}
