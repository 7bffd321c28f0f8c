//! The emulator's per-command rate limiter. Two modes:
//! - a token bucket refilled at `rate` per second, whose small burst (a tenth of a second's
//!   worth) absorbs arrival jitter of a client that paces evenly;
//! - strict: the (rate+1)-th call in any sliding one-second window is refused, as the service's
//!   "100 calls per second" reads at its strictest. Clients are measured against this one.
//!
//! Either way it records the peak number of calls that *arrived* for one command in any
//! sliding second, refused ones included: the client's real pace.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Lane {
    tokens: f64,
    last: Instant,
    /// Arrival times of every call in the last second (for the peak).
    arrivals: VecDeque<Instant>,
    /// Arrival times of admitted calls in the last second (strict mode).
    admitted: VecDeque<Instant>,
}

#[derive(Debug)]
pub struct Limiter {
    rate: f64,
    burst: f64,
    strict: bool,
    lanes: HashMap<String, Lane>,
    /// Per-path rates that differ from `rate` (the post-send calls' documented 1/s and 5/s).
    rates: HashMap<String, f64>,
    /// Most calls that arrived for one command in any sliding one-second window.
    pub peak_per_second: usize,
}

const WINDOW: Duration = Duration::from_secs(1);

fn expire(q: &mut VecDeque<Instant>, now: Instant) {
    while q.front().is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW) {
        q.pop_front();
    }
}

impl Limiter {
    /// `rate` calls per second per command; 0 turns limiting off.
    pub fn new(rate: u32, burst: Option<u32>) -> Limiter {
        let burst = burst.map(f64::from).unwrap_or((f64::from(rate) / 10.0).max(1.0));
        Limiter {
            rate: f64::from(rate),
            burst,
            strict: false,
            lanes: HashMap::new(),
            rates: HashMap::new(),
            peak_per_second: 0,
        }
    }

    /// At most `rate` admitted calls per command in any sliding second.
    pub fn strict(rate: u32) -> Limiter {
        Limiter { strict: true, ..Limiter::new(rate, None) }
    }

    /// Hold the post-send calls to their documented rates (1/s trace, statistics and loss;
    /// 5/s scheduled tasks) instead of the attr/tag commands' rate. `--strict` does this.
    pub fn with_documented_post_send_rates(mut self) -> Limiter {
        if self.rate > 0.0 {
            for call in crate::api::post_send::PostCall::ALL {
                self.rates.insert(call.path(), f64::from(call.rate()));
            }
        }
        self
    }

    /// Admit a call for `command` arriving at `now`; false means answer 60007.
    pub fn admit(&mut self, command: &str, now: Instant) -> bool {
        let rate = self.rates.get(command).copied().unwrap_or(self.rate);
        let (burst, strict) = (self.burst, self.strict);
        let lane = self.lanes.entry(command.to_owned()).or_insert_with(|| Lane {
            tokens: burst,
            last: now,
            arrivals: VecDeque::new(),
            admitted: VecDeque::new(),
        });
        expire(&mut lane.arrivals, now);
        lane.arrivals.push_back(now);
        self.peak_per_second = self.peak_per_second.max(lane.arrivals.len());
        if rate <= 0.0 {
            return true;
        }
        if strict {
            expire(&mut lane.admitted, now);
            if lane.admitted.len() as f64 >= rate {
                return false;
            }
            lane.admitted.push_back(now);
            return true;
        }
        let elapsed = now.saturating_duration_since(lane.last).as_secs_f64();
        lane.tokens = (lane.tokens + elapsed * rate).min(burst);
        lane.last = now;
        if lane.tokens < 1.0 {
            return false;
        }
        lane.tokens -= 1.0;
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
        assert!(l.peak_per_second <= 100);
        // 50 calls at 2 ms spacing: the burst of 10 absorbs a few, then 60007.
        let t1 = t0 + Duration::from_secs(4);
        let refused = (0..50).filter(|i| !l.admit("c", t1 + Duration::from_millis(2 * i))).count();
        assert!(refused >= 30, "refused {refused}");
        // Commands are limited separately.
        assert!(l.admit("other", t1));
    }

    #[test]
    fn strict_refuses_the_call_after_rate_in_any_sliding_second() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut l = Limiter::strict(3);
        assert!(l.admit("c", ms(0)) && l.admit("c", ms(10)) && l.admit("c", ms(990)));
        assert!(!l.admit("c", ms(999)), "a fourth call within one second of the first");
        assert!(l.admit("c", ms(1000)), "the first has left the window");
        assert!(!l.admit("c", ms(1009)), "the second is still in it");
        assert!(l.admit("c", ms(1010)));
        // The peak counts arrivals, refused ones included: the client's own pace.
        assert_eq!(l.peak_per_second, 5);
        assert!(l.admit("other", ms(1010)), "commands are limited separately");
    }

    #[test]
    fn strict_holds_post_send_calls_to_their_documented_rates() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut l = Limiter::strict(100).with_documented_post_send_rates();
        let trace = "v4/timpush/all_member_push_trace";
        assert!(l.admit(trace, ms(0)));
        assert!(!l.admit(trace, ms(999)), "a second trace call within the second");
        assert!(l.admit(trace, ms(1000)));
        let sched = "v4/timpush/get_sched_task";
        assert_eq!((0..6).filter(|i| l.admit(sched, ms(2000 + i * 10))).count(), 5, "5/s");
        assert!((0..50).all(|i| l.admit("v4/timpush/get_attr", ms(3000 + i))), "attr/tag calls keep theirs");
    }

    #[test]
    fn zero_rate_means_no_limit() {
        let t0 = Instant::now();
        let mut l = Limiter::new(0, None);
        assert!((0..1000).all(|_| l.admit("c", t0)));
        assert_eq!(l.peak_per_second, 1000);
    }
}
