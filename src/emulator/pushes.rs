//! The emulator's push tasks and scheduled tasks, and the five post-send calls over them.
//!
//! A push task is data: its TaskId, when it was sent, its target, and for each account it
//! reached, that account's devices and the outcome of each stage. Who a task reached is decided
//! by whoever writes the data (`assets/demo/make_demo.py` for the demo, with its own reading of
//! the condition rules), never here: a mistake in timx's judge cannot hide by being made on both
//! sides. Times in the data are offsets from when the emulator loaded it, so the 7- and 30-day
//! windows behave the same on any day.
//!
//! Where the vendor documents no answer the emulator picks one, and says so in the answer's
//! ErrorInfo or here: an unknown TaskID has an empty trace and zero counts; a window past the
//! data's keeping, more than 5 TaskIDs, or an unknown scheduled task is refused with 90001.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::store::{Done, Fail};
use crate::api::post_send::{self as ps, PostCall};
use crate::clock::utc_text;

/// What the emulator says whenever it had to pick an answer the vendor does not document.
pub const ASSUMED: &str = "timx emulator's assumption: the vendor documents no answer for this";

/// A push task as the data file gives it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataTask {
    /// The `TaskId` the push answered with.
    pub id: String,
    /// Seconds before the emulator started that the push was sent.
    pub sent_ago_s: u64,
    /// `All`, `Tag` (a Condition on tags), `Attr` (a Condition on attributes) or `User`.
    #[serde(default)]
    pub target: String,
    /// The push's Condition, for Tag and Attr tasks (informative: the deliveries say who got it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Value>,
    #[serde(default)]
    pub title: String,
    /// Per account reached: its devices.
    #[serde(default)]
    pub deliveries: BTreeMap<String, Vec<DataDevice>>,
}

/// One device of an account in a task. `stages` lists `[PushStatus, ErrorCode, ErrorInfo]` for
/// im, offline, channel, device, click in that order; the chain stops where the list ends.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataDevice {
    pub instance: String,
    #[serde(default)]
    pub system: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub platform: i64,
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub cert: String,
    #[serde(default)]
    pub notification: i64,
    #[serde(default)]
    pub last_active: i64,
    #[serde(default = "offline")]
    pub event_type: i64,
    #[serde(default)]
    pub stages: Vec<(i64, i64, String)>,
}

fn offline() -> i64 {
    1
}

/// A scheduled task as the data file gives it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSched {
    pub id: u64,
    /// `All`, `Tag` or `User`.
    pub kind: String,
    /// Seconds after the emulator started that it fires (negative: it has fired).
    pub fires_in_s: i64,
    #[serde(default)]
    pub created_ago_s: u64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub desc: String,
    /// The push body: From_Account, Condition or To_Account, OfflinePushInfo…
    #[serde(default)]
    pub content: Value,
    /// `pending` (the only value the docs show) or, once fired, what the data says.
    #[serde(default)]
    pub status: String,
    /// The push's TaskId once dispatched.
    #[serde(default)]
    pub push_task_id: String,
}

/// The post-send side of the store.
#[derive(Debug, Clone, Default)]
pub struct Pushes {
    /// When the data was loaded; the offsets count from it.
    pub loaded_at: u64,
    pub tasks: Vec<DataTask>,
    pub sched: Vec<DataSched>,
}

fn parse<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, Fail> {
    serde_json::from_value(body.clone()).map_err(|e| Fail::new(90001, format!("json parse error: {e}")))
}

impl Pushes {
    pub fn new(loaded_at: u64, tasks: Vec<DataTask>, sched: Vec<DataSched>) -> Pushes {
        Pushes { loaded_at, tasks, sched }
    }

    /// Run one post-send call at `now`; `sdkappid` is the URL's.
    pub fn run(&self, call: PostCall, body: &Value, sdkappid: u64, now: u64) -> Result<Done, Fail> {
        match call {
            PostCall::Trace => Ok(Done::with(&self.trace(&parse(body)?, now))),
            PostCall::Statistics => Ok(Done::with(&self.statistics(&self.window(body, ps::STATS_DAYS, now)?, now))),
            PostCall::Loss => Ok(Done::with(&self.loss(&self.window(body, ps::TRACE_DAYS, now)?, now))),
            PostCall::GetSched => {
                let req: ps::GetSchedRequest = parse(body)?;
                check_app(req.sdkappid, sdkappid)?;
                let task =
                    self.sched.iter().find(|t| t.id == req.task_id).ok_or_else(|| {
                        Fail::new(90001, format!("scheduled task {} not found ({ASSUMED})", req.task_id))
                    })?;
                Ok(Done::with(&ps::GetSchedResponse { task_info: self.sched_info(task, sdkappid) }))
            }
            PostCall::ListSched => self.list(&parse(body)?, sdkappid),
        }
    }

    fn task_time(&self, t: &DataTask) -> u64 {
        self.loaded_at.saturating_sub(t.sent_ago_s)
    }

