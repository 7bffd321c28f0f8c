//! Switching the app: the profile in use and its family change only through here, and only
//! while nothing holds the app (`App::holding`: a plan open, its write or read-back running).
//! A profile saved, or the demo coming up, meanwhile is listed without switching. A change of
//! app (or of its attribute names) checks the applied audience again.

use crate::api::Family;
use crate::config::Profile;
use crate::tui::app::{App, AttrNamesState, StatusMsg};
use crate::tui::msg::{Cmd, WorkerCmd};

impl App {
    /// Use profile `i`: show it in the header and read its attribute names. At the start, and
    /// through the checked ways below.
    pub(crate) fn activate(&mut self, i: usize) -> Vec<Cmd> {
        let Some(p) = self.profiles.get(i).cloned() else { return vec![] };
        self.active = Some(i);
        self.profile_cursor = i;
        let fetch = self.attr_names.fetch + 1;
        self.attr_names = AttrNamesState { fetch, profile: p.name.clone(), loading: true, names: None, error: None };
        self.summary_attr = 0;
        self.info(format!("profile {}: reading attribute names…", p.name));
        vec![WorkerCmd::FetchAttrNames { fetch, profile: p }.into()]
    }

    /// Read the attribute names of the profile in use again (`R`, after naming slots): the app
    /// stays what it is.
    pub(crate) fn reload_names(&mut self) -> Vec<Cmd> {
        self.active.map(|i| self.activate(i)).unwrap_or_default()
    }

    /// `:profile NAME`, Enter in the Profiles pane: refused while the app is held.
    pub(crate) fn switch_profile(&mut self, i: usize) -> Vec<Cmd> {
        if let Some(why) = self.holding() {
            let to = self.profiles.get(i).map(|p| p.name.as_str()).unwrap_or_default();
            self.error(format!("not switched to {to}: {why}"));
            return vec![];
        }
        self.activate(i)
    }

    /// `:family F`: the family of the profile in use, for this session; refused while the app
    /// is held.
    pub(crate) fn set_family(&mut self, family: Family) -> Vec<Cmd> {
        let Some(i) = self.active else {
            self.error("pick a profile first");
            return vec![];
        };
        if let Some(why) = self.holding() {
            self.error(format!("the family stays: {why}"));
            return vec![];
        }
        if let Some(p) = self.profiles.get_mut(i) {
            p.family = family;
        }
        self.activate(i)
    }

    /// A profile the form saved or the demo brought (`what` names it for the status line):
    /// listed, and used unless the app is held. Then it is listed only, and a new version of
    /// the profile in use waits until the hold ends. The commands when it was switched to.
    pub(crate) fn offer_profile(&mut self, p: Profile, what: &str) -> Option<Vec<Cmd>> {
        let Some(why) = self.holding() else {
            let i = self.upsert(p);
            return Some(self.activate(i));
        };
        let name = p.name.clone();
        if self.active_profile().is_some_and(|a| a.name == name) {
            self.deferred = Some(p);
            self.warn(format!("{what}: its new settings apply once it ends — {why}"));
        } else {
            self.upsert(p);
            self.warn(format!("{what}: listed, not switched to (:profile {name} once it ends) — {why}"));
        }
        None
    }

    /// Put a profile in the list: in place of the one of its name, else at the end. The
    /// others keep their places (the profile in use is found by its place).
    fn upsert(&mut self, p: Profile) -> usize {
        match self.profiles.iter().position(|x| x.name == p.name) {
            Some(i) => {
                self.profiles[i] = p;
                i
            }
            None => {
                self.profiles.push(p);
                self.profiles.len() - 1
            }
        }
    }

    /// After every message: a profile saved while a write held the app applies once it does
    /// not. The write's last line comes back once the names are read.
    pub(crate) fn release(&mut self) -> Vec<Cmd> {
        // Checked first: this runs after every message.
        if self.deferred.is_none() || self.holding().is_some() {
            return vec![];
        }
        let Some(p) = self.deferred.take() else { return vec![] };
        let name = p.name.clone();
        let ended: Option<StatusMsg> = self.status.clone();
        let i = self.upsert(p);
        let cmds = self.activate(i);
        self.info(format!("profile {name}: its saved settings apply now; reading attribute names…"));
        self.after_names = ended;
        cmds
    }

    /// Check a condition against the family and attribute names of the app in use; None
    /// before a profile and its names are there.
    pub(crate) fn parse_audience(
        &self,
        text: &str,
    ) -> Option<Result<crate::audience::Checked, crate::audience::Invalid>> {
        let (profile, names) = (self.active_profile()?, self.attr_names.names.as_ref()?);
        Some(crate::audience::parse(text, profile.family, &names.names_in_slot_order()))
    }

    /// The applied audience, checked again once the attribute names of the app in use are read
    /// (after a switch of profile or family, a renamed slot): dropped, with the reason, when it
    /// no longer holds or cannot be checked.
    pub(crate) fn recheck_audience(&mut self) {
        let Some(text) = self.results.audience.as_ref().map(|a| a.text.clone()) else { return };
        let on = self.target().map(|t| t.label()).unwrap_or_default();
        let why = match self.parse_audience(&text) {
            Some(Ok(a)) => {
                // Judged again when the family or the warnings changed, too.
                if self.results.audience.as_ref().is_none_or(|v| *v.checked() != a) {
                    self.results.set_audience(a, text);
                }
                return;
            }
            Some(Err(e)) => e.to_string(),
            None => "it cannot be checked without the attribute names".to_string(),
        };
        self.results.clear_audience();
        let line = format!("audience dropped on {on}: {why}");
        match self.status.take() {
            // The names could not be read: that error stays in front.
            Some(s) if self.attr_names.names.is_none() => {
                self.status = Some(StatusMsg { text: format!("{} — {line}", s.text), level: s.level });
            }
            _ => self.warn(line),
        }
    }
}
