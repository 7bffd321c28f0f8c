//! The post-send calls: the documented answers parse as the client's wire types, and the
//! emulator answers with exactly their keys and the documented limits (≤5 TaskIDs, the 7- and
//! 30-day windows, integer `TaskID` beside string `PushTaskID`), over real loopback HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::collections::BTreeSet;

use common::pushes::*;
use common::*;
use serde_json::Value;
use timx::api::post_send::{self as ps, PostCall};
use timx::client::{CallError, parse_body};
use timx::clock::unix_now;
use timx::emulator::EmulatorConfig;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/post_send/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Every key of a JSON value, with its path: what "the same shape" means here.
fn keys(v: &Value, at: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{at}.{k}");
                out.insert(p.clone());
                keys(x, &p, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| keys(x, &format!("{at}[]"), out)),
        _ => {}
    }
}

fn key_set(v: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    keys(v, "", &mut out);
    out
}

#[test]
fn the_documented_answers_parse_as_the_wire_types() {
    let (_, v) = parse_body(&fixture("trace.json")).unwrap();
    let t: ps::TraceResponse = serde_json::from_value(v.clone()).unwrap();
    let d = &t.instance_trace[0];
    assert_eq!((d.instance_id.as_str(), d.last_active_terminal, d.notification_status), ("74224656", 1, 1));
    assert!(d.offline_push_stat.as_ref().unwrap().click_stat.as_ref().unwrap().succeeded());
    // What the client reads, written back, is the documented example key for key.
    let status: BTreeSet<String> = [".ActionStatus", ".ErrorCode", ".ErrorInfo"].map(String::from).into();
    assert_eq!(key_set(&serde_json::to_value(&t).unwrap()), &key_set(&v) - &status);

    let (_, v) = parse_body(&fixture("loss.json")).unwrap();
    let l: ps::LossResponse = serde_json::from_value(v).unwrap();
    assert_eq!(l.results[0].post_send_delivered_loss[1].err_code, "410", "ErrCode is a string");
    assert_eq!(l.results[0].platform_ready_to_send_loss[0].loss.err_count, 3);

    let (_, v) = parse_body(&fixture("statistics.json")).unwrap();
    let s: ps::StatisticsResponse = serde_json::from_value(v).unwrap();
    assert_eq!(s.results[0].counts.delivered, 80);
    assert_eq!(s.results[0].platform_statistics[0].push_platform, 1);

    let (_, v) = parse_body(&fixture("get_sched_task.json")).unwrap();
    let g: ps::GetSchedResponse = serde_json::from_value(v).unwrap();
    assert_eq!((g.task_info.task_id, g.task_info.kind.as_str()), (1234, "All"));
    assert!(g.task_info.content["From_Account"].is_number(), "kept as received");
    let (_, v) = parse_body(&fixture("list_sched_task.json")).unwrap();
    let list: ps::ListSchedResponse = serde_json::from_value(v).unwrap();
    assert_eq!((list.total, list.tasks[0].status.as_str()), (1, "pending"));
}

async fn raw(emu: &timx::emulator::Running, call: PostCall, body: Value) -> Result<Value, CallError> {
    client(emu).call_raw(&call.path(), &body).await.map(|(_, v)| v)
}

#[tokio::test]
async fn the_emulator_answers_with_exactly_the_documented_keys() {
    let emu = start(EmulatorConfig::default(), Some(push_data())).await;
    let got = raw(&emu, PostCall::Trace, serde_json::json!({"TaskID": T_ALL, "UserID": "alice"})).await.unwrap();
    let (_, doc) = parse_body(&fixture("trace.json")).unwrap();
    assert_eq!(key_set(&got), key_set(&doc), "{got}");
    let now = unix_now();
    let window = serde_json::json!({"StartTime": now - 86_400, "EndTime": now, "TaskID": [T_ALL]});
    let got = raw(&emu, PostCall::Statistics, window.clone()).await.unwrap();
    let (_, doc) = parse_body(&fixture("statistics.json")).unwrap();
    assert_eq!(key_set(&got), key_set(&doc), "{got}");
    let got = raw(&emu, PostCall::Loss, window).await.unwrap();
    let (_, doc) = parse_body(&fixture("loss.json")).unwrap();
    assert_eq!(key_set(&got), key_set(&doc), "{got}");
    assert!(got["Results"][0]["ReadyToSendLoss"][0]["ErrCode"].is_string(), "{got}");
    let got = raw(&emu, PostCall::GetSched, serde_json::json!({"Sdkappid": SDKAPPID, "TaskID": S_DONE})).await.unwrap();
    let (_, doc) = parse_body(&fixture("get_sched_task.json")).unwrap();
    // The content is the task's own push body; the rest is the documented TaskInfo, key for key.
    let outside_content = |s: BTreeSet<String>| -> BTreeSet<String> {
        s.into_iter().filter(|k| !k.starts_with(".TaskInfo.Content.")).collect()
    };
    assert_eq!(outside_content(key_set(&got)), outside_content(key_set(&doc)), "{got}");
    assert!(got["TaskInfo"]["TaskID"].is_u64() && got["TaskInfo"]["PushTaskID"] == T_TAG, "{got}");
    emu.shutdown().await;
}

