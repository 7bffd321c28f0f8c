//! Writes as per-account operations on the same engine as audits. Per batch: read the current
//! state (paced, retried); work out each account's plan (from an edit or a desired state), or
//! take the row of a plan made before and check it against that state (`guard`): a field changed
//! since is a `conflict` and nothing is written to the account. Then — unless only planning —
//! record the exact inverse in the undo file, make the write calls, and track per account which
//! changes were made (`partial`, `unknown` when an answer was lost), reading back the accounts
//! whose outcome is unknown (and, with verify, every changed one). Reads and writes of different
//! batches overlap, each command with its own pace.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::calls::{self as write_calls, AccountWrite, Call, Payload};
use super::change::{self, Change, Op, PlanRow};
use super::guard::{self, Resolved, TagGuard};
use super::record::{WriteRecord, WriteStatus};
use super::send::{CallEnd, send};
use super::undo::UndoLog;
use super::want::{Intent, Want};
use crate::api::{Command, Family, MAX_TAGS_PER_USER};
use crate::client::{CallError, Client};
use crate::engine::job::{End, JobHandle, Lanes, Part, Work, read_parts, spawn_work};
use crate::engine::policy::Ctx;
use crate::engine::{ErrorDetail, JobConfig, Normalized, OutcomeStatus};

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

/// An account found to need changes: what to write, and its tags before (for the undo).
struct Pending {
    k: usize,
    resolved: Resolved,
    tags_before: Vec<String>,
}

/// Which of an account's changes its calls made, and how the first that did not ended.
#[derive(Debug, Clone, Default)]
struct Track {
    written: Vec<bool>,
    end: Option<CallEnd>,
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

type Parts<'a> = (Option<&'a Part<BTreeMap<String, String>>>, Option<&'a Part<Vec<String>>>);

impl Writes {
    async fn run_batch(&self, ctx: &Ctx, lanes: &Lanes, idx: &[u32]) -> Vec<WriteRecord> {
        let accounts: Vec<String> = idx.iter().map(|i| self.input.entries.get(*i as usize).to_owned()).collect();
        let intents: Vec<Option<Intent>> = idx.iter().zip(&accounts).map(|(i, a)| self.want.intent(*i, a)).collect();
        let (wa, wt) = intents
            .iter()
            .flatten()
            .map(|t| self.want.reads(t))
            .fold((false, false), |(a, t), (x, y)| (a || x, t || y));
        let (attr_parts, tag_parts) =
            if wa || wt { read_parts(ctx, lanes, &accounts, wa, wt).await } else { (None, None) };
        let mut rows: Vec<WriteRecord> = Vec::with_capacity(idx.len());
        let mut todo = Vec::new();
        for (k, intent) in intents.into_iter().enumerate() {
            let parts = (attr_parts.as_ref().map(|p| &p[k]), tag_parts.as_ref().map(|p| &p[k]));
            let (row, pending) = self.plan_one(ctx.cfg.family, idx[k], &accounts[k], intent, parts);
            if let Some((resolved, tags_before)) = pending.filter(|_| matches!(self.mode, Mode::Apply { .. })) {
                todo.push(Pending { k, resolved, tags_before });
            }
            rows.push(row);
        }
        if let Mode::Apply { undo, verify } = &self.mode
            && !todo.is_empty()
        {
            for (k, row) in self.apply(ctx, lanes, undo, *verify, &accounts, todo).await {
                // An outcome row needs no guard: it is not applied again (a resume re-plans it).
                let note = row.note.clone().or_else(|| rows[k].note.take());
                rows[k] = WriteRecord { index: idx[k], note, ..row };
            }
        }
        rows
    }

