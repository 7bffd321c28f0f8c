//! The plan of a write, on screen before anything is sent: counts (changing, unchanged,
//! invalid with reasons), a scrollable per-account diff, the warnings, and the question. When
//! more than one account changes the user types their number, as `timx apply` asks.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::Outcome;
use crate::engine::OutcomeStatus;
use crate::tui::keymap::{self, Action, Context};
use crate::write::{WriteRecord, WriteStatus};

/// One account (or slot) of the plan that is not unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanEntry {
    pub head: String,
    pub status: WriteStatus,
    /// The changes as people read them (`set city: 北京 → 深圳`, `add tag vip`), or why not.
    pub details: Vec<String>,
}

/// What a plan waits for before Enter applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Still reading the accounts.
    Planning,
    /// Nothing would change.
    Nothing,
    /// A schema plan with an invalid slot is not applied in part.
    FixInvalid,
    /// More than one changes: the number must be typed first.
    Type(u64),
    /// One change: Enter applies it.
    Enter,
}

/// Entries kept for the diff; past this the counts still add up, and the overlay says so.
const KEPT: usize = 20_000;

#[derive(Debug, Clone)]
pub struct PlanView {
    pub title: String,
    /// `account` or `slot`: what the question counts.
    pub noun: &'static str,
    pub warnings: Vec<String>,
    pub entries: Vec<PlanEntry>,
    /// Entries not kept (over `KEPT`).
    pub dropped: u64,
    pub counts: BTreeMap<WriteStatus, u64>,
    /// Operations planned, by kind.
    pub ops: BTreeMap<String, u64>,
    /// (read so far, total) while planning.
    pub progress: (u64, u64),
    /// The plan is complete (all accounts read).
    pub done: bool,
    /// First line shown of the diff.
    pub scroll: usize,
    pub typed: String,
    /// What the last key could not do (`type 250 first`).
    pub note: Option<String>,
}

impl PlanView {
    pub fn new(title: impl Into<String>, noun: &'static str, total: u64) -> PlanView {
        PlanView {
            title: title.into(),
            noun,
            warnings: Vec::new(),
            entries: Vec::new(),
            dropped: 0,
            counts: BTreeMap::new(),
            ops: BTreeMap::new(),
            progress: (0, total),
            done: false,
            scroll: 0,
            typed: String::new(),
            note: None,
        }
    }

    /// A batch of planned accounts.
    pub fn add(&mut self, rows: &[WriteRecord]) {
        for r in rows {
            *self.counts.entry(r.status).or_default() += 1;
            crate::engine::Outcome::tally(r, &mut self.ops);
            if r.status == WriteStatus::Unchanged {
                continue;
            }
            if self.entries.len() >= KEPT {
                self.dropped += 1;
                continue;
            }
            let mut details: Vec<String> = r.changes.iter().map(crate::write::change::Change::text).collect();
            if let Some(why) = r.row().error {
                details.push(why);
            }
            self.entries.push(PlanEntry { head: r.account.clone(), status: r.status, details });
        }
        self.progress.0 += rows.len() as u64;
    }

    pub fn count(&self, s: WriteStatus) -> u64 {
        self.counts.get(&s).copied().unwrap_or_default()
    }

    /// How many will change.
    pub fn changing(&self) -> u64 {
        self.count(WriteStatus::Planned)
    }

    /// Whether the user must type the number before Enter applies.
    pub fn needs_typing(&self) -> bool {
        self.changing() > 1
    }

    /// The counts as one line: `3 accounts change (5 set, 2 add_tag) · 1 unchanged · 1 invalid`.
    pub fn counts_line(&self) -> String {
        let n = self.changing();
        let ops: Vec<String> = self.ops.iter().map(|(k, v)| format!("{v} {k}")).collect();
        let mut parts = vec![format!(
            "{n} {}{} change{}",
            self.noun,
            if n == 1 { "" } else { "s" },
            if ops.is_empty() { String::new() } else { format!(" ({})", ops.join(", ")) }
        )];
        for s in WriteStatus::ALL.iter().filter(|s| **s != WriteStatus::Planned) {
            let c = self.count(*s);
            if c > 0 {
                parts.push(format!("{c} {}", s.label()));
            }
        }
        parts.join(" · ")
    }

    /// How many accounts a confirmation would not write, and why (`200 failed, 3 invalid`):
    /// only the planned ones are written.
    pub fn left_out(&self) -> Option<String> {
        let out: Vec<(WriteStatus, u64)> = WriteStatus::ALL
            .iter()
            .filter(|s| !matches!(s, WriteStatus::Planned | WriteStatus::Unchanged))
            .map(|s| (*s, self.count(*s)))
            .filter(|(_, c)| *c > 0)
            .collect();
        if out.is_empty() || self.changing() == 0 {
            return None;
        }
        let n: u64 = out.iter().map(|(_, c)| c).sum();
        let what: Vec<String> = out.iter().map(|(s, c)| format!("{c} {}", s.label())).collect();
        Some(format!("{n} {}{} will not be written ({})", self.noun, if n == 1 { "" } else { "s" }, what.join(", ")))
    }

