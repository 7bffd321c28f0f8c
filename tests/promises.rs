//! README promises that had no test: key sources, the journal switches, the inline-key
//! warning, retries of the retryable codes, and the emulator's less common answers. Real
//! binary or real emulator; nothing of ours is mocked.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use timx::api::Family;
use timx::emulator::{EmulatorConfig, Fault, Faults, Running};
use timx::engine::{self, JobConfig, JobKind, Status};

fn demo_emulator(cfg: EmulatorConfig) -> (Running, tokio::runtime::Runtime) {
    start_isolated(cfg, Some(timx::emulator::data::DataFile::load(Path::new("assets/demo/demo.json")).unwrap()))
}

fn args<'a>(head: &[&'a str], rest: &'a [String]) -> Vec<&'a str> {
    head.iter().copied().chain(rest.iter().map(String::as_str)).collect()
}

fn profile_toml(emu: &Running, key: &str, extra: &str) -> String {
    format!(
        "[profiles.p]\nbase_url = \"{}\"\nsdkappid = 1400000000\nadmin = \"administrator\"\nfamily = \"timpush\"\n{extra}\nkey = {key}\n",
        emu.base_url
    )
}

#[test]
fn every_key_source_works_and_stdin_is_not_wanted_twice() {
    let (emu, _rt) = demo_emulator(EmulatorConfig::default());
    let ws = Workspace::new();
    let d = ws.dir.path();
    let base = one_off(&emu);
    // --key-file
    let key_file = d.join("key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    let o = ws.run_with(&args(&["attrs", "bob", "--key-file", key_file.to_str().unwrap()], &base), &[], b"");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // --key-stdin
    let o = ws.run_with(&args(&["attrs", "bob", "--key-stdin"], &base), &[], format!("{KEY}\n").as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // -f - with --key-stdin is refused: both want standard input.
    let o = ws.run_with(&args(&["attrs", "-f", "-", "--key-stdin"], &base), &[], b"bob\n");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("both want standard input"), "{}", text(&o.stderr));
    // key = { file = ... } and key = { command = [...] } in a profile.
    let file_key = format!("{{ file = \"{}\" }}", key_file.display());
    let command_key = format!("{{ command = [\"printf\", \"{KEY}\"] }}");
    for key in [file_key, command_key] {
        std::fs::write(d.join("config.toml"), profile_toml(&emu, &key, "")).unwrap();
        let o = ws.run_with(&["tags", "-p", "p", "bob", "--format", "json"], &[], b"");
        assert_eq!(o.status.code(), Some(0), "{key}: {}", text(&o.stderr));
        assert!(text(&o.stdout).contains("\"account\": \"bob\"") || text(&o.stdout).contains("\"account\":\"bob\""));
    }
    // A wrong key from a file: the service's answer, explained; the key never printed.
    std::fs::write(&key_file, "not-the-key").unwrap();
    let o = ws.run_with(&args(&["attrs", "bob", "--key-file", key_file.to_str().unwrap()], &base), &[], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("70009") && !text(&o.stdout).contains("not-the-key"));
}

#[test]
fn the_journal_can_be_turned_off_and_can_list_accounts() {
    let (emu, _rt) = demo_emulator(EmulatorConfig::default());
    let ws = Workspace::new();
    let d = ws.dir.path();
    let key = format!("{{ value = \"{KEY}\" }}");
    let journal = d.join("data").join("journal.ndjson");
    std::fs::write(d.join("config.toml"), profile_toml(&emu, &key, "journal = false")).unwrap();
    let o = ws.run_with(&["attrs", "-p", "p", "bob", "alice"], &[], b"");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!journal.exists(), "journal = false writes nothing");
    std::fs::write(d.join("config.toml"), profile_toml(&emu, &key, "journal_accounts = true")).unwrap();
    ws.run_with(&["attrs", "-p", "p", "bob", "alice"], &[], b"");
    std::fs::write(d.join("config.toml"), profile_toml(&emu, &key, "")).unwrap();
    ws.run_with(&["attrs", "-p", "p", "carol"], &[], b"");
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&journal).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["account_list"], serde_json::json!(["bob", "alice"]));
    assert!(lines[1].get("account_list").is_none(), "accounts only when the profile asks");
    let all = std::fs::read_to_string(&journal).unwrap();
    assert!(!all.contains(KEY));
    assert_no_usersig(&all, "journal");
}

