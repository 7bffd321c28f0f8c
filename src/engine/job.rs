//! Running one job: dispatch batches under the pacer and the in-flight cap, turn answers into
//! per-account records, and stream them back. Every entry of the input gets one record.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use super::pacer::Pacer;
use super::policy::{Ctx, Stop};
use super::{ErrorDetail, Event, JobConfig, Normalized, Outcome, Progress, Record, Status, Summary};
use crate::api::{Command, MAX_ACCOUNTS_PER_CALL, codes, wire};
use crate::client::{CallError, Client, Reply};

/// How many rows that end without a call go in one event.
const ENDED_CHUNK: usize = crate::api::MAX_ACCOUNTS_PER_CALL;

/// A running job: its event stream, a way to cancel it, and its final summary.
pub struct JobHandle<R: Outcome = Record> {
    pub events: mpsc::Receiver<Event<R>>,
    /// Stop at once: calls out are abandoned.
    pub cancel: CancellationToken,
    /// Stop sending, and let the calls out finish (the job still ends with every outcome).
    pub stop: CancellationToken,
    pub task: JoinHandle<Summary<R::Status>>,
}

/// Start a job on the current tokio runtime.
pub fn spawn_job(client: Arc<Client>, cfg: JobConfig, input: Arc<Normalized>) -> JobHandle {
    spawn_job_with(client, cfg, input, CancellationToken::new())
}

/// Start a job that `cancel` stops (a token made before the job could start).
pub fn spawn_job_with(
    client: Arc<Client>,
    cfg: JobConfig,
    input: Arc<Normalized>,
    cancel: CancellationToken,
) -> JobHandle {
    let work = Arc::new(Reads { input: input.clone() });
    spawn_work(client, cfg, input, cancel, work)
}

/// Start any job: `work` says what each batch does and what an account that never got that far
/// ends as.
pub(crate) fn spawn_work<W: Work>(
    client: Arc<Client>,
    cfg: JobConfig,
    input: Arc<Normalized>,
    cancel: CancellationToken,
    work: Arc<W>,
) -> JobHandle<W::Row> {
    let (tx, rx) = mpsc::channel(256);
    let ctx = Arc::new(Ctx::new(client, cfg, cancel.clone()));
    let stop = ctx.stop.clone();
    let task = tokio::spawn(run(ctx, input, work, tx));
    JobHandle { events: rx, cancel, stop, task }
}

/// How an account ended that no batch answered.
pub(crate) enum End<'a> {
    Invalid(&'a str),
    Cancelled,
    Failed(ErrorDetail),
}

/// What a job does with each batch of accounts.
pub(crate) trait Work: Send + Sync + 'static {
    type Row: Outcome;
    /// One batch: its accounts' indices into the input; one row per index.
    fn batch(
        self: Arc<Self>,
        ctx: Arc<Ctx>,
        lanes: Arc<Lanes>,
        idx: Vec<u32>,
    ) -> impl Future<Output = Vec<Self::Row>> + Send + 'static;
    /// The row of an account that no batch answered.
    fn ended(&self, index: u32, account: &str, end: End<'_>) -> Self::Row;
}

/// One pacer per command: each command has its own 100 calls a second; the job's post-send
/// call (the trace's) has a lane of its own at its documented rate.
pub(crate) struct Lanes {
    pacers: Vec<Pacer>,
    post: Pacer,
}

impl Lanes {
    pub fn new(rate: u32, post_rate: u32) -> Lanes {
        Lanes { pacers: Command::ALL.iter().map(|_| Pacer::new(rate)).collect(), post: Pacer::new(post_rate) }
    }
    /// The pacer of the job's post-send call.
    pub fn post(&self) -> &Pacer {
        &self.post
    }
    pub fn of(&self, cmd: Command) -> &Pacer {
        let i = Command::ALL.iter().position(|c| *c == cmd).unwrap_or_default();
        &self.pacers[i]
    }
}

/// What one part (attrs or tags) says about one account.
#[derive(Debug, Clone)]
pub(crate) enum Part<T> {
    Data(T),
    NotFound(ErrorDetail),
    Error(ErrorDetail),
    Cancelled,
}

/// Where a job's records go: counted, then sent with the progress they make.
struct Out<'a, R: Outcome> {
    ctx: &'a Ctx,
    tx: mpsc::Sender<Event<R>>,
    counts: BTreeMap<R::Status, u64>,
    ops: BTreeMap<String, u64>,
    start: Instant,
    total: u64,
}

