//! Even pacing at a rate per command. Callers queue (FIFO) and are let through one at a time,
//! each at least one interval after the previous one *as measured when it actually goes*, so
//! the rate never exceeds the limit however many requests are in flight, and a process that
//! stalls (CPU starved, laptop lid) does not catch up with a burst afterwards. A retry queues
//! like any other call, so retries fill the pace instead of stalling it.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
struct State {
    next: Instant,
    interval: Duration,
}

#[derive(Debug)]
pub struct Pacer {
    base: Duration,
    slowest: Duration,
    state: Mutex<State>,
    /// Waiters go through one at a time, in arrival order.
    queue: tokio::sync::Mutex<()>,
}

impl Pacer {
    /// `rate` calls per second (≥ 1).
    pub fn new(rate: u32) -> Pacer {
        let base = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
        Pacer {
            base,
            slowest: Duration::from_secs(1),
            state: Mutex::new(State { next: Instant::now(), interval: base }),
            queue: tokio::sync::Mutex::new(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wait for this caller's turn. The next turn is one interval after this one *goes*.
    pub async fn wait(&self) {
        let _turn = self.queue.lock().await;
        let next = self.lock().next;
        tokio::time::sleep_until(next).await;
        let mut s = self.lock();
        let now = Instant::now();
        // Woken a little late (timer granularity, a busy core): keep the schedule, or every
        // wake-up delay would be lost rate. Late by a whole interval or more (a stall): start
        // again from now, so the time lost is not made up with a burst.
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
