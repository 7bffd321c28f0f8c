//! Profiles (one app each), where the config lives, and how a profile becomes a client.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::api::{Endpoint, Family, MAX_CALLS_PER_SECOND, Region};
use crate::client::ClientConfig;
use crate::secret::SecretSource;

pub const CONFIG_ENV: &str = "TIMX_CONFIG";
/// Default pace: half the app's quota, so an audit leaves the rest to the production backend.
pub const DEFAULT_RATE_LIMIT: u32 = 50;

/// The config file as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Profile opened first in the TUI and used by headless commands without `-p`.
    #[serde(default)]
    pub default_profile: Option<String>,
    /// Mouse support in the TUI (off: it breaks the terminal's own text selection).
    #[serde(default)]
    pub mouse: bool,
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileFile>,
    /// Key overrides for the explorer: action names to keys (see README).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub keys: BTreeMap<String, crate::tui::key_overrides::KeyEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default)]
    pub backup_domain: bool,
    pub sdkappid: u64,
    pub admin: String,
    #[serde(default)]
    pub family: Family,
    #[serde(default = "default_rate")]
    pub rate_limit: u32,
    #[serde(default = "yes")]
    pub read_only: bool,
    pub key: SecretSource,
    #[serde(default = "yes")]
    pub journal: bool,
    #[serde(default)]
    pub journal_accounts: bool,
}

fn default_rate() -> u32 {
    DEFAULT_RATE_LIMIT
}
fn yes() -> bool {
    true
}

/// A profile value that cannot be used: which key (empty: the table as a whole), and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// `line L, column C` (1-based) of a TOML path in `text`: the key itself, else its table.
pub fn locate(text: &str, path: &[&str]) -> Option<(usize, usize)> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let mut table = doc.as_table();
    let mut span = None;
    for (i, key) in path.iter().enumerate() {
        let (k, item) = table.get_key_value(key)?;
        span = k.span().or_else(|| item.span()).or(span);
        if i + 1 < path.len() {
            table = item.as_table()?;
        }
    }
    let at = span?.start;
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    Some((line, col))
}

/// A checked profile, ready to use (the secret is resolved only when a client is made).
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    pub endpoint: Endpoint,
    pub sdkappid: u64,
    pub admin: String,
    pub family: Family,
    pub rate_limit: u32,
    pub read_only: bool,
    pub key: SecretSource,
    pub journal: bool,
    pub journal_accounts: bool,
}

impl Profile {
    /// A profile with the defaults a config file gets for what it leaves out: the family's
    /// default, the default pace, read-only, journaled without account lists.
    pub fn new(name: &str, endpoint: Endpoint, sdkappid: u64, admin: &str, key: SecretSource) -> Profile {
        Profile {
            name: name.to_owned(),
            endpoint,
            sdkappid,
            admin: admin.to_owned(),
            family: Family::default(),
            rate_limit: DEFAULT_RATE_LIMIT,
            read_only: true,
            key,
            journal: true,
            journal_accounts: false,
        }
    }

    pub fn from_file(name: &str, p: &ProfileFile) -> Result<Profile, FieldError> {
        let err = |field, message: String| FieldError { field, message };
        let endpoint = match (&p.region, &p.base_url) {
            (Some(_), Some(_)) => return Err(err("base_url", "set either region or base_url, not both".into())),
            (Some(r), None) => Endpoint::Region {
                region: r.parse::<Region>().map_err(|e| err("region", e.to_string()))?,
                backup: p.backup_domain,
            },
            (None, Some(u)) => Endpoint::base_url(u).map_err(|e| err("base_url", e.to_string()))?,
            (None, None) => return Err(err("", "set region (e.g. region = \"singapore\") or base_url".into())),
        };
        if p.sdkappid == 0 {
            return Err(err("sdkappid", "sdkappid is missing or 0; copy it from the console".into()));
        }
        if p.admin.trim().is_empty() {
            return Err(err("admin", "admin is empty; set it to an App admin account".into()));
        }
        if p.rate_limit == 0 || p.rate_limit > MAX_CALLS_PER_SECOND {
            let m = format!(
                "rate_limit must be 1-{MAX_CALLS_PER_SECOND} calls per second (the API's limit), got {}",
                p.rate_limit
            );
            return Err(err("rate_limit", m));
        }
        Ok(Profile {
            family: p.family,
            rate_limit: p.rate_limit,
            read_only: p.read_only,
            journal: p.journal,
            journal_accounts: p.journal_accounts,
            ..Profile::new(name, endpoint, p.sdkappid, &p.admin, p.key.clone())
        })
    }