impl<R: Outcome> Out<'_, R> {
    async fn emit(&mut self, mut records: Vec<R>) {
        records.sort_by_key(|r| r.index());
        for r in &records {
            *self.counts.entry(r.status()).or_default() += 1;
            r.tally(&mut self.ops);
        }
        let counters = &self.ctx.counters;
        let done = counters.done.fetch_add(records.len() as u64, Ordering::Relaxed) + records.len() as u64;
        let elapsed = self.start.elapsed();
        let _ = self.tx.send(Event::Batch(records)).await;
        let secs = elapsed.as_secs_f64();
        let progress = Progress {
            done,
            total: self.total,
            calls: counters.calls.load(Ordering::Relaxed),
            retries: counters.retries.load(Ordering::Relaxed),
            elapsed,
            rate: if secs > 0.0 { done as f64 / secs } else { 0.0 },
        };
        let _ = self.tx.send(Event::Progress(progress)).await;
    }

    async fn collect(&mut self, done: Result<Vec<R>, tokio::task::JoinError>) {
        match done {
            Ok(records) => self.emit(records).await,
            // `guarded` turns a panic into failed records; only an abort of the runtime lands here.
            Err(e) => tracing::error!("a batch task failed: {e}"),
        }
    }
}

async fn run<W: Work>(
    ctx: Arc<Ctx>,
    input: Arc<Normalized>,
    work: Arc<W>,
    tx: mpsc::Sender<Event<W::Row>>,
) -> Summary<<W::Row as Outcome>::Status> {
    let valid: Vec<u32> = input.valid_indices().collect();
    let batches: Vec<&[u32]> = valid.chunks(ctx.cfg.batch_size.clamp(1, MAX_ACCOUNTS_PER_CALL)).collect();
    let total = input.total() as u64;
    let started = Event::Started {
        total,
        duplicates: input.duplicates,
        invalid: input.invalid.len() as u64,
        batches: batches.len() as u64,
    };
    let _ = tx.send(started).await;
    let mut out =
        Out { ctx: &ctx, tx: tx.clone(), counts: BTreeMap::new(), ops: BTreeMap::new(), start: Instant::now(), total };
    // Rows that end without a call go out a batch's worth at a time: the channel holds at most
    // 256 events, so what waits in it stays as small as while batches run (a cancel of ten
    // million accounts does not queue them all).
    for chunk in input.invalid.chunks(ENDED_CHUNK) {
        let records = chunk
            .iter()
            .map(|(i, reason)| work.ended(*i, input.entries.get(*i as usize), End::Invalid(reason)))
            .collect();
        out.emit(records).await;
    }
    let unsent = dispatch(&ctx, &input, &work, &batches, &mut out).await;
    // Batches never sent: cancelled, or failed with the error that stopped the job.
    let abort = ctx.aborted();
    for chunk in unsent.chunks(ENDED_CHUNK) {
        let records = chunk
            .iter()
            .map(|i| {
                let account = input.entries.get(*i as usize);
                match (&abort, ctx.stopped()) {
                    (Some(e), false) => work.ended(*i, account, End::Failed(ErrorDetail::not_sent(e, 0))),
                    _ => work.ended(*i, account, End::Cancelled),
                }
            })
            .collect();
        out.emit(records).await;
    }
    let summary = Summary {
        kind: Some(ctx.cfg.kind),
        family: Some(ctx.cfg.family),
        total,
        duplicates: input.duplicates,
        counts: std::mem::take(&mut out.counts),
        ops: std::mem::take(&mut out.ops),
        calls: ctx.counters.calls.load(Ordering::Relaxed),
        retries: ctx.counters.retries.load(Ordering::Relaxed),
        slowdowns: ctx.counters.slowdowns.load(Ordering::Relaxed),
        elapsed: out.start.elapsed(),
        errors_seen: ctx.counters.errors.lock().map(|m| m.clone()).unwrap_or_default(),
        aborted: abort.map(|e| e.to_string()),
        hedges: ctx.hedger.hedges(),
        cancelled: ctx.stopped(),
    };
    let _ = tx.send(Event::Finished(summary.clone())).await;
    summary
}

