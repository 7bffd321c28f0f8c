//! The pace promise, strictly, on tokio's paused clock (so the machine's speed cannot decide the
//! result): many batches share the real pacer, each call reaches the server up to 10 ms after
//! it leaves (seeded), and the emulator's strict limiter — the (R+1)-th call of a command in any
//! sliding second is refused, judged on arrival — never refuses one; the pace is at the limit.
//! The same against the real strict emulator over loopback, in real time, is B1 in `cargo bench`
//! (0 answers 60007, peak ≤ 100).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use timx::emulator::limits::Limiter;
use timx::engine::pacer::Pacer;

#[tokio::test(start_paused = true)]
async fn calls_paced_at_the_limit_are_never_refused_by_a_strict_sliding_window() {
    const RATE: u32 = 100;
    const CALLS: usize = 3_000;
    let pacer = Arc::new(Pacer::new(RATE));
    let dice = Arc::new(Mutex::new(rand::rngs::StdRng::seed_from_u64(18)));
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let t0 = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    // 100 batches in flight, as a job at 100/s keeps them: each waits for its slot, and its
    // call arrives 0–10 ms later; then its answer takes 80–120 ms.
    for _ in 0..100 {
        let (pacer, dice, arrivals) = (pacer.clone(), dice.clone(), arrivals.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..CALLS / 100 {
                pacer.wait().await;
                let (transit, answer) = {
                    let mut d = dice.lock().unwrap();
                    (d.random_range(0..=10_000u64), d.random_range(80..=120u64))
                };
                let arrival = tokio::time::Instant::now() + Duration::from_micros(transit);
                arrivals.lock().unwrap().push(arrival.into_std());
                tokio::time::sleep(Duration::from_millis(answer)).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = tokio::time::Instant::now() - t0;
    let mut arrivals = arrivals.lock().unwrap().clone();
    arrivals.sort();
    let mut strict = Limiter::strict(RATE);
    let refused = arrivals.iter().filter(|t| !strict.admit("v4/timpush/get_attr", **t)).count();
    assert_eq!(refused, 0, "the strict limiter refused {refused} of {CALLS} calls");
    assert!(strict.peak_per_second <= RATE as usize, "peak {}", strict.peak_per_second);
    // At the limit on the virtual clock: the window's margin costs under 2 %.
    let rate = CALLS as f64 / elapsed.as_secs_f64();
    assert!(rate >= 0.98 * f64::from(RATE), "{rate:.1} calls/s");
    assert!(rate <= f64::from(RATE), "{rate:.1} calls/s");
}
