//! Command-line entry: argument definitions and dispatch to one module per command.

mod keys;
mod serve;
mod usersig_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use keys::KeyArgs;

#[derive(Debug, Parser)]
#[command(name = "timx", version, about = "Explore and audit Tencent Cloud Chat (IM) user attributes and tags")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Generate, verify or inspect UserSigs (v2, HMAC-SHA256).
    #[command(subcommand)]
    Usersig(usersig_cmd::UsersigCmd),
    /// Run the local emulator of the attr/tag REST API.
    Serve(serve::ServeArgs),
}

/// Exit codes: 0 success, 1 a negative answer (invalid sig, failed accounts), 2 usage/config error.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Cmd::Usersig(cmd)) => usersig_cmd::run(cmd),
        Some(Cmd::Serve(args)) => serve::run(args),
        None => {
            eprintln!("timx: the explorer TUI is not built yet; see `timx --help`");
            Ok(ExitCode::from(2))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("timx: {}", crate::text::escape(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}
