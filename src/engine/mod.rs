//! The engine: per-account operations (reads for an audit; reads, writes and checks for a
//! write) in batches of ≤100 accounts, paced per command, retried by the error-code catalog's
//! policy, streamed back as typed events. It never prints. Every input account ends in exactly
//! one outcome.

pub mod accounts;
pub mod calls;
pub mod hedge;
pub(crate) mod job;
pub mod pacer;
pub(crate) mod policy;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

pub use accounts::{AccountList, Normalized, Normalizer, normalize_text};
pub use job::{JobHandle, failed_job, spawn_job, spawn_job_with};
pub use policy::{fetch_attr_names, set_attr_names};

use crate::api::{Family, codes};
use crate::client::CallError;

/// What a job asks for each account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Attrs,
    Tags,
    /// Attributes and tags for the same accounts, merged per account.
    Inspect,
    /// The delivery trace of a push task, one call per account (`timx trace`).
    Trace,
}

impl JobKind {
    pub fn wants_attrs(self) -> bool {
        matches!(self, JobKind::Attrs | JobKind::Inspect)
    }
    pub fn wants_tags(self) -> bool {
        matches!(self, JobKind::Tags | JobKind::Inspect)
    }
    pub fn name(self) -> &'static str {
        match self {
            JobKind::Attrs => "attrs",
            JobKind::Tags => "tags",
            JobKind::Inspect => "inspect",
            JobKind::Trace => "trace",
        }
    }
}

#[derive(Debug, Clone)]
pub struct JobConfig {
    pub kind: JobKind,
    pub family: Family,
    /// Calls per second per command; never exceeded.
    pub rate_limit: u32,
    /// Accounts per batch: 100 for the attr/tag commands, 1 for a call per account (trace).
    pub batch_size: usize,
    /// Calls per second of the job's post-send call (its own lane): the documented 1/s of the
    /// trace unless a caller lowers the pace or, against the emulator, raises it.
    pub post_rate: u32,
    /// Batches in flight at once (each may be waiting for its slot or its answer).
    pub max_in_flight: usize,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
}

impl JobConfig {
    pub fn new(kind: JobKind, family: Family, rate_limit: u32) -> JobConfig {
        JobConfig {
            kind,
            family,
            rate_limit: rate_limit.clamp(1, crate::api::MAX_CALLS_PER_SECOND),
            batch_size: crate::api::MAX_ACCOUNTS_PER_CALL,
            post_rate: crate::api::post_send::PostCall::Trace.rate(),
            // One second's worth of calls: enough to hold the pace at 1 s round trips.
            max_in_flight: (rate_limit as usize).clamp(4, 200),
            max_attempts: 10,
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
        }
    }
}

/// The outcome class of one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Has attributes and/or tags.
    Found,
    /// Answered, but carries nothing.
    Empty,
    /// timpush 70107: the account does not exist in the app.
    NotFound,
    Failed,
    /// Not a possible UserID; never sent.
    Invalid,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Found, Status::Empty, Status::NotFound, Status::Failed, Status::Invalid, Status::Cancelled];

    pub fn label(self) -> &'static str {
        match self {
            Status::Found => "found",
            Status::Empty => "empty",
            Status::NotFound => "not_found",
            Status::Failed => "failed",
            Status::Invalid => "invalid",
            Status::Cancelled => "cancelled",
        }
    }

    /// Answered by the service (found, empty or not found): what exit code 0 requires.
    pub fn is_answer(self) -> bool {
        matches!(self, Status::Found | Status::Empty | Status::NotFound)
    }
}

/// The outcome classes of a kind of job (reads: [`Status`]; writes: [`WriteStatus`]).
pub trait OutcomeStatus: Copy + Ord + std::fmt::Debug + Send + Sync + Serialize + 'static {
    /// Every class, in the order a summary lists them.
    const ALL: &'static [Self];
    fn label(self) -> &'static str;
    /// What exit code 0 requires of every account.
    fn is_ok(self) -> bool;
    /// Listed in the summary line even at zero.
    fn always_listed(self) -> bool;
    fn cancelled() -> Self;
}

impl OutcomeStatus for Status {
    const ALL: &'static [Status] = &Status::ALL;
    fn label(self) -> &'static str {
        Status::label(self)
    }
    fn is_ok(self) -> bool {
        self.is_answer()
    }
    fn always_listed(self) -> bool {
        self != Status::Cancelled
    }
    fn cancelled() -> Status {
        Status::Cancelled
    }
}

