//! What each account of a write should become: one edit for every account (`timx edit`, the
//! explorer's `:tag`/`:attr`), a desired state per account (a file), or a plan made before.
//! The local checks (limits, the app's attribute names) run on these before anything is sent.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::plan_file::PlanSet;
use super::state_file::{AccountState, AttrSet};
use crate::api::MAX_FIELD_BYTES;

/// The same change for every account (`timx edit`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Edit {
    pub set: BTreeMap<String, String>,
    pub unset: Vec<String>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    pub clear_tags: bool,
}

impl Edit {
    pub fn is_empty(&self) -> bool {
        !self.touches_attrs() && !self.touches_tags()
    }
    pub fn touches_attrs(&self) -> bool {
        !self.set.is_empty() || !self.unset.is_empty()
    }
    pub fn touches_tags(&self) -> bool {
        self.clear_tags || !self.add_tags.is_empty() || !self.remove_tags.is_empty()
    }

    /// What an account with `attrs` and `tags` should be after the edit.
    pub fn desired(&self, account: &str, attrs: &BTreeMap<String, String>, tags: &[String]) -> AccountState {
        let attrs = self.touches_attrs().then(|| {
            let names: Vec<String> = self.set.keys().chain(&self.unset).cloned().collect();
            let mut values: BTreeMap<String, String> =
                attrs.iter().filter(|(k, _)| names.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
            values.extend(self.set.iter().map(|(k, v)| (k.clone(), v.clone())));
            for n in &self.unset {
                values.remove(n);
            }
            AttrSet { values, names: Some(names) }
        });
        let tags = self.touches_tags().then(|| {
            let mut t: Vec<String> = if self.clear_tags { Vec::new() } else { tags.to_vec() };
            t.retain(|x| !self.remove_tags.contains(x));
            for a in &self.add_tags {
                if !t.contains(a) {
                    t.push(a.clone());
                }
            }
            t
        });
        AccountState { account: account.to_owned(), attrs, tags }
    }

    /// The edit's own values checked against the limits and the app's attribute names.
    pub fn check(&self, app_names: &[String]) -> Result<(), String> {
        let state = AccountState {
            account: String::new(),
            attrs: self.touches_attrs().then(|| AttrSet { values: self.set.clone(), names: Some(self.unset.clone()) }),
            tags: Some(self.add_tags.iter().chain(&self.remove_tags).cloned().collect()),
        };
        check_state(&state, app_names)
    }
}

/// Why a desired state cannot be written, checked before anything is sent: values and tags
/// over 50 bytes, empty tags, over 100 tags, attribute names the app does not have.
pub fn check_state(state: &AccountState, app_names: &[String]) -> Result<(), String> {
    check_names(state, app_names)?;
    check_values(state)
}

/// The attribute names a state speaks for: its values' and (CSV) its columns.
pub fn mentioned_names(state: &AccountState) -> impl Iterator<Item = &String> {
    state.attrs.iter().flat_map(|a| a.values.keys().chain(a.names.iter().flatten()))
}

/// Every attribute name the state speaks for must be one the app has.
pub fn check_names(state: &AccountState, app_names: &[String]) -> Result<(), String> {
    if let Some(name) = mentioned_names(state).find(|n| !app_names.contains(n)) {
        let has = if app_names.is_empty() { "none".to_string() } else { app_names.join(", ") };
        return Err(format!("the app has no attribute named {name:?} (it has: {has})"));
    }
    Ok(())
}

/// Values and tags within the service's limits.
pub fn check_values(state: &AccountState) -> Result<(), String> {
    if let Some(a) = &state.attrs {
        for (name, v) in &a.values {
            if v.len() > MAX_FIELD_BYTES {
                return Err(format!("the value of {name} is {} bytes, over the {MAX_FIELD_BYTES}-byte limit", v.len()));
            }
        }
    }
    if let Some(tags) = &state.tags {
        check_tags(tags)?;
    }
    Ok(())
}

fn check_tags(tags: &[String]) -> Result<(), String> {
    if tags.iter().any(String::is_empty) {
        return Err("an empty tag".into());
    }
    if let Some(t) = tags.iter().find(|t| t.len() > MAX_FIELD_BYTES) {
        return Err(format!("tag {t:?} is {} bytes, over the {MAX_FIELD_BYTES}-byte limit", t.len()));
    }
    Ok(())
}

/// What each account should become.
#[derive(Debug, Clone)]
pub enum Want {
    /// The same edit for every account.
    Same(Edit),
    /// Per input entry, the desired state.
    Each(Arc<States>),
    /// Per input entry, the row of a plan made before: applying it writes exactly that plan.
    Plan(Arc<PlanSet>),
}

/// What one account of a job should become, decoded once per batch.
#[derive(Debug, Clone)]
pub enum Intent {
    /// A desired state; `exact_tags`: its tags are the whole set (a file's, `--clear-tags`).
    Desired(AccountState, bool),
    /// A row of a plan: `planned` ones are applied, the others end as they say.
    Planned(super::change::PlanRow),
    /// What was wanted could not be read back (a temporary file failed): failed, not written.
    Unreadable(String),
}

impl Want {
    /// The wants of these input entries, in order, as the input of a job of their own.
    pub fn subset(&self, entries: &[u32]) -> Want {
        match self {
            Want::Same(e) => Want::Same(e.clone()),
            Want::Each(s) => Want::Each(Arc::new(s.subset(entries))),
            Want::Plan(p) => Want::Plan(Arc::new(p.subset(entries))),
        }
    }

