//! A small app with push tasks and scheduled tasks for the post-send tests: each failure
//! support staff meet once (no token, certificate not set, 410 from the vendor, a device that is
//! not the last active one, not targeted, older than the 7 days a trace is kept).

use serde_json::json;
use timx::emulator::data::DataFile;

pub const T_ALL: &str = "660cc447_537ed82a_200000cd7ee17f5_84035729_bc614e";
pub const T_TAG: &str = "batch_667015d4_tag";
pub const T_OLD: &str = "660cc000_old";
/// A pending Tag task whose Condition is `TagsOr: [vip]`.
pub const S_TAG: u64 = 7;
/// A pending User task for bob.
pub const S_USER: u64 = 8;
/// A dispatched task whose push is `T_TAG`.
pub const S_DONE: u64 = 9;

fn ok() -> serde_json::Value {
    json!([1, 0, "success"])
}

fn dev(instance: &str, last_active: i64, stages: serde_json::Value) -> serde_json::Value {
    json!({"instance": instance, "system": "Android", "model": "Pixel", "platform": 7, "token": "tok",
           "cert": "1107", "notification": 1, "last_active": last_active, "stages": stages})
}

pub fn push_data() -> DataFile {
    let (ok, full) = (ok(), json!([ok(), ok(), ok(), ok(), ok()]));
    super::data(json!({
        "attr_names": {"0": "city"},
        "users": [
            {"id": "alice", "attrs": {"city": "深圳"}, "tags": ["vip"]},
            {"id": "bob", "tags": ["newsletter"]},
            {"id": "carol"},
            {"id": "dave", "tags": ["vip"]},
            {"id": "erin"}
        ],
        "push_tasks": [
            {"id": T_ALL, "sent_ago_s": 3600, "target": "All", "deliveries": {
                "alice": [dev("1001", 1, full.clone())],
                "bob": [{"instance": "1002", "system": "APNS", "platform": 2, "token": "", "cert": "1102",
                         "last_active": 1, "stages": [ok, [2, -2, "token not uploaded"]]}],
                "carol": [dev("1003", 1, json!([ok, ok, [2, 410, "Unregistered"]]))],
                "dave": [dev("1004", 1, json!([ok, ok, ok, ok])), dev("1005", 0, json!([ok, ok, [2, 410, "Unregistered"]]))]
            }},
            {"id": T_TAG, "sent_ago_s": 7200, "target": "Tag", "condition": {"TagsOr": ["vip"]}, "deliveries": {
                "alice": [dev("1001", 1, json!([ok, ok, ok, ok]))],
                "dave": [{"instance": "1004", "system": "APNS", "platform": 2, "token": "t", "cert": "0",
                          "last_active": 1, "stages": [ok, [2, -1, "Certificate id not set"]]}]
            }},
            {"id": T_OLD, "sent_ago_s": 8 * 86_400, "target": "All", "deliveries": {
                "alice": [dev("1001", 1, full)]
            }}
        ],
        "sched_tasks": [
            {"id": S_TAG, "kind": "Tag", "fires_in_s": 3600, "title": "tonight", "status": "pending",
             "content": {"From_Account": "admin", "Condition": {"TagsOr": ["vip"]}}},
            {"id": S_USER, "kind": "User", "fires_in_s": 7200, "title": "follow-up", "status": "pending",
             "content": {"From_Account": "admin", "To_Account": ["bob"]}},
            {"id": S_DONE, "kind": "Tag", "fires_in_s": -3600, "title": "members", "status": "dispatched",
             "push_task_id": T_TAG, "content": {"Condition": {"TagsOr": ["vip"]}}}
        ]
    }))
}
