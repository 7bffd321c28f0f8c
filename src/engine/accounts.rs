//! Account input: normalization (trim, skip blanks, drop duplicates, flag invalid IDs) and a
//! compact list that holds a million accounts in one string buffer instead of a million Strings.

use std::collections::HashSet;
use std::hash::BuildHasher;

use crate::api::MAX_USERID_BYTES;

/// Accounts in input order, stored back to back in one buffer.
#[derive(Debug, Clone, Default)]
pub struct AccountList {
    buf: String,
    ends: Vec<u32>,
}

impl AccountList {
    pub fn push(&mut self, s: &str) {
        self.buf.push_str(s);
        self.ends.push(self.buf.len() as u32);
    }
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.buf[start..self.ends[i] as usize]
    }
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// Normalized input: every kept entry (valid or invalid) in input order, by index.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    pub entries: AccountList,
    /// (index into `entries`, reason), ascending by index.
    pub invalid: Vec<(u32, String)>,
    /// Repeats of an account already seen; they share the first occurrence's outcome.
    pub duplicates: u64,
    /// Lines that were blank after trimming.
    pub blank: u64,
}

impl Normalized {
    pub fn total(&self) -> usize {
        self.entries.len()
    }
    pub fn valid_count(&self) -> usize {
        self.entries.len() - self.invalid.len()
    }
    /// Mark more entries invalid (checks made after normalizing); an entry already invalid
    /// keeps its first reason.
    pub fn mark_invalid(&mut self, more: impl IntoIterator<Item = (u32, String)>) {
        self.invalid.extend(more);
        self.invalid.sort_by_key(|(i, _)| *i);
        self.invalid.dedup_by_key(|(i, _)| *i);
    }

    /// Indices of valid entries, in order.
    pub fn valid_indices(&self) -> impl Iterator<Item = u32> + '_ {
        let mut inv = self.invalid.iter().map(|(i, _)| *i).peekable();
        (0..self.entries.len() as u32).filter(move |i| {
            if inv.peek() == Some(i) {
                inv.next();
                false
            } else {
                true
            }
        })
    }
}

/// Why a string cannot be a UserID, or None when it can.
pub fn invalid_reason(account: &str) -> Option<String> {
    if account.is_empty() {
        return Some("empty".into());
    }
    if account.len() > MAX_USERID_BYTES {
        return Some(format!("{} bytes, over the {MAX_USERID_BYTES}-byte UserID limit", account.len()));
    }
    if account.contains('\u{FFFD}') {
        return Some("contains U+FFFD: the input was not valid UTF-8 there".into());
    }
    if let Some(c) = account.chars().find(|c| crate::text::is_unsafe(*c)) {
        return Some(format!("contains control or invisible character U+{:04X}", c as u32));
    }
    None
}

/// How much of an invalid entry is kept to show which line it was.
const SHOWN_CHARS: usize = 64;

/// Incremental normalizer: feed lines or arguments, then `finish`.
#[derive(Debug, Default)]
pub struct Normalizer {
    out: Normalized,
    /// The entries seen, as their indices into `entries`, hashed by their text: 4 bytes an
    /// account (a million cost about 10 MB, not 60 as Strings), and a hit is the same string,
    /// so no collision can drop an account.
    seen: hashbrown::HashTable<u32>,
    /// Invalid accounts, stored shortened, so not comparable by index.
    spill: HashSet<String>,
    hasher: std::collections::hash_map::RandomState,
    /// Test hook: every account hashes alike, as if all of them collided.
    #[cfg(test)]
    collide: bool,
}

impl Normalizer {
    pub fn new() -> Self {
        Self::default()
    }

    /// True when `account` was seen before; otherwise remembers it as the next entry.
    fn is_repeat(&mut self, account: &str, stored_verbatim: bool) -> bool {
        if !stored_verbatim {
            return !self.spill.insert(account.to_owned());
        }
        #[cfg(test)]
        let collide = self.collide;
        #[cfg(not(test))]
        let collide = false;
        let hasher = &self.hasher;
        // The test hook makes every account hash alike: each hit is then decided by the string.
        let hash = |s: &str| if collide { 0 } else { hasher.hash_one(s) };
        let entries = &self.out.entries;
        let h = hash(account);
        if self.seen.find(h, |i| entries.get(*i as usize) == account).is_some() {
            return true;
        }
        self.seen.insert_unique(h, entries.len() as u32, |i| hash(entries.get(*i as usize)));
        false
    }

