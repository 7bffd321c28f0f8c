//! The form that edits one account: a field per named attribute slot (current value
//! prefilled; emptied = unset) and a field per tag (emptied = removed), with an empty field at
//! the end that becomes a new tag when typed into. Enter shows the plan; nothing is sent here.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::Outcome;
use crate::engine::Record;
use crate::tui::keymap::{self, Action, Context};
use crate::write::state_file::{AccountState, AttrSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    Attr(String),
    Tag,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditField {
    pub kind: FieldKind,
    pub value: String,
    /// What the account has now (None: a new tag, or an attribute without a value).
    pub was: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EditForm {
    pub account: String,
    /// The row it came from (input index of the results).
    pub row: u32,
    pub fields: Vec<EditField>,
    pub cursor: usize,
    /// Why the form cannot be reviewed yet (a value over the limit…).
    pub error: Option<String>,
}

impl EditForm {
    /// A form for `record`, with a field for each of the app's attribute names.
    pub fn new(record: &Record, names: &[String]) -> EditForm {
        let attrs = record.attrs.clone().unwrap_or_default();
        let mut fields: Vec<EditField> = names
            .iter()
            .map(|n| {
                let was = attrs.get(n).cloned();
                EditField { kind: FieldKind::Attr(n.clone()), value: was.clone().unwrap_or_default(), was }
            })
            .collect();
        for t in record.tags.iter().flatten() {
            fields.push(EditField { kind: FieldKind::Tag, value: t.clone(), was: Some(t.clone()) });
        }
        fields.push(EditField { kind: FieldKind::Tag, value: String::new(), was: None });
        EditForm { account: record.account.clone(), row: record.index, fields, cursor: 0, error: None }
    }

    /// The desired state: every named attribute (empty = none) and exactly the tags listed.
    pub fn desired(&self) -> AccountState {
        let mut values = std::collections::BTreeMap::new();
        let mut names = Vec::new();
        let mut tags: Vec<String> = Vec::new();
        for f in &self.fields {
            match &f.kind {
                FieldKind::Attr(n) => {
                    names.push(n.clone());
                    if !f.value.is_empty() {
                        values.insert(n.clone(), f.value.clone());
                    }
                }
                FieldKind::Tag if !f.value.is_empty() && !tags.contains(&f.value) => tags.push(f.value.clone()),
                FieldKind::Tag => {}
            }
        }
        AccountState {
            account: self.account.clone(),
            attrs: Some(AttrSet { values, names: Some(names) }),
            tags: Some(tags),
        }
    }

    /// The last field is always an empty tag field, ready for a new tag.
    fn keep_a_new_tag_field(&mut self) {
        if self.fields.last().is_none_or(|f| f.kind != FieldKind::Tag || !f.value.is_empty()) {
            self.fields.push(EditField { kind: FieldKind::Tag, value: String::new(), was: None });
        }
    }

    pub fn paste(&mut self, text: &str) {
        if let Some(f) = self.fields.get_mut(self.cursor) {
            f.value.push_str(text.lines().next().unwrap_or_default());
        }
        self.keep_a_new_tag_field();
    }

    pub fn key(&mut self, k: &KeyEvent) -> Outcome {
        let n = self.fields.len();
        match keymap::lookup(k, Context::EditForm, false) {
            Some(Action::Close) => return Outcome::Close,
            Some(Action::NextField) => self.cursor = (self.cursor + 1).min(n.saturating_sub(1)),
            Some(Action::PrevField) => self.cursor = self.cursor.saturating_sub(1),
            Some(Action::ClearInput) => {
                if let Some(f) = self.fields.get_mut(self.cursor) {
                    f.value.clear();
                }
            }
            Some(Action::Submit) => {
                let desired = self.desired();
                return match crate::write::want::check_values(&desired) {
                    Ok(()) => Outcome::Review(Box::new(desired)),
                    Err(why) => {
                        self.error = Some(why);
                        Outcome::Changed
                    }
                };
            }
            _ => match k.code {
                KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                    if let Some(f) = self.fields.get_mut(self.cursor) {
                        f.value.push(c);
                    }
                }
                KeyCode::Backspace => {
                    if let Some(f) = self.fields.get_mut(self.cursor) {
                        f.value.pop();
                    }
                }
                _ => return Outcome::Ignored,
            },
        }
        self.error = None;
        self.keep_a_new_tag_field();
        Outcome::Changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Status;

    fn press(f: &mut EditForm, code: KeyCode) -> Outcome {
        f.key(&KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn typed(f: &mut EditForm, s: &str) {
        s.chars().for_each(|c| {
            press(f, KeyCode::Char(c));
        });
    }

    #[test]
    fn edits_values_removes_and_adds_tags() {
        let record = Record {
            index: 7,
            account: "u7".into(),
            status: Status::Found,
            attrs: Some([("city".to_string(), "北京".to_string())].into()),
            tags: Some(vec!["old".into()]),
            error: None,
            reason: None,
        };
        let names = vec!["sex".to_string(), "city".to_string()];
        let mut f = EditForm::new(&record, &names);
        assert_eq!(f.fields.len(), 4, "two slots, one tag, one new-tag field");
        typed(&mut f, "男");
        press(&mut f, KeyCode::Down);
        f.key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        typed(&mut f, "深圳");
        press(&mut f, KeyCode::Down);
        f.key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        press(&mut f, KeyCode::Down);
        typed(&mut f, "vip");
        assert_eq!(f.fields.len(), 5, "typing into the last field opens another");
        let Outcome::Review(d) = press(&mut f, KeyCode::Enter) else { panic!("Enter reviews") };
        let attrs = d.attrs.unwrap();
        assert_eq!(attrs.values, [("city".into(), "深圳".into()), ("sex".into(), "男".into())].into());
        assert_eq!(attrs.names.unwrap(), names);
        assert_eq!(d.tags.unwrap(), ["vip"], "the emptied tag is removed");
        assert!(matches!(press(&mut f, KeyCode::Esc), Outcome::Close));
    }

    #[test]
    fn a_value_over_the_limit_stays_in_the_form_with_why() {
        let record = Record {
            index: 0,
            account: "u".into(),
            status: Status::Empty,
            attrs: None,
            tags: None,
            error: None,
            reason: None,
        };
        let mut f = EditForm::new(&record, &["city".to_string()]);
        typed(&mut f, &"x".repeat(51));
        assert!(matches!(press(&mut f, KeyCode::Enter), Outcome::Changed));
        assert!(f.error.as_ref().unwrap().contains("50"));
    }
}
