//! The emulator's data and the documented semantics of each command, without HTTP.
//! Each operation validates the whole request before changing anything.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::wire::{self, AccountError};
use crate::api::{self, Command, Family};

/// A failed request: the ErrorCode and ErrorInfo of the answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ErrorCode {code}: {info}")]
pub struct Fail {
    pub code: i64,
    pub info: String,
}

impl Fail {
    pub fn new(code: i64, info: impl Into<String>) -> Fail {
        Fail { code, info: info.into() }
    }
}

/// What a successful command returns: extra body fields and per-account errors.
#[derive(Debug, Default)]
pub struct Done {
    pub body: serde_json::Map<String, Value>,
    pub error_list: Vec<AccountError>,
}

impl Done {
    /// An answer whose body fields are one of the shared wire types, serialized: the emulator
    /// speaks the same types the client reads.
    pub fn with<T: Serialize>(body: &T) -> Done {
        let body = match serde_json::to_value(body) {
            Ok(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        Done { body, error_list: vec![] }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    #[default]
    UserId,
    /// A push RegistrationID; only timpush addresses these.
    RegistrationId,
}

impl AccountKind {
    fn attr_type(self) -> u8 {
        match self {
            AccountKind::UserId => wire::ATTR_TYPE_USERID,
            AccountKind::RegistrationId => wire::ATTR_TYPE_REGISTRATION_ID,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct User {
    pub kind: AccountKind,
    /// Values by slot, so renaming a slot keeps its values.
    pub attrs: BTreeMap<usize, String>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Store {
    pub attr_names: [Option<String>; api::ATTR_SLOTS],
    /// timpush account type per slot (0 UserID, 1 RegistrationID); None until set.
    pub attr_types: [Option<u8>; api::ATTR_SLOTS],
    pub users: HashMap<String, User>,
    /// Distinct tags in the app: how many users carry each, and the account type it belongs
    /// to (a tag applies to one account type, like an attribute).
    tag_refs: HashMap<String, (usize, AccountKind)>,
    /// Accounts per request before 90018; 0 means the documented 100.
    pub max_accounts: usize,
    /// Push tasks and scheduled tasks, for the post-send calls.
    pub pushes: super::pushes::Pushes,
}

/// Per-account reads of a request, and the accounts it could not find (timpush).
type Reads<T> = (Vec<(String, T)>, Vec<AccountError>);

/// Move one user's tag references from `old` to `new`.
fn retag(refs: &mut HashMap<String, (usize, AccountKind)>, old: &[String], new: &[String], kind: AccountKind) {
    for t in old {
        if let Some((n, _)) = refs.get_mut(t) {
            *n -= 1;
            if *n == 0 {
                refs.remove(t);
            }
        }
    }
    for t in new {
        refs.entry(t.clone()).or_insert((0, kind)).0 += 1;
    }
}

fn wrong_type(account: &str, what: &str) -> AccountError {
    AccountError {
        to_account: account.to_owned(),
        error_code: 90035,
        error_info: format!("{what} applies to another account type"),
    }
}

fn not_found(account: &str) -> AccountError {
    AccountError {
        to_account: account.to_owned(),
        error_code: api::codes::NOT_IMPORTED,
        error_info: "account not exist".into(),
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, Fail> {
    serde_json::from_value(body.clone()).map_err(|e| Fail::new(90001, format!("json parse error: {e}")))
}

fn too_many(n: usize, max: usize) -> Result<(), Fail> {
    if n > max {
        return Err(Fail::new(90018, format!("too many accounts: {n} > {max}")));
    }
    Ok(())
}

fn check_len(what: &str, s: &str, code: i64) -> Result<(), Fail> {
    if s.is_empty() {
        return Err(Fail::new(code, format!("{what} is empty")));
    }
    if s.len() > api::MAX_FIELD_BYTES {
        return Err(Fail::new(
            code,
            format!("{what} is {} bytes, over the {}-byte limit", s.len(), api::MAX_FIELD_BYTES),
        ));
    }
    Ok(())
}

impl Store {
    fn max_per_call(&self) -> usize {
        if self.max_accounts == 0 { api::MAX_ACCOUNTS_PER_CALL } else { self.max_accounts }
    }

    pub fn slot_of(&self, name: &str) -> Option<usize> {
        self.attr_names.iter().position(|n| n.as_deref() == Some(name))
    }

    /// Create an account if it does not exist. Returns false for an invalid UserID.
    pub fn import(&mut self, id: &str, kind: AccountKind) -> bool {
        if id.is_empty() || id.len() > api::MAX_USERID_BYTES {
            return false;
        }
        self.users.entry(id.to_owned()).or_insert_with(|| User { kind, ..User::default() });
        true
    }

    pub fn distinct_tags(&self) -> usize {
        self.tag_refs.len()
    }

    /// Replace a user's tags, keeping the app's distinct-tag count right.
    pub fn set_tags(&mut self, id: &str, tags: Vec<String>) {
        let Some(user) = self.users.get_mut(id) else { return };
        let kind = user.kind;
        let old = std::mem::replace(&mut user.tags, tags.clone());
        retag(&mut self.tag_refs, &old, &tags, kind);
    }

    /// An account the request names that the app does not have: timpush reports it in
    /// `ErrorList` (70107); all_member_push has no per-account errors and says nothing.
    fn unknown(family: Family, account: &str, done: &mut Done) {
        if family == Family::Timpush {
            done.error_list.push(not_found(account));
        }
    }

    /// Run one attr/tag command. `body` is the parsed JSON request.
    pub fn run(&mut self, family: Family, cmd: Command, body: &Value) -> Result<Done, Fail> {
        match cmd {
            Command::GetAttrName => Ok(self.get_attr_name(family)),
            Command::SetAttrName => self.set_attr_name(family, parse(body)?),
            Command::GetAttr => self.get_attr(family, parse(body)?),
            Command::SetAttr => self.set_attr(family, parse(body)?),
            Command::RemoveAttr => self.remove_attr(family, parse(body)?),
            Command::GetTag => self.get_tag(family, parse(body)?),
            Command::AddTag => self.add_tag(family, parse(body)?),
            Command::RemoveTag => self.remove_tag(family, parse(body)?),
            Command::RemoveAllTags => self.remove_all_tags(family, parse(body)?),
        }
    }

    fn get_attr_name(&self, family: Family) -> Done {
        let named = || self.attr_names.iter().enumerate().filter_map(|(i, n)| Some((i, n.as_ref()?)));
        let names = wire::AttrNames {
            attr_names: named().map(|(i, n)| (i.to_string(), n.clone())).collect(),
            attr_types: (family == Family::Timpush).then(|| {
                named().map(|(i, _)| (i.to_string(), self.attr_types[i].unwrap_or(wire::ATTR_TYPE_USERID))).collect()
            }),
        };
        Done::with(&names)
    }

    fn set_attr_name(&mut self, family: Family, req: wire::AttrNames) -> Result<Done, Fail> {
        let mut names = self.attr_names.clone();
        let mut types = self.attr_types;
        let mut slots = Vec::new();
        for (k, name) in &req.attr_names {
            let slot = api::slot_index(k).ok_or_else(|| Fail::new(90033, format!("attr index {k:?} is not 0-9")))?;
            check_len("attr name", name, 90033)?;
            slots.push(slot);
            names[slot] = Some(name.clone());
        }
        if slots.len() > api::ATTR_SLOTS {
            return Err(Fail::new(90033, "more than 10 attributes"));
        }
        // Names must be unique across all slots.
        for (i, a) in names.iter().enumerate() {
            if let Some(a) = a
                && let Some(j) = names.iter().position(|b| b.as_deref() == Some(a.as_str()))
                && j != i
            {
                return Err(Fail::new(90033, format!("attrName:{a} already exists at index:{}", j.min(i))));
            }
        }
        if family == Family::Timpush
            && let Some(req_types) = &req.attr_types
        {
            for (k, t) in req_types {
                let slot: usize = k.parse().map_err(|_| Fail::new(90033, format!("AttrTypes key {k:?} is not 0-9")))?;
                if !req.attr_names.contains_key(k) {
                    return Err(Fail::new(90033, format!("AttrTypes key {k} is not in AttrNames")));
                }
                if *t > wire::ATTR_TYPE_REGISTRATION_ID {
                    return Err(Fail::new(90033, format!("AttrTypes value {t} must be 0 or 1")));
                }
                if let Some(old) = self.attr_types[slot]
                    && old != *t
                {
                    return Err(Fail::new(90033, format!("attr type of index:{slot} cannot be changed")));
                }
                types[slot] = Some(*t);
            }
        }
        for s in slots {
            types[s].get_or_insert(wire::ATTR_TYPE_USERID);
        }
        self.attr_names = names;
        self.attr_types = types;
        Ok(Done::default())
    }

    /// What `read` says of each account, in request order; an unknown account is empty in
    /// all_member_push (no ErrorList there) and a 70107 entry in timpush.
    fn read_each<T: Default>(
        &self,
        family: Family,
        accounts: &[String],
        read: impl Fn(&User) -> T,
    ) -> Result<Reads<T>, Fail> {
        too_many(accounts.len(), self.max_per_call())?;
        let (mut rows, mut errors) = (Vec::new(), Vec::new());
        for acc in accounts {
            match self.users.get(acc) {
                Some(u) => rows.push((acc.clone(), read(u))),
                None if family == Family::AllMemberPush => rows.push((acc.clone(), T::default())),
                None => errors.push(not_found(acc)),
            }
        }
        Ok((rows, errors))
    }

    fn get_attr(&self, family: Family, req: wire::AccountsRequest) -> Result<Done, Fail> {
        let named = |u: &User| {
            u.attrs.iter().filter_map(|(slot, v)| Some((self.attr_names[*slot].clone()?, v.clone()))).collect()
        };
        let (rows, errors) = self.read_each(family, &req.to_account, named)?;
        let user_attrs = rows.into_iter().map(|(to_account, attrs)| wire::UserAttrs { to_account, attrs }).collect();
        Ok(Done { error_list: errors, ..Done::with(&wire::GetAttrResponse { user_attrs }) })
    }

    fn set_attr(&mut self, family: Family, req: wire::SetAttrRequest) -> Result<Done, Fail> {
        too_many(req.user_attrs.len(), self.max_per_call())?;
        let mut done = Done::default();
        let mut writes = Vec::new();
        for ua in &req.user_attrs {
            let mut slots = Vec::new();
            for (name, value) in &ua.attrs {
                let slot =
                    self.slot_of(name).ok_or_else(|| Fail::new(90033, format!("attr name {name} not exists")))?;
                if value.len() > api::MAX_FIELD_BYTES {
                    return Err(Fail::new(
                        90033,
                        format!("attr value of {name} is over {} bytes", api::MAX_FIELD_BYTES),
                    ));
                }
                slots.push((slot, value.clone()));
            }
            let Some(user) = self.users.get(&ua.to_account) else {
                Self::unknown(family, &ua.to_account, &mut done);
                continue;
            };
            if family == Family::Timpush
                && slots.iter().any(|(s, _)| self.attr_types[*s].unwrap_or(0) != user.kind.attr_type())
            {
                done.error_list.push(wrong_type(&ua.to_account, "attr"));
                continue;
            }
            writes.push((ua.to_account.clone(), slots));
        }
        for (acc, slots) in writes {
            if let Some(u) = self.users.get_mut(&acc) {
                u.attrs.extend(slots);
            }
        }
        Ok(done)
    }

    fn remove_attr(&mut self, family: Family, req: wire::RemoveAttrRequest) -> Result<Done, Fail> {
        too_many(req.user_attrs.len(), self.max_per_call())?;
        let mut done = Done::default();
        let mut removals = Vec::new();
        for ua in &req.user_attrs {
            let slots = ua
                .attrs
                .iter()
                .map(|n| self.slot_of(n).ok_or_else(|| Fail::new(90033, format!("attr name {n} not exists"))))
                .collect::<Result<Vec<_>, _>>()?;
            if self.users.contains_key(&ua.to_account) {
                removals.push((ua.to_account.clone(), slots));
            } else {
                Self::unknown(family, &ua.to_account, &mut done);
            }
        }
        for (acc, slots) in removals {
            if let Some(u) = self.users.get_mut(&acc) {
                for s in slots {
                    u.attrs.remove(&s);
                }
            }
        }
        Ok(done)
    }

    fn get_tag(&self, family: Family, req: wire::AccountsRequest) -> Result<Done, Fail> {
        let (rows, errors) = self.read_each(family, &req.to_account, |u| u.tags.clone())?;
        let user_tags = rows.into_iter().map(|(to_account, tags)| wire::UserTags { to_account, tags }).collect();
        Ok(Done { error_list: errors, ..Done::with(&wire::GetTagResponse { user_tags }) })
    }

    fn add_tag(&mut self, family: Family, req: wire::TagsRequest) -> Result<Done, Fail> {
        too_many(req.user_tags.len(), self.max_per_call())?;
        // Replace exists only in timpush; all_member_push always adds.
        let replace = family == Family::Timpush && req.replace == Some(1);
        let per_request = if replace { api::MAX_TAGS_PER_USER } else { api::MAX_TAGS_PER_ADD };
        let mut done = Done::default();
        // The tags each user will have; the same account twice in one request merges.
        let mut pending: Vec<(String, Vec<String>)> = Vec::new();
        // The app's tags as they will be, to check the per-app cap and account types.
        let mut refs = self.tag_refs.clone();
        for ut in &req.user_tags {
            if ut.tags.len() > per_request {
                return Err(Fail::new(
                    90032,
                    format!("{} tags for {} in one request, limit {per_request}", ut.tags.len(), ut.to_account),
                ));
            }
            for t in &ut.tags {
                check_len("tag", t, 90020)?;
            }
            let Some(user) = self.users.get(&ut.to_account) else {
                Self::unknown(family, &ut.to_account, &mut done);
                continue;
            };
            if family == Family::Timpush && ut.tags.iter().any(|t| refs.get(t).is_some_and(|(_, k)| *k != user.kind)) {
                done.error_list.push(wrong_type(&ut.to_account, "tag"));
                continue;
            }
            let slot = match pending.iter().position(|(a, _)| *a == ut.to_account) {
                Some(i) => i,
                None => {
                    pending.push((ut.to_account.clone(), user.tags.clone()));
                    pending.len() - 1
                }
            };
            let before = pending[slot].1.clone();
            let mut tags = if replace { Vec::new() } else { before.clone() };
            for t in &ut.tags {
                if !tags.contains(t) {
                    tags.push(t.clone());
                }
            }
            if tags.len() > api::MAX_TAGS_PER_USER {
                return Err(Fail::new(
                    90032,
                    format!("{} would have {} tags, limit {}", ut.to_account, tags.len(), api::MAX_TAGS_PER_USER),
                ));
            }
            // Replaced tags no longer count toward the app's distinct tags.
            retag(&mut refs, &before, &tags, user.kind);
            pending[slot].1 = tags;
        }
        if refs.len() > api::MAX_TAGS_PER_APP {
            return Err(Fail::new(
                70402,
                format!("the app would have {} distinct tags, limit {}", refs.len(), api::MAX_TAGS_PER_APP),
            ));
        }
        for (acc, tags) in pending {
            self.set_tags(&acc, tags);
        }
        Ok(done)
    }

    fn remove_tag(&mut self, family: Family, req: wire::TagsRequest) -> Result<Done, Fail> {
        too_many(req.user_tags.len(), self.max_per_call())?;
        let mut done = Done::default();
        for ut in &req.user_tags {
            match self.users.get(&ut.to_account) {
                Some(u) => {
                    let kept = u.tags.iter().filter(|t| !ut.tags.contains(t)).cloned().collect();
                    self.set_tags(&ut.to_account, kept);
                }
                None => Self::unknown(family, &ut.to_account, &mut done),
            }
        }
        Ok(done)
    }

    fn remove_all_tags(&mut self, family: Family, req: wire::AccountsRequest) -> Result<Done, Fail> {
        too_many(req.to_account.len(), self.max_per_call())?;
        let mut done = Done::default();
        for acc in &req.to_account {
            if self.users.contains_key(acc) {
                self.set_tags(acc, Vec::new());
            } else {
                Self::unknown(family, acc, &mut done);
            }
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn store() -> Store {
        let mut s = Store::default();
        s.run(
            Family::Timpush,
            Command::SetAttrName,
            &json!({"AttrNames": {"0": "sex", "1": "city", "2": "device"}, "AttrTypes": {"2": 1}}),
        )
        .unwrap();
        s.import("alice", AccountKind::UserId);
        s.import("reg-1", AccountKind::RegistrationId);
        s
    }

    #[test]
    fn duplicate_attr_names_fail_as_documented() {
        let mut s = store();
        let e = s.run(Family::Timpush, Command::SetAttrName, &json!({"AttrNames": {"3": "city"}})).unwrap_err();
        assert_eq!(e, Fail::new(90033, "attrName:city already exists at index:1"));
        // Types cannot change once set.
        let e = s
            .run(Family::Timpush, Command::SetAttrName, &json!({"AttrNames": {"2": "device"}, "AttrTypes": {"2": 0}}))
            .unwrap_err();
        assert_eq!(e.code, 90033);
    }

    #[test]
    fn wrong_account_type_is_a_partial_90035() {
        let mut s = store();
        let d = s
            .run(
                Family::Timpush,
                Command::SetAttr,
                &json!({"UserAttrs": [
                {"To_Account": "alice", "Attrs": {"device": "x"}},
                {"To_Account": "reg-1", "Attrs": {"device": "ios"}}]}),
            )
            .unwrap();
        assert_eq!(d.error_list.len(), 1);
        assert_eq!(d.error_list[0].error_code, 90035);
        assert_eq!(s.users["reg-1"].attrs[&2], "ios");
    }

    #[test]
    fn add_tag_limits() {
        let mut s = store();
        let eleven: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        let e = s
            .run(Family::Timpush, Command::AddTag, &json!({"UserTags": [{"To_Account": "alice", "Tags": eleven}]}))
            .unwrap_err();
        assert_eq!(e.code, 90032);
        // Replace=1 allows up to 100 in one request, and only in timpush.
        s.run(
            Family::Timpush,
            Command::AddTag,
            &json!({"Replace": 1, "UserTags": [{"To_Account": "alice", "Tags": eleven}]}),
        )
        .unwrap();
        assert_eq!(s.users["alice"].tags.len(), 11);
        assert_eq!(s.distinct_tags(), 11);
        let e = s
            .run(
                Family::AllMemberPush,
                Command::AddTag,
                &json!({"Replace": 1, "UserTags": [{"To_Account": "alice", "Tags": eleven}]}),
            )
            .unwrap_err();
        assert_eq!(e.code, 90032);
        let long = "x".repeat(51);
        let e = s
            .run(Family::Timpush, Command::AddTag, &json!({"UserTags": [{"To_Account": "alice", "Tags": [long]}]}))
            .unwrap_err();
        assert_eq!(e.code, 90020);
        s.run(Family::Timpush, Command::RemoveAllTags, &json!({"To_Account": ["alice"]})).unwrap();
        assert_eq!(s.distinct_tags(), 0);
    }

    #[test]
    fn unknown_accounts_differ_by_family() {
        let s = store();
        let body = json!({"To_Account": ["ghost"]});
        let amp = s.get_attr(Family::AllMemberPush, serde_json::from_value(body.clone()).unwrap()).unwrap();
        assert_eq!(amp.body["UserAttrs"][0]["Attrs"], json!({}));
        assert!(amp.error_list.is_empty());
        let tp = s.get_attr(Family::Timpush, serde_json::from_value(body).unwrap()).unwrap();
        assert_eq!(tp.error_list[0].error_code, 70107);
    }

    #[test]
    fn all_member_push_writes_have_no_error_list_for_unknown_accounts() {
        let mut s = store();
        let writes = [
            (Command::SetAttr, json!({"UserAttrs": [{"To_Account": "ghost", "Attrs": {"sex": "F"}}]})),
            (Command::RemoveAttr, json!({"UserAttrs": [{"To_Account": "ghost", "Attrs": ["sex"]}]})),
            (Command::AddTag, json!({"UserTags": [{"To_Account": "ghost", "Tags": ["a"]}]})),
            (Command::RemoveTag, json!({"UserTags": [{"To_Account": "ghost", "Tags": ["a"]}]})),
            (Command::RemoveAllTags, json!({"To_Account": ["ghost"]})),
        ];
        for (cmd, body) in writes {
            assert!(s.run(Family::AllMemberPush, cmd, &body).unwrap().error_list.is_empty(), "{cmd:?}");
            assert_eq!(s.run(Family::Timpush, cmd, &body).unwrap().error_list[0].error_code, 70107, "{cmd:?}");
        }
    }

    #[test]
    fn a_tag_applies_to_one_account_type_in_timpush() {
        let mut s = store();
        s.run(Family::Timpush, Command::AddTag, &json!({"UserTags": [{"To_Account": "alice", "Tags": ["vip"]}]}))
            .unwrap();
        let d = s
            .run(
                Family::Timpush,
                Command::AddTag,
                &json!({"UserTags": [{"To_Account": "reg-1", "Tags": ["vip"]}, {"To_Account": "reg-1", "Tags": ["ios"]}]}),
            )
            .unwrap();
        assert_eq!(d.error_list.len(), 1);
        assert_eq!((d.error_list[0].to_account.as_str(), d.error_list[0].error_code), ("reg-1", 90035));
        assert_eq!(s.users["reg-1"].tags, ["ios"], "the rest of the request is applied");
    }

    #[test]
    fn the_same_account_twice_in_one_request_merges() {
        let mut s = store();
        s.run(
            Family::Timpush,
            Command::AddTag,
            &json!({"UserTags": [{"To_Account": "alice", "Tags": ["a"]}, {"To_Account": "alice", "Tags": ["b"]}]}),
        )
        .unwrap();
        assert_eq!(s.users["alice"].tags, ["a", "b"]);
        s.run(
            Family::Timpush,
            Command::SetAttr,
            &json!({"UserAttrs": [{"To_Account": "alice", "Attrs": {"sex": "F"}}, {"To_Account": "alice", "Attrs": {"city": "x"}}]}),
        )
        .unwrap();
        assert_eq!(s.users["alice"].attrs.len(), 2);
    }

    #[test]
    fn replace_does_not_count_the_tags_it_replaces_toward_the_app_cap() {
        let mut s = store();
        s.import("bob", AccountKind::UserId);
        // 1000 distinct tags in the app: 100 on alice, 900 on ten other users.
        let tags = |from: usize| (from..from + 100).map(|i| format!("t{i}")).collect::<Vec<_>>();
        s.run(
            Family::Timpush,
            Command::AddTag,
            &json!({"Replace": 1, "UserTags": [{"To_Account": "alice", "Tags": tags(0)}]}),
        )
        .unwrap();
        for u in 1..10 {
            s.import(&format!("u{u}"), AccountKind::UserId);
            let body = json!({"Replace": 1, "UserTags": [{"To_Account": format!("u{u}"), "Tags": tags(u * 100)}]});
            s.run(Family::Timpush, Command::AddTag, &body).unwrap();
        }
        assert_eq!(s.distinct_tags(), 1000);
        // alice's 100 tags replaced by 100 new ones: still 1000 distinct tags, allowed.
        s.run(
            Family::Timpush,
            Command::AddTag,
            &json!({"Replace": 1, "UserTags": [{"To_Account": "alice", "Tags": tags(5000)}]}),
        )
        .unwrap();
        assert_eq!(s.distinct_tags(), 1000);
        // One more new tag on bob is the 1001st.
        let e = s
            .run(Family::Timpush, Command::AddTag, &json!({"UserTags": [{"To_Account": "bob", "Tags": ["new"]}]}))
            .unwrap_err();
        assert_eq!(e.code, 70402);
    }
}
