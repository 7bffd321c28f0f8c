//! `timx trace` as a job: one `all_member_push_trace` call per account, paced in the job's
//! post-send lane (the documented 1 call/s) under the engine's retries, and — when there is a
//! Condition to judge — the account's current attributes and tags beside it, judged by the
//! audience rules. Every account ends in exactly one row.

use std::sync::Arc;

use serde::Serialize;

use super::delivery::{self, Delivery, DeviceRow};
use crate::audience::{self, Judge, Schema};
use crate::engine::job::{End, Lanes, Work, merge, read_parts, stop_detail};
use crate::engine::policy::Ctx;
use crate::engine::{ErrorDetail, Normalized, Outcome, OutcomeStatus};

/// The outcome class of one traced account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceStatus {
    Clicked,
    Delivered,
    Stopped,
    NoDevices,
    NoTrace,
    Failed,
    Invalid,
    Cancelled,
}

impl TraceStatus {
    pub const ALL: [TraceStatus; 8] = [
        TraceStatus::Clicked,
        TraceStatus::Delivered,
        TraceStatus::Stopped,
        TraceStatus::NoDevices,
        TraceStatus::NoTrace,
        TraceStatus::Failed,
        TraceStatus::Invalid,
        TraceStatus::Cancelled,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TraceStatus::Clicked => "clicked",
            TraceStatus::Delivered => "delivered",
            TraceStatus::Stopped => "stopped",
            TraceStatus::NoDevices => "no_devices",
            TraceStatus::NoTrace => "no_trace",
            TraceStatus::Failed => "failed",
            TraceStatus::Invalid => "invalid",
            TraceStatus::Cancelled => "cancelled",
        }
    }

    pub fn of(d: Delivery) -> TraceStatus {
        match d {
            Delivery::Clicked => TraceStatus::Clicked,
            Delivery::Delivered => TraceStatus::Delivered,
            Delivery::Stopped => TraceStatus::Stopped,
            Delivery::NoDevices => TraceStatus::NoDevices,
            Delivery::NoTrace => TraceStatus::NoTrace,
        }
    }

    /// The service answered for the account: what a resumed run keeps.
    pub fn is_answer(self) -> bool {
        !matches!(self, TraceStatus::Failed | TraceStatus::Invalid | TraceStatus::Cancelled)
    }
}

impl OutcomeStatus for TraceStatus {
    const ALL: &'static [TraceStatus] = &TraceStatus::ALL;
    fn label(self) -> &'static str {
        TraceStatus::label(self)
    }
    fn is_ok(self) -> bool {
        self.is_answer()
    }
    fn always_listed(self) -> bool {
        !matches!(self, TraceStatus::Cancelled | TraceStatus::Invalid)
    }
    fn cancelled() -> TraceStatus {
        TraceStatus::Cancelled
    }
}

/// Whether the push was meant for the account, judged now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Meant {
    /// `null`: the attributes could not be read, or the rules do not decide it.
    pub targeted: Option<bool>,
    pub reasons: Vec<String>,
    pub warning: &'static str,
}

/// Said beside every audience verdict of a trace.
pub const MAY_HAVE_CHANGED: &str =
    "judged on the account's attributes and tags now: they may have changed since the push was sent";

/// One traced account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceRow {
    #[serde(skip)]
    pub index: u32,
    pub account: String,
    pub status: TraceStatus,
    /// `clicked`, `delivered`, `stopped at <stage>: <code> <meaning>`, `no devices`, `no trace…`.
    pub verdict: String,
    pub devices: Vec<DeviceRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<Meant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

impl TraceRow {
    fn ended(index: u32, account: &str, status: TraceStatus, verdict: String, error: Option<ErrorDetail>) -> TraceRow {
        TraceRow { index, account: account.to_owned(), status, verdict, devices: vec![], audience: None, error }
    }
}

impl Outcome for TraceRow {
    type Status = TraceStatus;
    fn index(&self) -> u32 {
        self.index
    }
    fn status(&self) -> TraceStatus {
        self.status
    }
}

/// The rules a trace judges its accounts by, when it has a Condition.
pub struct Judging {
    pub judge: Judge,
    pub schema: Schema,
}

/// The trace's work: one account per batch.
pub struct TraceWork {
    pub input: Arc<Normalized>,
    pub task: String,
    pub judging: Option<Judging>,
}

impl TraceWork {
    async fn one(&self, ctx: &Ctx, lanes: &Lanes, index: u32) -> TraceRow {
        let account = self.input.entries.get(index as usize);
        let traced = ctx.call(lanes.post(), || ctx.client.push_trace(&self.task, account)).await;
        let mut row = match traced {
            Ok((reply, _)) => {
                let (d, verdict, devices) = delivery::account(&reply.body.instance_trace);
                TraceRow { devices, ..TraceRow::ended(index, account, TraceStatus::of(d), verdict, None) }
            }
            Err(stop) => return self.ended(index, account, stop_detail(stop).map_or(End::Cancelled, End::Failed)),
        };
        if let Some(j) = &self.judging {
            row.audience = Some(self.meant(ctx, lanes, j, index, account).await);
        }
        row
    }

    async fn meant(&self, ctx: &Ctx, lanes: &Lanes, j: &Judging, index: u32, account: &str) -> Meant {
        let accounts = [account.to_owned()];
        let (attrs, tags) = read_parts(ctx, lanes, &accounts, true, true).await;
        let record = merge(index, account, first(attrs), first(tags));
        let v = audience::evaluate(&j.judge, &j.schema, &record);
        let mut reasons = v.reasons;
        if let Some(e) = v.error {
            reasons.push(e);
        }
        Meant { targeted: v.targeted, reasons, warning: MAY_HAVE_CHANGED }
    }
}

/// The one account's part of a one-account read.
fn first<T>(parts: Option<Vec<T>>) -> Option<T> {
    parts.and_then(|v| v.into_iter().next())
}

impl Work for TraceWork {
    type Row = TraceRow;
    async fn batch(self: Arc<Self>, ctx: Arc<Ctx>, lanes: Arc<Lanes>, idx: Vec<u32>) -> Vec<TraceRow> {
        let mut rows = Vec::with_capacity(idx.len());
        for i in idx {
            rows.push(self.one(&ctx, &lanes, i).await);
        }
        rows
    }

    fn ended(&self, index: u32, account: &str, end: End<'_>) -> TraceRow {
        match end {
            End::Invalid(reason) => {
                TraceRow::ended(index, account, TraceStatus::Invalid, format!("invalid: {reason}"), None)
            }
            End::Cancelled => TraceRow::ended(index, account, TraceStatus::Cancelled, "cancelled".into(), None),
            End::Failed(d) => {
                let verdict = format!("failed: {}", d.meaning);
                TraceRow::ended(index, account, TraceStatus::Failed, verdict, Some(d))
            }
        }
    }
}

/// Start a trace of `task` for the input's accounts.
pub fn spawn(
    client: Arc<crate::client::Client>,
    cfg: crate::engine::JobConfig,
    input: Arc<Normalized>,
    cancel: tokio_util::sync::CancellationToken,
    task: String,
    judging: Option<Judging>,
) -> crate::engine::JobHandle<TraceRow> {
    let work = Arc::new(TraceWork { input: input.clone(), task, judging });
    crate::engine::job::spawn_work(client, cfg, input, cancel, work)
}
