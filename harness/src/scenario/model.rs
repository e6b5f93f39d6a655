//! The YAML scenario format, version 1, as serde reads it. Unknown keys are errors
//! everywhere; durations are human (`500ms`, `2s`, `1m`).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Format version; only 1 exists.
    pub version: u32,
    /// A short name (the test's name).
    pub name: String,
    /// What it shows, in a sentence or two.
    #[serde(default)]
    pub description: String,
    /// The device under test.
    pub dut: Dut,
    /// Simulated speakers, by name.
    #[serde(default)]
    pub speakers: BTreeMap<String, Speaker>,
    /// What the wire monitor watches for.
    #[serde(default)]
    pub monitor: Monitor,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// Daemons a DUT can be.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum DutKind {
    /// BIRD 2.
    Bird,
    /// FRRouting bgpd.
    Frr,
    /// GoBGP.
    Gobgp,
    /// OpenBGPD.
    Openbgpd,
    /// No device: speakers peer with each other.
    None,
}

impl DutKind {
    /// Every daemon kind (not `none`).
    pub const DAEMONS: [DutKind; 4] =
        [DutKind::Bird, DutKind::Frr, DutKind::Gobgp, DutKind::Openbgpd];

    /// The name as written in scenarios.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bird => "bird",
            Self::Frr => "frr",
            Self::Gobgp => "gobgp",
            Self::Openbgpd => "openbgpd",
            Self::None => "none",
        }
    }
}

/// The device under test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dut {
    /// Which daemon (`--dut` on the command line overrides it).
    pub kind: DutKind,
    /// Its AS.
    #[serde(default)]
    pub asn: Option<u32>,
    /// Its router id (default 10.255.255.1).
    #[serde(default)]
    pub router_id: Option<Ipv4Addr>,
    /// Raw configuration appended to the generated one, per daemon.
    #[serde(default)]
    pub config: BTreeMap<DutKind, String>,
    /// Daemons the scenario applies to (default: all four).
    #[serde(default)]
    pub applies_to: Option<Vec<DutKind>>,
    /// Daemons it cannot run on, with the reason (shown in the matrix).
    #[serde(default)]
    pub unsupported: BTreeMap<DutKind, String>,
}

/// Address families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// IPv4 unicast.
    Ipv4,
    /// IPv6 unicast.
    Ipv6,
}

/// A simulated BGP speaker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Speaker {
    /// Its AS (the DUT's AS makes it iBGP).
    pub asn: u32,
    /// Wait for the DUT to connect instead of connecting.
    #[serde(default)]
    pub passive: bool,
    /// Families (default: ipv4).
    #[serde(default = "default_families")]
    pub families: Vec<Family>,
    /// Router id (default: its IPv4 link address).
    #[serde(default)]
    pub router_id: Option<Ipv4Addr>,
    /// Hold time offered, seconds (default 90).
    #[serde(default)]
    pub hold_time: Option<u16>,
    /// Capabilities.
    #[serde(default)]
    pub capabilities: Capabilities,
    /// TCP MD5 password (RFC 2385).
    #[serde(default)]
    pub md5: Option<String>,
    /// GTSM (RFC 5082).
    #[serde(default)]
    pub ttl_security: bool,
    /// Its link to the DUT.
    #[serde(default)]
    pub link: Link,
    /// With `dut: {kind: none}`: the speaker it peers with.
    #[serde(default)]
    pub peer: Option<String>,
}

fn default_families() -> Vec<Family> {
    vec![Family::Ipv4]
}

/// OPEN capabilities of a speaker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Capabilities {
    /// 4-octet AS (RFC 6793); off makes a 2-octet speaker.
    pub four_octet_as: bool,
    /// Route refresh (RFC 2918).
    pub route_refresh: bool,
    /// Extended messages (RFC 8654).
    pub extended_messages: bool,
    /// ADD-PATH (RFC 7911): `send`, `receive` or `both`, for every family.
    pub add_path: Option<AddPathMode>,
    /// Graceful restart time, seconds (RFC 4724).
    pub graceful_restart: Option<u16>,
}

impl Default for Capabilities {
    fn default() -> Self {
        Self {
            four_octet_as: true,
            route_refresh: true,
            extended_messages: false,
            add_path: None,
            graceful_restart: None,
        }
    }
}

/// ADD-PATH direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AddPathMode {
    /// We send path ids.
    Send,
    /// We receive path ids.
    Receive,
    /// Both.
    Both,
}

/// A speaker's link (addresses are generated unless written out).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// The speaker's IPv4 address with prefix length (the DUT takes the other host).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub ipv4: Option<IpNet>,
    /// The speaker's IPv6 address with prefix length.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub ipv6: Option<IpNet>,
    /// MTU (default 1500).
    #[serde(default)]
    pub mtu: Option<u32>,
}

// The `monitor:` section is the monitor engine's own configuration type (same YAML shape,
// same schema).
pub use bgpstorm_monitor::detect::community::Direction;
pub use bgpstorm_monitor::detect::flap::FlapConfig as FlapRule;
pub use bgpstorm_monitor::engine::{MonitorSpec as Monitor, SessionRule as CommunityRule};

