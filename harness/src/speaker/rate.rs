//! Token bucket rate control: prefixes (or events) per second, with a small burst.

use std::time::{Duration, Instant};

/// A token bucket. Tokens may go negative: the caller then waits for the debt to be repaid,
/// which keeps the long-run rate exact whatever the size of each take.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// `rate` tokens per second (must be > 0), holding at most `burst` tokens.
    pub fn new(rate: f64, burst: f64) -> Self {
        let burst = burst.max(1.0);
        Self { rate: rate.max(f64::MIN_POSITIVE), burst, tokens: burst, last: Instant::now() }
    }

    /// Takes `n` tokens; returns how long to wait before going on, if at all.
    pub fn take(&mut self, n: usize) -> Option<Duration> {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.burst);
        self.last = now;
        self.tokens -= n as f64;
        (self.tokens < 0.0).then(|| Duration::from_secs_f64(-self.tokens / self.rate))
    }

    /// The rate.
    pub fn rate(&self) -> f64 {
        self.rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_lets_the_burst_through_then_charges_the_debt() {
        let mut b = TokenBucket::new(1000.0, 100.0);
        assert_eq!(b.take(100), None);
        let wait = b.take(500).expect("debt");
        // 500 tokens at 1000/s: half a second, minus the few microseconds of refill.
        assert!(
            wait > Duration::from_millis(490) && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
    }
}
