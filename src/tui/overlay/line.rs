//! A one-line text input (the command line, the filter).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::Outcome;
use crate::tui::keymap::{self, Action, Context};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    pub text: String,
}

impl LineInput {
    pub fn new(text: impl Into<String>) -> LineInput {
        LineInput { text: text.into() }
    }

    pub fn key(&mut self, k: &KeyEvent, context: Context) -> Outcome {
        match keymap::lookup(k, context, false) {
            Some(Action::Submit) => return Outcome::Submit(self.text.clone()),
            Some(Action::Close) => return Outcome::Close,
            Some(Action::ClearInput) => {
                self.text.clear();
                return Outcome::Changed;
            }
            Some(a) => return Outcome::Do(a),
            None => {}
        }
        match k.code {
            KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                self.text.push(c);
                Outcome::Changed
            }
            KeyCode::Backspace if self.text.pop().is_some() => Outcome::Changed,
            _ => Outcome::Ignored,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_clears_submits_and_asks_for_completion() {
        let k = |c, m| KeyEvent::new(c, m);
        let mut l = LineInput::default();
        for c in "exp".chars() {
            assert!(matches!(l.key(&k(KeyCode::Char(c), KeyModifiers::NONE), Context::CommandInput), Outcome::Changed));
        }
        assert!(matches!(
            l.key(&k(KeyCode::Tab, KeyModifiers::NONE), Context::CommandInput),
            Outcome::Do(Action::Complete)
        ));
        assert!(
            matches!(l.key(&k(KeyCode::Enter, KeyModifiers::NONE), Context::Input), Outcome::Submit(t) if t == "exp")
        );
        assert!(matches!(l.key(&k(KeyCode::Char('u'), KeyModifiers::CONTROL), Context::Input), Outcome::Changed));
        assert!(l.text.is_empty());
        assert!(matches!(l.key(&k(KeyCode::Backspace, KeyModifiers::NONE), Context::Input), Outcome::Ignored));
    }
}