/// One step as written: an optional name and exactly one action.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A name for the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Wait for sessions: `established`, or `{established: [names], within: 10s}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<Wait>,
    /// Announce prefixes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announce: Option<Announce>,
    /// Withdraw prefixes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdraw: Option<Withdraw>,
    /// Withdraw and re-announce (or alternate attributes) in cycles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flap: Option<Flap>,
    /// Random changes at a rate, from a seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub churn: Option<Churn>,
    /// Announce as fast as the session allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storm: Option<Announce>,
    /// Replay one peer's UPDATEs from an MRT file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<Replay>,
    /// Reset a speaker's session (NOTIFICATION Cease, then reconnect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset: Option<String>,
    /// Set a speaker's link down or up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkState>,
    /// Impair a speaker's link (netem).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impair: Option<Impair>,
    /// Restart the DUT (`restart: dut`), or a speaker (`restart: {speaker: up}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<Restart>,
    /// A speaker asks the DUT to send a family's routes again (ROUTE-REFRESH, RFC 2918).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<Refresh>,
    /// A speaker sends End-of-RIB for every family of its session (RFC 4724 §2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_of_rib: Option<String>,
    /// A speaker sends an UPDATE written out in hex, such as one with an attribute error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_raw: Option<SendRaw>,
    /// Name this point in time (RIBs are recorded for `rib_diff`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// Check something, waiting (event-driven) up to a deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
}

/// `restart:`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Restart {
    /// `dut`: stop and start the daemon.
    Keyword(String),
    /// A speaker restarts.
    Speaker(RestartSpeaker),
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
    #[serde(default, with = "humantime_serde")]
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

/// `send_raw:`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRaw {
    /// The speaker.
    pub from: String,
    /// The UPDATE's body in hex, after the 19-octet header (withdrawn routes, path
    /// attributes, NLRI; RFC 4271 §4.3); the harness writes the header. Spaces are allowed.
    pub update: String,
}

/// `wait:`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Wait {
    /// `established`: every session.
    Keyword(String),
    /// Some sessions, with a deadline.
    Sessions(WaitSessions),
}

/// `wait: {established: [...], within: ...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitSessions {
    /// Speakers whose sessions must be Established (default: all).
    #[serde(default)]
    pub established: Option<Vec<String>>,
    /// Deadline (default 30 s).
    #[serde(default, with = "humantime_serde")]
    #[schemars(with = "Option<String>")]
    pub within: Option<Duration>,
}

/// A set of prefixes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Prefixes {
    /// An explicit list.
    List(#[schemars(with = "Vec<String>")] Vec<IpNet>),
    /// `count` consecutive prefixes of the length of `start`.
    Range(PrefixRange),
    /// The prefixes of an MRT file.
    Mrt(MrtPrefixes),
}

/// A generated range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrefixRange {
    /// How many.
    pub count: u64,
    /// The first one; its length is every one's.
    #[schemars(with = "String")]
    pub start: IpNet,
}

/// Prefixes from MRT.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MrtPrefixes {
    /// The file (relative to the scenario file).
    pub mrt: PathBuf,
    /// At most this many.
    #[serde(default)]
    pub limit: Option<usize>,
}

/// Route attributes of an announcement.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Announce {
    /// The speaker.
    pub from: String,
    /// Other speakers that announce the same prefixes at the same time, each with its own AS
    /// in front (one phase with concurrent senders, e.g. ten upstreams of one table).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub with: Vec<String>,
    /// The prefixes.
    pub prefixes: Prefixes,
    /// AS numbers after the speaker's own (which eBGP adds in front).
    #[serde(default)]
    pub as_path: Vec<u32>,
    /// Extra copies of the speaker's AS.
    #[serde(default)]
    pub prepend: u8,
    /// Next hop (default: the speaker's address).
    #[serde(default)]
    pub next_hop: Option<IpAddr>,
    /// `igp`, `egp` or `incomplete` (default igp).
    #[serde(default)]
    pub origin: Option<String>,
    /// MULTI_EXIT_DISC.
    #[serde(default)]
    pub med: Option<u32>,
    /// LOCAL_PREF (iBGP only).
    #[serde(default)]
    pub local_pref: Option<u32>,
    /// Standard communities, `asn:value`.
    #[serde(default)]
    pub communities: Vec<String>,
    /// Standard communities `asn:value`, `asn:value+1`, … added to `communities` (to build
    /// large attribute blocks, e.g. UPDATEs beyond 4096 bytes for RFC 8654).
    #[serde(default)]
    pub community_range: Option<CommunityRange>,
    /// Large communities, `global:local1:local2`.
    #[serde(default)]
    pub large_communities: Vec<String>,
    /// Extended communities: `rt:asn:value` or `soo:asn:value`.
    #[serde(default)]
    pub extended_communities: Vec<String>,
    /// Path identifier (RFC 7911), for a speaker with `add_path: send` or `both`: announcing
    /// a prefix again with another id adds a path instead of replacing it (default 0). The
    /// speaker's Adj-RIB-Out keeps the last path per prefix: `withdraw: all` and the
    /// re-announcement after a reconnect name that one.
    #[serde(default)]
    pub path_id: Option<u32>,
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

