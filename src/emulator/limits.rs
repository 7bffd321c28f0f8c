//! The emulator's per-command rate limiter: a token bucket refilled at `rate` per second.
//! Its small burst (a tenth of a second's worth) absorbs arrival jitter of a client that paces
//! evenly, while a client that runs faster than `rate` for longer is refused with 60007.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
    /// Arrival times of accepted calls in the last second, to report the peak rate.
    window: VecDeque<Instant>,
}

#[derive(Debug)]
pub struct Limiter {
    rate: f64,
    burst: f64,
    buckets: HashMap<String, Bucket>,
    /// Most calls accepted for one command in any one-second window.
    pub peak_per_second: usize,
}

impl Limiter {
    /// `rate` calls per second per command; 0 turns limiting off.
    pub fn new(rate: u32, burst: Option<u32>) -> Limiter {
        let burst = burst.map(f64::from).unwrap_or((f64::from(rate) / 10.0).max(1.0));
        Limiter { rate: f64::from(rate), burst, buckets: HashMap::new(), peak_per_second: 0 }
    }

    /// Take a token for `command`; false means answer 60007.
    pub fn admit(&mut self, command: &str, now: Instant) -> bool {
        let (rate, burst) = (self.rate, self.burst);
        let b = self.buckets.entry(command.to_owned()).or_insert_with(|| Bucket {
            tokens: burst,
            last: now,
            window: VecDeque::new(),
        });
        if rate > 0.0 {
            let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
            b.tokens = (b.tokens + elapsed * rate).min(burst);
            b.last = now;
            if b.tokens < 1.0 {
                return false;
            }
            b.tokens -= 1.0;
        }
        while b.window.front().is_some_and(|t| now.saturating_duration_since(*t) >= Duration::from_secs(1)) {
            b.window.pop_front();
        }
        b.window.push_back(now);
        self.peak_per_second = self.peak_per_second.max(b.window.len());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_pace_at_the_rate_is_admitted_and_faster_is_refused() {
        let t0 = Instant::now();
        let mut l = Limiter::new(100, None);
        // 300 calls exactly 10 ms apart: all admitted.
        assert!((0..300).all(|i| l.admit("c", t0 + Duration::from_millis(10 * i))));
        assert!(l.peak_per_second <= 101);
        // 50 calls at 2 ms spacing: the burst of 10 absorbs a few, then 60007.
        let t1 = t0 + Duration::from_secs(4);
        let refused = (0..50).filter(|i| !l.admit("c", t1 + Duration::from_millis(2 * i))).count();
        assert!(refused >= 30, "refused {refused}");
        // Commands are limited separately.
        assert!(l.admit("other", t1));
    }

    #[test]
    fn zero_rate_means_no_limit() {
        let t0 = Instant::now();
        let mut l = Limiter::new(0, None);
        assert!((0..1000).all(|_| l.admit("c", t0)));
        assert_eq!(l.peak_per_second, 1000);
    }
}
