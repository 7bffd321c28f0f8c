//! Writes, below the front ends. A write is a plan, applied:
//! - `want`: what each account should become (an edit, a desired state, a plan made before);
//! - `change`: what would change, as rows; `guard`: compare-and-set of a planned row against
//!   the account's state now; `plan_file`: a plan as a value, and the files that hold one;
//! - `job`: the write job that plans and applies (its calls in `calls`, sent by `send`), with
//!   `record` its per-account outcomes; `undo`: the undo file, the exact inverse of a write;
//! - `file_head`: the first line of every file a write leaves (target, names, job);
//! - `state_file`, `desired`: timx exports read back as desired states.
//!
//! The CLI and the explorer are thin over these.

pub mod calls;
pub mod change;
pub mod desired;
pub mod edit_args;
pub mod file_head;
pub mod guard;
pub mod job;
pub mod plan_file;
pub mod record;
pub mod send;
pub mod state_file;
pub mod undo;
pub mod want;

pub use job::{Mode, WriteConfig, spawn_write};
pub use record::{WriteRecord, WriteStatus};
pub use want::{Edit, States, Want};