#[tokio::test]
async fn funnel_and_loss_are_counted_from_the_tasks_devices() {
    let emu = start(EmulatorConfig::default(), Some(push_data())).await;
    let c = client(&emu);
    let now = unix_now();
    let req = ps::WindowRequest { start_time: now - 86_400, end_time: now, task_id: vec![T_ALL.into()] };
    let s = c.push_statistics(&req).await.unwrap().body.results;
    // Four accounts, counted on their last active device: bob stops before sending, carol at
    // the vendor (sent: handed over, then lost after the channel), dave is delivered, alice clicks.
    assert_eq!(s[0].counts, ps::Counts { total: 4, sent: 3, delivered: 2, click: 1 });
    let l = c.push_loss(&req).await.unwrap().body.results;
    let codes = |v: &[ps::Loss]| v.iter().map(|l| (l.err_code.clone(), l.err_count)).collect::<Vec<_>>();
    assert_eq!(codes(&l[0].ready_to_send_loss), [("-2".to_string(), 1)]);
    assert_eq!(codes(&l[0].post_send_delivered_loss), [("410".to_string(), 2)], "dave's other phone too");
    // No TaskID: the app's totals, over the window (the old task is outside a one-day window).
    let all = ps::WindowRequest { task_id: vec![], ..req };
    let s = c.push_statistics(&all).await.unwrap().body.results;
    assert_eq!((s.len(), s[0].counts.total), (1, 6));
    emu.shutdown().await;
}

#[tokio::test]
async fn windows_and_task_counts_are_held_to_the_documented_limits() {
    let emu = start(EmulatorConfig::default(), Some(push_data())).await;
    let c = client(&emu);
    let now = unix_now();
    let six =
        ps::WindowRequest { start_time: now - 3600, end_time: now, task_id: (0..6).map(|i| i.to_string()).collect() };
    assert_eq!(c.push_statistics(&six).await.unwrap_err().code(), Some(90001), "more than 5 TaskIDs");
    let old = ps::WindowRequest { start_time: now - 31 * 86_400, end_time: now, task_id: vec![] };
    assert_eq!(c.push_statistics(&old).await.unwrap_err().code(), Some(90001), "past 30 days");
    let eight = ps::WindowRequest { start_time: now - 8 * 86_400, end_time: now, task_id: vec![T_OLD.into()] };
    assert!(c.push_statistics(&eight).await.is_ok(), "statistics keep 30 days");
    let err = c.push_loss(&eight).await.unwrap_err();
    assert_eq!(err.code(), Some(90001), "loss keeps 7 days");
    assert!(err.to_string().contains("assumption"), "the emulator says it picked the answer: {err}");
    // Older than 7 days, unknown task, not reached: the same empty trace.
    for (task, user) in [(T_OLD, "alice"), ("no-such-task", "alice"), (T_ALL, "erin"), (T_TAG, "bob")] {
        assert!(c.push_trace(task, user).await.unwrap().body.instance_trace.is_empty(), "{task} {user}");
    }
    // An unknown task in statistics: zero counts, said nowhere else.
    let unknown = ps::WindowRequest { start_time: now - 3600, end_time: now, task_id: vec!["nope".into()] };
    assert_eq!(c.push_statistics(&unknown).await.unwrap().body.results[0].counts, ps::Counts::default());
    emu.shutdown().await;
}

#[tokio::test]
async fn scheduled_tasks_list_and_show_with_the_urls_app() {
    let emu = start(EmulatorConfig::default(), Some(push_data())).await;
    let c = client(&emu);
    let t = c.get_sched_task(S_TAG).await.unwrap().body.task_info;
    assert_eq!((t.kind.as_str(), t.is_pending(), t.condition().is_some()), ("Tag", true, true));
    assert_eq!(c.get_sched_task(404).await.unwrap_err().code(), Some(90001));
    let wrong = raw(&emu, PostCall::GetSched, serde_json::json!({"Sdkappid": 1, "TaskID": S_TAG})).await;
    assert_eq!(wrong.unwrap_err().code(), Some(90001), "Sdkappid must be the URL's");
    let now = unix_now();
    let req = ps::ListSchedRequest {
        sdkappid: 0,
        offset: 0,
        want: 2,
        order_by: "schedAt".into(),
        asc: true,
        begin_time: timx::clock::utc_text(now - 86_400),
        end_time: timx::clock::utc_text(now + 86_400),
        keyword: None,
    };
    let page = c.list_sched_tasks(&req).await.unwrap().body;
    assert_eq!(page.total, 3);
    assert_eq!(page.tasks.iter().map(|t| t.task_id).collect::<Vec<_>>(), [S_DONE, S_TAG], "by SchedAt, first two");
    let found = c.list_sched_tasks(&ps::ListSchedRequest { keyword: Some("follow".into()), ..req }).await.unwrap();
    assert_eq!(found.body.tasks.iter().map(|t| t.task_id).collect::<Vec<_>>(), [S_USER]);
    emu.shutdown().await;
}