    /// Entry `i`'s intent, given the account's current state (an edit is worked out from it).
    pub fn intent(&self, i: u32, account: &str) -> Option<Intent> {
        match self {
            Want::Same(e) => Some(Intent::Desired(
                AccountState { account: account.to_owned(), attrs: None, tags: None },
                e.clear_tags,
            )),
            Want::Each(v) => match v.fetch(i, account) {
                Ok(s) => s.map(|s| {
                    let exact = s.tags.is_some();
                    Intent::Desired(s, exact)
                }),
                Err(why) => Some(Intent::Unreadable(why)),
            },
            Want::Plan(p) => p.get(i).map(Intent::Planned),
        }
    }

    /// Whether entry `i` needs its attributes and its tags read.
    pub fn reads(&self, intent: &Intent) -> (bool, bool) {
        match (self, intent) {
            (Want::Same(e), _) => (e.touches_attrs(), e.touches_tags()),
            (_, Intent::Desired(s, _)) => (s.attrs.is_some(), s.tags.is_some()),
            (_, Intent::Planned(r)) if r.status == "planned" => {
                (r.changes.iter().any(|c| !c.is_tag()), r.changes.iter().any(|c| c.is_tag()) || r.exact_tags)
            }
            (_, Intent::Planned(_) | Intent::Unreadable(_)) => (false, false),
        }
    }

    /// The desired state of an account with `attrs` and `tags` (an edit's, or a file's).
    pub fn desired(&self, intent: AccountState, attrs: &BTreeMap<String, String>, tags: &[String]) -> AccountState {
        match self {
            Want::Same(e) => e.desired(&intent.account, attrs, tags),
            _ => intent,
        }
    }
}

/// Desired states by input entry, each kept as a line of compact JSON: a hundred thousand fit
/// in a few MB, and a batch decodes only its own. A file's states (`spilled`) go to an
/// unlinked temporary file instead, so memory stays flat however many rows it has.
#[derive(Debug, Default)]
pub struct States {
    rows: Rows,
    /// A CSV's attribute columns: the same for every row, so kept once.
    names: Option<Vec<String>>,
}

#[derive(Debug)]
enum Rows {
    Memory(crate::engine::AccountList),
    Spill(Spill),
}

impl Default for Rows {
    fn default() -> Rows {
        Rows::Memory(crate::engine::AccountList::default())
    }
}

/// States in a temporary file (mode 0600, unlinked at once): each state's JSON one after the
/// other, and where each one ends as 8 bytes in a second such file.
#[derive(Debug)]
struct Spill {
    data: std::fs::File,
    ends: std::fs::File,
    writers: Option<(std::io::BufWriter<std::fs::File>, std::io::BufWriter<std::fs::File>)>,
    len: usize,
    at: u64,
    /// A write that failed, said when the states are sealed.
    failed: Option<String>,
}

#[derive(Serialize, serde::Deserialize)]
struct Encoded {
    #[serde(skip_serializing_if = "Option::is_none")]
    a: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    t: Option<Vec<String>>,
}

impl States {
    /// States kept on disk as they are pushed (a desired-state file read as it streams).
    pub fn spilled() -> anyhow::Result<States> {
        use anyhow::Context;
        let make = || tempfile::tempfile().context("cannot make a temporary file for the desired states");
        let (data, ends) = (make()?, make()?);
        let writers = Some((std::io::BufWriter::new(data.try_clone()?), std::io::BufWriter::new(ends.try_clone()?)));
        let spill = Spill { data, ends, writers, len: 0, at: 0, failed: None };
        Ok(States { rows: Rows::Spill(spill), names: None })
    }

