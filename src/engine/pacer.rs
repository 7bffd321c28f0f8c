//! Even pacing at a rate per command, strictly: never more than `rate` calls for one command in
//! any sliding second. Callers queue (FIFO) and are let through one at a time, each at least one
//! interval after the previous one's slot *and* more than a second (plus a margin for the trip
//! to the server) after the call `rate` places before it, so the rate never exceeds the limit
//! however many requests are in flight. A late wake-up keeps the schedule only as far as the
//! window allows (it may lose a little rate, never add any), and a process that stalls (CPU
//! starved, laptop lid) does not catch up with a burst afterwards. A retry queues like any
//! other call, so retries fill the pace instead of stalling it.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The window the service counts calls in.
const WINDOW: Duration = Duration::from_secs(1);
/// Added to the window: calls leave here a little unevenly on their way to the server.
const MARGIN: Duration = Duration::from_millis(15);

#[derive(Debug)]
struct State {
    next: Instant,
    interval: Duration,
    /// When the last `rate` calls went, oldest first.
    sent: VecDeque<Instant>,
}

#[derive(Debug)]
pub struct Pacer {
    base: Duration,
    slowest: Duration,
    /// Calls allowed in any window.
    per_window: usize,
    state: Mutex<State>,
    /// Waiters go through one at a time, in arrival order.
    queue: tokio::sync::Mutex<()>,
}

impl Pacer {
    /// `rate` calls per second (≥ 1).
    pub fn new(rate: u32) -> Pacer {
        let rate = rate.max(1);
        let base = Duration::from_secs_f64(1.0 / f64::from(rate));
        Pacer {
            base,
            slowest: Duration::from_secs(1),
            per_window: rate as usize,
            state: Mutex::new(State {
                next: Instant::now(),
                interval: base,
                sent: VecDeque::with_capacity(rate as usize + 1),
            }),
            queue: tokio::sync::Mutex::new(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The earliest this caller may go: its slot, and not before the call `per_window` back
    /// has left the window.
    fn earliest(&self) -> Instant {
        let s = self.lock();
        match s.sent.len().checked_sub(self.per_window).and_then(|i| s.sent.get(i)) {
            Some(oldest) => s.next.max(*oldest + WINDOW + MARGIN),
            None => s.next,
        }
    }

    /// Wait for this caller's turn. The next turn is one interval after this one's slot.
    pub async fn wait(&self) {
        let _turn = self.queue.lock().await;
        tokio::time::sleep_until(self.earliest()).await;
        let mut s = self.lock();
        let now = Instant::now();
        s.sent.push_back(now);
        while s.sent.len() > self.per_window {
            s.sent.pop_front();
        }
        // Woken a little late (timer granularity, a busy core): keep the schedule, or every
        // wake-up delay would be lost rate (the window above still caps it). Late by a whole
        // interval or more (a stall): start again from now, so the time lost is not made up
        // with a burst.
        s.next = if now < s.next + s.interval { s.next + s.interval } else { now + s.interval };
    }

    /// The service said "too fast" (60007 and friends): widen the interval by a quarter.
    pub fn slow_down(&self) {
        let mut s = self.lock();
        s.interval = (s.interval.mul_f64(1.25)).min(self.slowest);
    }

    /// A call succeeded: drift back toward the configured rate.
    pub fn recover(&self) {
        let mut s = self.lock();
        if s.interval > self.base {
            s.interval = s.interval.mul_f64(0.99).max(self.base);
        }
    }

    pub fn interval(&self) -> Duration {
        self.lock().interval
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_evenly_spaced_even_when_many_wait_at_once() {
        let p = std::sync::Arc::new(Pacer::new(100));
        let t0 = Instant::now();
        let mut handles = Vec::new();
        for _ in 0..50 {
            let p = p.clone();
            handles.push(tokio::spawn(async move {
                p.wait().await;
                Instant::now()
            }));
        }
        let mut times = Vec::new();
        for h in handles {
            times.push(h.await.unwrap());
        }
        times.sort();
        for w in times.windows(2) {
            assert!(w[1] - w[0] >= Duration::from_millis(9), "{:?}", w[1] - w[0]);
        }
        assert!(times[49] - t0 >= Duration::from_millis(490));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stall_is_not_made_up_with_a_burst() {
        let p = Pacer::new(100);
        p.wait().await;
        tokio::time::advance(Duration::from_millis(500)).await;
        let t0 = Instant::now();
        p.wait().await;
        p.wait().await;
        assert!(Instant::now() - t0 >= Duration::from_millis(10), "the second call still waits an interval");
    }

    /// Late wake-ups (simulated by the clock jumping after a call) never put more than `rate`
    /// calls in any sliding second, and lose little rate.
    #[tokio::test(start_paused = true)]
    async fn late_wake_ups_never_exceed_the_rate_in_any_sliding_second() {
        use rand::{Rng, SeedableRng};
        let mut dice = rand::rngs::StdRng::seed_from_u64(7);
        let p = Pacer::new(100);
        let mut times = Vec::new();
        for _ in 0..2000 {
            p.wait().await;
            times.push(Instant::now());
            if dice.random_bool(0.3) {
                tokio::time::advance(Duration::from_micros(dice.random_range(0..25_000))).await;
            }
        }
        for w in times.windows(101) {
            assert!(w[100] - w[0] > WINDOW, "101 calls within {:?}", w[100] - w[0]);
        }
        // Without late wake-ups the window costs only its margin.
        let p = Pacer::new(100);
        let t1 = Instant::now();
        for _ in 0..1000 {
            p.wait().await;
        }
        let rate = 1000.0 / (Instant::now() - t1).as_secs_f64();
        assert!(rate >= 98.0, "{rate:.1}/s on the virtual clock");
    }

    #[test]
    fn slow_down_and_recover_stay_within_bounds() {
        let p = Pacer::new(100);
        for _ in 0..100 {
            p.slow_down();
        }
        assert_eq!(p.interval(), Duration::from_secs(1));
        for _ in 0..10_000 {
            p.recover();
        }
        assert_eq!(p.interval(), Duration::from_millis(10));
    }
}