    /// Resolve the secret and build the client configuration.
    pub fn client_config(&self) -> anyhow::Result<ClientConfig> {
        let key = self.key.resolve().with_context(|| format!("profile {}", self.name))?;
        Ok(ClientConfig::new(self.endpoint.clone(), self.sdkappid, self.admin.clone(), key))
    }

    pub fn to_file(&self) -> ProfileFile {
        let (region, base_url, backup) = match &self.endpoint {
            Endpoint::Region { region, backup } => (Some(region.slug().to_owned()), None, *backup),
            Endpoint::BaseUrl(u) => (None, Some(u.clone()), false),
        };
        ProfileFile {
            region,
            base_url,
            backup_domain: backup,
            sdkappid: self.sdkappid,
            admin: self.admin.clone(),
            family: self.family,
            rate_limit: self.rate_limit,
            read_only: self.read_only,
            key: self.key.clone(),
            journal: self.journal,
            journal_accounts: self.journal_accounts,
        }
    }
}

/// Platform directories (e.g. ~/.config/timx, ~/.local/share/timx, ~/.local/state/timx).
pub fn dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "timx")
}

/// `--config`, else `$TIMX_CONFIG`, else the platform config dir.
pub fn config_path(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_owned());
    }
    if let Some(p) = std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    dirs().map(|d| d.config_dir().join("config.toml")).context("cannot find a home directory; pass --config PATH")
}

pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os("TIMX_DATA_DIR").map(PathBuf::from).or_else(|| dirs().map(|d| d.data_dir().to_owned()))
}

pub fn state_dir() -> Option<PathBuf> {
    std::env::var_os("TIMX_STATE_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs().map(|d| d.state_dir().unwrap_or(d.data_local_dir()).to_owned()))
}

/// A loaded config: the file's profiles, each checked, with problems kept per profile.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub path: PathBuf,
    pub file: ConfigFile,
    pub exists: bool,
}

impl Config {
    /// Load the config; a missing file is an empty config, a broken one is an error.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config { path: path.to_owned(), file: ConfigFile::default(), exists: false });
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read config {}", path.display())),
        };
        let file: ConfigFile =
            toml::from_str(&text).with_context(|| format!("config {} is not valid", path.display()))?;
        Ok(Config { path: path.to_owned(), file, exists: true })
    }

    pub fn profile_names(&self) -> Vec<String> {
        self.file.profiles.keys().cloned().collect()
    }

    /// The named profile, or the default one, or the only one.
    pub fn profile(&self, name: Option<&str>) -> anyhow::Result<Profile> {
        let name = match name.or(self.file.default_profile.as_deref()) {
            Some(n) => n.to_owned(),
            None if self.file.profiles.len() == 1 => self.file.profiles.keys().next().cloned().unwrap_or_default(),
            None if self.file.profiles.is_empty() => bail!(
                "no profiles in {}; run `timx config init` and edit it, or pass --region/--sdkappid/--admin (or --base-url)",
                self.path.display()
            ),
            None => {
                bail!("several profiles and no default_profile; pick one with -p ({})", self.profile_names().join(", "))
            }
        };
        let p = self.file.profiles.get(&name).with_context(|| {
            format!("no profile {name:?} in {}; known: {}", self.path.display(), self.profile_names().join(", "))
        })?;
        Profile::from_file(&name, p).with_context(|| format!("profile {name:?} in {}", self.path.display()))
    }

    /// The explorer's key table with the config's `[keys]` applied, or the problem, located.
    pub fn key_table(&self) -> anyhow::Result<Vec<crate::tui::keymap::Binding>> {
        crate::tui::key_overrides::build(&self.file.keys).map_err(|e| {
            let text = std::fs::read_to_string(&self.path).unwrap_or_default();
            let path: Vec<&str> = std::iter::once("keys").chain(e.path.iter().map(String::as_str)).collect();
            match locate(&text, &path) {
                Some((line, col)) => anyhow::anyhow!("{}:{line}:{col}: {e}", self.path.display()),
                None => anyhow::anyhow!("{}: {e}", self.path.display()),
            }
        })
    }

    /// Warnings that do not stop use: inline secrets in a file others can read.
    pub fn warnings(&self) -> Vec<String> {
        let inline: Vec<&String> = self
            .file
            .profiles
            .iter()
            .filter(|(_, p)| matches!(p.key, SecretSource::Value { .. }))
            .map(|(n, _)| n)
            .collect();
        if inline.is_empty() || !readable_by_others(&self.path) {
            return vec![];
        }
        vec![format!(
            "{} holds inline secret keys (profiles: {}) and is readable by group or others; run `chmod 600 {}` or use key = {{ env = \"...\" }}",
            self.path.display(),
            inline.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            self.path.display()
        )]
    }

    /// Add or replace a profile and write the file (0600), in place: comments, order and the
    /// other profiles stay as written.
    pub fn save_profile(&mut self, profile: &Profile) -> anyhow::Result<()> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read config {}", self.path.display())),
        };
        let text = crate::config_edit::upsert_profile(&text, &profile.name, &profile.to_file())
            .with_context(|| format!("cannot update {}", self.path.display()))?;
        crate::private_file::write(&self.path, &text)?;
        self.file.profiles.insert(profile.name.clone(), profile.to_file());
        if self.file.default_profile.is_none() {
            self.file.default_profile = Some(profile.name.clone());
        }
        self.exists = true;
        Ok(())
    }
}

