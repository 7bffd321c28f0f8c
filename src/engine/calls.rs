//! Calls that are not per account (statistics, loss, scheduled tasks) under the same retry
//! policy as a job, each post-send call paced at its own documented rate across calls.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::pacer::Pacer;
use super::policy::{Ctx, Stop};
use super::{JobConfig, JobKind};
use crate::api::Family;
use crate::api::post_send::PostCall;
use crate::client::{CallError, Client};

pub struct Calls {
    ctx: Ctx,
    pacers: HashMap<PostCall, Pacer>,
}

impl Calls {
    /// `rate` overrides the documented rates (tests against the emulator); None keeps them.
    pub fn new(client: Arc<Client>, family: Family, cancel: CancellationToken, rate: Option<u32>) -> Calls {
        let cfg = JobConfig::new(JobKind::Inspect, family, crate::api::MAX_CALLS_PER_SECOND);
        let pacers = PostCall::ALL.into_iter().map(|c| (c, Pacer::new(rate.unwrap_or(c.rate())))).collect();
        Calls { ctx: Ctx::new(client, cfg, cancel), pacers }
    }

    pub fn client(&self) -> &Client {
        &self.ctx.client
    }

    /// One call of kind `call`, paced and retried; the last error when it gives up.
    pub async fn post<T, F, Fut>(&self, call: PostCall, send: F) -> Result<T, CallError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CallError>>,
    {
        let Some(pacer) = self.pacers.get(&call) else {
            return Err(CallError::Local { reason: format!("no pace for {}", call.wire_name()) });
        };
        self.ctx.call(pacer, send).await.map(|(v, _)| v).map_err(Stop::into_error)
    }

    /// Calls made so far, retries included.
    pub fn calls(&self) -> u64 {
        self.ctx.counters.calls.load(std::sync::atomic::Ordering::Relaxed)
    }
}