    fn trace(&self, req: &ps::TraceRequest, now: u64) -> ps::TraceResponse {
        let task = self.tasks.iter().find(|t| t.id == req.task_id);
        // Unknown task, account not reached, or older than the 7 days kept: all answer empty.
        let devices = task
            .filter(|t| now.saturating_sub(self.task_time(t)) <= ps::TRACE_DAYS * ps::DAY_SECS)
            .and_then(|t| Some((self.task_time(t), t.deliveries.get(&req.user_id)?)));
        let instance_trace = match devices {
            Some((at, devices)) => devices.iter().map(|d| instance(d, at)).collect(),
            None => Vec::new(),
        };
        ps::TraceResponse { instance_trace }
    }

    /// A statistics or loss request, its window checked against the days the data is kept.
    fn window(&self, body: &Value, days: u64, now: u64) -> Result<ps::WindowRequest, Fail> {
        let req: ps::WindowRequest = parse(body)?;
        if req.task_id.len() > ps::MAX_TASKS_PER_CALL {
            return Err(Fail::new(
                90001,
                format!("at most {} TaskID per request, got {} ({ASSUMED})", ps::MAX_TASKS_PER_CALL, req.task_id.len()),
            ));
        }
        if req.start_time > req.end_time {
            return Err(Fail::new(90001, format!("StartTime is after EndTime ({ASSUMED})")));
        }
        if req.start_time + days * ps::DAY_SECS < now {
            return Err(Fail::new(
                90001,
                format!("StartTime is older than the {days} days the data is kept ({ASSUMED})"),
            ));
        }
        Ok(req)
    }

    /// The tasks a window request is about: those named (an unknown one is kept, empty), or
    /// every task sent in the window for the app's totals (TaskID "" then).
    fn selected<'a>(&'a self, req: &ps::WindowRequest, days: u64, now: u64) -> Vec<(String, Vec<&'a DataTask>)> {
        let live = |t: &&DataTask| {
            let at = self.task_time(t);
            (req.start_time..=req.end_time).contains(&at) && now.saturating_sub(at) <= days * ps::DAY_SECS
        };
        if req.task_id.is_empty() {
            return vec![(String::new(), self.tasks.iter().filter(live).collect())];
        }
        req.task_id
            .iter()
            .map(|id| (id.clone(), self.tasks.iter().filter(|t| &t.id == id).filter(live).collect()))
            .collect()
    }

    fn statistics(&self, req: &ps::WindowRequest, now: u64) -> ps::StatisticsResponse {
        let results = self
            .selected(req, ps::STATS_DAYS, now)
            .into_iter()
            .map(|(id, tasks)| {
                let mut total = ps::Counts::default();
                let mut platforms: BTreeMap<(i64, i64), ps::Counts> = BTreeMap::new();
                for d in tasks.iter().flat_map(|t| t.deliveries.values()).filter_map(|ds| counted(ds)) {
                    add(&mut total, d);
                    add(platforms.entry((d.event_type, d.platform)).or_default(), d);
                }
                let platform_statistics = platforms
                    .into_iter()
                    .map(|((event_type, push_platform), counts)| ps::PlatformStatistics {
                        event_type,
                        push_platform,
                        counts,
                    })
                    .collect();
                ps::TaskStatistics { task_id: id, counts: total, platform_statistics }
            })
            .collect();
        ps::StatisticsResponse { results }
    }

    fn loss(&self, req: &ps::WindowRequest, now: u64) -> ps::LossResponse {
        let results = self
            .selected(req, ps::TRACE_DAYS, now)
            .into_iter()
            .map(|(id, tasks)| {
                let mut sums: [BTreeMap<(i64, i64, i64, String), u64>; 2] = Default::default();
                for d in tasks.iter().flat_map(|t| t.deliveries.values()).flatten() {
                    if let Some((at, (_, code, info))) =
                        d.stages.iter().enumerate().find(|(_, s)| !(s.0 == 1 && s.1 == 0))
                    {
                        // Lost before it left for the vendor (im, offline), or after (channel, device).
                        let side = usize::from(at >= 2);
                        if at < 4 {
                            *sums[side].entry((d.event_type, d.platform, *code, info.clone())).or_default() += 1;
                        }
                    }
                }
                let [ready, post] = sums;
                ps::TaskLoss {
                    task_id: id,
                    ready_to_send_loss: overall(&ready),
                    post_send_delivered_loss: overall(&post),
                    platform_ready_to_send_loss: per_platform(&ready),
                    platform_post_send_delivered_loss: per_platform(&post),
                }
            })
            .collect();
        ps::LossResponse { results }
    }

    fn sched_info(&self, t: &DataSched, sdkappid: u64) -> ps::SchedTask {
        ps::SchedTask {
            task_id: t.id,
            sdkappid,
            create_at: utc_text(self.loaded_at.saturating_sub(t.created_ago_s)),
            kind: t.kind.clone(),
            sched_at: utc_text(self.loaded_at.saturating_add_signed(t.fires_in_s)),
            content: t.content.clone(),
            title: t.title.clone(),
            desc: t.desc.clone(),
            status: if t.status.is_empty() { "pending".into() } else { t.status.clone() },
            dispatch_success: Value::from(u64::from(!t.push_task_id.is_empty())),
            dispatch_err: Value::from(0),
            push_task_id: t.push_task_id.clone(),
        }
    }

    fn list(&self, req: &ps::ListSchedRequest, sdkappid: u64) -> Result<Done, Fail> {
        check_app(req.sdkappid, sdkappid)?;
        if req.want == 0 {
            return Err(Fail::new(90001, "Want must be > 0"));
        }
        let (Some(begin), Some(end)) =
            (crate::clock::parse_utc(&req.begin_time), crate::clock::parse_utc(&req.end_time))
        else {
            return Err(Fail::new(90001, "BeginTime and EndTime must be \"YYYY-MM-DD HH:MM:SS\" (UTC)"));
        };
        let mut tasks: Vec<ps::SchedTask> = self
            .sched
            .iter()
            .map(|t| self.sched_info(t, sdkappid))
            // Which time the window applies to is not documented: the emulator takes SchedAt.
            .filter(|t| crate::clock::parse_utc(&t.sched_at).is_some_and(|at| (begin..=end).contains(&at)))
            .filter(|t| req.keyword.as_deref().is_none_or(|k| t.title.contains(k) || t.desc.contains(k)))
            .collect();
        let key = |t: &ps::SchedTask| if req.order_by == "createAt" { t.create_at.clone() } else { t.sched_at.clone() };
        tasks.sort_by_key(key);
        if !req.asc {
            tasks.reverse();
        }
        let total = tasks.len() as u64;
        let tasks = tasks.into_iter().skip(req.offset as usize).take(req.want as usize).collect();
        Ok(Done::with(&ps::ListSchedResponse { total, tasks }))
    }
}

