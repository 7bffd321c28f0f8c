//! The fault matrix: every kind of fault the emulator can inject, through the engine (as the
//! headless commands and the TUI use it) and through the real binary. For each: every account
//! ends in exactly one outcome, the data equals a fault-free run where retries can succeed,
//! retries are bounded, and the summary and exit code say what happened.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use timx::api::Family;
use timx::client::Client;
use timx::emulator::{EmulatorConfig, Fault, Faults};
use timx::engine::{self, JobConfig, JobKind, Normalized, Record, Status, Summary};

fn users(n: usize) -> timx::emulator::data::DataFile {
    let users: Vec<serde_json::Value> = (0..n)
        .map(|i| serde_json::json!({"id": format!("u{i:04}"), "attrs": {"sex": "F", "city": format!("c{}", i % 13)}, "tags": [format!("t{}", i % 7)]}))
        .collect();
    data(serde_json::json!({"attr_names": {"0": "sex", "1": "city"}, "users": users}))
}

/// 500 known accounts, 100 unknown.
fn input() -> Arc<Normalized> {
    let mut n = engine::Normalizer::new();
    (0..600).for_each(|i| n.push_line(&format!("u{i:04}")));
    Arc::new(n.finish())
}

async fn audit(
    faults: Faults,
    tweak: impl FnOnce(&mut timx::client::ClientConfig, &mut JobConfig),
) -> (Vec<Record>, Summary, timx::emulator::Stats) {
    let (emu, rt) =
        start_isolated(EmulatorConfig { faults, rate_limit: 0, ..EmulatorConfig::default() }, Some(users(500)));
    let mut ccfg = client_cfg(&emu);
    ccfg.timeout = Duration::from_millis(800);
    let mut jcfg = JobConfig::new(JobKind::Inspect, Family::Timpush, 100);
    jcfg.backoff_base = Duration::from_millis(10);
    jcfg.backoff_max = Duration::from_millis(100);
    tweak(&mut ccfg, &mut jcfg);
    let (records, summary) = drain(engine::spawn_job(Arc::new(Client::new(ccfg).unwrap()), jcfg, input())).await;
    let stats = emu.stats();
    rt.spawn(emu.shutdown());
    rt.shutdown_background();
    (records, summary, stats)
}

fn one_outcome_each(records: &[Record]) {
    assert_eq!(records.len(), 600);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.index as usize, i);
    }
}

/// What matters of a record for "the same data": status, attributes, tags.
type Essence = (Status, Option<std::collections::BTreeMap<String, String>>, Option<Vec<String>>);

