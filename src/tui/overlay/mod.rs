//! The popups and input lines over the main screen. Each owns its state and its keys (looked
//! up in the keymap under its own context) and says what should happen next as an `Outcome`;
//! the app acts on outcomes, so no popup reaches into the rest of the app.

pub mod condition;
pub mod edit;
pub mod first_run;
pub mod form;
pub mod line;
pub mod plan;
pub mod popup;

use crossterm::event::KeyEvent;

pub use condition::ConditionEditor;
pub use edit::EditForm;
pub use form::ProfileForm;
pub use line::LineInput;
pub use plan::PlanView;
pub use popup::Popup;

use super::keymap::{Action, Context};
use crate::config::Profile;

/// What a popup asks for after a key.
#[derive(Debug)]
pub enum Outcome {
    /// Not its key; nothing changed.
    Ignored,
    /// Its own state changed (redraw).
    Changed,
    Close,
    /// Run an app action (copy from the detail, start the demo…).
    Do(Action),
    /// An input line's text was submitted.
    Submit(String),
    /// The profile form is filled in and checked.
    Save(Box<Profile>),
    /// The edit form is done: show the plan for this desired state.
    Review(Box<crate::write::state_file::AccountState>),
    /// The plan is confirmed: apply it.
    Confirm,
}

#[derive(Debug)]
pub enum Overlay {
    None,
    Help(Popup),
    Detail(Popup),
    /// Text to read (probe results and the like).
    Info {
        title: String,
        lines: Vec<String>,
        scroll: Popup,
    },
    Command(LineInput),
    Filter(LineInput),
    Form(Box<ProfileForm>),
    FirstRun,
    /// A write's plan, waiting for confirmation.
    Plan(Box<PlanView>),
    /// Editing one account.
    Edit(Box<EditForm>),
    /// `:unlock`: the profile's SDKAppID, typed to allow writes this session.
    Unlock(LineInput),
    /// The push-condition editor.
    Condition(Box<ConditionEditor>),
}

impl Overlay {
    /// Where this overlay's keys are looked up.
    pub fn context(&self) -> Option<Context> {
        Some(match self {
            Overlay::None => return None,
            Overlay::Help(_) | Overlay::Info { .. } => Context::Popup,
            Overlay::Detail(_) => Context::Detail,
            Overlay::Command(_) => Context::CommandInput,
            Overlay::Filter(_) | Overlay::Unlock(_) => Context::Input,
            Overlay::Plan(_) => Context::Plan,
            Overlay::Edit(_) => Context::EditForm,
            Overlay::Condition(_) => Context::Condition,
            Overlay::Form(_) => Context::Form,
            Overlay::FirstRun => Context::FirstRun,
        })
    }

    pub fn key(&mut self, k: &KeyEvent) -> Outcome {
        let Some(context) = self.context() else { return Outcome::Ignored };
        match self {
            Overlay::None => Outcome::Ignored,
            Overlay::Help(p) | Overlay::Detail(p) | Overlay::Info { scroll: p, .. } => p.key(k, context),
            Overlay::Command(l) | Overlay::Filter(l) | Overlay::Unlock(l) => l.key(k, context),
            Overlay::Form(f) => f.key(k),
            Overlay::Plan(p) => p.key(k),
            Overlay::Edit(f) => f.key(k),
            Overlay::Condition(e) => e.key(k),
            Overlay::FirstRun => first_run::key(k),
        }
    }

    /// A paste into the overlay; false when it takes no text.
    pub fn paste(&mut self, text: &str) -> bool {
        match self {
            Overlay::Command(l) | Overlay::Filter(l) | Overlay::Unlock(l) => {
                l.text.push_str(text.lines().next().unwrap_or_default());
                true
            }
            Overlay::Form(f) => {
                f.paste(text);
                true
            }
            Overlay::Edit(f) => {
                f.paste(text);
                true
            }
            Overlay::Condition(e) => {
                e.paste(text);
                true
            }
            _ => false,
        }
    }
}