    /// One account's plan: its row, and what to write when it changes.
    fn plan_one(
        &self,
        family: Family,
        i: u32,
        account: &str,
        intent: Option<Intent>,
        (attrs, tags): Parts<'_>,
    ) -> (WriteRecord, Option<(Resolved, Vec<String>)>) {
        let r = |s| WriteRecord::new(i, account, s);
        let Some(intent) = intent else { return (r(WriteStatus::Unchanged), None) };
        if let Intent::Unreadable(why) = &intent {
            let e = CallError::Local { reason: why.clone() };
            return (WriteRecord { error: Some(ErrorDetail::from_call(&e, 0)), ..r(WriteStatus::Failed) }, None);
        }
        if let Intent::Planned(row) = &intent
            && row.status != "planned"
        {
            return (settled(i, row.clone()), None);
        }
        let (attrs, tags) = match current(attrs, tags) {
            Ok(v) => v,
            Err((status, error)) => return (WriteRecord { error, ..r(status) }, None),
        };
        let (changes, guard) = match intent {
            Intent::Desired(state, exact) => {
                let desired = self.want.desired(state, &attrs, &tags);
                let changes = change::changes(&attrs, &tags, &desired);
                let has_tags = desired.tags.is_some();
                let guard = TagGuard {
                    tags_before: has_tags.then(|| tags.clone()),
                    exact_tags: exact && has_tags,
                    tag_order: None,
                };
                (changes, guard)
            }
            Intent::Planned(row) => {
                let guard = row.guard();
                (row.changes, guard)
            }
            Intent::Unreadable(_) => return (r(WriteStatus::Failed), None),
        };
        if let Some(why) = self.changed_since_first_run(account, &attrs) {
            return (WriteRecord { changes, reason: Some(why), guard, ..r(WriteStatus::Conflict) }, None);
        }
        let resolved = match guard::resolve(&changes, &guard, &attrs, &tags) {
            Ok(v) => v,
            Err(why) => return (WriteRecord { changes, reason: Some(why), guard, ..r(WriteStatus::Conflict) }, None),
        };
        if resolved.needed.is_empty() {
            return (self.unchanged_or_written_before(r(WriteStatus::Unchanged), &attrs, &tags), None);
        }
        if let Some(n) = resolved.tags.as_ref().map(Vec::len).filter(|n| *n > MAX_TAGS_PER_USER) {
            let reason = format!("would have {n} tags, over the {MAX_TAGS_PER_USER}-tag limit per user");
            return (WriteRecord { changes: resolved.needed, reason: Some(reason), ..r(WriteStatus::Invalid) }, None);
        }
        let note = (resolved.reorder && family == Family::AllMemberPush).then(|| {
            "all_member_push cannot write a tag order: the tags put back go last, not in their old places".to_string()
        });
        let row = WriteRecord { changes: resolved.needed.clone(), note, guard, ..r(WriteStatus::Planned) };
        (row, Some((resolved, tags)))
    }

    /// A resumed write: an attribute its first run recorded (about to write) that is now at
    /// neither the value it found nor the value it wrote was changed by someone else since.
    /// Writing over it would lose that change, and the undo file (which keeps the first run's
    /// "before") would put back a value that was no longer there: a conflict instead.
    fn changed_since_first_run(&self, account: &str, attrs: &BTreeMap<String, String>) -> Option<String> {
        let Mode::Apply { undo, .. } = &self.mode else { return None };
        let moved: Vec<String> = undo
            .earlier(account)?
            .iter()
            .filter(|c| c.op == change::Op::Set || c.op == change::Op::Unset)
            .filter_map(|c| {
                let name = c.name.as_ref()?;
                let now = attrs.get(name);
                // The inverse goes from what the first run wrote back to what it found.
                (now != c.from.as_ref() && now != c.to.as_ref()).then(|| {
                    let shown = |v: Option<&String>| {
                        v.map_or_else(|| "unset".to_string(), |v| format!("{:?}", crate::text::escape(v)))
                    };
                    format!(
                        "{} is {}, the interrupted run found {}",
                        crate::text::escape(name),
                        shown(now),
                        shown(c.to.as_ref())
                    )
                })
            })
            .collect();
        (!moved.is_empty())
            .then(|| format!("changed since the interrupted run: {}; plan it again without --resume", moved.join(", ")))
    }

    /// An account a resumed write finds with nothing left to do: `changed` when its first run
    /// recorded it and what it wrote is in place (the row it never wrote out), else unchanged.
    fn unchanged_or_written_before(
        &self,
        row: WriteRecord,
        attrs: &BTreeMap<String, String>,
        tags: &[String],
    ) -> WriteRecord {
        let Mode::Apply { undo, .. } = &self.mode else { return row };
        let Some(inverse) = undo.earlier(&row.account) else { return row };
        // The inverse's changes that would still revert something are the ones in place.
        match guard::resolve(inverse, &TagGuard::default(), attrs, tags) {
            Ok(res) if !res.needed.is_empty() && res.needed.len() == inverse.len() => WriteRecord {
                status: WriteStatus::Changed,
                changes: res.needed.iter().map(Change::inverse).collect(),
                note: Some("written by the run that was interrupted".into()),
                ..row
            },
            _ => row,
        }
    }

