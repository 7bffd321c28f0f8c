//! One module per `timx` command (the shared argument groups live in `cli::target` and
//! `cli::keys`).

pub mod audience;
pub mod audit;
pub mod config;
pub mod diff;
pub mod push_stats;
pub mod scheduled;
pub mod schema;
pub mod serve;
pub mod shell;
pub mod trace;
pub mod tui;
pub mod usersig;
pub mod write;
pub(crate) mod write_run;