/// `withdraw:`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdraw {
    /// The speaker.
    pub from: String,
    /// `all` (everything it announced) or a set.
    pub prefixes: WithdrawSet,
    /// Withdraw only this path of each prefix (RFC 7911), for a speaker with `add_path: send`
    /// or `both`; only with a set of prefixes.
    #[serde(default)]
    pub path_id: Option<u32>,
}

/// What to withdraw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum WithdrawSet {
    /// `all`.
    Keyword(String),
    /// A set.
    Set(Prefixes),
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
    #[serde(default)]
    pub as_path: Vec<u32>,
    /// Withdraw/re-announce cycles.
    pub cycles: u32,
    /// Time between a withdrawal and the re-announcement (and between cycles).
    #[serde(with = "humantime_serde")]
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
    #[serde(with = "humantime_serde")]
    #[schemars(with = "String")]
    pub duration: Duration,
    /// Random seed (a run is reproducible).
    #[serde(default)]
    pub seed: u64,
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
    #[serde(default)]
    pub peer_index: usize,
    /// Time scale: 1.0 is the original timing; absent is as fast as possible.
    #[serde(default)]
    pub speed: Option<f64>,
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
    #[serde(default, with = "humantime_serde")]
    #[schemars(with = "Option<String>")]
    pub delay: Option<Duration>,
    /// Jitter.
    #[serde(default, with = "humantime_serde")]
    #[schemars(with = "Option<String>")]
    pub jitter: Option<Duration>,
    /// Loss, percent.
    #[serde(default)]
    pub loss: Option<f64>,
}

/// `expect:`: one or more checks, waited for up to `within`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The speaker whose received routes are checked.
    #[serde(default)]
    pub at: Option<String>,
    /// It holds exactly this many routes: prefixes, or (prefix, path id) pairs with ADD-PATH.
    #[serde(default)]
    pub routes: Option<u64>,
    /// Every prefix it holds has exactly this many paths, with distinct path ids (RFC 7911).
    #[serde(default)]
    pub paths_per_prefix: Option<u32>,
    /// It holds exactly these prefixes.
    #[serde(default)]
    pub prefixes: Option<Prefixes>,
    /// Deadline for the route checks (default 10 s).
    #[serde(default, with = "humantime_serde")]
    #[schemars(with = "Option<String>")]
    pub within: Option<Duration>,
    /// Sessions of these speakers are Established.
    #[serde(default)]
    pub established: Option<Vec<String>>,
    /// Sessions of these speakers came up once and never sent or received a NOTIFICATION.
    #[serde(default)]
    pub stayed_up: Option<Vec<String>>,
    /// Convergence latency budgets since the last snapshot (or the start).
    #[serde(default)]
    pub convergence: Option<Budget>,
    /// A flap alert is raised (or not) for prefixes.
    #[serde(default)]
    pub flap: Option<FlapExpect>,
    /// The DUT holds a hidden (non-best) route for a prefix.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub hidden: Option<IpNet>,
    /// A community alert is raised (true) or not (false).
    #[serde(default)]
    pub community_alert: Option<bool>,
    /// `at`'s RIB equals this insta snapshot.
    #[serde(default)]
    pub snapshot: Option<String>,
    /// The DUT's own RIB (its CLI, normalized) equals this insta snapshot.
    #[serde(default)]
    pub dut_rib: Option<String>,
    /// The difference of `at`'s RIB between a named snapshot and now equals an insta snapshot.
    #[serde(default)]
    pub rib_diff: Option<RibDiff>,
    /// No malformed message, capture drop or reassembly gap so far.
    #[serde(default)]
    pub clean: Option<bool>,
    /// The DUT's own RIB (its CLI) holds exactly the prefixes `at` received from it.
    #[serde(default)]
    pub dut_matches: Option<bool>,
    /// The monitor's view of the DUT → `at` session holds exactly the prefixes `at` received.
    #[serde(default)]
    pub monitor_agrees: Option<bool>,
    /// `at` received End-of-RIB for these families, after every route it holds of them.
    #[serde(default)]
    pub end_of_rib: Option<Vec<Family>>,
    /// The named snapshot that `announced`, `withdrawn` and `uninterrupted` count from.
    #[serde(default)]
    pub since: Option<String>,
    /// `at` received at least this many prefix announcements since `since` (repeats count).
    #[serde(default)]
    pub announced: Option<u64>,
    /// `at` received exactly this many prefix withdrawals since `since` (checked last).
    #[serde(default)]
    pub withdrawn: Option<u64>,
    /// `at`'s session stayed up since `since`: no NOTIFICATION either way, no new session.
    #[serde(default)]
    pub uninterrupted: Option<bool>,
}

/// Latency budgets.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Median.
    #[serde(default, with = "humantime_serde")]
    #[schemars(with = "Option<String>")]
    pub p50: Option<Duration>,
    /// 99th percentile.
    #[serde(default, with = "humantime_serde")]
    #[schemars(with = "Option<String>")]
    pub p99: Option<Duration>,
    /// Maximum.
    #[serde(default, with = "humantime_serde")]
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
