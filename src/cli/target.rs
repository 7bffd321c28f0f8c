//! Which app a command talks to: a config profile (`-p`), or one-off flags.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use clap_complete::engine::{ArgValueCandidates, ArgValueCompleter, CompletionCandidate};

use super::KeyArgs;
use crate::api::{Endpoint, Family, Region};
use crate::config::{self, Config, Profile};

#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Profile from the config file (default: default_profile, or the only one).
    #[arg(short = 'p', long, value_name = "NAME", add = ArgValueCompleter::new(profile_names))]
    pub profile: Option<String>,
    /// Config file (default: $TIMX_CONFIG, else the platform config dir).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// One-off: region (china, singapore, seoul, frankfurt, silicon-valley, jakarta, tokyo, mumbai, riyadh).
    #[arg(long, conflicts_with = "base_url", add = ArgValueCandidates::new(regions))]
    pub region: Option<Region>,
    /// One-off: use the region's backup domain (*.my-imcloud.com).
    #[arg(long)]
    pub backup_domain: bool,
    /// One-off: base URL instead of a region, e.g. the emulator's http://127.0.0.1:8080.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// One-off: the app's SDKAppID.
    #[arg(long)]
    pub sdkappid: Option<u64>,
    /// One-off: an App admin account.
    #[arg(long)]
    pub admin: Option<String>,
    /// all_member_push or timpush (overrides the profile's).
    #[arg(long, add = ArgValueCandidates::new(families))]
    pub family: Option<Family>,
    /// Calls per second per command, 1-100 (overrides the profile's; default 50).
    #[arg(long)]
    pub rate_limit: Option<u32>,
    #[command(flatten)]
    pub key: KeyArgs,
}

/// Shell completion of `-p`: the profiles of the config file (`$TIMX_CONFIG` or the default),
/// read when the shell asks.
fn profile_names(current: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let Ok(path) = config::config_path(None) else { return Vec::new() };
    let Ok(cfg) = Config::load(&path) else { return Vec::new() };
    cfg.profile_names().into_iter().filter(|n| n.starts_with(&*current)).map(CompletionCandidate::new).collect()
}

fn regions() -> Vec<CompletionCandidate> {
    Region::ALL.iter().map(|r| CompletionCandidate::new(r.slug())).collect()
}

fn families() -> Vec<CompletionCandidate> {
    Family::ALL.iter().map(|f| CompletionCandidate::new(f.service())).collect()
}

impl TargetArgs {
    /// A target given by flags, not a profile.
    pub fn is_one_off(&self) -> bool {
        self.region.is_some() || self.base_url.is_some() || self.sdkappid.is_some() || self.admin.is_some()
    }

    /// The profile to use, with command-line overrides applied.
    pub fn resolve(&self) -> anyhow::Result<Profile> {
        let mut p = if self.is_one_off() {
            if self.profile.is_some() {
                bail!("-p/--profile cannot be combined with --region/--base-url/--sdkappid/--admin");
            }
            let endpoint = match (&self.base_url, self.region) {
                (Some(u), _) => Endpoint::base_url(u).map_err(anyhow::Error::msg)?,
                (None, Some(region)) => Endpoint::Region { region, backup: self.backup_domain },
                (None, None) => bail!("one-off use needs --region or --base-url"),
            };
            let Some(sdkappid) = self.sdkappid else { bail!("one-off use needs --sdkappid") };
            let Some(admin) = self.admin.clone() else { bail!("one-off use needs --admin (an App admin account)") };
            Profile::new("(command line)", endpoint, sdkappid, &admin, self.key.source())
        } else {
            let cfg = Config::load(&config::config_path(self.config.as_deref())?)?;
            for w in cfg.warnings() {
                eprintln!("timx: warning: {w}");
            }
            let mut p = cfg.profile(self.profile.as_deref())?;
            if self.key.explicit() {
                p.key = self.key.source();
            }
            p
        };
        if let Some(f) = self.family {
            p.family = f;
        }
        if let Some(r) = self.rate_limit {
            if r == 0 || r > crate::api::MAX_CALLS_PER_SECOND {
                bail!("--rate-limit must be 1-{}, got {r}", crate::api::MAX_CALLS_PER_SECOND);
            }
            p.rate_limit = r;
        }
        Ok(p)
    }

    pub fn reads_key_from_stdin(&self) -> bool {
        self.key.key_stdin
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        target: TargetArgs,
    }

    #[test]
    fn backup_domain_picks_the_regions_backup_url() {
        let args = ["t", "--region", "frankfurt", "--backup-domain", "--sdkappid", "1", "--admin", "a"];
        let p = T::try_parse_from(args).unwrap().target.resolve().unwrap();
        assert_eq!(p.endpoint.root(), "https://adminapiger.my-imcloud.com");
        let primary = T::try_parse_from(["t", "--region", "frankfurt", "--sdkappid", "1", "--admin", "a"]).unwrap();
        assert_eq!(primary.target.resolve().unwrap().endpoint.root(), "https://adminapiger.im.qcloud.com");
    }
}