    /// The next entry's state (entries are pushed in order, one each).
    pub fn push(&mut self, s: AccountState) {
        if let Some(n) = s.attrs.as_ref().and_then(|a| a.names.as_ref())
            && self.names.is_none()
        {
            self.names = Some(n.clone());
        }
        let e = Encoded { a: s.attrs.map(|a| a.values), t: s.tags };
        let line = serde_json::to_string(&e).unwrap_or_default();
        match &mut self.rows {
            Rows::Spill(spill) => spill.push(&line),
            Rows::Memory(rows) => rows.push(&line),
        }
    }

    /// Done pushing: what was spilled is on disk for `get` (a failed write is said here).
    pub fn seal(&mut self) -> anyhow::Result<()> {
        if let Rows::Spill(spill) = &mut self.rows {
            spill.seal().map_err(|e| anyhow::anyhow!("cannot keep the desired states in a temporary file: {e}"))?;
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        match &self.rows {
            Rows::Memory(rows) => rows.len(),
            Rows::Spill(spill) => spill.len,
        }
    }

    /// These entries' states, in order.
    pub fn subset(&self, entries: &[u32]) -> States {
        let mut out = States { names: self.names.clone(), ..States::default() };
        let mut list = crate::engine::AccountList::default();
        for i in entries.iter().filter(|i| (**i as usize) < self.len()) {
            list.push(&self.line(*i).ok().flatten().unwrap_or_default());
        }
        out.rows = Rows::Memory(list);
        out
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entry `i`'s state as kept; `Err`: it could not be read back.
    fn line(&self, i: u32) -> Result<Option<std::borrow::Cow<'_, str>>, String> {
        match &self.rows {
            Rows::Memory(rows) => Ok(((i as usize) < rows.len()).then(|| rows.get(i as usize).into())),
            Rows::Spill(spill) => spill.get(i as usize).map(|l| l.map(Into::into)),
        }
    }

    /// Entry `i`'s state.
    pub fn get(&self, i: u32, account: &str) -> Option<AccountState> {
        self.fetch(i, account).ok().flatten()
    }

    /// Entry `i`'s state; `Err`: it could not be read back from where it was kept.
    pub fn fetch(&self, i: u32, account: &str) -> Result<Option<AccountState>, String> {
        let Some(line) = self.line(i)? else { return Ok(None) };
        let e: Encoded = serde_json::from_str(&line).map_err(|e| format!("its desired state was not kept: {e}"))?;
        Ok(Some(AccountState {
            account: account.to_owned(),
            attrs: e.a.map(|values| AttrSet { values, names: self.names.clone() }),
            tags: e.t,
        }))
    }
}

impl Spill {
    fn push(&mut self, line: &str) {
        use std::io::Write;
        let Some((data, ends)) = &mut self.writers else { return };
        self.at += line.len() as u64;
        let wrote = data.write_all(line.as_bytes()).and_then(|()| ends.write_all(&self.at.to_le_bytes()));
        if let Err(e) = wrote {
            self.failed.get_or_insert_with(|| e.to_string());
        }
        self.len += 1;
    }

    fn seal(&mut self) -> Result<(), String> {
        use std::io::Write;
        if let Some((mut data, mut ends)) = self.writers.take()
            && let Err(e) = data.flush().and_then(|()| ends.flush())
        {
            self.failed.get_or_insert_with(|| e.to_string());
        }
        self.failed.clone().map_or(Ok(()), Err)
    }

