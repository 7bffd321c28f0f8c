//! The audit engine against the emulator over loopback: big audits return exactly the data the
//! emulator holds, in input order, in every format; faults change nothing but the retry count;
//! the pace stays under the limit; cancel and configuration errors end every account once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use serde_json::json;
use timx::api::Family;
use timx::client::Client;
use timx::emulator::data::DataFile;
use timx::emulator::{EmulatorConfig, Faults};
use timx::engine::{self, Event, JobConfig, JobKind, Normalized, Record, Status, Summary};
use timx::export::{Columns, Format};
use timx::usersig::SecretKey;

const NAMES: [&str; 3] = ["sex", "city", "plan"];

/// `known` users (every third without attributes, every fifth without tags) plus nothing else.
fn dataset(known: usize) -> DataFile {
    let users: Vec<serde_json::Value> = (0..known)
        .map(|i| {
            let mut u = json!({"id": format!("u{i:05}")});
            if i % 3 != 0 {
                u["attrs"] = json!({"sex": if i % 2 == 0 { "F" } else { "M" }, "city": format!("城市{}", i % 50), "plan": format!("p{}", i % 7)});
            }
            if i % 5 != 0 {
                u["tags"] = json!([format!("t{}", i % 40), format!("g{}", i % 9)]);
            }
            u
        })
        .collect();
    data(json!({"attr_names": {"0": "sex", "1": "city", "3": "plan"}, "users": users}))
}

/// What the data file says an account should look like.
struct Expected {
    attrs: HashMap<String, BTreeMap<String, String>>,
    tags: HashMap<String, Vec<String>>,
}

fn expected(d: &DataFile) -> Expected {
    Expected {
        attrs: d.users.iter().map(|u| (u.id.clone(), u.attrs.clone())).collect(),
        tags: d.users.iter().map(|u| (u.id.clone(), u.tags.clone())).collect(),
    }
}

/// 20,000 known accounts interleaved with 5,000 unknown ones, plus duplicates and an invalid id.
fn input() -> Normalized {
    let mut n = engine::Normalizer::new();
    for i in 0..20_000 {
        n.push_line(&format!("u{i:05}"));
        if i % 4 == 0 {
            n.push_line(&format!("ghost{i:05}"));
        }
        if i % 1000 == 0 {
            n.push_line(&format!("  u{i:05}  ")); // duplicate after trimming
        }
    }
    n.push_line(&"x".repeat(40));
    n.finish()
}

async fn run(client: Client, cfg: JobConfig, input: Arc<Normalized>) -> (Vec<Record>, Summary, Vec<Event>) {
    let mut job = engine::spawn_job(Arc::new(client), cfg, input);
    let mut records = Vec::new();
    let mut others = Vec::new();
    let mut summary = None;
    while let Some(e) = job.events.recv().await {
        match e {
            Event::Batch(b) => records.extend(b),
            Event::Finished(s) => summary = Some(s),
            other => others.push(other),
        }
    }
    assert_eq!(job.task.await.unwrap(), summary.clone().unwrap());
    records.sort_by_key(|r| r.index);
    (records, summary.unwrap(), others)
}