/// Send the batches under the in-flight cap, streaming what finishes; returns the indices of
/// the batches never sent (cancelled, or stopped by a configuration error). No batch goes out
/// more than [`window`] batches ahead of the oldest one not finished, so what waits to be
/// written in input order stays bounded however long one call stalls.
async fn dispatch<W: Work>(
    ctx: &Arc<Ctx>,
    input: &Arc<Normalized>,
    work: &Arc<W>,
    batches: &[&[u32]],
    out: &mut Out<'_, W::Row>,
) -> Vec<u32> {
    let lanes = Arc::new(Lanes::new(ctx.cfg.rate_limit, ctx.cfg.post_rate));
    let sem = Arc::new(Semaphore::new(ctx.cfg.max_in_flight.max(1)));
    let window = window(&ctx.cfg);
    let mut set: JoinSet<(usize, Vec<W::Row>)> = JoinSet::new();
    let mut open = std::collections::BTreeSet::new();
    let mut unsent: Vec<u32> = Vec::new();
    for (k, batch) in batches.iter().enumerate() {
        while open.first().is_some_and(|oldest| k - oldest >= window) {
            match set.join_next().await {
                Some(done) => out.collect(done.map(|(o, rows)| (open.remove(&o), rows).1)).await,
                None => break,
            }
        }
        if ctx.stopped() || ctx.aborted().is_some() {
            unsent.extend_from_slice(batch);
            continue;
        }
        let permit = tokio::select! {
            _ = ctx.cancel.cancelled() => { unsent.extend_from_slice(batch); continue; }
            _ = ctx.stop.cancelled() => { unsent.extend_from_slice(batch); continue; }
            p = sem.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => { unsent.extend_from_slice(batch); continue; } },
        };
        let (ctx2, lanes2, input2, work2, idx) =
            (ctx.clone(), lanes.clone(), input.clone(), work.clone(), batch.to_vec());
        open.insert(k);
        set.spawn(async move {
            let fut = work2.clone().batch(ctx2, lanes2, idx.clone());
            let records = guarded(&idx, &input2, work2.as_ref(), fut).await;
            drop(permit);
            (k, records)
        });
        while let Some(done) = set.try_join_next() {
            out.collect(done.map(|(o, rows)| (open.remove(&o), rows).1)).await;
        }
    }
    while let Some(done) = set.join_next().await {
        out.collect(done.map(|(_, rows)| rows)).await;
    }
    unsent
}

/// How far ahead of the oldest unfinished batch the job may send: twice the in-flight cap, so
/// the pace goes on through a stall of about a second (hedged well before that).
pub(crate) fn window(cfg: &JobConfig) -> usize {
    (cfg.max_in_flight * 2).max(8)
}

/// A job that could not start (its attribute names could not be read, say): every valid
/// account fails with `e` and `why`, invalid ones keep their reason. One record per entry.
pub fn failed_job(cfg: &JobConfig, input: &Normalized, e: &CallError, why: &str) -> (Vec<Record>, Summary) {
    let mut invalid = input.invalid.iter().peekable();
    let mut counts: BTreeMap<Status, u64> = BTreeMap::new();
    let records: Vec<Record> = (0..input.total() as u32)
        .map(|i| {
            let account = input.entries.get(i as usize);
            let r = match invalid.next_if(|(j, _)| *j == i) {
                Some((_, reason)) => {
                    Record { reason: Some(reason.clone()), ..Record::new(i, account, Status::Invalid) }
                }
                None => {
                    Record { error: Some(ErrorDetail::because(e, 0, why)), ..Record::new(i, account, Status::Failed) }
                }
            };
            *counts.entry(r.status).or_default() += 1;
            r
        })
        .collect();
    let summary = Summary {
        kind: Some(cfg.kind),
        family: Some(cfg.family),
        total: input.total() as u64,
        duplicates: input.duplicates,
        counts,
        errors_seen: [(e.label(), 1)].into(),
        aborted: Some(format!("{why}: {e}")),
        ..Summary::default()
    };
    (records, summary)
}

/// Run one batch's future; if it panics (a bug), its accounts still end in one outcome each:
/// `failed`, saying so, instead of being lost.
async fn guarded<W: Work>(
    idx: &[u32],
    input: &Normalized,
    work: &W,
    batch: impl Future<Output = Vec<W::Row>>,
) -> Vec<W::Row> {
    use futures_util::FutureExt;
    match std::panic::AssertUnwindSafe(batch).catch_unwind().await {
        Ok(records) => records,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!("a batch of {} accounts panicked: {what}", idx.len());
            let e =
                CallError::Malformed { reason: format!("internal error in timx while handling this batch: {what}") };
            idx.iter()
                .map(|i| work.ended(*i, input.entries.get(*i as usize), End::Failed(ErrorDetail::from_call(&e, 0))))
                .collect()
        }
    }
}