    /// Entry `i`'s line: read where it is (no cursor is moved, so batches read side by side).
    fn get(&self, i: usize) -> Result<Option<String>, String> {
        use std::os::unix::fs::FileExt;
        if i >= self.len {
            return Ok(None);
        }
        let lost =
            |e: &dyn std::fmt::Display| format!("its desired state could not be read back from a temporary file: {e}");
        if self.writers.is_some() {
            return Err(lost(&"not sealed"));
        }
        let end_at = |k: usize| -> Result<u64, String> {
            let mut b = [0u8; 8];
            self.ends.read_exact_at(&mut b, k as u64 * 8).map_err(|e| lost(&e))?;
            Ok(u64::from_le_bytes(b))
        };
        let start = if i == 0 { 0 } else { end_at(i - 1)? };
        let len = end_at(i)?.checked_sub(start).ok_or_else(|| lost(&"bad index"))?;
        let mut buf = vec![0u8; usize::try_from(len).map_err(|e| lost(&e))?];
        self.data.read_exact_at(&mut buf, start).map_err(|e| lost(&e))?;
        String::from_utf8(buf).map(Some).map_err(|e| lost(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::change::Change;

    #[test]
    fn an_edit_speaks_only_for_what_it_names() {
        let edit = Edit {
            set: [("city".to_string(), "深圳".to_string())].into(),
            unset: vec!["sex".into()],
            add_tags: vec!["new".into(), "vip".into()],
            remove_tags: vec!["old".into()],
            clear_tags: false,
        };
        let attrs =
            [("city".to_string(), "北京".to_string()), ("sex".into(), "F".into()), ("plan".into(), "x".into())].into();
        let tags = vec!["vip".to_string(), "old".into()];
        let want = edit.desired("a", &attrs, &tags);
        let c: Vec<String> = crate::write::change::changes(&attrs, &tags, &want).iter().map(Change::text).collect();
        assert_eq!(c, ["set city: 北京 → 深圳", "unset sex (was F)", "add tag new", "remove tag old"]);
        let clear = Edit { clear_tags: true, add_tags: vec!["x".into()], ..Edit::default() };
        assert_eq!(clear.desired("a", &attrs, &tags).tags, Some(vec!["x".to_string()]));
        assert!(Edit::default().is_empty());
    }

    #[test]
    fn local_checks_name_the_limit_and_the_attributes_the_app_has() {
        let names = vec!["city".to_string(), "sex".to_string()];
        let state = |attrs: &[(&str, &str)], tags: &[&str]| AccountState {
            account: "a".into(),
            attrs: Some(AttrSet {
                values: attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                names: None,
            }),
            tags: Some(tags.iter().map(|s| s.to_string()).collect()),
        };
        assert!(check_state(&state(&[("city", "x")], &["t"]), &names).is_ok());
        let e = check_state(&state(&[("plan", "x")], &[]), &names).unwrap_err();
        assert!(e.contains("\"plan\"") && e.contains("city, sex"), "{e}");
        let long = "长".repeat(17); // 51 bytes
        assert!(check_state(&state(&[("city", &long)], &[]), &names).unwrap_err().contains("51 bytes"));
        assert!(check_state(&state(&[], &[&long]), &names).unwrap_err().contains("51 bytes"));
        assert_eq!(check_state(&state(&[], &[""]), &names).unwrap_err(), "an empty tag");
        let e = Edit { unset: vec!["plan".into()], ..Edit::default() };
        assert!(e.check(&names).is_err(), "unset names are checked too");
    }

    #[test]
    fn spilled_states_read_back_as_pushed_once_sealed() {
        let mut s = States::spilled().unwrap();
        let state = |a: &str, t: &[&str]| AccountState {
            account: a.into(),
            attrs: Some(AttrSet { values: [("city".to_string(), a.to_string())].into(), names: None }),
            tags: Some(t.iter().map(|x| x.to_string()).collect()),
        };
        s.push(state("a", &["x"]));
        s.push(AccountState { account: "b".into(), attrs: None, tags: None });
        s.push(state("深圳", &[]));
        assert!(s.fetch(0, "a").is_err(), "not readable before it is sealed");
        s.seal().unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s.get(0, "a"), Some(state("a", &["x"])));
        assert_eq!(s.get(1, "b").unwrap().attrs, None);
        assert_eq!(s.get(2, "深圳"), Some(state("深圳", &[])));
        assert_eq!(s.fetch(3, "c"), Ok(None));
        let sub = s.subset(&[2, 0]);
        assert_eq!(sub.get(0, "深圳"), Some(state("深圳", &[])));
    }
}
