//! Command-line entry: argument definitions and dispatch to one module per command.

pub mod commands;
pub mod interrupt;
mod keys;
pub mod target;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use keys::KeyArgs;

use crate::engine::JobKind;
use commands::{audience, audit, config, diff, push_stats, scheduled, serve, shell, trace, tui, usersig, write};

#[derive(Debug, Parser)]
#[command(name = "timx", version, about = "Explore and audit Tencent Cloud Chat (IM) user attributes and tags")]
pub struct Cli {
    /// Log file (default: timx.log in the platform state dir).
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// error, warn, info, debug or trace (RUST_LOG overrides).
    #[arg(long, global = true, default_value = "info")]
    pub log_level: String,
    #[command(flatten)]
    pub tui: tui::TuiArgs,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// List the app's attribute slots (0-9): names, and account types for timpush.
    AttrNames(audit::AttrNamesArgs),
    /// Read users' attributes.
    Attrs(audit::AuditArgs),
    /// Read users' tags.
    Tags(audit::AuditArgs),
    /// Read users' attributes and tags, merged per account.
    Inspect(audit::AuditArgs),
    /// Make accounts match a desired-state file (an edited export): plan, confirm, apply, undo file.
    Apply(write::ApplyArgs),
    /// The same change (--set, --unset, --add-tag, --remove-tag, --clear-tags) for every account.
    Edit(write::EditArgs),
    /// Would a push with this Condition reach these accounts, and why not (nothing is sent).
    Audience(audience::AudienceArgs),
    /// Did these accounts get push TASKID: per device every stage, and a verdict (1 call/s).
    Trace(trace::TraceArgs),
    /// Per task the funnel (can send → sent → delivered → clicked) and the loss reasons.
    PushStats(push_stats::PushStatsArgs),
    /// The app's scheduled pushes: list them, or show one.
    #[command(subcommand)]
    Scheduled(scheduled::ScheduledCmd),
    /// What changed between two exports (CSV, JSON or NDJSON), per account; exit 1 if anything did.
    Diff(diff::DiffArgs),
    /// Where the config is, write an example, check profiles.
    Config(config::ConfigArgs),
    /// Generate or verify UserSigs (v2, HMAC-SHA256).
    #[command(subcommand)]
    Usersig(usersig::UsersigCmd),
    /// Run the local emulator of the attr/tag REST API.
    Serve(serve::ServeArgs),
    /// The explorer on the built-in demo app (an in-process emulator).
    Demo(tui::TuiArgs),
    /// Shell completions (bash, zsh, fish, powershell) on standard output.
    Completions(shell::CompletionsArgs),
    /// The man page (roff) on standard output.
    Man,
}

/// Exit codes: 0 success, 1 a negative answer (invalid sig, failed accounts), 2 usage or
/// configuration error, 130 interrupted.
pub fn main() -> ExitCode {
    // `COMPLETE=bash timx` (and zsh, fish…): dynamic completions, profile names included.
    clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command).complete();
    let cli = Cli::parse();
    crate::logging::init(cli.log_file.as_deref(), &cli.log_level);
    let result = match cli.command {
        Some(Cmd::AttrNames(a)) => audit::run_attr_names(a),
        Some(Cmd::Attrs(a)) => audit::run_audit(JobKind::Attrs, a),
        Some(Cmd::Tags(a)) => audit::run_audit(JobKind::Tags, a),
        Some(Cmd::Inspect(a)) => audit::run_audit(JobKind::Inspect, a),
        Some(Cmd::Apply(a)) => write::run_apply(a),
        Some(Cmd::Edit(a)) => write::run_edit(a),
        Some(Cmd::Config(a)) => config::run(a),
        Some(Cmd::Diff(a)) => diff::run(a),
        Some(Cmd::Audience(a)) => audience::run(a),
        Some(Cmd::Trace(a)) => trace::run(a),
        Some(Cmd::PushStats(a)) => push_stats::run(a),
        Some(Cmd::Scheduled(c)) => scheduled::run(c),
        Some(Cmd::Usersig(cmd)) => usersig::run(cmd),
        Some(Cmd::Serve(args)) => serve::run(args),
        Some(Cmd::Demo(a)) => tui::run(a, true),
        Some(Cmd::Completions(a)) => shell::completions(a),
        Some(Cmd::Man) => shell::man(),
        None => tui::run(cli.tui, false),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("timx: {}", crate::text::escape(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}
