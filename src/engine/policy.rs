//! The retry policy, from the error-code catalog: retry with bounded exponential backoff and
//! jitter (slowing the pace on rate-limit answers), a new UserSig on expiry, split on "too many
//! accounts", stop on everything else. Configuration errors stop the whole job.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::JobConfig;
use super::pacer::Pacer;
use crate::api::{Action, Family, wire};
use crate::client::{CallError, Client, Reply};

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub calls: AtomicU64,
    pub retries: AtomicU64,
    /// Times the pace was slowed after a rate-limit answer.
    pub slowdowns: AtomicU64,
    pub done: AtomicU64,
    /// Failure labels seen on calls, including ones later retried successfully.
    pub errors: Mutex<std::collections::BTreeMap<String, u64>>,
}

impl Counters {
    fn note_error(&self, label: String) {
        *self.errors.lock().unwrap_or_else(|p| p.into_inner()).entry(label).or_default() += 1;
    }
}

/// Why a call gave up.
#[derive(Debug, Clone)]
pub(crate) enum Stop {
    Cancelled,
    /// Another batch hit a configuration error; this one was not (re)sent. With the calls it
    /// had made before that.
    Aborted(CallError, u32),
    /// 90018/70206: the batch must be split. True when an earlier attempt may have been
    /// carried out (its answer lost), so the halves' accounts may be changed already.
    Split(CallError, u32, bool),
    Failed(CallError, u32),
    /// Gave up after an attempt that may have reached the service (a timeout, a dropped
    /// connection, a 5xx, an answer cut short, or a cancel while it was out): for a write,
    /// whether it took effect is unknown. The error is the last one (`Cancelled` for a cancel).
    Lost(CallError, u32),
}

/// Whether a failed attempt may still have been carried out by the service.
fn may_have_landed(e: &CallError) -> bool {
    match e {
        CallError::Transport { kind, .. } => *kind != crate::client::TransportKind::Connect,
        CallError::Http { status, .. } => *status >= 500,
        CallError::Malformed { .. } => true,
        _ => false,
    }
}

pub(crate) struct Ctx {
    pub client: std::sync::Arc<Client>,
    pub cfg: JobConfig,
    pub counters: Counters,
    /// Cancelled: nothing more is sent and calls out are abandoned (Esc, a second Ctrl-C).
    pub cancel: CancellationToken,
    /// Stopped: nothing more is sent, but calls out may finish, so their outcome is known
    /// (Ctrl-C, SIGTERM, SIGHUP, a closed stdout).
    pub stop: CancellationToken,
    pub abort: Mutex<Option<CallError>>,
    pub hedger: super::hedge::Hedger,
}

impl Ctx {
    pub fn new(client: std::sync::Arc<Client>, cfg: JobConfig, cancel: CancellationToken) -> Ctx {
        Ctx {
            client,
            cfg,
            counters: Counters::default(),
            cancel,
            stop: CancellationToken::new(),
            abort: Mutex::new(None),
            hedger: super::hedge::Hedger::default(),
        }
    }

    /// Whether the job may send no more calls (cancelled or stopped).
    pub fn stopped(&self) -> bool {
        self.cancel.is_cancelled() || self.stop.is_cancelled()
    }

    /// Resolves when the job may send no more calls.
    async fn halted(&self) {
        tokio::select! {
            _ = self.cancel.cancelled() => {}
            _ = self.stop.cancelled() => {}
        }
    }

