//! `App::update`'s handlers, one module per source of messages.

pub(crate) mod files;
mod gate;
mod keys;
mod schema;
mod worker;
pub(crate) mod writes;
