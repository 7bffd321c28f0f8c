//! The post-send calls of `v4/timpush/*` (post-send.md): the delivery trace of one user in one
//! all-member push task, the task funnel, its loss reasons, and scheduled tasks. Request and
//! response bodies exactly as on the wire — including the vendor's mixed casing (`TaskID` in
//! requests, `last_active_terminal` in snake_case) and `ErrCode` as a string in the loss answer.
//! Shared by the client and the emulator.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The post-send calls timx makes (the normal-push ones and the scheduled-task writes are not used).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostCall {
    Trace,
    Statistics,
    Loss,
    ListSched,
    GetSched,
}

impl PostCall {
    pub const ALL: [PostCall; 5] =
        [PostCall::Trace, PostCall::Statistics, PostCall::Loss, PostCall::ListSched, PostCall::GetSched];

    pub fn wire_name(self) -> &'static str {
        match self {
            PostCall::Trace => "all_member_push_trace",
            PostCall::Statistics => "all_member_push_statistics",
            PostCall::Loss => "all_member_push_loss",
            PostCall::ListSched => "list_sched_task",
            PostCall::GetSched => "get_sched_task",
        }
    }

    /// `v4/timpush/<call>`: every post-send call is in the timpush family.
    pub fn path(self) -> String {
        format!("v4/timpush/{}", self.wire_name())
    }

    pub fn from_wire(name: &str) -> Option<PostCall> {
        PostCall::ALL.into_iter().find(|c| c.wire_name() == name)
    }

    /// The documented calls per second: 1 for trace, statistics and loss [71893–71895], 5 for
    /// scheduled tasks [130277–130281].
    pub fn rate(self) -> u32 {
        match self {
            PostCall::Trace | PostCall::Statistics | PostCall::Loss => 1,
            PostCall::ListSched | PostCall::GetSched => 5,
        }
    }
}

/// TaskIDs in one statistics or loss request.
pub const MAX_TASKS_PER_CALL: usize = 5;
/// Days the trace and the loss reasons are kept.
pub const TRACE_DAYS: u64 = 7;
/// Days the statistics are kept.
pub const STATS_DAYS: u64 = 30;
pub const DAY_SECS: u64 = 86_400;

/// `all_member_push_trace` request: both fields required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceRequest {
    #[serde(rename = "TaskID")]
    pub task_id: String,
    #[serde(rename = "UserID")]
    pub user_id: String,
}

/// The answer's body: one element per device (terminal instance) of the user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceResponse {
    /// Required: an answer without it is malformed, not an empty trace.
    #[serde(rename = "InstanceTrace")]
    pub instance_trace: Vec<Instance>,
}

