//! Writes, below the front ends: what changes (`change`), desired-state files read back
//! (`state_file`, `desired`), `timx edit`'s arguments (`edit_args`), the write job that plans
//! and applies (`job`, with the calls it makes in `calls`), and the undo file (`undo`).
//! The CLI and the explorer are thin over these.

pub mod calls;
pub mod change;
pub mod desired;
pub mod edit_args;
pub mod job;
pub mod state_file;
pub mod undo;

pub use job::{Edit, States, Want, WriteConfig, WriteRecord, WriteStatus, spawn_write};
