//! Writes as per-account operations on the same engine as audits: per batch, read the current
//! state (paced, retried), compute each account's changes, then — unless only planning —
//! record the previous state in the undo file, make the write calls, and (with verify) read the
//! accounts back. Reads and writes of different batches overlap, each command with its own pace.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::calls::{self as write_calls, AccountWrite, Call, Payload};
use crate::api::{Command, Family, MAX_FIELD_BYTES, MAX_TAGS_PER_USER, codes, wire};
use crate::client::{CallError, Client, Reply};
use crate::engine::job::{End, JobHandle, Lanes, Part, Work, read_parts, spawn_work};
use crate::engine::policy::{Ctx, Stop};
use crate::engine::{ErrorDetail, JobConfig, Normalized, Outcome, OutcomeStatus};
use crate::write::change::{self, Change, Op, PlanRow};
use crate::write::state_file::{AccountState, AttrSet};
use crate::write::undo::{Before, UndoLog};

/// The outcome class of one account in a write (or its plan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteStatus {
    /// Would change (`--plan`).
    Planned,
    Changed,
    Unchanged,
    NotFound,
    Failed,
    Invalid,
    Cancelled,
}

impl OutcomeStatus for WriteStatus {
    const ALL: &'static [WriteStatus] = &[
        WriteStatus::Planned,
        WriteStatus::Changed,
        WriteStatus::Unchanged,
        WriteStatus::NotFound,
        WriteStatus::Failed,
        WriteStatus::Invalid,
        WriteStatus::Cancelled,
    ];
    fn label(self) -> &'static str {
        match self {
            WriteStatus::Planned => "planned",
            WriteStatus::Changed => "changed",
            WriteStatus::Unchanged => "unchanged",
            WriteStatus::NotFound => "not_found",
            WriteStatus::Failed => "failed",
            WriteStatus::Invalid => "invalid",
            WriteStatus::Cancelled => "cancelled",
        }
    }
    fn is_ok(self) -> bool {
        matches!(self, WriteStatus::Planned | WriteStatus::Changed | WriteStatus::Unchanged)
    }
    fn always_listed(self) -> bool {
        matches!(self, WriteStatus::Unchanged | WriteStatus::NotFound | WriteStatus::Failed | WriteStatus::Invalid)
    }
    fn cancelled() -> WriteStatus {
        WriteStatus::Cancelled
    }
}

/// One account's result of a write or a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteRecord {
    pub index: u32,
    pub account: String,
    pub status: WriteStatus,
    /// Planned or made (for a failed or cancelled account: what was to be made).
    pub changes: Vec<Change>,
    pub error: Option<ErrorDetail>,
    /// Why the account is invalid.
    pub reason: Option<String>,
}

impl WriteRecord {
    fn new(index: u32, account: &str, status: WriteStatus) -> WriteRecord {
        WriteRecord { index, account: account.to_owned(), status, changes: Vec::new(), error: None, reason: None }
    }

    /// The output row (`account`, `status`, `changes`, `error`).
    pub fn row(&self) -> PlanRow {
        let error = match (&self.reason, &self.error) {
            (Some(r), _) => Some(r.clone()),
            (None, Some(e)) => Some(format!("{}: {} {}", e.label, e.meaning, e.fix)),
            (None, None) => None,
        };
        PlanRow {
            account: self.account.clone(),
            status: self.status.label().to_owned(),
            changes: self.changes.clone(),
            error,
        }
    }
}

impl Outcome for WriteRecord {
    type Status = WriteStatus;
    fn index(&self) -> u32 {
        self.index
    }
    fn status(&self) -> WriteStatus {
        self.status
    }
    fn tally(&self, ops: &mut BTreeMap<String, u64>) {
        if matches!(self.status, WriteStatus::Planned | WriteStatus::Changed) {
            for c in &self.changes {
                *ops.entry(op_name(c.op).to_owned()).or_default() += 1;
            }
        }
    }
}

pub fn op_name(op: Op) -> &'static str {
    match op {
        Op::Set => "set",
        Op::Unset => "unset",
        Op::Add => "add_tag",
        Op::Remove => "remove_tag",
    }
}