/// One device of the user, as the trace reports it. Undocumented values are kept raw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    #[serde(rename = "InstanceId", default)]
    pub instance_id: String,
    /// `YYYY-MM-DD HH:MM:SS`, time zone not stated.
    #[serde(rename = "PushTime", default)]
    pub push_time: String,
    #[serde(rename = "DeviceModel", default)]
    pub device_model: String,
    #[serde(rename = "System", default)]
    pub system: String,
    #[serde(rename = "SystemVersion", default)]
    pub system_version: String,
    /// 1 offline push, 2 online push (from the callback docs).
    #[serde(rename = "EventType", default)]
    pub event_type: i64,
    /// The vendor channel; value table not published.
    #[serde(rename = "PushPlatform", default)]
    pub push_platform: i64,
    /// `""` when none.
    #[serde(rename = "Token", default)]
    pub token: String,
    /// `""` or `"0"` when none.
    #[serde(rename = "CertId", default)]
    pub cert_id: String,
    #[serde(rename = "SdkVersion", default)]
    pub sdk_version: String,
    #[serde(rename = "PushVersion", default)]
    pub push_version: String,
    /// Notification-bar permission at dispatch; values not published.
    #[serde(rename = "NotificationStatus", default)]
    pub notification_status: i64,
    /// snake_case on the wire, unlike every other field; meaning not documented.
    #[serde(rename = "last_active_terminal", default)]
    pub last_active_terminal: i64,
    #[serde(rename = "IMCommitStat", default, skip_serializing_if = "Option::is_none")]
    pub im_commit_stat: Option<ImCommitStat>,
    #[serde(rename = "OfflinePushStat", default, skip_serializing_if = "Option::is_none")]
    pub offline_push_stat: Option<OfflinePushStat>,
    /// Contents not retrievable from the docs: kept as received.
    #[serde(rename = "OnlinePushStat", default, skip_serializing_if = "Option::is_none")]
    pub online_push_stat: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImCommitStat {
    #[serde(rename = "IMStat", default, skip_serializing_if = "Option::is_none")]
    pub im_stat: Option<Stage>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflinePushStat {
    #[serde(rename = "OfflineStat", default, skip_serializing_if = "Option::is_none")]
    pub offline_stat: Option<Stage>,
    #[serde(rename = "ChannelStat", default, skip_serializing_if = "Option::is_none")]
    pub channel_stat: Option<Stage>,
    #[serde(rename = "DeviceStat", default, skip_serializing_if = "Option::is_none")]
    pub device_stat: Option<Stage>,
    #[serde(rename = "ClickStat", default, skip_serializing_if = "Option::is_none")]
    pub click_stat: Option<Stage>,
}

/// One step of the delivery chain. Only `PushStatus: 1` with `ErrorCode: 0` (success) is
/// documented.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    #[serde(rename = "PushStatus", default)]
    pub push_status: i64,
    #[serde(rename = "ErrorCode", default)]
    pub error_code: i64,
    #[serde(rename = "ErrorInfo", default)]
    pub error_info: String,
    #[serde(rename = "EventTime", default)]
    pub event_time: String,
}

impl Stage {
    /// The one documented success: `PushStatus 1`, `ErrorCode 0`.
    pub fn succeeded(&self) -> bool {
        self.push_status == 1 && self.error_code == 0
    }
}

/// `all_member_push_statistics` and `all_member_push_loss` request. An empty `TaskID` list
/// asks for the app's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowRequest {
    #[serde(rename = "StartTime")]
    pub start_time: u64,
    #[serde(rename = "EndTime")]
    pub end_time: u64,
    #[serde(rename = "TaskID", default)]
    pub task_id: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatisticsResponse {
    #[serde(rename = "Results")]
    pub results: Vec<TaskStatistics>,
}