fn essence(records: &[Record]) -> Vec<Essence> {
    records.iter().map(|r| (r.status, r.attrs.clone(), r.tags.clone())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_faults_leave_the_data_as_a_fault_free_run() {
    let (baseline, base_summary, _) = audit(Faults::default(), |_, _| {}).await;
    one_outcome_each(&baseline);
    assert_eq!(base_summary.count(Status::NotFound), 100);
    let kinds: Vec<(&str, Faults)> = vec![
        ("91000", Faults { fail_rate: 0.3, ..Faults::default() }),
        ("502", Faults { http_error_rate: 0.3, ..Faults::default() }),
        ("503", Faults { extra: vec![(Fault::Http(503), 0.3)], ..Faults::default() }),
        ("504", Faults { extra: vec![(Fault::Http(504), 0.3)], ..Faults::default() }),
        ("drop", Faults { drop_rate: 0.3, ..Faults::default() }),
        ("stall", Faults { extra: vec![(Fault::Stall, 0.15)], ..Faults::default() }),
        ("truncate", Faults { extra: vec![(Fault::Truncate, 0.3)], ..Faults::default() }),
        ("garbage", Faults { extra: vec![(Fault::Garbage, 0.3)], ..Faults::default() }),
        ("shape", Faults { extra: vec![(Fault::Shape, 0.3)], ..Faults::default() }),
        ("huge", Faults { extra: vec![(Fault::Huge, 0.2)], ..Faults::default() }),
        (
            "sig-expiry",
            Faults {
                sig_max_age: Some(Duration::from_secs(1)),
                latency: Duration::from_millis(150),
                ..Faults::default()
            },
        ),
    ];
    for (name, faults) in kinds {
        // The expiry case runs slowly enough for the UserSig to age past the server's limit.
        let (records, summary, stats) = audit(faults, |_, j| {
            if name == "sig-expiry" {
                j.rate_limit = 2;
            }
        })
        .await;
        one_outcome_each(&records);
        assert_eq!(essence(&records), essence(&baseline), "{name}: same data as without faults");
        if name == "sig-expiry" {
            assert!(summary.errors_seen.contains_key("70001"), "{:?}", summary.errors_seen);
        }
        assert_eq!(summary.count(Status::Failed), 0, "{name}");
        // A stall is met by a hedge (a second copy of the call) before the timeout's retry.
        assert!(summary.retries + summary.hedges > 0, "{name}: the fault was met ({stats:?})");
        // Bounded: never more than max_attempts calls per batch and command.
        assert!(summary.calls <= 12 * 10, "{name}: {} calls", summary.calls);
        assert!(summary.line().contains(&format!("{} retries", summary.retries)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_that_never_clear_end_in_bounded_explained_failures() {
    // Every call fails: each batch gives up after max_attempts, nothing hangs, nothing is lost.
    let (records, summary, stats) =
        audit(Faults { fail_rate: 1.0, ..Faults::default() }, |_, j| j.max_attempts = 4).await;
    one_outcome_each(&records);
    assert_eq!(summary.count(Status::Failed), 600);
    assert_eq!(summary.calls, 6 * 2 * 4, "6 batches × 2 commands × 4 attempts");
    let e = records[0].error.as_ref().unwrap();
    assert_eq!((e.code, e.attempts), (Some(91000), 4));
    assert!(e.fix.contains("Retried automatically"));
    assert_eq!(stats.injected_91000, 48);

    // An unknown code is not retried: it fails with "unknown" spelled out.
    let (records, summary, _) =
        audit(Faults { extra: vec![(Fault::UnknownCode, 1.0)], ..Faults::default() }, |_, _| {}).await;
    one_outcome_each(&records);
    assert_eq!(summary.calls, 12);
    let e = records[0].error.as_ref().unwrap();
    assert_eq!(e.code, Some(99_999));
    assert!(e.meaning.contains("unknown error code"), "{}", e.meaning);
    assert!(records.iter().all(|r| r.status == Status::Failed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_answers_slow_the_pace_and_other_faults_do_not() {
    let (baseline, ..) = audit(Faults::default(), |_, _| {}).await;
    let slowing: Vec<(&str, Fault)> = vec![
        ("60007", Fault::Code(60007)),
        ("60011", Fault::Code(60011)),
        ("60018", Fault::Code(60018)),
        ("60019", Fault::Code(60019)),
        ("http 429", Fault::Http(429)),
        ("91000", Fault::Code(91000)),
    ];
    for (name, fault) in slowing {
        let (records, summary, _) = audit(Faults { extra: vec![(fault, 0.3)], ..Faults::default() }, |_, _| {}).await;
        assert_eq!(essence(&records), essence(&baseline), "{name}: same data");
        assert!(summary.retries > 0, "{name}: the fault was met");
        if name == "91000" {
            assert_eq!(summary.slowdowns, 0, "an internal error is no reason to slow down");
        } else {
            assert_eq!(summary.slowdowns, summary.retries, "{name}: every rate-limit answer slowed the pace");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_signature_gets_one_new_usersig_then_stops_the_job() {
    for code in [60004, 60005, 70003, 70005, 70013] {
        let (records, summary, stats) =
            audit(Faults { extra: vec![(Fault::Code(code), 1.0)], ..Faults::default() }, |_, _| {}).await;
        one_outcome_each(&records);
        assert_eq!(summary.count(Status::Failed), 600, "{code}");
        assert!(
            summary.aborted.as_deref().is_some_and(|a| a.contains(&code.to_string())),
            "{code}: {:?}",
            summary.aborted
        );
        // A lane stops the job only after its second call (with a new UserSig) failed too, and
        // no lane makes a third: how many lanes were under way when it stopped is up to timing.
        let calls = stats.injected[&format!("code-{code}")];
        assert!((2..=2 * 12).contains(&calls), "{code}: {calls} calls: {stats:?}");
        assert_eq!(summary.calls, calls);
        assert!(records.iter().all(|r| r.error.as_ref().is_some_and(|e| e.code == Some(code))));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_accounts_on_one_command_splits_only_that_command() {
    let (baseline, ..) = audit(Faults::default(), |_, _| {}).await;
    let (records, summary, stats) =
        audit(Faults { extra: vec![(Fault::Code(90018), 0.3)], ..Faults::default() }, |_, _| {}).await;
    assert_eq!(essence(&records), essence(&baseline));
    assert_eq!(summary.count(Status::Failed), 0);
    let splits = stats.injected["code-90018"];
    assert!(splits > 0);
    // Each split turns one request into two: the answered requests grow by exactly the
    // number of splits, over both commands. Re-running the other command too would add more.
    let ok = |path: &str| stats.by_path[path][&0];
    let answered = ok("v4/timpush/get_attr") + ok("v4/timpush/get_tag");
    assert_eq!(answered, 2 * 6 + splits, "{stats:?}");
}

/// A gateway page that echoes the request URL must not carry the UserSig into any output.
#[test]
fn an_echoed_request_url_never_leaks_the_usersig() {
    for fault in ["echo-502=1", "echo=1"] {
        let (out, stdout) = serve_and_inspect(&["--fault", fault]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{fault}: {stderr}");
        assert_eq!(stdout.lines().count(), 600);
        assert!(
            stdout.contains("usersig=<redacted>") || stdout.contains("<redacted>"),
            "{fault}: the echo is there, redacted"
        );
        for (name, s) in [("stdout", &stdout), ("stderr", &stderr)] {
            assert!(!s.contains("eJ"), "{fault}: a UserSig in {name}: {s:.400}");
        }
    }
}

/// The real binaries: `timx serve` with faults, `timx inspect` against it.
fn serve_and_inspect(fault_args: &[&str]) -> (std::process::Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let data_path = dir.path().join("users.json");
    std::fs::write(&data_path, serde_json::to_string(&users(500)).unwrap()).unwrap();
    let accounts = dir.path().join("accounts.txt");
    std::fs::write(&accounts, (0..600).map(|i| format!("u{i:04}\n")).collect::<String>()).unwrap();
    let args =
        [&["--rate-limit", "0", "--fault-seed", "11", "--data", data_path.to_str().unwrap()][..], fault_args].concat();
    let serve = ServeProcess::spawn(&args, &[]);
    let url = serve.url.clone();
    let out = Command::new(env!("CARGO_BIN_EXE_timx"))
        .args(["inspect", "--base-url", &url, "--sdkappid", "1400000000", "--admin", ADMIN, "--family", "timpush"])
        .args(["-f", accounts.to_str().unwrap(), "--format", "ndjson"])
        .env("TIMX_SECRET_KEY", KEY)
        .env("TIMX_DATA_DIR", dir.path().join("data"))
        .env("TIMX_STATE_DIR", dir.path().join("state"))
        .env("TIMX_CONFIG", dir.path().join("none.toml"))
        .output()
        .unwrap();
    drop(serve);
    let stdout = text(&out.stdout);
    (out, stdout)
}

#[test]
fn the_binaries_under_faults_exit_codes_and_summaries() {
    let (clean, baseline) = serve_and_inspect(&[]);
    assert_eq!(clean.status.code(), Some(0));
    let (faulty, output) = serve_and_inspect(&[
        "--fail-rate",
        "0.1",
        "--http-error-rate",
        "0.1",
        "--drop-rate",
        "0.1",
        "--fault",
        "504=0.1",
        "--fault",
        "truncate=0.1",
        "--fault",
        "garbage=0.1",
    ]);
    assert_eq!(faulty.status.code(), Some(0), "{}", text(&faulty.stderr));
    assert_eq!(output, baseline, "same rows, same order");
    let summary = text(&faulty.stderr);
    assert!(summary.contains("failed 0") && !summary.contains(" 0 retries"), "{summary}");

    let (failing, output) = serve_and_inspect(&["--fault", "unknown-code=1"]);
    assert_eq!(failing.status.code(), Some(1));
    assert_eq!(output.lines().count(), 600);
    assert!(text(&failing.stderr).contains("failed 600"), "{}", text(&failing.stderr));
    assert!(output.lines().all(|l| l.contains("99999") && l.contains("unknown error code")));
}
