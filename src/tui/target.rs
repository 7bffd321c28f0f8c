//! Which app a thing belongs to: the app the explorer talks to now, the app the results were
//! read on, and what holds the app in place (a write bound to it). Switching is in
//! `update/switch.rs`; every way to switch asks `App::holding` first.

use crate::api::{Endpoint, Family};
use crate::config::Profile;
use crate::tui::app::App;
use crate::tui::keymap::{self, Action};
use crate::tui::writes::Phase;

/// An app as a profile reaches it: the profile, where its calls go, the SDKAppID and the family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRef {
    pub profile: String,
    pub endpoint: Endpoint,
    pub sdkappid: u64,
    pub family: Family,
}

impl AppRef {
    pub fn of(p: &Profile) -> AppRef {
        AppRef { profile: p.name.clone(), endpoint: p.endpoint.clone(), sdkappid: p.sdkappid, family: p.family }
    }

    /// `demo/timpush`: short enough for a border at 80 columns.
    pub fn label(&self) -> String {
        format!("{}/{}", self.profile, self.family)
    }
}

impl App {
    /// The app in use now.
    pub fn target(&self) -> Option<AppRef> {
        self.active_profile().map(AppRef::of)
    }

    /// The app the results were read on, when it is not the app in use now: they are stale.
    pub fn stale_results(&self) -> Option<&AppRef> {
        let read = self.results.read_on.as_ref()?;
        (self.target().as_ref() != Some(read)).then_some(read)
    }

    /// Why the app may not change now, if it may not: a plan open, its write or read-back
    /// running, or a file being read for a plan. Every switch of profile or family asks this.
    pub fn holding(&self) -> Option<String> {
        let esc = keymap::key_for(Action::Cancel);
        let (what, profile) = match (&self.write, &self.loading_desired) {
            (Some(flow), _) => {
                let what = match flow.phase {
                    Phase::Planning | Phase::Review => format!("a plan is open ({esc} backs out)"),
                    Phase::Applying => format!("a write runs ({esc} cancels it)"),
                    Phase::ReadingBack => "a write's read-back runs".to_string(),
                };
                (what, flow.profile.name.clone())
            }
            (None, Some(_)) => {
                let name = self.active_profile().map(|p| p.name.clone()).unwrap_or_default();
                (format!("a file is being read for a plan ({esc} stops it)"), name)
            }
            (None, None) => return None,
        };
        Some(format!("{what} on {profile}: the profile and family stay until it ends"))
    }
}
