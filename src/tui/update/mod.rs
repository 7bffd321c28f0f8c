//! `App::update`'s handlers, one module per source of messages.

pub(crate) mod files;
mod gate;
mod keys;
mod post_send;
mod run;
mod schema;
mod switch;
mod undo;
mod worker;
pub(crate) mod writes;
