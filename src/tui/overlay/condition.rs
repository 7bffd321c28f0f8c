//! The push-condition editor (`A` in the results): a line of JSON checked as it is typed — with
//! the ErrorCode the service would answer — and the conditions applied before, recalled with
//! ↑/↓ and kept in the state dir between sessions.

use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::Outcome;
use crate::api::Family;
use crate::audience::{self, Audience, Condition};
use crate::text::edges_shown;
use crate::tui::keymap::{self, Action, Context};

/// Conditions kept in the history file.
pub const HISTORY: usize = 20;

/// What the check of the line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Valid(String),
    /// Valid, but worth a second look (no Condition: everyone; a point the documents leave open).
    Warn(String),
    Invalid(String),
}

#[derive(Debug, Clone)]
pub struct ConditionEditor {
    pub text: String,
    /// Conditions applied before, newest last.
    pub history: Vec<String>,
    /// The history entry shown while recalling; None: the line being typed.
    recall: Option<usize>,
    /// The line being typed, kept while recalling.
    draft: String,
    family: Family,
    names: Vec<String>,
    pub check: Check,
}

impl ConditionEditor {
    pub fn new(text: String, history: Vec<String>, family: Family, names: Vec<String>) -> ConditionEditor {
        let mut e = ConditionEditor {
            text,
            history,
            recall: None,
            draft: String::new(),
            family,
            names,
            check: Check::Invalid(String::new()),
        };
        e.recheck();
        e
    }

