//! Hedged calls ("The Tail at Scale"): a call that has not answered well past the latency this
//! job's own answers show is sent once more, and whichever copy answers first is taken. One
//! stalled call then costs its batch a fraction of a second instead of the client's whole
//! timeout. A hedge is a call like any other: it waits for its slot under the same pacer, and
//! hedges are held to a small share of the job's calls ([`SHARE`]).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

/// At most one hedge per this many calls (2 %), plus one, so an early stall can be hedged.
pub const SHARE: u64 = 50;
/// Answers the threshold is learned from (the most recent ones).
const SAMPLES: usize = 256;
/// Answers needed before the threshold is learned; until then [`UNLEARNED`] holds.
const WARM_UP: usize = 16;
/// The threshold before the job has answers to learn from.
const UNLEARNED: Duration = Duration::from_secs(2);
/// Never hedge sooner than this: below it a hedge would mostly duplicate healthy calls.
const FLOOR: Duration = Duration::from_millis(200);

/// How long an attempt may go unanswered in all before it is abandoned and sent again: four
/// hedge thresholds, at least a second, at most the client's timeout `cap`.
pub fn patience(threshold: Duration, cap: Duration) -> Duration {
    (threshold * 4).max(Duration::from_secs(1)).min(cap)
}

/// What a job has learned about its answers' latency, and the hedges it has made.
#[derive(Debug, Default)]
pub struct Hedger {
    recent: Mutex<VecDeque<Duration>>,
    hedges: std::sync::atomic::AtomicU64,
}

impl Hedger {
    /// An answer came back after `d`.
    pub fn answered(&self, d: Duration) {
        let mut r = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if r.len() == SAMPLES {
            r.pop_front();
        }
        r.push_back(d);
    }

    /// How long to wait for an answer before hedging: twice the 95th percentile of recent
    /// answers, at least [`FLOOR`], at most half the client's timeout `cap`.
    pub fn threshold(&self, cap: Duration) -> Duration {
        let r = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if r.len() < WARM_UP {
            return UNLEARNED.min(cap / 2);
        }
        let mut v: Vec<Duration> = r.iter().copied().collect();
        drop(r);
        v.sort_unstable();
        let p95 = v[(v.len() * 95 / 100).min(v.len() - 1)];
        (p95 * 2).max(FLOOR).min(cap / 2)
    }

    /// Take a hedge if the budget allows one after `calls` calls; true when taken.
    pub fn take(&self, calls: u64) -> bool {
        use std::sync::atomic::Ordering;
        let allowed = calls / SHARE + 1;
        self.hedges.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |h| (h < allowed).then_some(h + 1)).is_ok()
    }

    pub fn hedges(&self) -> u64 {
        self.hedges.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_threshold_is_learned_from_the_jobs_answers_within_bounds() {
        let h = Hedger::default();
        assert_eq!(h.threshold(ms(15_000)), UNLEARNED, "nothing learned yet");
        assert_eq!(h.threshold(ms(1_000)), ms(500), "never more than half the timeout");
        for i in 0..100 {
            h.answered(ms(80 + i % 41)); // 80..=120 ms
        }
        let t = h.threshold(ms(15_000));
        assert!(t >= ms(2 * 116) && t <= ms(2 * 120), "{t:?}");
        let fast = Hedger::default();
        for _ in 0..100 {
            fast.answered(ms(5));
        }
        assert_eq!(fast.threshold(ms(15_000)), FLOOR);
    }

    #[test]
    fn patience_is_four_thresholds_within_a_second_and_the_timeout() {
        assert_eq!(patience(ms(240), ms(15_000)), ms(1_000));
        assert_eq!(patience(ms(500), ms(15_000)), ms(2_000));
        assert_eq!(patience(ms(7_500), ms(15_000)), ms(15_000));
    }

    #[test]
    fn old_answers_are_forgotten() {
        let h = Hedger::default();
        for _ in 0..SAMPLES {
            h.answered(ms(2_000));
        }
        for _ in 0..SAMPLES {
            h.answered(ms(100));
        }
        assert_eq!(h.threshold(ms(15_000)), ms(200));
    }

    #[test]
    fn hedges_stay_within_two_percent_of_calls() {
        let h = Hedger::default();
        assert!(h.take(0), "one hedge is allowed from the start");
        assert!(!h.take(10));
        assert!(h.take(50));
        assert!(!h.take(99));
        let mut taken = 2;
        for calls in 100..10_000 {
            taken += u64::from(h.take(calls));
        }
        assert_eq!(taken, 10_000 / SHARE);
        assert_eq!(h.hedges(), taken);
    }
}