/// An audit's work: read each batch's attributes and/or tags.
struct Reads {
    input: Arc<Normalized>,
}

impl Work for Reads {
    type Row = Record;
    async fn batch(self: Arc<Self>, ctx: Arc<Ctx>, lanes: Arc<Lanes>, idx: Vec<u32>) -> Vec<Record> {
        let accounts: Vec<String> = idx.iter().map(|i| self.input.entries.get(*i as usize).to_owned()).collect();
        let (attr_parts, tag_parts) =
            read_parts(&ctx, &lanes, &accounts, ctx.cfg.kind.wants_attrs(), ctx.cfg.kind.wants_tags()).await;
        idx.iter()
            .enumerate()
            .map(|(k, i)| {
                let attrs = attr_parts.as_ref().map(|p| p[k].clone());
                merge(*i, &accounts[k], attrs, tag_parts.as_ref().map(|p| p[k].clone()))
            })
            .collect()
    }

    fn ended(&self, index: u32, account: &str, end: End<'_>) -> Record {
        match end {
            End::Invalid(reason) => {
                Record { reason: Some(reason.to_owned()), ..Record::new(index, account, Status::Invalid) }
            }
            End::Cancelled => Record::new(index, account, Status::Cancelled),
            End::Failed(d) => Record { error: Some(d), ..Record::new(index, account, Status::Failed) },
        }
    }
}

/// The parts of a read: attributes and/or tags of these accounts, in their order.
pub(crate) type ReadParts = (Option<Vec<Part<BTreeMap<String, String>>>>, Option<Vec<Part<Vec<String>>>>);

/// Read the attributes and/or tags of these accounts, each command split on 90018 on its own.
pub(crate) async fn read_parts(ctx: &Ctx, lanes: &Lanes, accounts: &[String], attrs: bool, tags: bool) -> ReadParts {
    let family = ctx.cfg.family;
    let a = lane(ctx, lanes.of(Command::GetAttr), accounts, |a| ctx.client.get_attrs(family, a), attrs_of);
    let t = lane(ctx, lanes.of(Command::GetTag), accounts, |a| ctx.client.get_tags(family, a), tags_of);
    tokio::join!(wanted(attrs, a), wanted(tags, t))
}

/// Run `lane` only when the job wants that part.
async fn wanted<T>(yes: bool, lane: impl Future<Output = T>) -> Option<T> {
    if yes { Some(lane.await) } else { None }
}

type LaneFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = Vec<Part<T>>> + Send + 'a>>;
type Spread<R, T> = fn(R) -> (HashMap<String, T>, Vec<wire::AccountError>);

/// One command for these accounts; on "too many accounts" only this lane is split in halves.
fn lane<'a, R, T, Fut>(
    ctx: &'a Ctx,
    pacer: &'a Pacer,
    accounts: &'a [String],
    call: impl Fn(&'a [String]) -> Fut + Copy + Send + Sync + 'a,
    spread: Spread<R, T>,
) -> LaneFuture<'a, T>
where
    R: Send + 'a,
    T: Clone + Send + 'a,
    Fut: Future<Output = Result<R, CallError>> + Send + 'a,
{
    Box::pin(async move {
        match ctx.call(pacer, || call(accounts)).await {
            Err(Stop::Split(..)) if accounts.len() > 1 => {
                let (left, right) = accounts.split_at(accounts.len() / 2);
                let mut out = lane(ctx, pacer, left, call, spread).await;
                out.extend(lane(ctx, pacer, right, call, spread).await);
                out
            }
            r => per_account(accounts, r, spread),
        }
    })
}

fn attrs_of(
    reply: Reply<wire::GetAttrResponse>,
) -> (HashMap<String, BTreeMap<String, String>>, Vec<wire::AccountError>) {
    let map = reply.body.user_attrs.into_iter().map(|u| (u.to_account, u.attrs)).collect();
    (map, reply.status.error_list)
}

fn tags_of(reply: Reply<wire::GetTagResponse>) -> (HashMap<String, Vec<String>>, Vec<wire::AccountError>) {
    let map = reply.body.user_tags.into_iter().map(|u| (u.to_account, u.tags)).collect();
    (map, reply.status.error_list)
}

/// Why a call that gave up leaves its accounts without an answer: `None` when it was cancelled.
pub(crate) fn stop_detail(stop: Stop) -> Option<ErrorDetail> {
    match stop {
        Stop::Cancelled | Stop::Lost(CallError::Cancelled, _) => None,
        Stop::Aborted(e, n) => Some(ErrorDetail::not_sent(&e, n)),
        Stop::Split(e, n, _) | Stop::Failed(e, n) | Stop::Lost(e, n) => Some(ErrorDetail::from_call(&e, n)),
    }
}