#[cfg(unix)]
fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).map(|m| m.permissions().mode() & 0o077 != 0).unwrap_or(false)
}

#[cfg(not(unix))]
fn readable_by_others(_: &Path) -> bool {
    false
}

/// The commented example `timx config init` writes.
pub const EXAMPLE: &str = r#"# timx configuration. One [profiles.NAME] table per app.
# Docs: `timx --help`, README.md. Secrets never go on the command line.

# Profile used when -p is not given (and opened first in the TUI).
default_profile = "demo"

# Mouse in the TUI (off by default: it breaks the terminal's own text selection).
mouse = false

# The local emulator (`timx serve --listen 127.0.0.1:8080`) with its public example key.
[profiles.demo]
base_url = "http://127.0.0.1:8080"
sdkappid = 1400000000
admin = "administrator"
family = "timpush"              # or "all_member_push"
key = { env = "TIMX_SECRET_KEY" }

# A real app. Regions: china, singapore, seoul, frankfurt, silicon-valley, jakarta, tokyo, mumbai, riyadh.
# [profiles.prod-sg]
# region = "singapore"
# backup_domain = false          # true: use the *.my-imcloud.com backup domain
# sdkappid = 1400000001
# admin = "administrator"       # must be an App admin account
# family = "timpush"
# rate_limit = 50               # calls/s per command; the API allows 100, keep some for production
# read_only = true
# journal = true                # one line per job in the audit journal
# journal_accounts = false      # true: the journal also lists the accounts asked about
# key = { command = ["pass", "show", "tim/prod-sg"] }   # or { env = "VAR" }, { file = "PATH" }, { value = "..." }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_parses_and_its_demo_profile_is_valid() {
        let file: ConfigFile = toml::from_str(EXAMPLE).unwrap();
        let cfg = Config { path: "x".into(), file, exists: true };
        let p = cfg.profile(None).unwrap();
        assert_eq!(p.name, "demo");
        assert_eq!(p.family, Family::Timpush);
        assert_eq!(p.rate_limit, DEFAULT_RATE_LIMIT);
        assert!(p.read_only);
    }

    #[test]
    fn profile_errors_say_what_to_fix() {
        let base = ProfileFile {
            region: Some("mars".into()),
            base_url: None,
            backup_domain: false,
            sdkappid: 1,
            admin: "a".into(),
            family: Family::Timpush,
            rate_limit: 50,
            read_only: true,
            key: SecretSource::Env { env: "X".into() },
            journal: true,
            journal_accounts: false,
        };
        assert!(Profile::from_file("p", &base).unwrap_err().to_string().contains("frankfurt"));
        let p = ProfileFile { region: Some("sgp".into()), rate_limit: 101, ..base.clone() };
        assert!(Profile::from_file("p", &p).unwrap_err().to_string().contains("1-100"));
        let p = ProfileFile { region: None, base_url: Some("http://10.0.0.1".into()), ..base.clone() };
        assert!(Profile::from_file("p", &p).unwrap_err().to_string().contains("HTTPS"));
        let p = ProfileFile { region: Some("sgp".into()), ..base };
        let p = Profile::from_file("p", &p).unwrap();
        assert_eq!(p.endpoint.root(), "https://adminapisgp.im.qcloud.com");
    }
}
