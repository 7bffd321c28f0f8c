//! Who may write now: a profile that is not read-only (`:unlock` after typing its SDKAppID makes
//! it writable for the session) and no other job running; a write on the results' rows also
//! wants them read on the app in use.

use crate::tui::app::{App, Effect};
use crate::tui::keymap::{self, Action};
use crate::tui::msg::Cmd;
use crate::tui::overlay::{LineInput, Overlay};

impl App {
    /// Why no write may start now, if one may not: no profile, read-only, a job running.
    pub(crate) fn write_refused(&self) -> Option<String> {
        let Some(p) = self.active_profile() else { return Some("pick a profile first".into()) };
        if p.read_only {
            return Some(format!(
                "profile {} is read-only: :unlock (type its SDKAppID) allows writes for this session, or set \
                 read_only = false in its config section",
                p.name
            ));
        }
        if self.busy() {
            return Some(format!(
                "a job is running: wait for it or cancel it ({}) first; a write never runs beside another job",
                keymap::key_for(Action::Cancel)
            ));
        }
        None
    }

    /// Why no write on the results' rows (`e`, `:tag`, `:attr`, a file into the rows) may start
    /// now: as any write, or the rows were read on another app than the one in use.
    pub(crate) fn rows_write_refused(&self) -> Option<String> {
        self.write_refused().or_else(|| {
            let read = self.stale_results()?;
            Some(format!(
                "these rows were read on {} (SDKAppID {}), not on the app in use: {} reads them again before a write",
                read.label(),
                read.sdkappid,
                keymap::key_for(Action::Run)
            ))
        })
    }

    /// Whether a write may start now; when not, the status line says why.
    pub(crate) fn may_write(&mut self) -> bool {
        let why = self.write_refused();
        self.allowed(why)
    }

    /// Whether a write on the results' rows may start now; when not, the status line says why.
    pub(crate) fn may_write_rows(&mut self) -> bool {
        let why = self.rows_write_refused();
        self.allowed(why)
    }

    fn allowed(&mut self, refused: Option<String>) -> bool {
        match refused {
            Some(why) => {
                self.error(why);
                false
            }
            None => true,
        }
    }

    /// Open the command line on a write command (`e` on a slot), or say at once why no write
    /// may start.
    pub(crate) fn write_command_line(&mut self, line: String) {
        if self.may_write() {
            self.open(Overlay::Command(LineInput::new(line)));
        }
    }

    /// The same for a write on the rows (`+`, `-`).
    pub(crate) fn rows_command_line(&mut self, line: String) {
        if self.may_write_rows() {
            self.open(Overlay::Command(LineInput::new(line)));
        }
    }

    /// `:unlock`: ask for the SDKAppID.
    pub(crate) fn ask_unlock(&mut self) -> Vec<Cmd> {
        match self.active_profile() {
            None => self.error("pick a profile first"),
            Some(p) if !p.read_only => self.info(format!("profile {} is already writable (RW)", p.name)),
            Some(_) => self.overlay = Overlay::Unlock(LineInput::default()),
        }
        vec![]
    }

    /// The typed SDKAppID: the profile is writable for this session only when it matches.
    pub(crate) fn unlock(&mut self, typed: &str) -> Effect {
        self.overlay = Overlay::None;
        let Some(i) = self.active else { return Effect::redraw() };
        let p = &mut self.profiles[i];
        if typed.trim() == p.sdkappid.to_string() {
            p.read_only = false;
            let name = p.name.clone();
            self.warn(format!("profile {name} is WRITABLE (RW) for this session: every write shows its plan first"));
        } else {
            let name = p.name.clone();
            self.error(format!("that is not the SDKAppID of {name}: it stays read-only"));
        }
        Effect::redraw()
    }
}
