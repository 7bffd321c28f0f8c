//! The pace promise, strictly: against the emulator's strict limiter (the (R+1)-th call of a
//! command in any sliding second is refused, judged on arrival), a 20,000-account audit at the
//! limit is never refused and never puts more than R calls of one command in any second.
//! One test in its own binary, so no other test shares the machine's two cores with it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::sync::Arc;

use common::*;
use timx::api::Family;
use timx::emulator::EmulatorConfig;
use timx::engine::{self, JobConfig, JobKind, Status};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_at_the_limit_is_never_refused_by_a_strict_sliding_window() {
    const RATE: u32 = 100;
    let users: Vec<serde_json::Value> =
        (0..20_000).map(|i| serde_json::json!({"id": format!("u{i:05}"), "tags": ["t"]})).collect();
    let d = data(serde_json::json!({"attr_names": {"0": "sex"}, "users": users}));
    let (emu, rt) =
        start_isolated(EmulatorConfig { rate_limit: RATE, strict: true, ..EmulatorConfig::default() }, Some(d));
    let mut n = engine::Normalizer::new();
    (0..20_000).for_each(|i| n.push_line(&format!("u{i:05}")));
    let cfg = JobConfig::new(JobKind::Inspect, Family::Timpush, RATE);
    let (_, summary) = drain(engine::spawn_job(Arc::new(client(&emu)), cfg, Arc::new(n.finish()))).await;
    let stats = emu.stats();
    assert_eq!(summary.count(Status::Found), 20_000);
    assert_eq!(stats.count(60007), 0, "the strict limiter never refused a call: {:?}", stats.by_path);
    assert_eq!(summary.calls, 400, "200 batches × 2 commands, no retries");
    assert!(stats.peak_calls_per_second <= RATE as usize, "peak {} calls in one second", stats.peak_calls_per_second);
    assert!(stats.peak_calls_per_second >= 90, "the test ran at the limit: peak {}", stats.peak_calls_per_second);
    rt.spawn(emu.shutdown());
    rt.shutdown_background();
}
