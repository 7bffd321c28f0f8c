//! A popup of text to read (help, account detail, probe results): it scrolls and closes.

use crossterm::event::KeyEvent;

use super::Outcome;
use crate::tui::keymap::{self, Action, Context};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Popup {
    pub scroll: u16,
}

impl Popup {
    pub fn key(&mut self, k: &KeyEvent, context: Context) -> Outcome {
        let before = self.scroll;
        match keymap::lookup(k, context, false) {
            Some(Action::Close) => return Outcome::Close,
            Some(Action::Down) => self.scroll = self.scroll.saturating_add(1),
            Some(Action::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Action::PageDown) => self.scroll = self.scroll.saturating_add(10),
            Some(Action::PageUp) => self.scroll = self.scroll.saturating_sub(10),
            Some(a @ (Action::CopyAccount | Action::CopyRow | Action::Edit)) => return Outcome::Do(a),
            _ => return Outcome::Ignored,
        }
        if self.scroll == before { Outcome::Ignored } else { Outcome::Changed }
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyModifiers};

    use super::*;

    #[test]
    fn scrolls_closes_and_copies_only_in_the_detail() {
        let k = |c| KeyEvent::new(c, KeyModifiers::NONE);
        let mut p = Popup::default();
        assert!(matches!(p.key(&k(KeyCode::Up), Context::Popup), Outcome::Ignored), "already at the top");
        assert!(matches!(p.key(&k(KeyCode::PageDown), Context::Popup), Outcome::Changed));
        assert_eq!(p.scroll, 10);
        assert!(matches!(p.key(&k(KeyCode::Char('y')), Context::Popup), Outcome::Ignored));
        assert!(matches!(p.key(&k(KeyCode::Char('y')), Context::Detail), Outcome::Do(Action::CopyAccount)));
        assert!(matches!(p.key(&k(KeyCode::Char('e')), Context::Detail), Outcome::Do(Action::Edit)));
        assert!(matches!(p.key(&k(KeyCode::Esc), Context::Detail), Outcome::Close));
    }
}