    fn recheck(&mut self) {
        self.check = if self.text.trim().is_empty() {
            Check::Invalid(r#"type a Condition, e.g. {"TagsAnd":["vip"]}, or a whole push body"#.into())
        } else {
            match audience::parse(&self.text, self.family, &self.names) {
                Ok(c) => match (&c.audience, c.warnings.as_slice()) {
                    (Audience::All, _) => Check::Warn(
                        "ALL USERS: no Condition, so the push goes to every user who has logged in or been imported"
                            .into(),
                    ),
                    (Audience::Some(cond), []) => Check::Valid(describe(cond)),
                    (Audience::Some(cond), w) => {
                        Check::Warn(format!("{} · warning: {}", describe(cond), w.join(" · warning: ")))
                    }
                },
                Err(e) => Check::Invalid(e.to_string()),
            }
        };
    }

    /// Show history entry `i` (None: back to the draft).
    fn show(&mut self, i: Option<usize>) {
        if self.recall.is_none() {
            self.draft = self.text.clone();
        }
        self.recall = i;
        self.text = match i {
            Some(i) => self.history[i].clone(),
            None => std::mem::take(&mut self.draft),
        };
    }

    pub fn paste(&mut self, text: &str) {
        // A condition pasted from a pretty-printed file arrives on several lines.
        self.text.push_str(&text.lines().map(str::trim).collect::<Vec<_>>().join(" "));
        self.recheck();
    }

    pub fn key(&mut self, k: &KeyEvent) -> Outcome {
        match keymap::lookup(k, Context::Condition, false) {
            Some(Action::Close) => return Outcome::Close,
            Some(Action::Submit) => {
                return match self.check {
                    Check::Invalid(_) => Outcome::Changed,
                    _ => Outcome::Submit(self.text.clone()),
                };
            }
            Some(Action::Up) if !self.history.is_empty() => {
                let i = self.recall.map_or(self.history.len() - 1, |i| i.saturating_sub(1));
                self.show(Some(i));
            }
            Some(Action::Down) => match self.recall {
                Some(i) if i + 1 < self.history.len() => self.show(Some(i + 1)),
                Some(_) => self.show(None),
                None => return Outcome::Ignored,
            },
            Some(Action::ClearInput) => self.text.clear(),
            _ => match k.code {
                KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => self.text.push(c),
                KeyCode::Backspace => {
                    self.text.pop();
                }
                _ => return Outcome::Ignored,
            },
        }
        self.recheck();
        Outcome::Changed
    }
}

/// A valid condition in a few words: `TagsAnd vip, gold · AttrsOr city=北京`.
fn describe(c: &Condition) -> String {
    let shown = |v: &[String]| v.iter().map(|t| edges_shown(t)).collect::<Vec<_>>().join(", ");
    let tags = |name: &str, v: &[String]| (!v.is_empty()).then(|| format!("{name} {}", shown(v)));
    let attrs = |name: &str, m: &std::collections::BTreeMap<String, String>| {
        (!m.is_empty()).then(|| {
            format!(
                "{name} {}",
                m.iter().map(|(k, v)| format!("{k}={}", edges_shown(v))).collect::<Vec<_>>().join(", ")
            )
        })
    };
    let parts: Vec<String> = [
        tags("TagsAnd", &c.tags_and),
        tags("TagsOr", &c.tags_or),
        tags("TagsNot", &c.tags_not),
        attrs("AttrsAnd", &c.attrs_and),
        attrs("AttrsOr", &c.attrs_or),
    ]
    .into_iter()
    .flatten()
    .collect();
    format!("valid: {}", parts.join(" · "))
}

/// The conditions applied before (a JSON array, newest last); none when the file is missing or
/// unreadable.
pub fn load_history(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()
}

/// Add `text` to the history file as its newest entry.
pub fn record(path: &Path, text: &str) -> std::io::Result<()> {
    let mut history = load_history(path);
    remember(&mut history, text);
    save_history(path, &history)
}

/// `text` as the newest entry (once), at most `HISTORY` kept.
fn remember(history: &mut Vec<String>, text: &str) {
    history.retain(|h| h != text);
    history.push(text.to_owned());
    let over = history.len().saturating_sub(HISTORY);
    history.drain(..over);
}

fn save_history(path: &Path, history: &[String]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = crate::private_file::open(path, crate::private_file::Open::Truncate)?;
    std::io::Write::write_all(&mut f, serde_json::to_string_pretty(history).unwrap_or_default().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(e: &mut ConditionEditor, code: KeyCode) -> Outcome {
        e.key(&KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn typed(e: &mut ConditionEditor, s: &str) {
        s.chars().for_each(|c| {
            press(e, KeyCode::Char(c));
        });
    }

    #[test]
    fn checks_as_it_is_typed_and_refuses_an_invalid_condition() {
        let names = vec!["city".to_string()];
        let mut e = ConditionEditor::new(String::new(), vec![], Family::AllMemberPush, names);
        assert!(matches!(e.check, Check::Invalid(_)));
        typed(&mut e, r#"{"TagsAnd":["vip"],"AttrsAnd":{"city":"x"}}"#);
        assert!(matches!(&e.check, Check::Invalid(m) if m.starts_with("90039")), "{:?}", e.check);
        assert!(matches!(press(&mut e, KeyCode::Enter), Outcome::Changed), "Enter does not apply it");
        e.key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        typed(&mut e, r#"{"TagsAnd":["vip","gold"]}"#);
        assert_eq!(e.check, Check::Valid("valid: TagsAnd vip, gold".into()));
        assert!(matches!(press(&mut e, KeyCode::Enter), Outcome::Submit(t) if t.contains("gold")));
        e.key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        e.paste("{\n  \"MsgRandom\": 1\n}");
        assert!(matches!(&e.check, Check::Warn(m) if m.contains("ALL USERS")), "{:?}", e.check);
        // A valid condition that rests on an undocumented point is a warning, not an error.
        let mut e = ConditionEditor::new(String::new(), vec![], Family::Timpush, vec![]);
        typed(&mut e, r#"{"TagsNot":["spam"]}"#);
        assert!(matches!(&e.check, Check::Warn(m) if m.contains("TagsNot alone")), "{:?}", e.check);
        assert!(matches!(press(&mut e, KeyCode::Enter), Outcome::Submit(_)), "a warning still applies");
    }

    #[test]
    fn recalls_older_conditions_and_comes_back_to_the_draft() {
        let history = vec![r#"{"TagsOr":["a"]}"#.to_string(), r#"{"TagsOr":["b"]}"#.to_string()];
        let mut e = ConditionEditor::new(String::new(), history, Family::Timpush, vec![]);
        typed(&mut e, "{");
        press(&mut e, KeyCode::Up);
        assert_eq!(e.text, r#"{"TagsOr":["b"]}"#, "the newest first");
        press(&mut e, KeyCode::Up);
        press(&mut e, KeyCode::Up);
        assert_eq!(e.text, r#"{"TagsOr":["a"]}"#);
        press(&mut e, KeyCode::Down);
        press(&mut e, KeyCode::Down);
        assert_eq!(e.text, "{", "back to what was being typed");
    }

    #[test]
    fn the_history_is_kept_newest_last_once_each_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join("audience-history.json");
        assert!(load_history(&path).is_empty());
        let mut h = Vec::new();
        for i in 0..25 {
            remember(&mut h, &format!("c{i}"));
        }
        remember(&mut h, "c10");
        assert_eq!(h.len(), HISTORY);
        assert_eq!(h.last().unwrap(), "c10");
        assert_eq!(h.iter().filter(|c| *c == "c10").count(), 1);
        save_history(&path, &h).unwrap();
        assert_eq!(load_history(&path), h);
    }
}
