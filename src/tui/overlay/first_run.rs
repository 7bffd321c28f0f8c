//! The first-run screen (no profiles yet): try the demo, make a profile, or quit.

use crossterm::event::KeyEvent;

use super::Outcome;
use crate::tui::keymap::{self, Action, Context};

pub fn key(k: &KeyEvent) -> Outcome {
    match keymap::lookup(k, Context::FirstRun, false) {
        Some(a @ (Action::StartDemo | Action::NewProfile | Action::Quit)) => Outcome::Do(a),
        _ => Outcome::Ignored,
    }
}