    /// One line of input. Leading/trailing white space (including CR) is trimmed.
    pub fn push_line(&mut self, line: &str) {
        let t = line.trim();
        if t.is_empty() {
            self.out.blank += 1;
            return;
        }
        let _ = self.push_account(t);
    }

    /// One account as given (e.g. a command-line argument); an empty one is invalid. Returns
    /// its entry's index, or None for a repeat of an account already pushed.
    pub fn push_account(&mut self, account: &str) -> Option<u32> {
        let reason = invalid_reason(account);
        let verbatim = reason.is_none() || account.chars().nth(SHOWN_CHARS).is_none();
        if self.is_repeat(account, verbatim) {
            self.out.duplicates += 1;
            return None;
        }
        let idx = self.out.entries.len() as u32;
        if let Some(reason) = reason {
            // Keep the raw text (escaped later, shortened) so the user sees which line it was.
            let shown: String = account.chars().take(SHOWN_CHARS).collect();
            self.out.entries.push(&shown);
            self.out.invalid.push((idx, reason));
        } else {
            self.out.entries.push(account);
        }
        Some(idx)
    }

    /// Every line of a text (LF or CRLF).
    pub fn push_text(&mut self, text: &str) {
        for line in text.lines() {
            self.push_line(line);
        }
    }

    pub fn finish(self) -> Normalized {
        self.out
    }
}

/// Normalize a whole text at once.
pub fn normalize_text(text: &str) -> Normalized {
    let mut n = Normalizer::new();
    n.push_text(text);
    n.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_skips_blanks_keeps_first_duplicate_and_flags_invalid() {
        let n = normalize_text("  alice \r\n\n\tbob\nalice\n张小红\n\n");
        assert_eq!(n.entries.iter().collect::<Vec<_>>(), vec!["alice", "bob", "张小红"]);
        assert_eq!(n.duplicates, 1);
        assert_eq!(n.blank, 2);
        assert!(n.invalid.is_empty());

        let long = "x".repeat(33);
        let n = normalize_text(&format!("ok\n{long}\nbad\u{1b}[2J\nfine"));
        assert_eq!(n.total(), 4);
        assert_eq!(n.invalid.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![1, 2]);
        assert!(n.invalid[0].1.contains("33 bytes"));
        assert!(n.invalid[1].1.contains("U+001B"));
        assert_eq!(n.valid_indices().collect::<Vec<_>>(), vec![0, 3]);
        // 32 bytes of CJK (3 bytes each) is over: 11 chars = 33 bytes.
        assert!(invalid_reason(&"张".repeat(11)).is_some());
        assert!(invalid_reason(&"张".repeat(10)).is_none());
    }

    #[test]
    fn a_hash_collision_never_drops_a_distinct_account_and_growth_keeps_every_entry() {
        let mut n = Normalizer::new();
        (0..50_000).for_each(|i| {
            n.push_account(&format!("u{i}"));
        });
        (0..50_000).rev().for_each(|i| {
            n.push_account(&format!("u{i}"));
        });
        let n = n.finish();
        assert_eq!((n.total(), n.duplicates), (50_000, 50_000));
    }

    #[test]
    fn a_hash_collision_never_drops_a_distinct_account() {
        let mut n = Normalizer { collide: true, ..Normalizer::default() };
        let long_a = format!("{}a", "\u{1}".repeat(70));
        let long_b = format!("{}b", "\u{1}".repeat(70));
        for a in ["alice", "bob", "alice", "carol", "bob", &long_a, &long_b, &long_a] {
            n.push_account(a);
        }
        let n = n.finish();
        assert_eq!(n.entries.len(), 5, "alice, bob, carol and two distinct invalid lines");
        assert_eq!(n.duplicates, 3);
        assert_eq!(n.entries.iter().take(3).collect::<Vec<_>>(), vec!["alice", "bob", "carol"]);
    }

    #[test]
    fn empty_argument_is_invalid_not_skipped() {
        let mut n = Normalizer::new();
        n.push_account("");
        let n = n.finish();
        assert_eq!(n.invalid.len(), 1);
    }
}