/// Spread one call's result over the batch's accounts, in batch order.
fn per_account<R, T: Clone>(accounts: &[String], result: Result<(R, u32), Stop>, split: Spread<R, T>) -> Vec<Part<T>> {
    let (reply, _attempts) = match result {
        Ok(ok) => ok,
        Err(stop) => {
            let part = stop_detail(stop).map_or(Part::Cancelled, Part::Error);
            return vec![part; accounts.len()];
        }
    };
    let (mut data, errors) = split(reply);
    let errors: HashMap<String, wire::AccountError> = errors.into_iter().map(|e| (e.to_account.clone(), e)).collect();
    accounts
        .iter()
        .map(|a| {
            if let Some(e) = errors.get(a) {
                let d = ErrorDetail::from_code(e.error_code, &e.error_info);
                return if e.error_code == codes::NOT_IMPORTED { Part::NotFound(d) } else { Part::Error(d) };
            }
            match data.remove(a) {
                Some(v) => Part::Data(v),
                None => Part::Error(ErrorDetail::from_call(
                    &CallError::Malformed { reason: "the account is missing from the response".into() },
                    1,
                )),
            }
        })
        .collect()
}

/// One record from the attrs part and/or the tags part.
pub(crate) fn merge(
    index: u32,
    account: &str,
    attrs: Option<Part<BTreeMap<String, String>>>,
    tags: Option<Part<Vec<String>>>,
) -> Record {
    let mut r = Record::new(index, account, Status::Empty);
    let mut error = None;
    let mut not_found = None;
    let mut cancelled = false;
    match attrs {
        Some(Part::Data(a)) => r.attrs = Some(a),
        Some(Part::NotFound(d)) => not_found = Some(d),
        Some(Part::Error(d)) => error = Some(d),
        Some(Part::Cancelled) => cancelled = true,
        None => {}
    }
    match tags {
        Some(Part::Data(t)) => r.tags = Some(t),
        Some(Part::NotFound(d)) => not_found = not_found.or(Some(d)),
        Some(Part::Error(d)) => error = error.or(Some(d)),
        Some(Part::Cancelled) => cancelled = true,
        None => {}
    }
    r.status = if cancelled {
        Status::Cancelled
    } else if let Some(d) = error {
        r.error = Some(d);
        Status::Failed
    } else if let Some(d) = not_found {
        r.error = Some(d);
        Status::NotFound
    } else if r.attrs.as_ref().is_some_and(|a| !a.is_empty()) || r.tags.as_ref().is_some_and(|t| !t.is_empty()) {
        Status::Found
    } else {
        Status::Empty
    };
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job whose first batch hangs until released; the others answer at once.
    struct Stalled {
        input: Arc<Normalized>,
        release: Arc<tokio::sync::Notify>,
        started: Arc<std::sync::atomic::AtomicUsize>,
    }

    impl Work for Stalled {
        type Row = Record;
        async fn batch(self: Arc<Self>, _: Arc<Ctx>, _: Arc<Lanes>, idx: Vec<u32>) -> Vec<Record> {
            self.started.fetch_add(1, Ordering::SeqCst);
            if idx[0] == 0 {
                self.release.notified().await;
            }
            idx.iter().map(|i| Record::new(*i, self.input.entries.get(*i as usize), Status::Empty)).collect()
        }
        fn ended(&self, index: u32, account: &str, _: End<'_>) -> Record {
            Record::new(index, account, Status::Cancelled)
        }
    }

    /// Defect (issue 18): behind one stalled batch every later batch was sent and its rows
    /// waited in memory. Now no batch goes more than the window ahead of the oldest one not
    /// finished; released, the job ends with every row.
    #[tokio::test]
    async fn no_batch_goes_more_than_the_window_ahead_of_a_stalled_one() {
        let text: String = (0..100_000).map(|i| format!("u{i:06}\n")).collect();
        let input = Arc::new(crate::engine::normalize_text(&text));
        let endpoint = crate::api::Endpoint::base_url("http://127.0.0.1:1").unwrap();
        let client =
            Client::new(crate::client::ClientConfig::new(endpoint, 1, "a", crate::usersig::SecretKey::new("k")));
        let cfg = JobConfig::new(crate::engine::JobKind::Attrs, crate::api::Family::Timpush, 100);
        let window = window(&cfg);
        let (release, started) =
            (Arc::new(tokio::sync::Notify::new()), Arc::new(std::sync::atomic::AtomicUsize::new(0)));
        let work = Arc::new(Stalled { input: input.clone(), release: release.clone(), started: started.clone() });
        let mut job = spawn_work(Arc::new(client.unwrap()), cfg, input, CancellationToken::new(), work);
        let mut rows = 0;
        while rows < (window - 1) * MAX_ACCOUNTS_PER_CALL {
            if let Some(Event::Batch(b)) = job.events.recv().await {
                rows += b.len();
            }
        }
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        assert_eq!(started.load(Ordering::SeqCst), window, "the window's batches, and no more");
        release.notify_one();
        while let Some(e) = job.events.recv().await {
            if let Event::Batch(b) = e {
                rows += b.len();
            }
        }
        assert_eq!(rows, 100_000);
        assert_eq!(started.load(Ordering::SeqCst), 1_000);
    }

    /// The trace's lane goes at the documented 1 call/s (on tokio's paused clock), however many
    /// calls wait, while the attr/tag lanes beside it keep their own 100/s.
    #[tokio::test(start_paused = true)]
    async fn the_post_send_lane_paces_at_one_call_a_second() {
        let cfg = crate::engine::JobConfig::per_account(
            crate::engine::JobKind::Trace,
            crate::api::Family::Timpush,
            100,
            crate::api::post_send::PostCall::Trace.rate(),
        );
        assert_eq!((cfg.post_rate, cfg.batch_size), (1, 1));
        let lanes = Arc::new(Lanes::new(cfg.rate_limit, cfg.post_rate));
        let t0 = tokio::time::Instant::now();
        let mut waits = Vec::new();
        for _ in 0..5 {
            let l = lanes.clone();
            waits.push(tokio::spawn(async move {
                l.post().wait().await;
                tokio::time::Instant::now()
            }));
        }
        let mut times = Vec::new();
        for w in waits {
            times.push(w.await.unwrap());
        }
        times.sort();
        for w in times.windows(2) {
            assert!(w[1] - w[0] >= std::time::Duration::from_secs(1), "{:?}", w[1] - w[0]);
        }
        let t1 = tokio::time::Instant::now();
        for _ in 0..50 {
            lanes.of(Command::GetAttr).wait().await;
        }
        assert!(
            tokio::time::Instant::now() - t1 < std::time::Duration::from_secs(1),
            "the attr lane is not held to 1/s"
        );
        assert!(times[4] - t0 >= std::time::Duration::from_secs(4));
    }

    #[tokio::test]
    async fn a_batch_that_panics_still_gives_each_account_a_failed_outcome() {
        let input = crate::engine::normalize_text("a\nb\nc");
        let work = Reads { input: std::sync::Arc::new(input.clone()) };
        let records = guarded(&[0, 2], &input, &work, async { panic!("boom") }).await;
        assert_eq!(
            records.iter().map(|r| (r.index, r.account.as_str(), r.status)).collect::<Vec<_>>(),
            [(0, "a", Status::Failed), (2, "c", Status::Failed)]
        );
        assert!(records[0].error.as_ref().unwrap().meaning.contains("internal error in timx"));
        assert!(records[0].error.as_ref().unwrap().meaning.contains("boom"));
    }

    #[test]
    fn merge_prefers_failure_then_not_found_then_data() {
        let d = |c| ErrorDetail::from_code(c, "");
        let found = merge(0, "a", Some(Part::Data([("k".into(), "v".into())].into())), Some(Part::Data(vec![])));
        assert_eq!(found.status, Status::Found);
        let empty = merge(0, "a", Some(Part::Data(BTreeMap::new())), Some(Part::Data(vec![])));
        assert_eq!(empty.status, Status::Empty);
        let nf = merge(0, "a", Some(Part::NotFound(d(70107))), Some(Part::NotFound(d(70107))));
        assert_eq!(nf.status, Status::NotFound);
        let failed = merge(0, "a", Some(Part::Data(BTreeMap::new())), Some(Part::Error(d(91000))));
        assert_eq!(failed.status, Status::Failed);
        assert!(failed.attrs.is_some(), "the part that succeeded is kept");
        let tags_only = merge(0, "a", None, Some(Part::Data(vec!["x".into()])));
        assert_eq!(tags_only.status, Status::Found);
        assert!(tags_only.attrs.is_none());
    }
}
