//! Steps: one [`Action`] each, by construction. The payloads that read the same in YAML and
//! in the model are shared with [`super::raw`]; the others (announcements with their
//! communities and origin, waits, withdrawals, restarts, raw UPDATEs, checks) are typed here
//! from their YAML form when the scenario is read.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use bgpstorm_wire::model::{Community, ExtendedCommunity, LargeCommunity, Origin};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::expect::Check;
use super::model::Family;
pub use super::prefixes::{MrtPrefixes, PrefixRange, Prefixes};

/// One step: the name it is reported under and the one thing it does.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Its own name, or what it does as the author wrote it (`expect {at: down, routes: 0}`).
    pub name: String,
    /// What it does.
    pub action: Action,
}

/// What a step does.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Wait for sessions to be Established.
    Wait(Wait),
    /// Announce prefixes.
    Announce(Announce),
    /// Announce as fast as the session allows.
    Storm(Announce),
    /// Withdraw prefixes.
    Withdraw(Withdraw),
    /// Withdraw and re-announce in cycles.
    Flap(Flap),
    /// Random changes at a rate, from a seed.
    Churn(Churn),
    /// Replay one peer's UPDATEs from an MRT file.
    Replay(Replay),
    /// Reset a speaker's session (NOTIFICATION Cease, then reconnect).
    Reset(String),
    /// Set a speaker's link down or up.
    Link(LinkState),
    /// Impair a speaker's link.
    Impair(Impair),
    /// Stop and start the DUT.
    RestartDut,
    /// A speaker restarts (RFC 4724 §4).
    RestartSpeaker(RestartSpeaker),
    /// A speaker sends ROUTE-REFRESH (RFC 2918).
    Refresh(Refresh),
    /// A speaker sends End-of-RIB for its families (RFC 4724 §2).
    EndOfRib(String),
    /// A speaker sends an UPDATE written out in hex.
    SendRaw(SendRaw),
    /// Name this point in time.
    Snapshot(String),
    /// Check something, waiting up to each check's deadline.
    Expect(Vec<Check>),
}

impl Action {
    /// Whether the action sends route changes (it opens a new convergence phase).
    pub fn sends_routes(&self) -> bool {
        match self {
            Self::Announce(_)
            | Self::Storm(_)
            | Self::Withdraw(_)
            | Self::Flap(_)
            | Self::Churn(_)
            | Self::Replay(_) => true,
            Self::Wait(_)
            | Self::Reset(_)
            | Self::Link(_)
            | Self::Impair(_)
            | Self::RestartDut
            | Self::RestartSpeaker(_)
            | Self::Refresh(_)
            | Self::EndOfRib(_)
            | Self::SendRaw(_)
            | Self::Snapshot(_)
            | Self::Expect(_) => false,
        }
    }
}

/// `wait:`: sessions to be Established by a deadline.
#[derive(Clone, Debug, PartialEq)]
pub struct Wait {
    /// The speakers (`None`: every one).
    pub speakers: Option<Vec<String>>,
    /// The deadline (default 30 s).
    pub within: Option<Duration>,
}

/// `announce:` / `storm:` with typed attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct Announce {
    /// The speaker.
    pub from: String,
    /// Other speakers that announce the same prefixes at the same time.
    pub with: Vec<String>,
    /// The prefixes.
    pub prefixes: Prefixes,
    /// AS numbers after the speaker's own.
    pub as_path: Vec<u32>,
    /// Extra copies of the speaker's AS.
    pub prepend: u8,
    /// Next hop (default: the speaker's address).
    pub next_hop: Option<IpAddr>,
    /// ORIGIN (RFC 4271 §5.1.1).
    pub origin: Origin,
    /// MULTI_EXIT_DISC.
    pub med: Option<u32>,
    /// LOCAL_PREF (iBGP only).
    pub local_pref: Option<u32>,
    /// Standard communities (RFC 1997), the range included.
    pub communities: Vec<Community>,
    /// Large communities (RFC 8092).
    pub large_communities: Vec<LargeCommunity>,
    /// Extended communities (RFC 4360).
    pub extended_communities: Vec<ExtendedCommunity>,
    /// Path identifier (RFC 7911).
    pub path_id: Option<u32>,
}

/// `withdraw:`.
#[derive(Clone, Debug, PartialEq)]
pub struct Withdraw {
    /// The speaker.
    pub from: String,
    /// What to withdraw.
    pub prefixes: WithdrawSet,
    /// Withdraw only this path of each prefix (RFC 7911).
    pub path_id: Option<u32>,
}

