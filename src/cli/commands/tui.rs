//! `timx` and `timx demo`: open the explorer.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;

use crate::config::{self, Config, Profile};
use crate::tui::{self, Launch};

#[derive(Debug, Clone, Args)]
pub struct TuiArgs {
    /// Profile to open with (default: default_profile).
    #[arg(short = 'p', long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Config file (default: $TIMX_CONFIG, else the platform config dir).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

pub fn run(args: TuiArgs, demo: bool) -> anyhow::Result<ExitCode> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!("the explorer needs a terminal; for scripts use `timx attrs|tags|inspect` (see --help)");
    }
    let cfg = Config::load(&config::config_path(args.config.as_deref())?)?;
    crate::tui::keymap::install(cfg.key_table()?);
    let mut problems = cfg.warnings();
    let mut profiles = Vec::new();
    for (name, file) in &cfg.file.profiles {
        match Profile::from_file(name, file) {
            Ok(p) => profiles.push(p),
            Err(e) => problems.push(format!("profile {name} skipped: {e:#}")),
        }
    }
    let select = args.profile.or_else(|| cfg.file.default_profile.clone());
    tui::run(Launch { config: cfg, profiles, select, demo, problems })
}
