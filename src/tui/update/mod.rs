//! `App::update`'s handlers, one module per source of messages.

pub(crate) mod files;
mod keys;
mod worker;
pub(crate) mod writes;