/// What a withdrawal takes back.
#[derive(Clone, Debug, PartialEq)]
pub enum WithdrawSet {
    /// Everything the speaker announced.
    All,
    /// A set.
    Set(Prefixes),
}

/// `send_raw:` with its bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct SendRaw {
    /// The speaker.
    pub from: String,
    /// The UPDATE's body after the 19-octet header (RFC 4271 §4.3).
    pub update: Vec<u8>,
}

/// `restart: {speaker: up, graceful: true}`: the speaker's TCP connection closes without a
/// NOTIFICATION, as when its BGP process restarts, and it connects again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestartSpeaker {
    /// The speaker.
    pub speaker: String,
    /// The new OPEN says it restarted with its forwarding state kept (RFC 4724 §4.1: the
    /// Restart State and Forwarding State bits); it needs `capabilities.graceful_restart`.
    #[serde(default = "yes")]
    pub graceful: bool,
    /// Deadline for the session to be Established again (default 30 s).
    #[serde(default, with = "super::duration")]
    #[schemars(with = "Option<String>")]
    pub within: Option<Duration>,
}

fn yes() -> bool {
    true
}

/// `refresh:`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Refresh {
    /// The speaker that asks.
    pub from: String,
    /// The family (default ipv4).
    #[serde(default = "ipv4")]
    pub family: Family,
}

fn ipv4() -> Family {
    Family::Ipv4
}

/// `count` consecutive standard communities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunityRange {
    /// The first one, `asn:value`; the value counts up.
    pub start: String,
    /// How many.
    pub count: u32,
}

impl Default for Prefixes {
    fn default() -> Self {
        Self::List(Vec::new())
    }
}

/// `flap:`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Flap {
    /// The speaker.
    pub from: String,
    /// The prefixes (announced with `as_path`).
    pub prefixes: Prefixes,
    /// AS path after the speaker's AS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<u32>", default = "no_asns", !skip_serializing_if)]
    pub as_path: Option<Vec<u32>>,
    /// Withdraw/re-announce cycles.
    pub cycles: u32,
    /// Time between a withdrawal and the re-announcement (and between cycles).
    #[serde(with = "super::duration")]
    #[schemars(with = "String")]
    pub interval: Duration,
}

/// `churn:`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Churn {
    /// The speaker.
    pub from: String,
    /// The prefixes that change.
    pub prefixes: Prefixes,
    /// Changes per second.
    pub rate: f64,
    /// How long.
    #[serde(with = "super::duration")]
    #[schemars(with = "String")]
    pub duration: Duration,
    /// Random seed (a run is reproducible).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64", default = "zero_u64", !skip_serializing_if)]
    pub seed: Option<u64>,
}

/// `replay:`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    /// The speaker.
    pub from: String,
    /// The MRT BGP4MP file (relative to the scenario file).
    pub file: PathBuf,
    /// Which peer of the file (by order of first appearance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "usize", default = "zero_usize", !skip_serializing_if)]
    pub peer_index: Option<usize>,
    /// Time scale: 1.0 is the original timing; absent is as fast as possible.
    #[serde(default)]
    pub speed: Option<f64>,
    /// Next hop of the replayed routes: an IPv4 address for IPv4 routes, an IPv6 one for
    /// IPv6 routes (default: the speaker's own address of that family on its link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub next_hop: Option<IpAddr>,
    /// A replay that sends nothing (no route of the peer is of a family the session
    /// negotiated) passes instead of failing.
    #[serde(default, skip_serializing_if = "is_false")]
    #[schemars(!skip_serializing_if)]
    pub allow_empty: bool,
}

/// `link:`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkState {
    /// The speaker whose link it is.
    pub speaker: String,
    /// Up or down.
    pub up: bool,
}

/// `impair:`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Impair {
    /// The speaker whose link it is.
    pub speaker: String,
    /// Delay.
    #[serde(default, with = "super::duration")]
    #[schemars(with = "Option<String>")]
    pub delay: Option<Duration>,
    /// Jitter.
    #[serde(default, with = "super::duration")]
    #[schemars(with = "Option<String>")]
    pub jitter: Option<Duration>,
    /// Loss, percent.
    #[serde(default)]
    pub loss: Option<f64>,
}

// The schema's defaults of fields kept as `Option` so that a label shows what was written.
fn no_asns() -> Vec<u32> {
    Vec::new()
}

fn zero_u64() -> u64 {
    0
}

fn zero_usize() -> usize {
    0
}

fn is_false(v: &bool) -> bool {
    !*v
}