#[cfg(unix)]
#[test]
fn an_inline_key_in_a_file_others_can_read_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let (emu, _rt) = demo_emulator(EmulatorConfig::default());
    let ws = Workspace::new();
    let d = ws.dir.path();
    let cfg = d.join("config.toml");
    std::fs::write(&cfg, profile_toml(&emu, &format!("{{ value = \"{KEY}\" }}"), "")).unwrap();
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = ws.run_with(&["attrs", "-p", "p", "bob"], &[], b"");
    assert_eq!(o.status.code(), Some(0));
    let err = text(&o.stderr);
    assert!(err.contains("chmod 600"), "{err}");
    assert!(!err.contains(KEY));
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = ws.run_with(&["attrs", "-p", "p", "bob"], &[], b"");
    assert!(!text(&o.stderr).contains("chmod"), "{}", text(&o.stderr));
}

/// An audit of 600 accounts (500 known) through the engine against a faulty emulator.
async fn audit(faults: Faults) -> (Vec<engine::Record>, engine::Summary, timx::emulator::Stats) {
    let users: Vec<serde_json::Value> =
        (0..500).map(|i| serde_json::json!({"id": format!("u{i:04}"), "tags": ["t"]})).collect();
    let d = data(serde_json::json!({"attr_names": {"0": "sex"}, "users": users}));
    let (emu, rt) = start_isolated(EmulatorConfig { faults, rate_limit: 0, ..EmulatorConfig::default() }, Some(d));
    let mut n = engine::Normalizer::new();
    (0..600).for_each(|i| n.push_line(&format!("u{i:04}")));
    let mut cfg = JobConfig::new(JobKind::Inspect, Family::Timpush, 100);
    cfg.backoff_base = std::time::Duration::from_millis(5);
    cfg.backoff_max = std::time::Duration::from_millis(20);
    let (records, summary) = drain(engine::spawn_job(Arc::new(client(&emu)), cfg, Arc::new(n.finish()))).await;
    let stats = emu.stats();
    rt.spawn(emu.shutdown());
    rt.shutdown_background();
    (records, summary, stats)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retryable_codes_are_retried_split_and_resigned() {
    for code in [60008, 70169, 70202, 70500] {
        let (records, summary, stats) =
            audit(Faults { extra: vec![(Fault::Code(code), 0.3)], ..Faults::default() }).await;
        assert_eq!(records.len(), 600, "{code}");
        assert_eq!(summary.count(Status::Failed), 0, "{code}: retried until answered");
        assert_eq!(summary.count(Status::Found) + summary.count(Status::NotFound), 600, "{code}");
        assert_eq!(summary.retries, stats.injected[&format!("code-{code}")], "{code}: one retry per fault");
    }
    // 70052 (UserSig expired) on every call: each call gets a new UserSig twice, then fails
    // with the explained code; deterministic whatever the order of calls.
    let (records, summary, stats) = audit(Faults { extra: vec![(Fault::Code(70052), 1.0)], ..Faults::default() }).await;
    assert_eq!(stats.injected["code-70052"], 12 * 3, "6 batches × 2 commands × (1 + 2 new UserSigs)");
    assert_eq!(summary.retries, 12 * 2);
    assert!(records.iter().all(|r| r.error.as_ref().is_some_and(|e| e.code == Some(70052) && e.attempts == 3)));
    // 70206 "invalid batch size": the batch is split, and every account still answered.
    let (records, summary, stats) = audit(Faults { extra: vec![(Fault::Code(70206), 0.3)], ..Faults::default() }).await;
    assert_eq!(records.len(), 600);
    assert_eq!(summary.count(Status::Failed), 0);
    let ok = |p: &str| stats.by_path[p][&0];
    assert_eq!(
        ok("v4/timpush/get_attr") + ok("v4/timpush/get_tag"),
        12 + stats.injected["code-70206"],
        "split in halves"
    );
}

#[tokio::test]
async fn the_emulator_answers_60003_70402_70403_and_honours_max_accounts() {
    let emu = start(EmulatorConfig { max_accounts: 3, ..EmulatorConfig::default() }, None).await;
    let c = client(&emu);
    let import = |body: &'static str| {
        let sig = timx::usersig::generate(
            SDKAPPID,
            &timx::usersig::SecretKey::new(KEY),
            ADMIN,
            timx::clock::unix_now(),
            3600,
        );
        let url = format!(
            "{}/{}?sdkappid={SDKAPPID}&identifier={ADMIN}&usersig={sig}&random=1&contenttype=json",
            emu.base_url,
            timx::api::wire::ACCOUNT_IMPORT_PATH
        );
        async move {
            reqwest::Client::new().post(url).body(body).send().await.unwrap().json::<serde_json::Value>().await.unwrap()
        }
    };
    assert_eq!(import("{not json").await["ErrorCode"], 60003);
    let long = "x".repeat(33);
    let e = c.import_account(&long).await.unwrap_err();
    assert_eq!(e.code(), Some(70402));
    let many: Vec<String> = (0..101).map(|i| format!("n{i}")).collect();
    assert_eq!(c.import_accounts(&many).await.unwrap_err().code(), Some(70402));
    // A correctly signed non-admin may not import.
    let mut other = client_cfg(&emu);
    other.admin = "someone".into();
    let e = timx::client::Client::new(other).unwrap().import_account("x").await.unwrap_err();
    assert_eq!(e.code(), Some(70403));
    // --max-accounts 3: four accounts are 90018.
    let four: Vec<String> = (0..4).map(|i| format!("a{i}")).collect();
    assert_eq!(c.get_attrs(Family::Timpush, &four).await.unwrap_err().code(), Some(90018));
    assert!(c.get_attrs(Family::Timpush, &four[..3]).await.is_ok());
    emu.shutdown().await;
}