/// The counts of a funnel: can be sent (可发送) → sent → delivered (触达) → clicked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    #[serde(rename = "TotalCount", default)]
    pub total: u64,
    #[serde(rename = "SentCount", default)]
    pub sent: u64,
    #[serde(rename = "DeliveredCount", default)]
    pub delivered: u64,
    #[serde(rename = "ClickCount", default)]
    pub click: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskStatistics {
    #[serde(rename = "TaskID", default)]
    pub task_id: String,
    #[serde(flatten)]
    pub counts: Counts,
    #[serde(rename = "PlatformStatistics", default)]
    pub platform_statistics: Vec<PlatformStatistics>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformStatistics {
    #[serde(rename = "EventType", default)]
    pub event_type: i64,
    #[serde(rename = "PushPlatform", default)]
    pub push_platform: i64,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LossResponse {
    #[serde(rename = "Results")]
    pub results: Vec<TaskLoss>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLoss {
    #[serde(rename = "TaskID", default)]
    pub task_id: String,
    /// Lost before sending (no certificate, no token…).
    #[serde(rename = "ReadyToSendLoss", default)]
    pub ready_to_send_loss: Vec<Loss>,
    /// Lost after the vendor channel (unregistered, invalid registration id…).
    #[serde(rename = "PostSendDeliveredLoss", default)]
    pub post_send_delivered_loss: Vec<Loss>,
    #[serde(rename = "PlatformReadyToSendLoss", default)]
    pub platform_ready_to_send_loss: Vec<PlatformLoss>,
    #[serde(rename = "PlatformPostSendDeliveredLoss", default)]
    pub platform_post_send_delivered_loss: Vec<PlatformLoss>,
}

/// One loss reason. `ErrCode` is a string here (an int everywhere else).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loss {
    #[serde(rename = "ErrCode", default)]
    pub err_code: String,
    #[serde(rename = "ErrCount", default)]
    pub err_count: u64,
    #[serde(rename = "ErrInfo", default)]
    pub err_info: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformLoss {
    #[serde(rename = "EventType", default)]
    pub event_type: i64,
    #[serde(rename = "PushPlatform", default)]
    pub push_platform: i64,
    #[serde(flatten)]
    pub loss: Loss,
}

/// `get_sched_task` request: `Sdkappid` must equal the URL's; `TaskID` is an integer here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetSchedRequest {
    #[serde(rename = "Sdkappid")]
    pub sdkappid: u64,
    #[serde(rename = "TaskID")]
    pub task_id: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetSchedResponse {
    #[serde(rename = "TaskInfo")]
    pub task_info: SchedTask,
}

/// `list_sched_task` request. The times are UTC `YYYY-MM-DD HH:MM:SS`, both required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListSchedRequest {
    #[serde(rename = "Sdkappid")]
    pub sdkappid: u64,
    #[serde(rename = "Offset")]
    pub offset: u64,
    #[serde(rename = "Want")]
    pub want: u64,
    /// `createAt` or `schedAt`.
    #[serde(rename = "OrderBy")]
    pub order_by: String,
    #[serde(rename = "Asc")]
    pub asc: bool,
    #[serde(rename = "BeginTime")]
    pub begin_time: String,
    #[serde(rename = "EndTime")]
    pub end_time: String,
    #[serde(rename = "Keyword", default, skip_serializing_if = "Option::is_none")]
    pub keyword: Option<String>,
}

/// Tasks a list request asks for at once.
pub const SCHED_PAGE: u64 = 100;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListSchedResponse {
    #[serde(rename = "Total", default)]
    pub total: u64,
    #[serde(rename = "Tasks", default)]
    pub tasks: Vec<SchedTask>,
}

/// A scheduled push task. `Content` is the push body as created, kept as received (the
/// documented example's `From_Account` is a number where create takes a string).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SchedTask {
    #[serde(rename = "TaskID", default)]
    pub task_id: u64,
    #[serde(rename = "Sdkappid", default)]
    pub sdkappid: u64,
    #[serde(rename = "CreateAt", default)]
    pub create_at: String,
    /// `All`, `Tag` or `User`.
    #[serde(rename = "Type", default)]
    pub kind: String,
    /// When it fires, `YYYY-MM-DD HH:MM:SS` (UTC, as the list's times are).
    #[serde(rename = "SchedAt", default)]
    pub sched_at: String,
    #[serde(rename = "Content", default)]
    pub content: Value,
    #[serde(rename = "Title", default)]
    pub title: String,
    #[serde(rename = "Desc", default)]
    pub desc: String,
    /// `pending` is the only value the docs show.
    #[serde(rename = "Status", default)]
    pub status: String,
    #[serde(rename = "DispatchSuccess", default)]
    pub dispatch_success: Value,
    #[serde(rename = "DispatchErr", default)]
    pub dispatch_err: Value,
    /// The push's TaskId once dispatched (a string, unlike `TaskID`).
    #[serde(rename = "PushTaskID", default)]
    pub push_task_id: String,
}

impl SchedTask {
    /// The push's `Condition`, when its content has one.
    pub fn condition(&self) -> Option<&Value> {
        self.content.get("Condition").filter(|c| !c.is_null())
    }

    /// The user list of a `User` task.
    pub fn to_accounts(&self) -> Vec<String> {
        match self.content.get("To_Account") {
            Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the docs' one known status says it has not fired yet.
    pub fn is_pending(&self) -> bool {
        self.status == "pending"
    }
}