/// One account's result of some job: where it goes in the output, and its class.
pub trait Outcome: Send + 'static {
    type Status: OutcomeStatus;
    fn index(&self) -> u32;
    fn status(&self) -> Self::Status;
    /// Count the operations this outcome stands for (writes: set, unset, add, remove).
    fn tally(&self, _ops: &mut BTreeMap<String, u64>) {}
}

impl Outcome for Record {
    type Status = Status;
    fn index(&self) -> u32 {
        self.index
    }
    fn status(&self) -> Status {
        self.status
    }
}

/// Why an account failed, explained from the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorDetail {
    /// The service's ErrorCode, when the failure came from the service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// Short class: the code, `http:502`, `net:timeout`, `malformed`.
    pub label: String,
    pub meaning: String,
    pub fix: String,
    /// Calls made for this account's batch before giving up (0: never sent).
    pub attempts: u32,
}

impl ErrorDetail {
    pub fn from_call(e: &CallError, attempts: u32) -> ErrorDetail {
        let (meaning, fix) = match e {
            CallError::Service { code, info } => {
                let c = codes::lookup(*code);
                let meaning = if info.is_empty() { c.meaning.to_string() } else { format!("{} ({info})", c.meaning) };
                (meaning, c.fix.to_string())
            }
            CallError::Transport { .. } => {
                (e.to_string(), "Check the network and the endpoint; timx retried before giving up.".into())
            }
            CallError::Http { status, .. } if *status >= 500 => {
                (e.to_string(), "The service or a gateway failed; timx retried. Try again later.".into())
            }
            CallError::Http { .. } => (e.to_string(), "Check the region/base URL of the profile.".into()),
            CallError::Malformed { .. } => (
                e.to_string(),
                "The answer was not what the API documents; timx retried. Report it if it persists.".into(),
            ),
            CallError::Cancelled => ("cancelled before an answer came".into(), "Run it again.".into()),
            CallError::Local { reason } => (reason.clone(), "Fix it on this machine and run it again.".into()),
        };
        ErrorDetail { code: e.code(), label: e.label(), meaning, fix, attempts }
    }

    /// `e`, with why the account did not get its own answer in front of the meaning.
    pub fn because(e: &CallError, attempts: u32, why: &str) -> ErrorDetail {
        let d = ErrorDetail::from_call(e, attempts);
        ErrorDetail { meaning: format!("{why}: {}", d.meaning), ..d }
    }

    /// Not sent (or not sent again) because another batch stopped the job with `e`.
    pub fn not_sent(e: &CallError, attempts: u32) -> ErrorDetail {
        ErrorDetail::because(e, attempts, "not sent: the job stopped after this error on another batch")
    }

    /// 70016/70020: the SDKAppID lives in another data center.
    pub fn wrong_region(&self) -> bool {
        self.code.is_some_and(codes::is_wrong_region)
    }

    /// A per-account code from a timpush ErrorList.
    pub fn from_code(code: i64, info: &str) -> ErrorDetail {
        // Kept as received (exports are lossless) but never with a UserSig in it.
        ErrorDetail::from_call(&CallError::Service { code, info: crate::client::redact_url(info) }, 1)
    }
}

/// One account's result. Strings from the network are kept as received (exports are lossless);
/// front ends escape them for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Position among the normalized input entries; output is ordered by it.
    #[serde(skip)]
    pub index: u32,
    pub account: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attrs: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
    /// Why an input was invalid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Record {
    pub fn new(index: u32, account: &str, status: Status) -> Record {
        Record { index, account: account.to_owned(), status, attrs: None, tags: None, error: None, reason: None }
    }
}