fn check_app(given: u64, url: u64) -> Result<(), Fail> {
    if given != url {
        return Err(Fail::new(90001, format!("Sdkappid {given} is not the URL's {url}")));
    }
    Ok(())
}

/// The device the statistics count: they track only the most recently logged-in one.
fn counted(devices: &[DataDevice]) -> Option<&DataDevice> {
    devices.iter().find(|d| d.last_active == 1).or(devices.first())
}

/// Count a device in the funnel: can be sent (accepted by IM), sent (passed the offline stage:
/// handed to the vendor, so a loss after it is "after the vendor channel"),
/// delivered (reached the device), clicked.
fn add(c: &mut ps::Counts, d: &DataDevice) {
    let ok = d.stages.iter().take_while(|s| s.0 == 1 && s.1 == 0).count();
    c.total += u64::from(ok >= 1);
    c.sent += u64::from(ok >= 2);
    c.delivered += u64::from(ok >= 4);
    c.click += u64::from(ok >= 5);
}

fn overall(sums: &BTreeMap<(i64, i64, i64, String), u64>) -> Vec<ps::Loss> {
    let mut by_code: BTreeMap<(i64, String), u64> = BTreeMap::new();
    for ((_, _, code, info), n) in sums {
        *by_code.entry((*code, info.clone())).or_default() += n;
    }
    by_code
        .into_iter()
        .map(|((code, info), n)| ps::Loss { err_code: code.to_string(), err_count: n, err_info: info })
        .collect()
}

fn per_platform(sums: &BTreeMap<(i64, i64, i64, String), u64>) -> Vec<ps::PlatformLoss> {
    sums.iter()
        .map(|((event_type, push_platform, code, info), n)| ps::PlatformLoss {
            event_type: *event_type,
            push_platform: *push_platform,
            loss: ps::Loss { err_code: code.to_string(), err_count: *n, err_info: info.clone() },
        })
        .collect()
}

/// A device of the data as the trace reports it: stage k happened k+1 seconds after the push.
fn instance(d: &DataDevice, at: u64) -> ps::Instance {
    let stage = |k: usize| {
        d.stages.get(k).map(|(status, code, info)| ps::Stage {
            push_status: *status,
            error_code: *code,
            error_info: info.clone(),
            event_time: utc_text(at + k as u64 + 1),
        })
    };
    let offline = ps::OfflinePushStat {
        offline_stat: stage(1),
        channel_stat: stage(2),
        device_stat: stage(3),
        click_stat: stage(4),
    };
    ps::Instance {
        instance_id: d.instance.clone(),
        push_time: utc_text(at),
        device_model: d.model.clone(),
        system: d.system.clone(),
        system_version: String::new(),
        event_type: d.event_type,
        push_platform: d.platform,
        token: d.token.clone(),
        cert_id: d.cert.clone(),
        sdk_version: "8.0.1".into(),
        push_version: "8.0.1".into(),
        notification_status: d.notification,
        last_active_terminal: d.last_active,
        im_commit_stat: Some(ps::ImCommitStat { im_stat: stage(0) }),
        offline_push_stat: (d.event_type == 1).then_some(offline),
        online_push_stat: (d.event_type == 2).then(|| Value::Object(Default::default())),
    }
}
