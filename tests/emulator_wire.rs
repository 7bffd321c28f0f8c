//! The emulator on loopback, driven by the real client: every command of both families,
//! each error code the emulator documents, and each injected fault.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use timx::api::wire::{
    self, AttrNames, RemoveAttrRequest, SetAttrRequest, TagsRequest, UserAttrNames, UserAttrs, UserTags,
};
use timx::api::{Command, Family};
use timx::client::{CallError, Client, TransportKind};
use timx::clock::unix_now;
use timx::emulator::{EmulatorConfig, Faults};
use timx::usersig::{self, SecretKey};

fn names(pairs: &[(&str, &str)]) -> AttrNames {
    AttrNames { attr_names: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), attr_types: None }
}

fn accounts(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn every_command_of_both_families_round_trips() {
    let emu = start(EmulatorConfig::default(), None).await;
    let c = client(&emu);
    c.import_account("alice").await.unwrap();
    let r = c.import_accounts(&accounts(&["bob", "张小红", ""])).await.unwrap();
    assert_eq!(r.body.fail_accounts, vec![""]);

    for family in Family::ALL {
        c.set_attr_names(family, &names(&[("0", "sex"), ("1", "city")])).await.unwrap();
        let got = c.get_attr_names(family).await.unwrap().body;
        assert_eq!(got.attr_names.get("1").map(String::as_str), Some("city"));
        // Only timpush reports AttrTypes.
        assert_eq!(got.attr_types.is_some(), family == Family::Timpush, "{family}");

        // Values of this family's own, so a command that did nothing cannot pass on the
        // previous family's data.
        let v = |s: &str| format!("{s}-{family}");
        let set = SetAttrRequest {
            user_attrs: vec![
                UserAttrs {
                    to_account: "alice".into(),
                    attrs: [("sex".into(), v("F")), ("city".into(), v("深圳"))].into(),
                },
                UserAttrs { to_account: "张小红".into(), attrs: [("city".into(), v("纽约"))].into() },
            ],
        };
        c.set_attrs(family, &set).await.unwrap();
        let got = c.get_attrs(family, &accounts(&["alice", "张小红", "bob"])).await.unwrap().body;
        assert_eq!(got.user_attrs[0].attrs["city"], v("深圳"));
        assert_eq!(got.user_attrs[0].attrs["sex"], v("F"));
        assert_eq!(got.user_attrs[1].attrs["city"], v("纽约"));
        assert!(got.user_attrs[2].attrs.is_empty(), "bob has no attributes: Attrs {{}}");

        let rm = RemoveAttrRequest {
            user_attrs: vec![UserAttrNames { to_account: "alice".into(), attrs: vec!["sex".into()] }],
        };
        c.remove_attrs(family, &rm).await.unwrap();
        let got = c.get_attrs(family, &accounts(&["alice"])).await.unwrap().body;
        assert_eq!(got.user_attrs[0].attrs.keys().collect::<Vec<_>>(), vec!["city"]);

        let add = TagsRequest {
            replace: None,
            user_tags: vec![UserTags { to_account: "alice".into(), tags: vec![v("vip"), v("beta")] }],
        };
        c.add_tags(family, &add).await.unwrap();
        let got = c.get_tags(family, &accounts(&["alice", "bob"])).await.unwrap().body;
        assert_eq!(got.user_tags[0].tags, vec![v("vip"), v("beta")]);
        assert!(got.user_tags[1].tags.is_empty());

        let rm = TagsRequest {
            replace: None,
            user_tags: vec![UserTags { to_account: "alice".into(), tags: vec![v("vip")] }],
        };
        c.remove_tags(family, &rm).await.unwrap();
        assert_eq!(c.get_tags(family, &accounts(&["alice"])).await.unwrap().body.user_tags[0].tags, vec![v("beta")]);
        c.remove_all_tags(family, &accounts(&["alice"])).await.unwrap();
        assert!(c.get_tags(family, &accounts(&["alice"])).await.unwrap().body.user_tags[0].tags.is_empty());
    }
    // Both families see the same app data; the emulator counted every call by path.
    let stats = emu.stats();
    assert_eq!(stats.by_path["v4/timpush/clear_all_tags"][&0], 1);
    assert_eq!(stats.by_path["v4/all_member_push/im_remove_all_tags"][&0], 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn timpush_reports_unknown_accounts_and_replace_in_error_list() {
    let emu = start(
        EmulatorConfig::default(),
        Some(data(json!({
            "attr_names": {"0": "sex", "5": "device"}, "attr_types": {"5": 1},
            "users": [{"id": "u1", "tags": ["a"]}, {"id": "reg-1", "kind": "registration_id"}]
        }))),
    )
    .await;
    let c = client(&emu);
    let r = c.get_tags(Family::Timpush, &accounts(&["u1", "ghost"])).await.unwrap();
    assert_eq!(r.body.user_tags.len(), 1);
    assert_eq!(
        r.status.error_list,
        vec![wire::AccountError {
            to_account: "ghost".into(),
            error_code: 70107,
            error_info: "account not exist".into()
        }]
    );
    let r = c.get_attrs(Family::Timpush, &accounts(&["ghost"])).await.unwrap();
    assert_eq!(r.status.error_list[0].error_code, 70107);
    // AttrTypes: slot 5 is for RegistrationIDs, so a UserID gets 90035 in ErrorList.
    let names = c.get_attr_names(Family::Timpush).await.unwrap().body;
    assert_eq!(names.attr_types.unwrap()["5"], wire::ATTR_TYPE_REGISTRATION_ID);
    let set = SetAttrRequest {
        user_attrs: vec![UserAttrs { to_account: "u1".into(), attrs: [("device".into(), "ios".into())].into() }],
    };
    let r = c.set_attrs(Family::Timpush, &set).await.unwrap();
    assert_eq!(r.status.error_list[0].error_code, 90035);
    // Replace=1 overwrites all tags.
    let rep =
        TagsRequest { replace: Some(1), user_tags: vec![UserTags { to_account: "u1".into(), tags: vec!["b".into()] }] };
    c.add_tags(Family::Timpush, &rep).await.unwrap();
    assert_eq!(c.get_tags(Family::Timpush, &accounts(&["u1"])).await.unwrap().body.user_tags[0].tags, vec!["b"]);
    emu.shutdown().await;
}

/// A raw signed POST with full control of the query, for the errors the client never makes.
async fn raw(base: &str, path: &str, query: &str, body: &str) -> serde_json::Value {
    let url = format!("{base}/{path}?{query}");
    reqwest::Client::new().post(url).body(body.to_owned()).send().await.unwrap().json().await.unwrap()
}

fn q(sdkappid: u64, identifier: &str, sig: &str) -> String {
    format!("sdkappid={sdkappid}&identifier={identifier}&usersig={sig}&random=7&contenttype=json")
}

fn code(v: &serde_json::Value) -> i64 {
    assert_eq!(v["ActionStatus"], if v["ErrorCode"] == 0 { "OK" } else { "FAIL" }, "{v}");
    v["ErrorCode"].as_i64().unwrap()
}

#[tokio::test]
async fn each_request_check_answers_its_documented_code() {
    // No rate limit: every call counts against it on arrival, and this test is about the rest.
    let emu = start(EmulatorConfig { rate_limit: 0, ..EmulatorConfig::default() }, None).await;
    let key = SecretKey::new(KEY);
    let now = unix_now();
    let good = usersig::generate(SDKAPPID, &key, ADMIN, now, 3600);
    let path = "v4/timpush/get_tag";
    let b = &emu.base_url;
    let body = r#"{"To_Account":["a"]}"#;

    assert_eq!(code(&raw(b, path, &q(SDKAPPID, ADMIN, &good), body).await), 0);
    // 70001 expired.
    let old = usersig::generate(SDKAPPID, &key, ADMIN, now - 7200, 3600);
    assert_eq!(code(&raw(b, path, &q(SDKAPPID, ADMIN, &old), body).await), 70001);
    // 70002 empty, 70003 malformed.
    assert_eq!(code(&raw(b, path, &q(SDKAPPID, ADMIN, ""), body).await), 70002);
    assert_eq!(code(&raw(b, path, &q(SDKAPPID, ADMIN, "garbage"), body).await), 70003);
    // 70009 wrong key.
    let wrong = usersig::generate(SDKAPPID, &SecretKey::new("another-apps-key"), ADMIN, now, 3600);
    assert_eq!(code(&raw(b, path, &q(SDKAPPID, ADMIN, &wrong), body).await), 70009);
    // 70013 identifier in the URL differs from the one in the sig.
    let other_id = usersig::generate(SDKAPPID, &key, "someone", now, 3600);
    assert_eq!(code(&raw(b, path, &q(SDKAPPID, ADMIN, &other_id), body).await), 70013);
    // 70014 sdkappid in the sig differs from the URL's.
    let other_app = usersig::generate(SDKAPPID + 1, &key, ADMIN, now, 3600);
    assert_eq!(code(&raw(b, path, &q(SDKAPPID, ADMIN, &other_app), body).await), 70014);
    // 70020 unknown sdkappid.
    assert_eq!(code(&raw(b, path, &q(SDKAPPID + 1, ADMIN, &other_app), body).await), 70020);
    // 90009 a correctly signed non-admin.
    let user = usersig::generate(SDKAPPID, &key, "someone", now, 3600);
    assert_eq!(code(&raw(b, path, &q(SDKAPPID, "someone", &user), body).await), 90009);
    // 90001 body is not JSON / wrong shape.
    assert_eq!(code(&raw(b, path, &q(SDKAPPID, ADMIN, &good), "{not json").await), 90001);
    assert_eq!(code(&raw(b, path, &q(SDKAPPID, ADMIN, &good), r#"{"To_Account":"a"}"#).await), 90001);
    // 90018 over 100 accounts.
    let many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    let big = json!({"To_Account": many}).to_string();
    assert_eq!(code(&raw(b, path, &q(SDKAPPID, ADMIN, &good), &big).await), 90018);
    // 60012 / 60002 query problems, 60009 unknown command.
    assert_eq!(
        code(&raw(b, path, &format!("identifier={ADMIN}&usersig={good}&random=1&contenttype=json"), body).await),
        60012
    );
    assert_eq!(
        code(
            &raw(
                b,
                path,
                &format!("sdkappid={SDKAPPID}&identifier={ADMIN}&usersig={good}&random=-1&contenttype=json"),
                body
            )
            .await
        ),
        60002
    );
    assert_eq!(code(&raw(b, "v4/timpush/remove_all_tags", &q(SDKAPPID, ADMIN, &good), body).await), 60009);
    // The official Python package's sig (valid until 2036) is accepted; a tampered copy is not.
    let official = official_admin_sig();
    assert_eq!(code(&raw(b, path, &q(SDKAPPID, ADMIN, &official), body).await), 0);
    let mut tampered = official.clone().into_bytes();
    let mid = tampered.len() / 2;
    tampered[mid] = if tampered[mid] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert!(matches!(code(&raw(b, path, &q(SDKAPPID, ADMIN, &tampered), body).await), 70003 | 70009));
    emu.shutdown().await;
}

fn official_admin_sig() -> String {
    let v: serde_json::Value = serde_json::from_str(include_str!("fixtures/usersig_official.json")).unwrap();
    v["cases"].as_array().unwrap().iter().find(|c| c["identifier"] == ADMIN && c["time"] == 1790000000).unwrap()["usersig"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_client_surfaces_service_errors_with_meaning() {
    let emu = start(EmulatorConfig::default(), None).await;
    // Wrong key: 70009, explained.
    let mut cfg = client_cfg(&emu);
    cfg.key = SecretKey::new("not-the-key");
    let err = Client::new(cfg).unwrap().get_attr_names(Family::Timpush).await.unwrap_err();
    assert_eq!(err.code(), Some(70009));
    let msg = err.to_string();
    assert!(msg.contains("wrong key") && msg.contains("console"), "{msg}");
    assert!(!msg.contains("usersig="), "{msg}");
    // Unknown sdkappid: 70020 with the region hint.
    let mut cfg = client_cfg(&emu);
    cfg.sdkappid += 1;
    let err = Client::new(cfg).unwrap().get_attr_names(Family::Timpush).await.unwrap_err();
    assert_eq!(err.code(), Some(70020));
    assert!(err.to_string().contains("region"));
    // Non-admin identifier: 90009.
    let mut cfg = client_cfg(&emu);
    cfg.admin = "support-bob".into();
    let err = Client::new(cfg).unwrap().get_tags(Family::AllMemberPush, &accounts(&["a"])).await.unwrap_err();
    assert_eq!(err.code(), Some(90009));
    emu.shutdown().await;
}

#[tokio::test]
async fn the_rate_limit_answers_60007_per_command() {
    let cfg = EmulatorConfig { rate_limit: 5, burst: Some(2), ..EmulatorConfig::default() };
    let emu = start(cfg, None).await;
    let c = client(&emu);
    let mut codes = Vec::new();
    for _ in 0..10 {
        codes.push(c.get_attr_names(Family::Timpush).await.err().and_then(|e| e.code()).unwrap_or(0));
    }
    assert!(codes.contains(&60007), "{codes:?}");
    assert_eq!(codes[0], 0);
    // Another command has its own budget.
    c.get_attr_names(Family::AllMemberPush).await.unwrap();
    assert!(emu.stats().count(60007) >= 1);
    emu.shutdown().await;
}

async fn faulty(faults: Faults) -> (timx::emulator::Running, Client) {
    let emu = start(EmulatorConfig { faults, ..EmulatorConfig::default() }, None).await;
    let c = client(&emu);
    (emu, c)
}

#[tokio::test]
async fn injected_91000_502_and_drops_reach_the_client_as_distinct_errors() {
    let (emu, c) = faulty(Faults { fail_rate: 1.0, ..Faults::default() }).await;
    let e = c.get_attr_names(Family::Timpush).await.unwrap_err();
    assert_eq!(e.code(), Some(91000));
    assert_eq!(e.action(), timx::api::Action::Retry);
    assert_eq!(emu.stats().injected_91000, 1);
    emu.shutdown().await;

    let (emu, c) = faulty(Faults { http_error_rate: 1.0, ..Faults::default() }).await;
    let e = c.get_attr_names(Family::Timpush).await.unwrap_err();
    assert!(matches!(&e, CallError::Http { status: 502, snippet } if snippet.contains("Bad Gateway")), "{e:?}");
    assert_eq!(e.action(), timx::api::Action::Retry);
    emu.shutdown().await;

    let (emu, c) = faulty(Faults { drop_rate: 1.0, ..Faults::default() }).await;
    let e = c.get_attr_names(Family::Timpush).await.unwrap_err();
    assert!(matches!(e, CallError::Transport { kind: TransportKind::Dropped, .. }), "{e:?}");
    assert!(!e.to_string().contains("usersig"), "{e}");
    assert_eq!(emu.stats().injected_drops, 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn latency_and_timeouts() {
    let (emu, c) =
        faulty(Faults { latency: Duration::from_millis(150), jitter: Duration::from_millis(20), ..Faults::default() })
            .await;
    let t = Instant::now();
    c.get_attr_names(Family::Timpush).await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(125), "{:?}", t.elapsed());
    // A total timeout shorter than the latency is a Timeout transport error.
    let mut cfg = client_cfg(&emu);
    cfg.timeout = Duration::from_millis(50);
    let e = Client::new(cfg).unwrap().get_attr_names(Family::Timpush).await.unwrap_err();
    assert!(matches!(e, CallError::Transport { kind: TransportKind::Timeout, .. }), "{e:?}");
    emu.shutdown().await;
    // Nothing listening: a Connect error.
    let dead = timx::api::Endpoint::base_url(&emu_dead_url().await).unwrap();
    let c = Client::new(timx::client::ClientConfig::new(dead, SDKAPPID, ADMIN, SecretKey::new(KEY))).unwrap();
    let e = c.get_attr_names(Family::Timpush).await.unwrap_err();
    assert!(matches!(e, CallError::Transport { kind: TransportKind::Connect, .. }), "{e:?}");
}

/// A loopback URL where nothing listens (bound, then closed).
async fn emu_dead_url() -> String {
    let l = tokio::net::TcpListener::bind(loopback()).await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

#[tokio::test]
async fn limits_on_names_values_and_tags() {
    let emu = start(
        EmulatorConfig { rate_limit: 0, ..EmulatorConfig::default() },
        Some(data(json!({"attr_names": {"0": "sex"}, "users": [{"id": "u"}]}))),
    )
    .await;
    let c = client(&emu);
    let long = "x".repeat(51);
    let e = c.set_attr_names(Family::Timpush, &names(&[("1", &long)])).await.unwrap_err();
    assert_eq!(e.code(), Some(90033));
    let e = c.set_attr_names(Family::Timpush, &names(&[("10", "ten")])).await.unwrap_err();
    assert_eq!(e.code(), Some(90033));
    let set = SetAttrRequest {
        user_attrs: vec![UserAttrs { to_account: "u".into(), attrs: [("sex".into(), long.clone())].into() }],
    };
    assert_eq!(c.set_attrs(Family::AllMemberPush, &set).await.unwrap_err().code(), Some(90033));
    let set = SetAttrRequest {
        user_attrs: vec![UserAttrs { to_account: "u".into(), attrs: [("nope".into(), "v".into())].into() }],
    };
    assert_eq!(c.set_attrs(Family::AllMemberPush, &set).await.unwrap_err().code(), Some(90033));
    let tags: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
    let add = TagsRequest { replace: None, user_tags: vec![UserTags { to_account: "u".into(), tags }] };
    assert_eq!(c.add_tags(Family::AllMemberPush, &add).await.unwrap_err().code(), Some(90032));
    // 100 tags per user in total.
    for round in 0..10 {
        let tags = (0..10).map(|i| format!("r{round}-{i}")).collect();
        c.add_tags(
            Family::AllMemberPush,
            &TagsRequest { replace: None, user_tags: vec![UserTags { to_account: "u".into(), tags }] },
        )
        .await
        .unwrap();
    }
    let one_more =
        TagsRequest { replace: None, user_tags: vec![UserTags { to_account: "u".into(), tags: vec!["extra".into()] }] };
    assert_eq!(c.add_tags(Family::AllMemberPush, &one_more).await.unwrap_err().code(), Some(90032));
    assert_eq!(emu.with_store(|s| s.distinct_tags()), 100);
    // Commands are addressed per family: timpush has no im_ prefix.
    assert_eq!(Command::RemoveAllTags.path(Family::Timpush), "v4/timpush/clear_all_tags");
    emu.shutdown().await;
}

#[tokio::test]
async fn the_demo_data_set_loads_and_serves_both_families() {
    let demo = timx::emulator::data::DataFile::load(std::path::Path::new("assets/demo/demo.json")).unwrap();
    let n = demo.users.len();
    assert!(n >= 300, "{n} users");
    let emu = start(EmulatorConfig::default(), Some(demo)).await;
    let c = client(&emu);
    let names = c.get_attr_names(Family::Timpush).await.unwrap().body;
    assert!(names.attr_names.len() >= 7);
    assert!(names.attr_names.values().any(|n| n == "会员等级"));
    let r = c.get_attrs(Family::AllMemberPush, &accounts(&["bob", "张小红", "ghost-user"])).await.unwrap();
    assert_eq!(r.body.user_attrs.len(), 3);
    let r = c.get_tags(Family::Timpush, &accounts(&["bob", "ghost-user"])).await.unwrap();
    assert_eq!(r.status.error_list.len(), 1);
    emu.shutdown().await;
}