/// The same change for every account (`timx edit`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
}

impl Want {
    /// The wants of these input entries, in order, as the input of a job of their own.
    pub fn subset(&self, entries: &[u32]) -> Want {
        match self {
            Want::Same(e) => Want::Same(e.clone()),
            Want::Each(s) => Want::Each(Arc::new(s.subset(entries))),
        }
    }

    fn touches(&self, i: u32) -> (bool, bool) {
        match self {
            Want::Same(e) => (e.touches_attrs(), e.touches_tags()),
            Want::Each(v) => v.touches(i),
        }
    }

    fn desired(
        &self,
        i: u32,
        account: &str,
        attrs: &BTreeMap<String, String>,
        tags: &[String],
    ) -> Option<AccountState> {
        match self {
            Want::Same(e) => Some(e.desired(account, attrs, tags)),
            Want::Each(v) => v.get(i, account),
        }
    }
}

/// Desired states by input entry, each kept as a line of compact JSON: a hundred thousand fit
/// in a few MB, and a batch decodes only its own.
#[derive(Debug, Default)]
pub struct States {
    rows: crate::engine::AccountList,
    /// A CSV's attribute columns: the same for every row, so kept once.
    names: Option<Vec<String>>,
    /// Per entry: bit 0 speaks for attributes, bit 1 for tags.
    touches: Vec<u8>,
}

#[derive(Serialize, serde::Deserialize)]
struct Encoded {
    #[serde(skip_serializing_if = "Option::is_none")]
    a: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    t: Option<Vec<String>>,
}

