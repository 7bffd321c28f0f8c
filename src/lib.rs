//! timx: explore and audit Tencent Cloud Chat (IM) user attributes and tags.
//!
//! Layers (see README): `usersig` and `api` are pure; `client` makes one signed call;
//! `emulator` serves the same wire types locally; the CLI front ends sit on top.

pub mod api;
pub mod audience;
pub mod cli;
pub mod client;
pub mod clock;
pub mod config;
pub mod config_edit;
pub mod demo;
pub mod emulator;
pub mod engine;
pub mod export;
pub mod intake;
pub mod journal;
pub mod logging;
pub mod paths;
pub mod private_file;
pub mod push;
pub mod resume;
pub mod schema_stats;
pub mod secret;
pub mod text;
pub mod tui;
pub mod usersig;
pub mod write;
