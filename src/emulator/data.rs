//! The `--data FILE` format: attribute names, account types, users, attributes and tags.
//!
//! ```json
//! { "attr_names": {"0": "sex", "1": "city"},
//!   "attr_types": {"1": 0},
//!   "users": [ {"id": "alice", "attrs": {"sex": "F"}, "tags": ["vip"]},
//!              {"id": "reg-7f3a", "kind": "registration_id"} ],
//!   "push_tasks": [ {"id": "T1", "sent_ago_s": 3600, "target": "All",
//!                    "deliveries": {"alice": [{"instance": "1", "stages": [[1, 0, "success"]]}]}} ],
//!   "sched_tasks": [ {"id": 7, "kind": "Tag", "fires_in_s": 7200, "content": {"Condition": {…}}} ] }
//! ```
//! Push tasks and scheduled tasks are described in `pushes`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use super::pushes::{DataSched, DataTask, Pushes};
use super::store::{AccountKind, Store};
use crate::api;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFile {
    #[serde(default)]
    pub attr_names: BTreeMap<String, String>,
    #[serde(default)]
    pub attr_types: BTreeMap<String, u8>,
    #[serde(default)]
    pub users: Vec<DataUser>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub push_tasks: Vec<DataTask>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sched_tasks: Vec<DataSched>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataUser {
    pub id: String,
    #[serde(default)]
    pub kind: AccountKind,
    /// Attribute name → value.
    #[serde(default)]
    pub attrs: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

impl DataFile {
    pub fn load(path: &Path) -> anyhow::Result<DataFile> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read data file {}", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("data file {} is not in the documented format", path.display()))
    }

    /// Build a store, checking the same limits the service enforces.
    pub fn into_store(self) -> anyhow::Result<Store> {
        let mut store = Store::default();
        for (k, name) in &self.attr_names {
            let slot = api::slot_index(k).with_context(|| format!("attr slot {k:?} is not 0-9"))?;
            if name.is_empty() || name.len() > api::MAX_FIELD_BYTES {
                bail!("attr name {name:?} must be 1-{} bytes", api::MAX_FIELD_BYTES);
            }
            if store.slot_of(name).is_some() {
                bail!("attr name {name:?} is used twice");
            }
            store.attr_names[slot] = Some(name.clone());
            store.attr_types[slot] = Some(self.attr_types.get(k).copied().unwrap_or(0));
        }
        for u in self.users {
            if !store.import(&u.id, u.kind) {
                bail!("user id {:?} must be 1-{} bytes", u.id, api::MAX_USERID_BYTES);
            }
            for (name, value) in &u.attrs {
                let slot = store
                    .slot_of(name)
                    .with_context(|| format!("user {:?}: attribute {name:?} has no slot in attr_names", u.id))?;
                if value.len() > api::MAX_FIELD_BYTES {
                    bail!("user {:?}: value of {name:?} is over {} bytes", u.id, api::MAX_FIELD_BYTES);
                }
                if let Some(user) = store.users.get_mut(&u.id) {
                    user.attrs.insert(slot, value.clone());
                }
            }
            if u.tags.len() > api::MAX_TAGS_PER_USER
                || u.tags.iter().any(|t| t.is_empty() || t.len() > api::MAX_FIELD_BYTES)
            {
                bail!("user {:?}: at most {} tags of 1-{} bytes", u.id, api::MAX_TAGS_PER_USER, api::MAX_FIELD_BYTES);
            }
            store.set_tags(&u.id, u.tags);
        }
        for t in &self.sched_tasks {
            if !["All", "Tag", "User"].contains(&t.kind.as_str()) {
                bail!("scheduled task {}: kind {:?} must be All, Tag or User", t.id, t.kind);
            }
        }
        store.pushes = Pushes::new(crate::clock::unix_now(), self.push_tasks, self.sched_tasks);
        if store.distinct_tags() > api::MAX_TAGS_PER_APP {
            bail!("{} distinct tags; the service allows {}", store.distinct_tags(), api::MAX_TAGS_PER_APP);
        }
        Ok(store)
    }
}