impl States {
    /// The next entry's state (entries are pushed in order, one each).
    pub fn push(&mut self, s: AccountState) {
        if let Some(n) = s.attrs.as_ref().and_then(|a| a.names.as_ref())
            && self.names.is_none()
        {
            self.names = Some(n.clone());
        }
        self.touches.push(u8::from(s.attrs.is_some()) | (u8::from(s.tags.is_some()) << 1));
        let e = Encoded { a: s.attrs.map(|a| a.values), t: s.tags };
        self.rows.push(&serde_json::to_string(&e).unwrap_or_default());
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// These entries' states, in order.
    pub fn subset(&self, entries: &[u32]) -> States {
        let mut out = States { names: self.names.clone(), ..States::default() };
        for i in entries.iter().map(|i| *i as usize).filter(|i| *i < self.rows.len()) {
            out.rows.push(self.rows.get(i));
            out.touches.push(self.touches[i]);
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn touches(&self, i: u32) -> (bool, bool) {
        let t = self.touches.get(i as usize).copied().unwrap_or_default();
        (t & 1 != 0, t & 2 != 0)
    }

    /// Entry `i`'s state.
    pub fn get(&self, i: u32, account: &str) -> Option<AccountState> {
        if i as usize >= self.rows.len() {
            return None;
        }
        let e: Encoded = serde_json::from_str(self.rows.get(i as usize)).ok()?;
        Some(AccountState {
            account: account.to_owned(),
            attrs: e.a.map(|values| AttrSet { values, names: self.names.clone() }),
            tags: e.t,
        })
    }
}

/// Plan only, or apply (always with an undo file).
#[derive(Debug, Clone)]
pub enum Mode {
    Plan,
    Apply { undo: Arc<UndoLog>, verify: bool },
}

#[derive(Debug, Clone)]
pub struct WriteConfig {
    pub job: JobConfig,
    pub want: Want,
    pub mode: Mode,
}

/// Start a write (or its plan) for `input`.
pub fn spawn_write(
    client: Arc<Client>,
    cfg: WriteConfig,
    input: Arc<Normalized>,
    cancel: CancellationToken,
) -> JobHandle<WriteRecord> {
    let work = Arc::new(Writes { input: input.clone(), want: cfg.want, mode: cfg.mode });
    let mut job = cfg.job;
    // A write batch holds the states it changes until it is done: half a second's worth of
    // batches in flight keeps every command's pace full (reads, writes and checks overlap).
    job.max_in_flight = job.max_in_flight.min((job.rate_limit as usize / 2).max(4));
    spawn_work(client, job, input, cancel, work)
}

struct Writes {
    input: Arc<Normalized>,
    want: Want,
    mode: Mode,
}

/// An account read and found to need changes.
struct Pending {
    k: usize,
    attrs: BTreeMap<String, String>,
    tags: Vec<String>,
    desired: AccountState,
    changes: Vec<Change>,
}

impl Work for Writes {
    type Row = WriteRecord;

    async fn batch(self: Arc<Self>, ctx: Arc<Ctx>, lanes: Arc<Lanes>, idx: Vec<u32>) -> Vec<WriteRecord> {
        self.run_batch(&ctx, &lanes, &idx).await
    }

    fn ended(&self, index: u32, account: &str, end: End<'_>) -> WriteRecord {
        let r = |s| WriteRecord::new(index, account, s);
        match end {
            End::Invalid(reason) => WriteRecord { reason: Some(reason.to_owned()), ..r(WriteStatus::Invalid) },
            End::Cancelled => r(WriteStatus::Cancelled),
            End::Failed(d) => WriteRecord { error: Some(d), ..r(WriteStatus::Failed) },
        }
    }
}

impl Writes {
    async fn run_batch(&self, ctx: &Ctx, lanes: &Lanes, idx: &[u32]) -> Vec<WriteRecord> {
        let accounts: Vec<String> = idx.iter().map(|i| self.input.entries.get(*i as usize).to_owned()).collect();
        let (wa, wt) =
            idx.iter().map(|i| self.want.touches(*i)).fold((false, false), |(a, t), (x, y)| (a || x, t || y));
        let (attr_parts, tag_parts) = read_parts(ctx, lanes, &accounts, wa, wt).await;
        let mut rows: Vec<Option<WriteRecord>> = vec![None; idx.len()];
        let mut todo = Vec::new();
        for (k, (i, account)) in idx.iter().zip(&accounts).enumerate() {
            let attrs = attr_parts.as_ref().map(|p| &p[k]);
            let tags = tag_parts.as_ref().map(|p| &p[k]);
            let (attrs, tags) = match current(attrs, tags) {
                Ok(v) => v,
                Err((status, error)) => {
                    rows[k] = Some(WriteRecord { error, ..WriteRecord::new(*i, account, status) });
                    continue;
                }
            };
            let Some(desired) = self.want.desired(*i, account, &attrs, &tags) else {
                rows[k] = Some(WriteRecord::new(*i, account, WriteStatus::Unchanged));
                continue;
            };
            let changes = change::changes(&attrs, &tags, &desired);
            let mut row = WriteRecord { changes, ..WriteRecord::new(*i, account, WriteStatus::Unchanged) };
            if let Some(n) = desired.tags.as_ref().map(Vec::len).filter(|n| *n > MAX_TAGS_PER_USER) {
                row.status = WriteStatus::Invalid;
                row.reason = Some(format!("would have {n} tags, over the {MAX_TAGS_PER_USER}-tag limit per user"));
            } else if !row.changes.is_empty() {
                row.status = WriteStatus::Planned;
                if matches!(self.mode, Mode::Apply { .. }) {
                    todo.push(Pending { k, attrs, tags, desired, changes: std::mem::take(&mut row.changes) });
                }
            }
            rows[k] = Some(row);
        }
        if let Mode::Apply { undo, verify } = &self.mode
            && !todo.is_empty()
        {
            let ended = self.apply(ctx, lanes, undo, *verify, &accounts, todo).await;
            for (k, row) in ended {
                rows[k] = Some(WriteRecord { index: idx[k], ..row });
            }
        }
        rows.into_iter().flatten().collect()
    }

    /// Record the previous state, write, and (with `verify`) read back. Returns each pending
    /// account's row by its position in the batch (rows' indices are filled in by the caller).
    async fn apply(
        &self,
        ctx: &Ctx,
        lanes: &Lanes,
        undo: &UndoLog,
        verify: bool,
        accounts: &[String],
        mut todo: Vec<Pending>,
    ) -> Vec<(usize, WriteRecord)> {
        let row = |p: &Pending, status, error| WriteRecord {
            changes: p.changes.clone(),
            error,
            ..WriteRecord::new(0, &accounts[p.k], status)
        };
        let stopped = |e: &CallError| {
            todo.iter().map(|p| (p.k, row(p, WriteStatus::Failed, Some(ErrorDetail::not_sent(e, 0))))).collect()
        };
        if ctx.cancel.is_cancelled() {
            return todo.iter().map(|p| (p.k, row(p, WriteStatus::Cancelled, None))).collect();
        }
        if let Some(e) = ctx.aborted() {
            return stopped(&e);
        }
        let before: Vec<Before<'_>> = todo
            .iter()
            .map(|p| Before {
                account: &accounts[p.k],
                attrs: p.desired.attrs.is_some().then_some(&p.attrs),
                tags: p.desired.tags.is_some().then_some(&p.tags[..]),
            })
            .collect();
        if let Err(reason) = undo.record(&before).await {
            let e = CallError::Local { reason: format!("{reason} ({})", undo.path().display()) };
            ctx.set_abort(&e);
            return todo
                .iter()
                .map(|p| (p.k, row(p, WriteStatus::Failed, Some(ErrorDetail::because(&e, 0, "not sent")))))
                .collect();
        }
        drop(before);
        // The previous state is on disk now; only the desired state is needed from here on.
        for p in &mut todo {
            p.attrs = BTreeMap::new();
            p.tags = Vec::new();
        }
        let mine: Vec<String> = todo.iter().map(|p| accounts[p.k].clone()).collect();
        let mut ends: Vec<Option<Part<()>>> = vec![None; todo.len()];
        let writes: Vec<AccountWrite> = todo.iter().map(account_write).collect();
        for stage in write_calls::plan(ctx.cfg.family, &writes) {
            let sends = stage.into_iter().map(|mut call| {
                call.items.retain(|(k, _)| ends[*k].is_none());
                let mine = &mine;
                async move {
                    if call.items.is_empty() { Vec::new() } else { send(ctx, lanes, &call, &call.items, mine).await }
                }
            });
            for (k, part) in futures_util::future::join_all(sends).await.into_iter().flatten() {
                ends[k].get_or_insert(part);
            }
        }
        drop(writes);
        let mut out: Vec<(usize, WriteRecord)> = todo
            .iter()
            .zip(&ends)
            .map(|(p, end)| {
                let r = match end {
                    None => row(p, WriteStatus::Changed, None),
                    Some(Part::NotFound(d)) => row(p, WriteStatus::NotFound, Some(d.clone())),
                    Some(Part::Error(d)) => row(p, WriteStatus::Failed, Some(d.clone())),
                    Some(Part::Cancelled | Part::Data(())) => row(p, WriteStatus::Cancelled, None),
                };
                (p.k, r)
            })
            .collect();
        if verify {
            self.verify(ctx, lanes, &todo, &mine, &mut out).await;
        }
        out
    }

    /// Read the changed accounts back; any difference from the desired state fails them.
    async fn verify(
        &self,
        ctx: &Ctx,
        lanes: &Lanes,
        todo: &[Pending],
        mine: &[String],
        out: &mut [(usize, WriteRecord)],
    ) {
        let changed: Vec<usize> = (0..todo.len()).filter(|j| out[*j].1.status == WriteStatus::Changed).collect();
        if changed.is_empty() {
            return;
        }
        let accounts: Vec<String> = changed.iter().map(|j| mine[*j].clone()).collect();
        let wa = changed.iter().any(|j| todo[*j].desired.attrs.is_some());
        let wt = changed.iter().any(|j| todo[*j].desired.tags.is_some());
        let (ap, tp) = read_parts(ctx, lanes, &accounts, wa, wt).await;
        for (n, j) in changed.into_iter().enumerate() {
            let row = &mut out[j].1;
            match current(ap.as_ref().map(|p| &p[n]), tp.as_ref().map(|p| &p[n])) {
                Ok((attrs, tags)) => {
                    let left = change::changes(&attrs, &tags, &todo[j].desired);
                    if !left.is_empty() {
                        let what: Vec<String> = left.iter().map(Change::text).collect();
                        row.status = WriteStatus::Failed;
                        row.error = Some(verify_failed(format!(
                            "read back after the write, it still needs: {}",
                            what.join("; ")
                        )));
                    }
                }
                Err((WriteStatus::Cancelled, _)) => {}
                Err((_, e)) => {
                    row.status = WriteStatus::Failed;
                    let why = e.map(|d| format!("{}: {}", d.label, d.meaning)).unwrap_or_default();
                    row.error = Some(verify_failed(format!("written, but the check read failed ({why})")));
                }
            }
        }
    }
}

fn verify_failed(meaning: String) -> ErrorDetail {
    ErrorDetail {
        code: None,
        label: "verify".into(),
        meaning,
        fix: "Changed by someone else during the apply, or the service did not keep it: inspect the account, \
              then apply again."
            .into(),
        attempts: 0,
    }
}

type State = (BTreeMap<String, String>, Vec<String>);

/// The state an account's reads gave, or how it ends without a write: cancelled or failed
/// (the first part that says so), else not found.
fn current(
    attrs: Option<&Part<BTreeMap<String, String>>>,
    tags: Option<&Part<Vec<String>>>,
) -> Result<State, (WriteStatus, Option<ErrorDetail>)> {
    let ends = [attrs.and_then(part_end), tags.and_then(part_end)];
    let mut ended = ends.iter().flatten();
    if let Some((status, d)) = ended.clone().find(|(s, _)| *s != WriteStatus::NotFound) {
        return Err((*status, d.cloned()));
    }
    if let Some((status, d)) = ended.next_back() {
        return Err((*status, d.cloned()));
    }
    let attrs = match attrs {
        Some(Part::Data(a)) => a.clone(),
        _ => BTreeMap::new(),
    };
    let tags = match tags {
        Some(Part::Data(t)) => t.clone(),
        _ => Vec::new(),
    };
    Ok((attrs, tags))
}

/// How one part ends an account without a write, if it does.
fn part_end<T>(p: &Part<T>) -> Option<(WriteStatus, Option<&ErrorDetail>)> {
    match p {
        Part::Data(_) => None,
        Part::Cancelled => Some((WriteStatus::Cancelled, None)),
        Part::Error(d) => Some((WriteStatus::Failed, Some(d))),
        Part::NotFound(d) => Some((WriteStatus::NotFound, Some(d))),
    }
}

fn account_write(p: &Pending) -> AccountWrite {
    let mut w = AccountWrite { want_tags: p.desired.tags.clone(), ..AccountWrite::default() };
    for c in &p.changes {
        let name = || c.name.clone().unwrap_or_default();
        let tag = || c.tag.clone().unwrap_or_default();
        match c.op {
            Op::Set => {
                w.set.insert(name(), c.to.clone().unwrap_or_default());
            }
            Op::Unset => w.unset.push(name()),
            Op::Add => w.add.push(tag()),
            Op::Remove => w.remove.push(tag()),
        }
    }
    w
}

type Ends = Vec<(usize, Part<()>)>;

/// One write call for these items (positions into `accounts`), split in halves on 90018; returns
/// the accounts it did not change, with why.
fn send<'a>(
    ctx: &'a Ctx,
    lanes: &'a Lanes,
    call: &'a Call,
    items: &'a [(usize, Payload)],
    accounts: &'a [String],
) -> std::pin::Pin<Box<dyn Future<Output = Ends> + Send + 'a>> {
    Box::pin(async move {
        let family = ctx.cfg.family;
        let body = Body::new(call, items, accounts);
        let result = ctx.call(lanes.of(call.cmd), || body.send(&ctx.client, family)).await;
        match result {
            Err(Stop::Split(..)) if items.len() > 1 => {
                let (left, right) = items.split_at(items.len() / 2);
                let mut out = send(ctx, lanes, call, left, accounts).await;
                out.extend(send(ctx, lanes, call, right, accounts).await);
                out
            }
            Err(stop) => {
                let part = match stop {
                    Stop::Cancelled => Part::Cancelled,
                    Stop::Aborted(e, n) => Part::Error(ErrorDetail::not_sent(&e, n)),
                    Stop::Split(e, n) | Stop::Failed(e, n) => Part::Error(ErrorDetail::from_call(&e, n)),
                };
                items.iter().map(|(k, _)| (*k, part.clone())).collect()
            }
            Ok((reply, _)) => {
                let errors: BTreeMap<&str, &wire::AccountError> =
                    reply.status.error_list.iter().map(|e| (e.to_account.as_str(), e)).collect();
                items
                    .iter()
                    .filter_map(|(k, _)| {
                        let e = errors.get(accounts[*k].as_str())?;
                        let d = ErrorDetail::from_code(e.error_code, &e.error_info);
                        Some((*k, if e.error_code == codes::NOT_IMPORTED { Part::NotFound(d) } else { Part::Error(d) }))
                    })
                    .collect()
            }
        }
    })
}

/// A write call's request body, built once and sent on every attempt.
enum Body {
    SetAttr(wire::SetAttrRequest),
    RemoveAttr(wire::RemoveAttrRequest),
    Tags(Command, wire::TagsRequest),
    Clear(Vec<String>),
}

impl Body {
    fn new(call: &Call, items: &[(usize, Payload)], accounts: &[String]) -> Body {
        let account = |k: &usize| accounts[*k].clone();
        let tags = |p: &Payload| match p {
            Payload::Tags(t) => t.clone(),
            _ => Vec::new(),
        };
        match call.cmd {
            Command::SetAttr => Body::SetAttr(wire::SetAttrRequest {
                user_attrs: items
                    .iter()
                    .map(|(k, p)| wire::UserAttrs {
                        to_account: account(k),
                        attrs: match p {
                            Payload::Attrs(a) => a.clone(),
                            _ => BTreeMap::new(),
                        },
                    })
                    .collect(),
            }),
            Command::RemoveAttr => Body::RemoveAttr(wire::RemoveAttrRequest {
                user_attrs: items
                    .iter()
                    .map(|(k, p)| wire::UserAttrNames {
                        to_account: account(k),
                        attrs: match p {
                            Payload::Names(n) => n.clone(),
                            _ => Vec::new(),
                        },
                    })
                    .collect(),
            }),
            Command::RemoveAllTags => Body::Clear(items.iter().map(|(k, _)| account(k)).collect()),
            cmd => Body::Tags(
                cmd,
                wire::TagsRequest {
                    replace: call.replace.then_some(1),
                    user_tags: items
                        .iter()
                        .map(|(k, p)| wire::UserTags { to_account: account(k), tags: tags(p) })
                        .collect(),
                },
            ),
        }
    }

    async fn send(&self, client: &Client, family: Family) -> Result<Reply<serde_json::Value>, CallError> {
        match self {
            Body::SetAttr(r) => client.set_attrs(family, r).await,
            Body::RemoveAttr(r) => client.remove_attrs(family, r).await,
            Body::Tags(Command::RemoveTag, r) => client.remove_tags(family, r).await,
            Body::Tags(_, r) => client.add_tags(family, r).await,
            Body::Clear(a) => client.remove_all_tags(family, a).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let c: Vec<String> = change::changes(&attrs, &tags, &want).iter().map(Change::text).collect();
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
    fn the_summary_counts_operations_of_changed_and_planned_rows_only() {
        let change = Change { op: Op::Add, name: None, tag: Some("t".into()), from: None, to: None };
        let mut ops = BTreeMap::new();
        let mut r = WriteRecord { changes: vec![change], ..WriteRecord::new(0, "a", WriteStatus::Changed) };
        r.tally(&mut ops);
        r.status = WriteStatus::Failed;
        r.tally(&mut ops);
        assert_eq!(ops, [("add_tag".to_string(), 1)].into());
    }
}
