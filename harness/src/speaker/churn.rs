//! Seeded churn: a reproducible sequence of announce / withdraw / attribute-change events
//! over a pool of prefixes.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One churn event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChurnEvent {
    /// Announce (or re-announce with other attributes) prefix `prefix` with route `route`.
    Announce {
        /// Index into the prefix pool.
        prefix: usize,
        /// Index into the route list.
        route: usize,
    },
    /// Withdraw prefix `prefix`.
    Withdraw {
        /// Index into the prefix pool.
        prefix: usize,
    },
}

/// An endless, seeded event sequence. The same seed, pool and route count give the same
/// events on every run and machine (StdRng is a fixed algorithm for a given rand version).
#[derive(Clone, Debug)]
pub struct ChurnPlan {
    rng: StdRng,
    pool: usize,
    routes: usize,
    /// Which prefixes are announced now (withdrawals only pick those).
    up: Vec<bool>,
}

impl ChurnPlan {
    /// A plan over `pool` prefixes and `routes` attribute sets (both at least 1).
    pub fn new(seed: u64, pool: usize, routes: usize) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            pool: pool.max(1),
            routes: routes.max(1),
            up: vec![false; pool.max(1)],
        }
    }
}

impl Iterator for ChurnPlan {
    type Item = ChurnEvent;

    fn next(&mut self) -> Option<ChurnEvent> {
        let prefix = self.rng.random_range(0..self.pool);
        // A prefix that is up is withdrawn half the time, else changes attributes.
        let e = if self.up[prefix] && self.rng.random_bool(0.5) {
            self.up[prefix] = false;
            ChurnEvent::Withdraw { prefix }
        } else {
            self.up[prefix] = true;
            ChurnEvent::Announce { prefix, route: self.rng.random_range(0..self.routes) }
        };
        Some(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_the_same_events_and_another_seed_others() {
        let a: Vec<_> = ChurnPlan::new(7, 100, 3).take(1000).collect();
        let b: Vec<_> = ChurnPlan::new(7, 100, 3).take(1000).collect();
        let c: Vec<_> = ChurnPlan::new(8, 100, 3).take(1000).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn withdrawals_only_hit_announced_prefixes() {
        let mut up = [false; 10];
        for e in ChurnPlan::new(1, 10, 2).take(5000) {
            match e {
                ChurnEvent::Announce { prefix, route } => {
                    assert!(route < 2);
                    up[prefix] = true;
                }
                ChurnEvent::Withdraw { prefix } => {
                    assert!(up[prefix], "withdrew {prefix}, which is not up");
                    up[prefix] = false;
                }
            }
        }
    }
}
