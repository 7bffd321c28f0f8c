//! Scheduled tasks: every task of a window, page by page (`list_sched_task`, 5 calls/s), and
//! one by its TaskID. `timx scheduled`, `audience --scheduled`, `trace` and the explorer's
//! `:scheduled` read them here.

use crate::api::post_send::{self as ps, PostCall, SchedTask};
use crate::client::CallError;
use crate::clock::utc_text;
use crate::engine::calls::Calls;

/// Every scheduled task firing between `since` and `until` (UTC), by when it fires.
pub async fn list_all(
    calls: &Calls,
    since: u64,
    until: u64,
    keyword: Option<&str>,
) -> Result<Vec<SchedTask>, CallError> {
    let req = ps::ListSchedRequest {
        sdkappid: 0,
        offset: 0,
        want: ps::SCHED_PAGE,
        order_by: "schedAt".into(),
        asc: true,
        begin_time: utc_text(since),
        end_time: utc_text(until),
        keyword: keyword.map(str::to_owned),
    };
    let mut tasks: Vec<SchedTask> = Vec::new();
    loop {
        let page_req = ps::ListSchedRequest { offset: tasks.len() as u64, ..req.clone() };
        let page = calls.post(PostCall::ListSched, || calls.client().list_sched_tasks(&page_req)).await?.body;
        let got = page.tasks.len();
        tasks.extend(page.tasks);
        if got == 0 || tasks.len() as u64 >= page.total {
            return Ok(tasks);
        }
    }
}

/// One scheduled task.
pub async fn get(calls: &Calls, id: u64) -> Result<SchedTask, CallError> {
    Ok(calls.post(PostCall::GetSched, || calls.client().get_sched_task(id)).await?.body.task_info)
}

/// The status, raw when it is not the one value the docs show.
pub fn status_text(t: &SchedTask) -> String {
    if t.is_pending() {
        "pending (not fired)".into()
    } else {
        format!("{} (undocumented)", crate::text::escape(&t.status))
    }
}

/// Who it is for: everyone, its Condition, or its user list.
pub fn target_text(t: &SchedTask) -> String {
    if let Some(c) = t.condition() {
        return format!("Condition {c}");
    }
    match t.kind.as_str() {
        "User" => {
            let users = t.to_accounts();
            let head: Vec<&str> = users.iter().take(5).map(String::as_str).collect();
            let more = if users.len() > 5 { format!(" …and {} more", users.len() - 5) } else { String::new() };
            format!("{} users: {}{more}", users.len(), head.join(", "))
        }
        "All" => "ALL users who have logged in or been imported".into(),
        other => format!("type {other:?} without a Condition in its content"),
    }
}

/// What a scheduled task targets, in the terms the audience judge reads: a Condition (or a push
/// body without one: everyone), or a User task's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// JSON for `audience::parse`.
    Condition(String),
    Users(Vec<String>),
}

pub fn target(t: &SchedTask) -> Target {
    match (t.condition(), t.kind.as_str()) {
        (Some(c), _) => Target::Condition(c.to_string()),
        (None, "User") => Target::Users(t.to_accounts()),
        // No Condition: a push body without one goes to everyone.
        (None, _) => Target::Condition(r#"{"MsgRandom":0}"#.into()),
    }
}
