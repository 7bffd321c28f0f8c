//! The new-profile form. It asks *where* the secret key lives (environment variable, file or
//! command), never for the key itself, so the key is never typed, echoed or saved by timx.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::Outcome;
use crate::api::{Family, Region};
use crate::config::{DEFAULT_RATE_LIMIT, Profile, ProfileFile};
use crate::secret::SecretSource;
use crate::tui::keymap::{self, Action, Context};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Where,
    Backup,
    BaseUrl,
    SdkAppId,
    Admin,
    Family,
    SecretKind,
    SecretValue,
    ReadOnly,
    Save,
}

/// Where the app lives: a region's domain, or a base URL (the emulator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Region(Region),
    Custom,
}

impl Place {
    /// Every choice, in the order the form cycles through them.
    fn all() -> impl Iterator<Item = Place> {
        Region::ALL.iter().map(|r| Place::Region(*r)).chain([Place::Custom])
    }

    fn step(self, d: isize) -> Place {
        let all: Vec<Place> = Place::all().collect();
        crate::tui::cycle(&all, self, d)
    }

    pub fn label(self) -> String {
        match self {
            Place::Region(r) => format!("{} ({})", r.name(), r.primary()),
            Place::Custom => "custom base URL".into(),
        }
    }
}

/// Where the secret key lives (never the key itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    Env,
    File,
    Command,
}

impl SecretKind {
    pub const ALL: [SecretKind; 3] = [SecretKind::Env, SecretKind::File, SecretKind::Command];

    pub fn label(self) -> &'static str {
        match self {
            SecretKind::Env => "environment variable",
            SecretKind::File => "file",
            SecretKind::Command => "command",
        }
    }

    fn step(self, d: isize) -> SecretKind {
        crate::tui::cycle(&SecretKind::ALL, self, d)
    }
}

#[derive(Debug, Clone)]
pub struct ProfileForm {
    pub config_path: PathBuf,
    pub field: usize,
    pub name: String,
    pub place: Place,
    pub backup: bool,
    pub base_url: String,
    pub sdkappid: String,
    pub admin: String,
    pub family: Family,
    pub secret_kind: SecretKind,
    pub secret_value: String,
    pub read_only: bool,
    pub error: Option<String>,
}

impl ProfileForm {
    pub fn new(config_path: PathBuf) -> ProfileForm {
        ProfileForm {
            config_path,
            field: 0,
            name: String::new(),
            place: Place::Region(Region::ALL[0]),
            backup: false,
            base_url: "http://127.0.0.1:8080".into(),
            sdkappid: String::new(),
            admin: "administrator".into(),
            family: Family::Timpush,
            secret_kind: SecretKind::Env,
            secret_value: "TIMX_SECRET_KEY".into(),
            read_only: true,
            error: None,
        }
    }

    /// The fields shown, in order (base URL only for a custom place, backup only for a region).
    pub fn fields(&self) -> Vec<Field> {
        let custom = self.place == Place::Custom;
        let mut f = vec![Field::Name, Field::Where];
        f.push(if custom { Field::BaseUrl } else { Field::Backup });
        f.extend([
            Field::SdkAppId,
            Field::Admin,
            Field::Family,
            Field::SecretKind,
            Field::SecretValue,
            Field::ReadOnly,
            Field::Save,
        ]);
        f
    }

    pub fn current(&self) -> Field {
        let f = self.fields();
        f[self.field.min(f.len() - 1)]
    }

    pub fn place_label(&self) -> String {
        self.place.label()
    }

    fn text_mut(&mut self) -> Option<&mut String> {
        match self.current() {
            Field::Name => Some(&mut self.name),
            Field::BaseUrl => Some(&mut self.base_url),
            Field::SdkAppId => Some(&mut self.sdkappid),
            Field::Admin => Some(&mut self.admin),
            Field::SecretValue => Some(&mut self.secret_value),
            _ => None,
        }
    }

    pub fn paste(&mut self, text: &str) {
        let line = text.lines().next().unwrap_or_default().trim().to_owned();
        if let Some(t) = self.text_mut() {
            t.push_str(&line);
        }
    }

    fn cycle(&mut self, d: isize) {
        match self.current() {
            Field::Where => self.place = self.place.step(d),
            Field::Backup => self.backup = !self.backup,
            Field::Family => {
                self.family = if self.family == Family::Timpush { Family::AllMemberPush } else { Family::Timpush }
            }
            Field::SecretKind => {
                self.secret_kind = self.secret_kind.step(d);
                self.secret_value = match self.secret_kind {
                    SecretKind::Env => "TIMX_SECRET_KEY".into(),
                    _ => String::new(),
                };
            }
            Field::ReadOnly => self.read_only = !self.read_only,
            _ => {}
        }
    }