    pub fn aborted(&self) -> Option<CallError> {
        self.abort.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set_abort(&self, e: &CallError) {
        let mut a = self.abort.lock().unwrap_or_else(|p| p.into_inner());
        if a.is_none() {
            tracing::warn!("stopping the job after a configuration error: {e}");
            *a = Some(e.clone());
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.cfg.backoff_base.saturating_mul(1u32 << attempt.min(16).saturating_sub(1));
        let capped = exp.min(self.cfg.backoff_max);
        // Full jitter in [0.5, 1.0] of the step, so retries from many batches spread out.
        capped.mul_f64(0.5 + rand::random::<f64>() * 0.5)
    }

    /// Sleep unless cancelled first.
    async fn pause(&self, d: Duration) -> bool {
        tokio::select! {
            _ = self.halted() => false,
            _ = tokio::time::sleep(d) => true,
        }
    }

    /// Run one read under the policy. `send` makes the call; `pacer` spaces it. A slow answer
    /// is hedged (see `hedged`).
    pub async fn call<T, F, Fut>(&self, pacer: &Pacer, send: F) -> Result<(T, u32), Stop>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CallError>>,
    {
        self.call_with(pacer, send, true).await
    }

    /// Run one write under the policy, never hedged nor abandoned early: a copy left
    /// unanswered could still be carried out after a later write to the same account (the
    /// undo, another admin's fix) and silently undo it. A stalled write waits for the client's
    /// timeout, as before; its outcome is then read back.
    pub async fn call_write<T, F, Fut>(&self, pacer: &Pacer, send: F) -> Result<(T, u32), Stop>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CallError>>,
    {
        self.call_with(pacer, send, false).await
    }

    async fn call_with<T, F, Fut>(&self, pacer: &Pacer, mut send: F, hedge: bool) -> Result<(T, u32), Stop>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CallError>>,
    {
        let mut attempt = 0u32;
        let mut regens = 0u32;
        // An earlier attempt may have been carried out: every way out below says so.
        let mut landed = false;
        let lost = |stop: Stop, attempt: u32, landed: bool| match stop {
            Stop::Cancelled if landed => Stop::Lost(CallError::Cancelled, attempt),
            Stop::Aborted(e, n) | Stop::Failed(e, n) if landed => Stop::Lost(e, n),
            other => other,
        };
        loop {
            if self.stopped() {
                return Err(lost(Stop::Cancelled, attempt, landed));
            }
            if let Some(e) = self.aborted() {
                return Err(lost(Stop::Aborted(e, attempt), attempt, landed));
            }
            tokio::select! {
                _ = self.halted() => return Err(lost(Stop::Cancelled, attempt, landed)),
                _ = pacer.wait() => {}
            }
            // The slot may have been reserved long before: look again before sending.
            if let Some(e) = self.aborted() {
                return Err(lost(Stop::Aborted(e, attempt), attempt, landed));
            }
            attempt += 1;
            self.counters.calls.fetch_add(1, Ordering::Relaxed);
            let sent = async { if hedge { self.hedged(pacer, &mut send).await } else { (send().await, false) } };
            let (result, abandoned) = tokio::select! {
                // Cancelled while the call was out: it may have been carried out.
                _ = self.cancel.cancelled() => return Err(Stop::Lost(CallError::Cancelled, attempt)),
                r = sent => r,
            };
            // A copy left unanswered by a hedge may still be carried out.
            landed |= abandoned && result.is_err();
            let err = match result {
                Ok(v) => {
                    pacer.recover();
                    return Ok((v, attempt));
                }
                Err(e) => e,
            };
            self.counters.note_error(err.label());
            tracing::debug!(attempt, "call failed: {err}");
            landed |= may_have_landed(&err);
            let can_retry = attempt < self.cfg.max_attempts;
            // Every call timx makes is idempotent (a read; a write that sets a value or adds or
            // removes a tag), so resending after a timeout or a lost answer is safe.
            match err.action() {
                Action::Retry | Action::RetrySlower if can_retry => {
                    if err.action() == Action::RetrySlower {
                        pacer.slow_down();
                        self.counters.slowdowns.fetch_add(1, Ordering::Relaxed);
                    }
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    if !self.pause(self.backoff(attempt)).await {
                        return Err(lost(Stop::Cancelled, attempt, landed));
                    }
                }
                Action::Regen if can_retry && regens < 2 => {
                    regens += 1;
                    self.client.invalidate_sig();
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                }
                // A signature the service could not use: one new UserSig, then it is configuration.
                Action::RegenOnce if can_retry && regens < 1 => {
                    regens += 1;
                    self.client.invalidate_sig();
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                }
                Action::Split => return Err(Stop::Split(err, attempt, landed)),
                // Configuration (the catalog's `Stop`, or a signature a new UserSig did not
                // mend): every further call would fail the same way, so the job stops sending.
                Action::Stop | Action::RegenOnce => {
                    self.set_abort(&err);
                    return Err(lost(Stop::Failed(err, attempt), attempt, landed));
                }
                _ => return Err(lost(Stop::Failed(err, attempt), attempt, landed)),
            }
        }
    }
}

impl Ctx {
    /// Send one attempt; if it is still out after the learned threshold and the budget allows,
    /// send a copy (under the pacer, counted as a call) and take whichever answers first. An
    /// attempt still unanswered well past the threshold is abandoned as a timeout (the policy
    /// sends it again), so no stall holds a batch for the client's whole timeout. Also says
    /// whether a copy was left unanswered.
    async fn hedged<T, F, Fut>(&self, pacer: &Pacer, send: &mut F) -> (Result<T, CallError>, bool)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CallError>>,
    {
        let started = tokio::time::Instant::now();
        let first = send();
        tokio::pin!(first);
        let threshold = self.hedger.threshold(self.client.timeout());
        let r = tokio::select! {
            r = &mut first => Some(r),
            _ = tokio::time::sleep(threshold) => None,
        };
        if let Some(r) = r {
            if r.is_ok() {
                self.hedger.answered(started.elapsed());
            }
            return (r, false);
        }
        let patience = super::hedge::patience(threshold, self.client.timeout());
        let deadline = tokio::time::sleep_until(started + patience);
        // An abandoned attempt counts as an answer that slow: if the service slows down as a
        // whole, the threshold follows it instead of abandoning every call.
        let abandoned = || {
            self.hedger.answered(patience);
            CallError::Transport {
                kind: crate::client::TransportKind::Timeout,
                message: format!("no answer after {} ms (this job's answers are quicker)", patience.as_millis()),
            }
        };
        if self.stopped() || !self.hedger.take(self.counters.calls.load(Ordering::Relaxed)) {
            return tokio::select! {
                r = &mut first => (r, false),
                () = deadline => (Err(abandoned()), true),
            };
        }
        tracing::debug!(?threshold, "no answer yet: hedging the call");
        let second = async {
            tokio::select! {
                _ = pacer.wait() => {}
                // Stopped before its slot: the first copy alone may still answer.
                _ = self.halted() => std::future::pending::<()>().await,
            }
            self.counters.calls.fetch_add(1, Ordering::Relaxed);
            send().await
        };
        tokio::select! {
            r = &mut first => (r, true),
            r = second => (r, true),
            () = deadline => (Err(abandoned()), true),
        }
    }
}

/// The app's attribute slots, fetched under the same retry policy as a job.
pub async fn fetch_attr_names(
    client: std::sync::Arc<Client>,
    family: Family,
    cancel: CancellationToken,
) -> Result<Reply<wire::AttrNames>, CallError> {
    one_call(client.clone(), family, cancel, true, || client.get_attr_names(family)).await
}

/// Name attribute slots (and, in timpush, their account types) under the job's retry policy.
/// Safe to retry: it sets names, it does not add anything.
pub async fn set_attr_names(
    client: std::sync::Arc<Client>,
    family: Family,
    names: &wire::AttrNames,
    cancel: CancellationToken,
) -> Result<Reply<serde_json::Value>, CallError> {
    one_call(client.clone(), family, cancel, false, || client.set_attr_names(family, names)).await
}

/// One call (not per account) under the retry policy.
async fn one_call<T, F, Fut>(
    client: std::sync::Arc<Client>,
    family: Family,
    cancel: CancellationToken,
    read: bool,
    send: F,
) -> Result<T, CallError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CallError>>,
{
    let cfg = super::JobConfig::new(super::JobKind::Attrs, family, crate::api::MAX_CALLS_PER_SECOND);
    let pacer = Pacer::new(cfg.rate_limit);
    let ctx = Ctx::new(client, cfg, cancel);
    ctx.call_with(&pacer, send, read).await.map(|(reply, _)| reply).map_err(Stop::into_error)
}

impl Stop {
    /// The error a call that gave up ends with, for a caller that is not per account.
    pub(crate) fn into_error(self) -> CallError {
        match self {
            Stop::Failed(e, _) | Stop::Split(e, _, _) | Stop::Aborted(e, _) | Stop::Lost(e, _) => e,
            Stop::Cancelled => CallError::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Endpoint, Family};
    use crate::client::ClientConfig;
    use crate::engine::JobKind;
    use crate::usersig::SecretKey;

    fn ctx() -> Ctx {
        let cfg = ClientConfig::new(Endpoint::base_url("http://127.0.0.1:1").unwrap(), 1, "a", SecretKey::new("k"));
        let mut job = JobConfig::new(JobKind::Attrs, Family::Timpush, 100);
        job.backoff_base = std::time::Duration::from_millis(1);
        Ctx::new(std::sync::Arc::new(Client::new(cfg).unwrap()), job, CancellationToken::new())
    }

    /// A call that was retrying when another batch stopped the job keeps its attempt count.
    #[tokio::test]
    async fn an_aborted_retry_keeps_its_attempts() {
        let ctx = ctx();
        let pacer = Pacer::new(100);
        let fatal = CallError::Service { code: 70009, info: String::new() };
        let mut calls = 0;
        let result: Result<((), u32), Stop> = ctx
            .call(&pacer, || {
                calls += 1;
                if calls == 2 {
                    ctx.set_abort(&fatal); // another batch meets a configuration error meanwhile
                }
                async { Err(CallError::Service { code: 91000, info: String::new() }) }
            })
            .await;
        match result {
            Err(Stop::Aborted(e, attempts)) => assert_eq!((e.code(), attempts), (Some(70009), 2)),
            other => panic!("{other:?}"),
        }
    }

    /// A write whose answer was lost (a timeout, then a refusal; a cancel while it was out) may
    /// have been carried out: it gives up as `Lost`, never as a plain failure or cancel.
    #[tokio::test]
    async fn a_call_that_may_have_landed_gives_up_as_lost() {
        let first = ctx();
        let pacer = Pacer::new(100);
        let mut calls = 0;
        let r: Result<((), u32), Stop> = first
            .call(&pacer, || {
                calls += 1;
                let e = if calls == 1 {
                    CallError::Transport { kind: crate::client::TransportKind::Timeout, message: String::new() }
                } else {
                    CallError::Service { code: 90033, info: String::new() }
                };
                async move { Err(e) }
            })
            .await;
        assert!(matches!(r, Err(Stop::Lost(CallError::Service { code: 90033, .. }, 2))), "{r:?}");
        // Refused before it could land: a plain failure.
        let r: Result<((), u32), Stop> =
            ctx().call(&pacer, || async { Err(CallError::Service { code: 90033, info: String::new() }) }).await;
        assert!(matches!(r, Err(Stop::Failed(_, 1))), "{r:?}");
        // Cancelled while the call was out.
        let out = ctx();
        let r: Result<((), u32), Stop> = out
            .call(&pacer, || {
                out.cancel.cancel();
                std::future::pending()
            })
            .await;
        assert!(matches!(r, Err(Stop::Lost(CallError::Cancelled, 1))), "{r:?}");
    }

    #[tokio::test]
    async fn a_configuration_error_stops_the_job_and_an_input_error_does_not() {
        let pacer = Pacer::new(100);
        for (code, stops) in [(70009, true), (60020, true), (70402, false), (90033, false)] {
            let ctx = ctx();
            let r: Result<((), u32), Stop> =
                ctx.call(&pacer, || async move { Err(CallError::Service { code, info: String::new() }) }).await;
            assert!(matches!(r, Err(Stop::Failed(_, 1))), "{code}");
            assert_eq!(ctx.aborted().is_some(), stops, "{code}");
        }
    }
}