    /// Record the inverse, write, and read back what needs it. Returns each pending account's
    /// row by its position in the batch (indices are filled in by the caller).
    async fn apply(
        &self,
        ctx: &Ctx,
        lanes: &Lanes,
        undo: &UndoLog,
        verify: bool,
        accounts: &[String],
        todo: Vec<Pending>,
    ) -> Vec<(usize, WriteRecord)> {
        let base = |p: &Pending, status| WriteRecord {
            changes: p.resolved.needed.clone(),
            ..WriteRecord::new(0, &accounts[p.k], status)
        };
        if ctx.stopped() {
            return todo.iter().map(|p| (p.k, base(p, WriteStatus::Cancelled))).collect();
        }
        let not_sent = |e: &CallError, why: &str| {
            let d = ErrorDetail::because(e, 0, why);
            todo.iter().map(|p| (p.k, WriteRecord { error: Some(d.clone()), ..base(p, WriteStatus::Failed) })).collect()
        };
        if let Some(e) = ctx.aborted() {
            return not_sent(&e, "not sent");
        }
        let inverse: Vec<PlanRow> = todo.iter().map(|p| undo_row(&accounts[p.k], p)).collect();
        if let Err(reason) = undo.record(inverse).await {
            let e = CallError::Local { reason: format!("{reason} ({})", undo.path().display()) };
            ctx.set_abort(&e);
            return not_sent(&e, "not sent");
        }
        let mine: Vec<String> = todo.iter().map(|p| accounts[p.k].clone()).collect();
        let tracks = write_all(ctx, lanes, &todo, &mine).await;
        let mut out: Vec<(usize, WriteRecord)> =
            todo.iter().zip(tracks).map(|(p, t)| (p.k, outcome(base(p, WriteStatus::Changed), t))).collect();
        let cancelled = ctx.stopped();
        let check: Vec<usize> = (0..todo.len())
            .filter(|j| match out[*j].1.status {
                WriteStatus::Changed => verify,
                WriteStatus::Unknown => !cancelled,
                _ => false,
            })
            .collect();
        if !check.is_empty() {
            read_back(ctx, lanes, &todo, &mine, &check, &mut out).await;
        }
        if cancelled {
            for (_, r) in out.iter_mut().filter(|(_, r)| r.status == WriteStatus::Unknown) {
                r.note = Some(
                    "cancelled while its call was out: it may have been carried out, and it was not read back \
                     (inspect it; the undo file holds its previous state)"
                        .into(),
                );
            }
        }
        out
    }
}

/// A row of a plan that is not planned: it ends as the plan says, and nothing is written.
fn settled(i: u32, row: PlanRow) -> WriteRecord {
    let mut r = WriteRecord::from_row(i, row);
    if !matches!(r.status, WriteStatus::Unchanged | WriteStatus::Invalid) {
        let why = r.reason.take().map(|e| format!(": {e}")).unwrap_or_default();
        r.reason = Some(format!("not written: the plan has it {}{why}", r.status.label()));
    }
    r
}

/// The undo file's row of an account: the inverse of what will be written, and its tag order.
fn undo_row(account: &str, p: &Pending) -> PlanRow {
    let needed = &p.resolved.needed;
    PlanRow {
        account: account.to_owned(),
        status: "planned".into(),
        changes: needed.iter().map(Change::inverse).collect(),
        tag_order: needed.iter().any(Change::is_tag).then(|| p.tags_before.clone()),
        ..PlanRow::default()
    }
}

/// Every stage's calls for the pending accounts; per account, which changes were made.
async fn write_all(ctx: &Ctx, lanes: &Lanes, todo: &[Pending], mine: &[String]) -> Vec<Track> {
    let mut tracks: Vec<Track> =
        todo.iter().map(|p| Track { written: vec![false; p.resolved.needed.len()], end: None }).collect();
    let writes: Vec<AccountWrite> = todo.iter().map(account_write).collect();
    for stage in write_calls::plan(ctx.cfg.family, &writes) {
        let calls: Vec<Call> = stage
            .into_iter()
            .map(|mut c| {
                // An account whose earlier call did not go through is left out of later ones.
                c.items.retain(|(k, _)| tracks[*k].end.is_none());
                c
            })
            .filter(|c| !c.items.is_empty())
            .collect();
        let sends = calls.iter().map(|c| send(ctx, lanes, c, &c.items, mine));
        let ends = futures_util::future::join_all(sends).await;
        for (call, ends) in calls.iter().zip(ends) {
            let ended: HashMap<usize, CallEnd> = ends.into_iter().collect();
            for (k, payload) in &call.items {
                let t = &mut tracks[*k];
                match ended.get(k) {
                    Some(end) => {
                        t.end.get_or_insert_with(|| end.clone());
                    }
                    None => {
                        for i in covers(call, payload, &todo[*k].resolved.needed) {
                            t.written[i] = true;
                        }
                    }
                }
            }
        }
    }
    tracks
}

/// The changes (positions in `needed`) that one call carries for one account.
fn covers(call: &Call, payload: &Payload, needed: &[Change]) -> Vec<usize> {
    let has = |list: &[String], v: &Option<String>| v.as_ref().is_some_and(|v| list.contains(v));
    needed
        .iter()
        .enumerate()
        .filter(|(_, c)| match (call.cmd, payload) {
            (Command::SetAttr, Payload::Attrs(m)) => {
                c.op == Op::Set && c.name.as_ref().is_some_and(|n| m.contains_key(n))
            }
            (Command::RemoveAttr, Payload::Names(n)) => c.op == Op::Unset && has(n, &c.name),
            (Command::RemoveAllTags, _) => c.op == Op::Remove,
            (Command::AddTag, _) if call.replace => c.is_tag(),
            (Command::RemoveTag, Payload::Tags(t)) => c.op == Op::Remove && has(t, &c.tag),
            (Command::AddTag, Payload::Tags(t)) => c.op == Op::Add && has(t, &c.tag),
            _ => false,
        })
        .map(|(i, _)| i)
        .collect()
}

/// An account's outcome from what its calls made.
fn outcome(mut r: WriteRecord, t: Track) -> WriteRecord {
    let (mut made, mut not) = (Vec::new(), Vec::new());
    for (c, w) in std::mem::take(&mut r.changes).into_iter().zip(&t.written) {
        if *w { made.push(c) } else { not.push(c) }
    }
    let none_made = made.is_empty();
    let (status, error) = match t.end {
        // A change no call carried (never expected): not reported as made.
        None if !not.is_empty() => (WriteStatus::Partial, None),
        None => (WriteStatus::Changed, None),
        Some(CallEnd::Lost(d)) => (WriteStatus::Unknown, Some(d)),
        Some(CallEnd::NotFound(d)) if none_made => (WriteStatus::NotFound, Some(d)),
        Some(CallEnd::Failed(d)) if none_made => (WriteStatus::Failed, Some(d)),
        Some(CallEnd::Cancelled) if none_made => (WriteStatus::Cancelled, None),
        Some(CallEnd::NotFound(d) | CallEnd::Failed(d)) => (WriteStatus::Partial, Some(d)),
        Some(CallEnd::Cancelled) => {
            r.reason = Some("cancelled before the rest was sent".into());
            (WriteStatus::Partial, None)
        }
    };
    r.status = status;
    r.error = error;
    if matches!(status, WriteStatus::Partial) {
        r.changes = made;
        r.not_written = not;
    } else {
        // Unknown, failed or cancelled: what was to be made (nothing, or maybe all, was).
        r.changes = made.into_iter().chain(not).collect();
    }
    r
}

/// Read back the accounts at `check` (positions in `todo`): a changed one that does not hold its
/// changes fails its verify; an unknown one says which of its changes are in place.
async fn read_back(
    ctx: &Ctx,
    lanes: &Lanes,
    todo: &[Pending],
    mine: &[String],
    check: &[usize],
    out: &mut [(usize, WriteRecord)],
) {
    let accounts: Vec<String> = check.iter().map(|j| mine[*j].clone()).collect();
    let needs = |f: fn(&Change) -> bool| check.iter().any(|j| todo[*j].resolved.needed.iter().any(f));
    let (wa, wt) = (needs(|c| !c.is_tag()), needs(Change::is_tag));
    let (ap, tp) = read_parts(ctx, lanes, &accounts, wa, wt).await;
    for (n, j) in check.iter().enumerate() {
        let row = &mut out[*j].1;
        let needed = &todo[*j].resolved.needed;
        let now = current(ap.as_ref().map(|p| &p[n]), tp.as_ref().map(|p| &p[n]));
        let left =
            now.as_ref().map_err(|(_, e)| e.clone()).map(|(a, t)| guard::resolve(needed, &TagGuard::default(), a, t));
        if row.status == WriteStatus::Unknown {
            row.note = Some(match &left {
                Ok(Ok(res)) => {
                    row.not_written = res.needed.clone();
                    row.changes = needed.iter().filter(|c| !res.needed.contains(c)).cloned().collect();
                    format!(
                        "its answer was lost; read back, {} of {} changes are in place",
                        row.changes.len(),
                        needed.len()
                    )
                }
                Ok(Err(why)) => format!("its answer was lost; read back, it holds neither: {why}"),
                Err(_) => "its answer was lost, and reading it back failed: inspect it".to_string(),
            });
            continue;
        }
        let failed = match &left {
            Ok(Ok(res)) if res.needed.is_empty() => None,
            Ok(Ok(res)) => {
                let what: Vec<String> = res.needed.iter().map(Change::text).collect();
                Some(format!("read back after the write, it still needs: {}", what.join("; ")))
            }
            Ok(Err(why)) => Some(format!("read back after the write: {why}")),
            Err(Some(d)) => Some(format!("written, but the check read failed ({}: {})", d.label, d.meaning)),
            Err(None) => None,
        };
        if let Some(meaning) = failed {
            row.status = WriteStatus::Failed;
            row.error = Some(verify_failed(meaning));
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
    let mut w =
        AccountWrite { want_tags: p.resolved.tags.clone(), reorder: p.resolved.reorder, ..AccountWrite::default() };
    for c in &p.resolved.needed {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(op: Op, t: &str) -> Change {
        Change { op, name: None, tag: Some(t.into()), from: None, to: None }
    }

    #[test]
    fn an_account_whose_first_call_went_through_and_second_did_not_is_partial() {
        let needed = vec![tag(Op::Remove, "old"), tag(Op::Add, "new")];
        let r = WriteRecord { changes: needed.clone(), ..WriteRecord::new(0, "a", WriteStatus::Changed) };
        let d = ErrorDetail::from_code(91000, "");
        let t = Track { written: vec![true, false], end: Some(CallEnd::Failed(d.clone())) };
        let p = outcome(r.clone(), t);
        assert_eq!(p.status, WriteStatus::Partial);
        assert_eq!((p.changes, p.not_written), (vec![needed[0].clone()], vec![needed[1].clone()]));
        let none = outcome(r.clone(), Track { written: vec![false, false], end: Some(CallEnd::Failed(d.clone())) });
        assert_eq!(none.status, WriteStatus::Failed);
        let lost = outcome(r.clone(), Track { written: vec![true, false], end: Some(CallEnd::Lost(d)) });
        assert_eq!(lost.status, WriteStatus::Unknown, "never reported as failed or cancelled");
        let cancelled = outcome(r.clone(), Track { written: vec![true, false], end: Some(CallEnd::Cancelled) });
        assert_eq!(cancelled.status, WriteStatus::Partial, "a cancel after a call went through is not 'cancelled'");
        assert_eq!(outcome(r, Track { written: vec![true, true], end: None }).status, WriteStatus::Changed);
    }

    #[test]
    fn a_replace_call_carries_every_tag_change_and_a_plain_one_only_its_own() {
        let needed = vec![tag(Op::Remove, "old"), tag(Op::Add, "new"), tag(Op::Add, "x")];
        let replace = Call { cmd: Command::AddTag, replace: true, items: vec![] };
        assert_eq!(covers(&replace, &Payload::Tags(vec!["new".into()]), &needed), [0, 1, 2]);
        let plain = Call { cmd: Command::AddTag, replace: false, items: vec![] };
        assert_eq!(covers(&plain, &Payload::Tags(vec!["x".into()]), &needed), [2]);
        let remove = Call { cmd: Command::RemoveTag, replace: false, items: vec![] };
        assert_eq!(covers(&remove, &Payload::Tags(vec!["old".into()]), &needed), [0]);
    }
}