    pub fn key(&mut self, k: &KeyEvent) -> Outcome {
        let n = self.fields().len();
        let typing = self.text_mut().is_some();
        match keymap::lookup(k, Context::Form, false) {
            Some(Action::Close) => return Outcome::Close,
            Some(Action::NextField) => self.field = (self.field + 1) % n,
            Some(Action::PrevField) => self.field = (self.field + n - 1) % n,
            Some(Action::PrevChoice) => self.cycle(-1),
            // In a text field the space is text.
            Some(Action::NextChoice) if !typing => self.cycle(1),
            Some(Action::Submit) if self.current() == Field::Save => match self.build() {
                Ok(p) => return Outcome::Save(Box::new(p)),
                Err(e) => self.error = Some(e),
            },
            Some(Action::Submit) => self.field = (self.field + 1) % n,
            _ => return self.type_key(k),
        }
        Outcome::Changed
    }

    fn type_key(&mut self, k: &KeyEvent) -> Outcome {
        let Some(t) = self.text_mut() else { return Outcome::Ignored };
        match k.code {
            KeyCode::Backspace if t.pop().is_some() => Outcome::Changed,
            KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                t.push(c);
                Outcome::Changed
            }
            _ => Outcome::Ignored,
        }
    }

    /// Check every field the way the config loader does.
    pub fn build(&self) -> Result<Profile, String> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("name: a word without spaces, e.g. prod-sg".into());
        }
        let sdkappid: u64 =
            self.sdkappid.trim().parse().map_err(|_| "SDKAppID: digits only, from the console".to_string())?;
        let value = self.secret_value.trim();
        if value.is_empty() {
            return Err("secret: say where the key lives (variable name, file path or command)".into());
        }
        let key = match self.secret_kind {
            SecretKind::Env => SecretSource::Env { env: value.to_owned() },
            SecretKind::File => SecretSource::File { file: value.into() },
            SecretKind::Command => {
                SecretSource::Command { command: value.split_whitespace().map(String::from).collect() }
            }
        };
        let region = match self.place {
            Place::Region(r) => Some(r),
            Place::Custom => None,
        };
        let file = ProfileFile {
            region: region.map(|r| r.slug().to_owned()),
            base_url: region.is_none().then(|| self.base_url.trim().to_owned()),
            backup_domain: region.is_some() && self.backup,
            sdkappid,
            admin: self.admin.trim().to_owned(),
            family: self.family,
            rate_limit: DEFAULT_RATE_LIMIT,
            read_only: self.read_only,
            key,
            journal: true,
            journal_accounts: false,
        };
        Profile::from_file(name, &file).map_err(|e| format!("{e:#}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type_str(f: &mut ProfileForm, s: &str) {
        for c in s.chars() {
            f.key(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    fn press(f: &mut ProfileForm, code: KeyCode) -> Outcome {
        f.key(&KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn a_region_profile_with_a_command_secret() {
        let mut f = ProfileForm::new("c.toml".into());
        type_str(&mut f, "prod-sg");
        press(&mut f, KeyCode::Tab);
        press(&mut f, KeyCode::Right); // China → Singapore
        press(&mut f, KeyCode::Tab); // backup
        press(&mut f, KeyCode::Tab); // sdkappid
        type_str(&mut f, "1400000001");
        press(&mut f, KeyCode::Tab); // admin (prefilled)
        press(&mut f, KeyCode::Tab); // family
        press(&mut f, KeyCode::Tab); // secret kind
        press(&mut f, KeyCode::Right);
        press(&mut f, KeyCode::Right); // command
        press(&mut f, KeyCode::Tab);
        type_str(&mut f, "pass show tim/prod");
        press(&mut f, KeyCode::Tab); // read-only
        press(&mut f, KeyCode::Tab); // save
        let Outcome::Save(p) = press(&mut f, KeyCode::Enter) else { panic!("{:?}", f.error) };
        assert_eq!(p.name, "prod-sg");
        assert_eq!(p.endpoint.root(), "https://adminapisgp.im.qcloud.com");
        assert_eq!(p.key, SecretSource::Command { command: vec!["pass".into(), "show".into(), "tim/prod".into()] });
        assert!(p.read_only);
    }

    #[test]
    fn errors_stay_in_the_form() {
        let mut f = ProfileForm::new("c.toml".into());
        f.field = f.fields().len() - 1;
        assert!(matches!(press(&mut f, KeyCode::Enter), Outcome::Changed));
        assert!(f.error.as_deref().unwrap().starts_with("name"));
    }
}
