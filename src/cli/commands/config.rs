//! `timx config path|init|check`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::config::{self, Config, Profile};
use crate::text::escape;

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Config file (default: $TIMX_CONFIG, else the platform config dir).
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub cmd: ConfigCmd,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Print where the config file is (or would be).
    Path,
    /// Write a commented example config; never overwrites an existing file.
    Init,
    /// Parse the config, resolve every secret (without printing it) and say what is wrong.
    Check {
        /// Also call get_attr_name for each profile to test region, SDKAppID, admin and key.
        #[arg(long)]
        online: bool,
    },
}

pub fn run(args: ConfigArgs) -> anyhow::Result<ExitCode> {
    let path = config::config_path(args.config.as_deref())?;
    match args.cmd {
        ConfigCmd::Path => {
            println!("{}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        ConfigCmd::Init => {
            if path.exists() {
                eprintln!("timx: {} already exists; not overwriting it", path.display());
                return Ok(ExitCode::from(1));
            }
            crate::private_file::write(&path, config::EXAMPLE)?;
            println!("wrote {}", path.display());
            println!("edit it, then run `timx config check`");
            Ok(ExitCode::SUCCESS)
        }
        ConfigCmd::Check { online } => check(&path, online),
    }
}

/// The config to check, or None after saying why there is none to check.
fn load_for_check(path: &std::path::Path) -> Option<Config> {
    match Config::load(path) {
        Ok(c) if !c.exists => {
            println!("✗ {} does not exist; run `timx config init`", path.display());
            None
        }
        Ok(c) => Some(c),
        Err(e) => {
            // A TOML error is several lines (the line, a caret, the reason): each shown as is.
            for (i, line) in format!("{e:#}").lines().enumerate() {
                println!("{}{}", if i == 0 { "✗ " } else { "  " }, escape(line));
            }
            None
        }
    }
}

fn check(path: &std::path::Path, online: bool) -> anyhow::Result<ExitCode> {
    let Some(cfg) = load_for_check(path) else { return Ok(ExitCode::from(1)) };
    println!("config {}", path.display());
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let at = |keys: &[&str]| match crate::config::locate(&text, keys) {
        Some((line, col)) => format!("{}:{line}:{col}: {}", path.display(), keys.join(".")),
        None => keys.join("."),
    };
    let mut problems = 0;
    for w in cfg.warnings() {
        println!("! {w}");
    }
    if let Some(d) = &cfg.file.default_profile
        && !cfg.file.profiles.contains_key(d)
    {
        println!("✗ {}: {d:?} is not a profile", escape(&at(&["default_profile"])));
        problems += 1;
    }
    if let Err(e) = cfg.key_table() {
        println!("✗ {}", escape(&format!("{e:#}")));
        problems += 1;
    }
    let rt = tokio::runtime::Runtime::new()?;
    for (name, file) in &cfg.file.profiles {
        let profile = match Profile::from_file(name, file) {
            Ok(p) => p,
            Err(e) => {
                let keys: Vec<&str> =
                    ["profiles", name.as_str(), e.field].into_iter().filter(|k| !k.is_empty()).collect();
                println!("✗ {}: {}", escape(&at(&keys)), escape(&e.message));
                problems += 1;
                continue;
            }
        };
        let client_cfg = match profile.client_config() {
            Ok(c) => c,
            Err(e) => {
                println!("✗ {name}: {}", escape(&format!("{e:#}")));
                problems += 1;
                continue;
            }
        };
        let what = format!(
            "{} sdkappid {} admin {} {} rate {}/s key from {}{}",
            profile.endpoint.label(),
            profile.sdkappid,
            escape(&profile.admin),
            profile.family,
            profile.rate_limit,
            profile.key.describe(),
            if profile.read_only { " read-only" } else { "" }
        );
        if !online {
            println!("✓ {name}: {what}");
            continue;
        }
        let client = Arc::new(crate::client::Client::new(client_cfg)?);
        match rt.block_on(crate::engine::fetch_attr_names(client, profile.family, CancellationToken::new())) {
            Ok(r) => println!("✓ {name}: {what}; online: {} attribute names", r.body.attr_names.len()),
            Err(e) => {
                println!("✗ {name}: {what}; online: {}", escape(&e.to_string()));
                problems += 1;
            }
        }
    }
    if cfg.file.profiles.is_empty() {
        println!("✗ no profiles; add a [profiles.NAME] table (see `timx config init`)");
        problems += 1;
    }
    Ok(if problems == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