fn check_against_data(records: &[Record], input: &Normalized, exp: &Expected, kind: JobKind) {
    assert_eq!(records.len(), input.total(), "one record per input entry");
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.index as usize, i, "exactly one outcome per entry, in order");
        assert_eq!(r.account, input.entries.get(i));
        match exp.attrs.get(&r.account) {
            _ if r.account.len() > 32 => assert_eq!(r.status, Status::Invalid),
            None => assert_eq!(r.status, Status::NotFound, "{}", r.account),
            Some(attrs) => {
                let tags = &exp.tags[&r.account];
                if kind.wants_attrs() {
                    assert_eq!(r.attrs.as_ref(), Some(attrs), "{}", r.account);
                }
                if kind.wants_tags() {
                    assert_eq!(r.tags.as_ref(), Some(tags), "{}", r.account);
                }
                let has = (kind.wants_attrs() && !attrs.is_empty()) || (kind.wants_tags() && !tags.is_empty());
                assert_eq!(r.status, if has { Status::Found } else { Status::Empty }, "{}", r.account);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_25000_account_audit_returns_exactly_the_data_in_every_format() {
    let d = dataset(20_000);
    let exp = expected(&d);
    // Its own runtime, and a burst of a quarter second: arrival jitter on a loaded CI machine is
    // not the client's pace, while a client above 100/s would still be refused within seconds.
    let (emu, rt) = start_isolated(EmulatorConfig { burst: Some(25), ..EmulatorConfig::default() }, Some(d));
    let input = Arc::new(input());
    assert_eq!(input.total(), 25_001);
    assert_eq!(input.duplicates, 20);
    let cfg = JobConfig::new(JobKind::Inspect, Family::Timpush, 100);
    let (records, summary, events) = run(client(&emu), cfg, input.clone()).await;
    check_against_data(&records, &input, &exp, JobKind::Inspect);
    assert_eq!(summary.count(Status::NotFound), 5_000);
    assert_eq!(summary.count(Status::Invalid), 1);
    assert_eq!(summary.duplicates, 20);
    assert_eq!(summary.calls, 500, "250 batches × 2 commands, no retries");
    assert!(!summary.all_answered(), "the invalid account makes the exit code 1");
    assert!(matches!(events.first(), Some(Event::Started { total: 25_001, batches: 250, .. })));
    // The pace held: the emulator's limiter at 100/s never answered 60007.
    let stats = emu.stats();
    assert_eq!(stats.count(60007), 0);
    assert!(stats.peak_calls_per_second <= 110, "peak {}", stats.peak_calls_per_second);

    // Every format carries the same data.
    let columns = Columns { attr_names: NAMES.iter().map(|s| s.to_string()).collect(), attrs: true, tags: true };
    let render = |f: Format| render(f, columns.clone(), &records);
    let nd = render(Format::Ndjson);
    let lines: Vec<serde_json::Value> = nd.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let js: Vec<serde_json::Value> = serde_json::from_str(&render(Format::Json)).unwrap();
    assert_eq!(lines, js);
    assert_eq!(js.len(), records.len());
    let csv_text = render(Format::Csv);
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, ["account", "sex", "city", "plan", "other_attrs", "tags", "status", "error_code", "error"]);
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), records.len());
    let table = render(Format::Table);
    let table: Vec<&str> = table.lines().collect();
    assert_eq!(table.len(), records.len() + 1);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(js[i]["account"], r.account.as_str());
        assert_eq!(js[i]["status"], r.status.label());
        assert_eq!(rows[i][0], r.account);
        assert_eq!(&rows[i][6], r.status.label());
        if let Some(a) = &r.attrs {
            assert_eq!(js[i]["attrs"], json!(a));
            for (k, name) in NAMES.iter().enumerate() {
                assert_eq!(rows[i][1 + k], a.get(*name).cloned().unwrap_or_default());
            }
        }
        if let Some(t) = &r.tags {
            assert_eq!(rows[i][5], t.join(";"));
        }
        assert!(table[i + 1].starts_with(&r.account));
    }
    rt.spawn(emu.shutdown());
    rt.shutdown_background();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_change_the_retry_count_not_the_data() {
    let d = dataset(20_000);
    let exp = expected(&d);
    let faults = Faults {
        latency: Duration::from_millis(5),
        jitter: Duration::from_millis(3),
        fail_rate: 0.10,
        http_error_rate: 0.05,
        drop_rate: 0.05,
        ..Faults::default()
    };
    let (emu, rt) = start_isolated(EmulatorConfig { faults, burst: Some(25), ..EmulatorConfig::default() }, Some(d));
    let input = Arc::new(input());
    let mut cfg = JobConfig::new(JobKind::Inspect, Family::Timpush, 100);
    cfg.backoff_base = Duration::from_millis(20);
    let (records, summary, _) = run(client(&emu), cfg, input.clone()).await;
    check_against_data(&records, &input, &exp, JobKind::Inspect);
    assert_eq!(summary.count(Status::Failed), 0);
    assert!(summary.retries > 20, "faults were injected: {} retries", summary.retries);
    assert_eq!(summary.calls, 500 + summary.retries);
    let stats = emu.stats();
    assert!(stats.injected_91000 > 0 && stats.injected_http_errors > 0 && stats.injected_drops > 0, "{stats:?}");
    assert_eq!(stats.count(60007), 0, "retries are paced too");
    for label in ["91000", "http:502", "net:dropped"] {
        assert!(summary.errors_seen.contains_key(label), "{label} in {:?}", summary.errors_seen);
    }
    rt.spawn(emu.shutdown());
    rt.shutdown_background();
}

