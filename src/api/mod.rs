//! The service as data: regions, command families, wire types and the error-code catalog.
//! One place for each fact; everything that shows or acts on the API reads from here.

pub mod codes;
pub mod family;
pub mod post_send;
pub mod push_codes;
pub mod region;
pub mod wire;

pub use codes::{Action, CodeInfo};
pub use family::{Command, Family};
pub use region::{Endpoint, Region};

/// Accounts per request, for every attr/tag command (90018 above it).
pub const MAX_ACCOUNTS_PER_CALL: usize = 100;
/// Documented call rate per command, per app.
pub const MAX_CALLS_PER_SECOND: u32 = 100;
/// Attribute slots 0..=9.
pub const ATTR_SLOTS: usize = 10;
/// Bytes for attribute names, values and tags.
pub const MAX_FIELD_BYTES: usize = 50;
/// UserID length limit in bytes.
pub const MAX_USERID_BYTES: usize = 32;
/// Tags one add_tag request may add per user (Replace=0).
pub const MAX_TAGS_PER_ADD: usize = 10;
/// Tags a user may carry.
pub const MAX_TAGS_PER_USER: usize = 100;
/// Distinct tags per app.
pub const MAX_TAGS_PER_APP: usize = 1000;

/// A slot key of `AttrNames` ("0".."9") as its number; None when it is not one.
pub fn slot_index(key: &str) -> Option<usize> {
    key.parse().ok().filter(|s| *s < ATTR_SLOTS)
}