    /// The diff as lines: each entry's head, then its details indented.
    pub fn lines(&self) -> Vec<(bool, String)> {
        let mut out = Vec::new();
        for e in &self.entries {
            out.push((true, format!("{}  {}", e.head, e.status.label())));
            out.extend(e.details.iter().map(|d| (false, format!("    {d}"))));
        }
        if self.dropped > 0 {
            out.push((false, format!("… and {} more (the counts above include them)", self.dropped)));
        }
        out
    }

    pub fn key(&mut self, k: &KeyEvent) -> Outcome {
        self.note = None;
        match keymap::lookup(k, Context::Plan, false) {
            Some(Action::Close) => return Outcome::Close,
            Some(Action::Submit) => return self.submit(),
            Some(a @ (Action::Up | Action::Down | Action::PageUp | Action::PageDown)) => {
                let step: isize = match a {
                    Action::Up => -1,
                    Action::Down => 1,
                    Action::PageUp => -10,
                    _ => 10,
                };
                let max = self.lines().len().saturating_sub(1) as isize;
                self.scroll = (self.scroll as isize + step).clamp(0, max) as usize;
                return Outcome::Changed;
            }
            _ => {}
        }
        match k.code {
            KeyCode::Char(c) if c.is_ascii_digit() && !k.modifiers.contains(KeyModifiers::CONTROL) => {
                if self.typed.len() < 12 {
                    self.typed.push(c);
                }
                Outcome::Changed
            }
            KeyCode::Backspace => {
                self.typed.pop();
                Outcome::Changed
            }
            _ => Outcome::Changed,
        }
    }

    /// What the plan waits for now: the question on screen and what Enter does both follow it.
    pub fn ask(&self) -> Ask {
        let n = self.changing();
        if !self.done {
            Ask::Planning
        } else if n == 0 {
            Ask::Nothing
        } else if self.count(WriteStatus::Invalid) > 0 && self.noun == "slot" {
            Ask::FixInvalid
        } else if self.needs_typing() {
            Ask::Type(n)
        } else {
            Ask::Enter
        }
    }

    fn submit(&mut self) -> Outcome {
        self.note = Some(match self.ask() {
            Ask::Planning => "still planning: wait for the plan to finish".to_string(),
            Ask::Nothing => format!("nothing to change; {} goes back", keymap::key_for(Action::Cancel)),
            Ask::FixInvalid => "fix the invalid slots first".to_string(),
            Ask::Type(n) if self.typed != n.to_string() => {
                format!("type {n} (the number of {}s that change) first, then Enter", self.noun)
            }
            Ask::Type(_) | Ask::Enter => return Outcome::Confirm,
        });
        Outcome::Changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::change::{Change, Op};

    fn row(i: u32, status: WriteStatus, tag: Option<&str>) -> WriteRecord {
        WriteRecord {
            account: format!("u{i}"),
            changes: tag
                .map(|t| Change { op: Op::Add, name: None, tag: Some(t.into()), from: None, to: None })
                .into_iter()
                .collect(),
            reason: (status == WriteStatus::Invalid).then(|| "tag over 50 bytes".to_string()),
            ..WriteRecord::new(i, "", status)
        }
    }

    fn press(p: &mut PlanView, code: KeyCode) -> Outcome {
        p.key(&KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn more_than_one_change_needs_the_number_typed() {
        let mut p = PlanView::new("tag add vip", "account", 4);
        p.add(&[
            row(0, WriteStatus::Planned, Some("vip")),
            row(1, WriteStatus::Unchanged, None),
            row(2, WriteStatus::Planned, Some("vip")),
        ]);
        assert!(matches!(press(&mut p, KeyCode::Enter), Outcome::Changed));
        assert!(p.note.as_ref().unwrap().contains("still planning"));
        p.add(&[row(3, WriteStatus::Invalid, None)]);
        p.done = true;
        assert_eq!(p.counts_line(), "2 accounts change (2 add_tag) · 1 unchanged · 1 invalid");
        assert_eq!(p.entries.len(), 3, "unchanged accounts are counted, not listed");
        assert!(matches!(press(&mut p, KeyCode::Enter), Outcome::Changed));
        assert!(p.note.as_ref().unwrap().contains("type 2"));
        press(&mut p, KeyCode::Char('3'));
        assert!(matches!(press(&mut p, KeyCode::Enter), Outcome::Changed), "a wrong number does not apply");
        press(&mut p, KeyCode::Backspace);
        press(&mut p, KeyCode::Char('2'));
        assert!(matches!(press(&mut p, KeyCode::Enter), Outcome::Confirm));
        assert!(matches!(press(&mut p, KeyCode::Esc), Outcome::Close));
    }

    #[test]
    fn one_change_is_confirmed_with_enter_and_nothing_to_change_is_not() {
        let mut p = PlanView::new("edit u0", "account", 1);
        p.add(&[row(0, WriteStatus::Planned, Some("vip"))]);
        p.done = true;
        assert!(matches!(press(&mut p, KeyCode::Enter), Outcome::Confirm));
        let mut p = PlanView::new("edit u0", "account", 1);
        p.add(&[row(0, WriteStatus::Unchanged, None)]);
        p.done = true;
        assert!(matches!(press(&mut p, KeyCode::Enter), Outcome::Changed));
        assert!(p.note.as_ref().unwrap().contains("nothing to change"));
    }
}