#[tokio::test]
async fn all_member_push_attrs_and_tags_jobs() {
    let d = dataset(300);
    let exp = expected(&d);
    let emu = start(EmulatorConfig::default(), Some(d)).await;
    let mut n = engine::Normalizer::new();
    (0..300).for_each(|i| n.push_line(&format!("u{i:05}")));
    let input = Arc::new(n.finish());
    for kind in [JobKind::Attrs, JobKind::Tags] {
        let (records, summary, _) =
            run(client(&emu), JobConfig::new(kind, Family::AllMemberPush, 100), input.clone()).await;
        check_against_data(&records, &input, &exp, kind);
        assert_eq!(summary.calls, 3);
        assert!(summary.all_answered());
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn too_many_accounts_splits_the_batch() {
    let d = dataset(250);
    let exp = expected(&d);
    // The emulator takes at most 30 per call: 100 → 50 → 25 splits.
    let emu = start(EmulatorConfig { max_accounts: 30, rate_limit: 0, ..EmulatorConfig::default() }, Some(d)).await;
    let mut n = engine::Normalizer::new();
    (0..250).for_each(|i| n.push_line(&format!("u{i:05}")));
    let input = Arc::new(n.finish());
    let (records, summary, _) =
        run(client(&emu), JobConfig::new(JobKind::Tags, Family::Timpush, 100), input.clone()).await;
    check_against_data(&records, &input, &exp, JobKind::Tags);
    assert!(emu.stats().count(90018) >= 3);
    assert_eq!(summary.count(Status::Failed), 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_wrong_key_stops_the_job_and_fails_every_account_with_the_fix() {
    let emu = start(EmulatorConfig::default(), Some(dataset(100))).await;
    let mut cfg = client_cfg(&emu);
    cfg.key = SecretKey::new("wrong");
    let mut n = engine::Normalizer::new();
    (0..5_000).for_each(|i| n.push_line(&format!("u{i:05}")));
    let input = Arc::new(n.finish());
    let (records, summary, _) =
        run(Client::new(cfg).unwrap(), JobConfig::new(JobKind::Attrs, Family::Timpush, 100), input).await;
    assert_eq!(records.len(), 5_000);
    assert!(records.iter().all(|r| r.status == Status::Failed && r.error.as_ref().unwrap().code == Some(70009)));
    assert!(summary.calls < 20, "stopped sending after the first answers: {} calls", summary.calls);
    assert!(summary.aborted.as_deref().unwrap().contains("70009"));
    let unsent = records.iter().filter(|r| r.error.as_ref().unwrap().attempts == 0).count();
    assert!(unsent > 4_000, "{unsent}");
    assert!(records[4_999].error.as_ref().unwrap().meaning.contains("not sent"));
    emu.shutdown().await;
}

#[tokio::test]
async fn cancel_keeps_what_finished_and_ends_the_rest_as_cancelled() {
    let faults = Faults { latency: Duration::from_millis(50), ..Faults::default() };
    let emu = start(EmulatorConfig { faults, ..EmulatorConfig::default() }, Some(dataset(5_000))).await;
    let mut n = engine::Normalizer::new();
    (0..5_000).for_each(|i| n.push_line(&format!("u{i:05}")));
    let input = Arc::new(n.finish());
    let mut job = engine::spawn_job(Arc::new(client(&emu)), JobConfig::new(JobKind::Tags, Family::Timpush, 20), input);
    let mut records = Vec::new();
    let mut summary = None;
    while let Some(e) = job.events.recv().await {
        match e {
            Event::Batch(b) => {
                records.extend(b);
                if records.len() >= 500 {
                    job.cancel.cancel();
                }
            }
            Event::Finished(s) => summary = Some(s),
            _ => {}
        }
    }
    let summary = summary.unwrap();
    assert!(summary.cancelled);
    assert_eq!(records.len(), 5_000);
    let mut seen: Vec<u32> = records.iter().map(|r| r.index).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5_000, "exactly one outcome each");
    let done = records.iter().filter(|r| r.status != Status::Cancelled).count();
    assert!((500..5_000).contains(&done), "{done}");
    assert_eq!(summary.count(Status::Cancelled) as usize, 5_000 - done);
    emu.shutdown().await;
}

#[tokio::test]
async fn attr_names_are_fetched_under_the_same_policy() {
    let faults = Faults { fail_rate: 0.5, seed: Some(3), ..Faults::default() };
    let emu = start(EmulatorConfig { faults, ..EmulatorConfig::default() }, Some(dataset(1))).await;
    let c = Arc::new(client(&emu));
    for _ in 0..5 {
        let r = engine::fetch_attr_names(c.clone(), Family::Timpush, Default::default()).await.unwrap();
        assert_eq!(r.body.attr_names.len(), 3);
    }
    emu.shutdown().await;
}
