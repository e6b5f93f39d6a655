//! Checks: an `expect:` map is read into one or more [`Check`]s, each with what it needs (the
//! speaker, the deadline), in the order the runner evaluates them.

use std::time::Duration;

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::Family;
use super::prefixes::Prefixes;

/// One thing an `expect:` step checks.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// Sessions of these speakers are Established by the deadline.
    Established {
        /// The speakers.
        speakers: Vec<String>,
        /// The deadline.
        within: Duration,
    },
    /// Sessions of these speakers came up once and never sent or received a NOTIFICATION.
    StayedUp {
        /// The speakers.
        speakers: Vec<String>,
    },
    /// `at` holds exactly this many routes.
    Routes {
        /// The speaker.
        at: String,
        /// How many.
        count: u64,
        /// The deadline.
        within: Duration,
    },
    /// Every prefix `at` holds has exactly this many paths (RFC 7911).
    PathsPerPrefix {
        /// The speaker.
        at: String,
        /// Paths per prefix.
        paths: u32,
        /// The deadline.
        within: Duration,
    },
    /// `at` holds exactly these prefixes.
    Prefixes {
        /// The speaker.
        at: String,
        /// The prefixes.
        prefixes: Prefixes,
        /// The deadline.
        within: Duration,
        /// Wait until `at` holds as many routes as there are prefixes first (not when the same
        /// `expect` gives `routes`, which waits itself and counts paths under ADD-PATH).
        wait_for_count: bool,
    },
    /// `at` holds exactly these routes, one line each (`check::route_line`), routes whose AS
    /// path holds `at`'s own AS left out.
    Rib {
        /// The speaker.
        at: String,
        /// The lines, sorted.
        routes: Vec<String>,
        /// The deadline.
        within: Duration,
    },
    /// `at`'s RIB equals an insta snapshot.
    Snapshot {
        /// The speaker.
        at: String,
        /// The snapshot's name.
        name: String,
        /// The deadline for the DUT to settle first.
        within: Duration,
    },
    /// The DUT's own RIB holds exactly the prefixes `at` received from it.
    DutMatches {
        /// The speaker.
        at: String,
        /// The deadline for the DUT to settle first.
        within: Duration,
        /// Both being empty passes (the same `expect` says `routes: 0`).
        empty_expected: bool,
    },
    /// The DUT's own RIB holds exactly these prefixes.
    DutPrefixes {
        /// The prefixes, sorted.
        prefixes: Vec<IpNet>,
        /// The deadline.
        within: Duration,
    },
    /// The monitor's view of the DUT → `at` session holds exactly what `at` received.
    MonitorAgrees {
        /// The speaker.
        at: String,
        /// The deadline for the DUT to settle first.
        within: Duration,
        /// Both being empty passes (the same `expect` says `routes: 0`).
        empty_expected: bool,
    },
    /// The difference of `at`'s RIB since a named snapshot equals an insta snapshot.
    RibDiff {
        /// The speaker.
        at: String,
        /// The named snapshot and the insta snapshot.
        diff: RibDiff,
        /// The deadline for the DUT to settle first.
        within: Duration,
    },
    /// `at` received End-of-RIB for these families after every route it holds of them.
    EndOfRib {
        /// The speaker.
        at: String,
        /// The families.
        families: Vec<Family>,
        /// The deadline.
        within: Duration,
    },
    /// `at` received at least this many prefix announcements since a named snapshot.
    Announced {
        /// The speaker.
        at: String,
        /// The named snapshot.
        since: String,
        /// At least this many.
        count: u64,
        /// The deadline.
        within: Duration,
    },
    /// `at`'s session stayed up since a named snapshot.
    Uninterrupted {
        /// The speaker.
        at: String,
        /// The named snapshot.
        since: String,
    },
    /// `at` received exactly this many prefix withdrawals since a named snapshot.
    Withdrawn {
        /// The speaker.
        at: String,
        /// The named snapshot.
        since: String,
        /// Exactly this many.
        count: u64,
    },
    /// Convergence latencies since the last snapshot are within budgets.
    Convergence {
        /// The budgets.
        budget: Budget,
        /// The deadline for the DUT to settle first.
        within: Duration,
    },
    /// A flap alert is raised (or not) for prefixes.
    Flap {
        /// The prefixes and whether they flap.
        flap: FlapExpect,
        /// The deadline.
        within: Duration,
    },
    /// The DUT holds a hidden (non-best) route for a prefix.
    Hidden {
        /// The prefix.
        prefix: IpNet,
        /// The deadline.
        within: Duration,
    },
    /// A community alert is raised (true) or not (false).
    CommunityAlert {
        /// Raised or not.
        raised: bool,
        /// The deadline.
        within: Duration,
    },
    /// The DUT's own RIB equals an insta snapshot.
    DutRib {
        /// The snapshot's name.
        name: String,
        /// The deadline for the DUT to settle first.
        within: Duration,
    },
    /// No malformed message, capture drop or reassembly gap so far.
    Clean,
}

impl Check {
    /// How long the check may wait (zero for checks of what already happened).
    pub fn within(&self) -> Duration {
        match self {
            Self::Established { within, .. }
            | Self::Routes { within, .. }
            | Self::PathsPerPrefix { within, .. }
            | Self::Prefixes { within, .. }
            | Self::Rib { within, .. }
            | Self::Snapshot { within, .. }
            | Self::DutMatches { within, .. }
            | Self::DutPrefixes { within, .. }
            | Self::MonitorAgrees { within, .. }
            | Self::RibDiff { within, .. }
            | Self::EndOfRib { within, .. }
            | Self::Announced { within, .. }
            | Self::Convergence { within, .. }
            | Self::Flap { within, .. }
            | Self::Hidden { within, .. }
            | Self::CommunityAlert { within, .. }
            | Self::DutRib { within, .. } => *within,
            Self::StayedUp { .. }
            | Self::Uninterrupted { .. }
            | Self::Withdrawn { .. }
            | Self::Clean => Duration::ZERO,
        }
    }
}

/// Latency budgets.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Median.
    #[serde(default, with = "super::duration")]
    #[schemars(with = "Option<String>")]
    pub p50: Option<Duration>,
    /// 99th percentile.
    #[serde(default, with = "super::duration")]
    #[schemars(with = "Option<String>")]
    pub p99: Option<Duration>,
    /// Maximum.
    #[serde(default, with = "super::duration")]
    #[schemars(with = "Option<String>")]
    pub max: Option<Duration>,
}

/// Flap expectation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlapExpect {
    /// The prefixes.
    #[schemars(with = "Vec<String>")]
    pub prefixes: Vec<IpNet>,
    /// Raised (true) or not (false).
    pub raised: bool,
}

/// RIB difference expectation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RibDiff {
    /// The named snapshot to compare with.
    pub from: String,
    /// The insta snapshot of the difference.
    pub snapshot: String,
}