#[test]
fn invalid_utf8_on_standard_input_marks_that_line_invalid_only() {
    let (emu, _rt) = demo_emulator(EmulatorConfig::default());
    let ws = Workspace::new();
    let base = one_off(&emu);
    let o = ws.run_with(
        &args(&["attrs", "-f", "-", "--format", "ndjson"], &base),
        &[("TIMX_SECRET_KEY", KEY)],
        b"bob\nbad\xff\xfeid\nalice\n",
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let rows: Vec<serde_json::Value> = text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let status: Vec<&str> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["found", "invalid", "empty"], "{rows:?}");
    assert!(rows[1]["reason"].as_str().unwrap().contains("not valid UTF-8"));
}

/// The truncate fault cuts bytes, also inside a CJK character: the client gets a body that is
/// not JSON (retried), never a dropped connection from a panicking handler.
#[tokio::test]
async fn a_truncated_answer_cut_inside_a_cjk_character_is_malformed_not_a_panic() {
    let users: Vec<serde_json::Value> =
        (0..20).map(|i| serde_json::json!({"id": format!("用户{i}"), "attrs": {"city": "深圳深圳深圳"}})).collect();
    let d = data(serde_json::json!({"attr_names": {"0": "city"}, "users": users}));
    let faults = Faults { extra: vec![(Fault::Truncate, 1.0)], ..Faults::default() };
    let emu = start(EmulatorConfig { faults, ..EmulatorConfig::default() }, Some(d)).await;
    let c = client(&emu);
    for n in 1..=20 {
        let ids: Vec<String> = (0..n).map(|i| format!("用户{i}")).collect();
        let e = c.get_attrs(Family::Timpush, &ids).await.unwrap_err();
        assert!(matches!(e, timx::client::CallError::Malformed { .. }), "{n}: {e}");
    }
    emu.shutdown().await;
}