impl JobConfig {
    /// A job of one post-send call per account (the trace), paced at `post_rate` calls a
    /// second in a lane of its own; attr/tag reads beside it keep `rate_limit`.
    pub fn per_account(kind: JobKind, family: Family, rate_limit: u32, post_rate: u32) -> JobConfig {
        JobConfig {
            batch_size: 1,
            post_rate: post_rate.clamp(1, crate::api::MAX_CALLS_PER_SECOND),
            ..JobConfig::new(kind, family, rate_limit)
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub calls: u64,
    pub retries: u64,
    pub elapsed: Duration,
    /// Accounts per second so far.
    pub rate: f64,
}

impl Progress {
    /// Time left at the rate so far; None before there is a rate, or when done.
    pub fn eta(&self) -> Option<Duration> {
        let left = self.total.saturating_sub(self.done);
        (self.rate > 0.0 && left > 0).then(|| Duration::from_secs_f64(left as f64 / self.rate))
    }

    /// `1h02m`, `3m20s`, `42s`: an ETA as people read it.
    pub fn eta_text(&self) -> Option<String> {
        let s = self.eta()?.as_secs();
        Some(match (s / 3600, s % 3600 / 60, s % 60) {
            (0, 0, s) => format!("{s}s"),
            (0, m, s) => format!("{m}m{s:02}s"),
            (h, m, _) => format!("{h}h{m:02}m"),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary<S: OutcomeStatus = Status> {
    pub kind: Option<JobKind>,
    pub family: Option<Family>,
    pub total: u64,
    pub duplicates: u64,
    pub counts: BTreeMap<S, u64>,
    /// Operations by kind (writes: `set`, `unset`, `add`, `remove`; planned or made).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ops: BTreeMap<String, u64>,
    pub calls: u64,
    pub retries: u64,
    /// Times the pace was slowed after a rate-limit answer (60007 and friends, HTTP 429).
    pub slowdowns: u64,
    /// Calls sent again because the first copy was slow to answer (see `hedge`); in `calls`.
    #[serde(skip_serializing_if = "is_zero")]
    pub hedges: u64,
    pub elapsed: Duration,
    /// ErrorCodes (or failure labels) seen, with how many calls or accounts carried them.
    pub errors_seen: BTreeMap<String, u64>,
    /// The job stopped sending after a configuration error; the rest failed with it.
    pub aborted: Option<String>,
    pub cancelled: bool,
}

impl<S: OutcomeStatus> Default for Summary<S> {
    fn default() -> Self {
        Summary {
            kind: None,
            family: None,
            total: 0,
            duplicates: 0,
            counts: BTreeMap::new(),
            ops: BTreeMap::new(),
            calls: 0,
            retries: 0,
            slowdowns: 0,
            hedges: 0,
            elapsed: Duration::ZERO,
            errors_seen: BTreeMap::new(),
            aborted: None,
            cancelled: false,
        }
    }
}

impl<S: OutcomeStatus> Summary<S> {
    pub fn count(&self, s: S) -> u64 {
        self.counts.get(&s).copied().unwrap_or(0)
    }
    pub fn accounts_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { self.total as f64 / secs } else { 0.0 }
    }
    /// True when every account ended well (exit code 0): answered, or changed/unchanged.
    pub fn all_answered(&self) -> bool {
        self.counts.iter().all(|(s, n)| s.is_ok() || *n == 0)
    }
    /// The one-line summary the headless commands print on stderr.
    pub fn line(&self) -> String {
        let counts: Vec<String> = S::ALL
            .iter()
            .filter(|s| s.always_listed() || self.count(**s) > 0)
            .map(|s| format!("{} {}", s.label().replace('_', " "), self.count(*s)))
            .collect();
        let mut s = counts.join(", ");
        if self.duplicates > 0 {
            s += &format!(" ({} duplicates skipped)", self.duplicates);
        }
        if !self.ops.is_empty() {
            let ops: Vec<String> = self.ops.iter().map(|(op, n)| format!("{op} {n}")).collect();
            s += &format!("; operations: {}", ops.join(", "));
        }
        let hedged = if self.hedges > 0 { format!(" ({} hedged)", self.hedges) } else { String::new() };
        s += &format!(
            "; {} calls{hedged}, {} retries, {:.1} s, {:.0} accounts/s",
            self.calls,
            self.retries,
            self.elapsed.as_secs_f64(),
            self.accounts_per_second()
        );
        if let Some(a) = &self.aborted {
            s += &format!("; stopped early: {}", crate::text::escape(a));
        }
        s
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What a running job reports, in order: Started, then Batch/Progress pairs, then Finished.
#[derive(Debug, Clone)]
pub enum Event<R: Outcome = Record> {
    Started {
        total: u64,
        duplicates: u64,
        invalid: u64,
        batches: u64,
    },
    /// Finished records of one batch (or the invalid inputs), sorted by index.
    Batch(Vec<R>),
    Progress(Progress),
    Finished(Summary<R::Status>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_reads_as_people_read_it() {
        let p = |done, total, rate| Progress { done, total, rate, ..Progress::default() };
        assert_eq!(p(0, 100, 0.0).eta_text(), None, "no rate yet");
        assert_eq!(p(100, 100, 50.0).eta_text(), None, "done");
        assert_eq!(p(58, 100, 1.0).eta_text().as_deref(), Some("42s"));
        assert_eq!(p(0, 200_000, 1000.0).eta_text().as_deref(), Some("3m20s"));
        assert_eq!(p(0, 10_000_000, 2700.0).eta_text().as_deref(), Some("1h01m"));
    }
}
