//! The YAML form of steps and checks, as serde reads it and as the JSON Schema describes it.
//! Values stay as written here (strings for communities, origin and keywords; one optional
//! field per action); [`super::validate`] checks them and builds the typed model in one pass.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::action::{
    Churn, CommunityRange, Flap, Impair, LinkState, Prefixes, Refresh, Replay, RestartSpeaker,
};
use super::expect::{Budget, FlapExpect, RibDiff};
use super::model::{Dut, Family, Monitor, Speaker};

/// A scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Scenario")]
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
    #[serde(default, with = "super::duration")]
    #[schemars(with = "Option<String>")]
    pub within: Option<Duration>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<u32>", default = "no_asns", !skip_serializing_if)]
    pub as_path: Option<Vec<u32>>,
    /// Extra copies of the speaker's AS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u8", default = "zero_u8", !skip_serializing_if)]
    pub prepend: Option<u8>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<String>", default = "no_strings", !skip_serializing_if)]
    pub communities: Option<Vec<String>>,
    /// Standard communities `asn:value`, `asn:value+1`, … added to `communities` (to build
    /// large attribute blocks, e.g. UPDATEs beyond 4096 bytes for RFC 8654).
    #[serde(default)]
    pub community_range: Option<CommunityRange>,
    /// Large communities, `global:local1:local2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<String>", default = "no_strings", !skip_serializing_if)]
    pub large_communities: Option<Vec<String>>,
    /// Extended communities: `rt:asn:value` or `soo:asn:value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<String>", default = "no_strings", !skip_serializing_if)]
    pub extended_communities: Option<Vec<String>>,
    /// Path identifier (RFC 7911), for a speaker with `add_path: send` or `both`: announcing
    /// a prefix again with another id adds a path instead of replacing it (default 0). The
    /// speaker's Adj-RIB-Out keeps the last path per prefix: `withdraw: all` and the
    /// re-announcement after a reconnect name that one.
    #[serde(default)]
    pub path_id: Option<u32>,
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

/// `expect:`: one or more checks, waited for up to `within`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The speaker whose received routes are checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub at: Option<String>,
    /// It holds exactly this many routes: prefixes, or (prefix, path id) pairs with ADD-PATH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub routes: Option<u64>,
    /// Every prefix it holds has exactly this many paths, with distinct path ids (RFC 7911).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub paths_per_prefix: Option<u32>,
    /// It holds exactly these prefixes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub prefixes: Option<Prefixes>,
    /// It holds exactly these routes, one line each:
    /// `prefix [as path] origin via next-hop communities`, next hops without IPv6 link-local
    /// ones, standard then large then extended communities, each kind sorted; routes whose
    /// AS path holds its own AS are left out (it would discard them, RFC 4271 §9.1.2).
    /// `bgpstorm explore` writes these from its reference model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub rib: Option<Vec<String>>,
    /// Deadline for the route checks (default 10 s).
    #[serde(default, with = "super::duration", skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    #[schemars(with = "Option<String>")]
    pub within: Option<Duration>,
    /// Sessions of these speakers are Established.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub established: Option<Vec<String>>,
    /// Sessions of these speakers came up once and never sent or received a NOTIFICATION.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub stayed_up: Option<Vec<String>>,
    /// Convergence latency budgets since the last snapshot (or the start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub convergence: Option<Budget>,
    /// A flap alert is raised (or not) for prefixes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub flap: Option<FlapExpect>,
    /// The DUT holds a hidden (non-best) route for a prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    #[schemars(with = "Option<String>")]
    pub hidden: Option<IpNet>,
    /// A community alert is raised (true) or not (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub community_alert: Option<bool>,
    /// `at`'s RIB equals this insta snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub snapshot: Option<String>,
    /// The DUT's own RIB (its CLI, normalized) equals this insta snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub dut_rib: Option<String>,
    /// The difference of `at`'s RIB between a named snapshot and now equals an insta snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub rib_diff: Option<RibDiff>,
    /// No malformed message, capture drop or reassembly gap so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub clean: Option<bool>,
    /// The DUT's own RIB (its CLI) holds exactly the prefixes `at` received from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub dut_matches: Option<bool>,
    /// The DUT's own RIB (its CLI) holds exactly these prefixes, both families (`[]`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<String>>", !skip_serializing_if)]
    pub dut_prefixes: Option<Vec<IpNet>>,
    /// The monitor's view of the DUT → `at` session holds exactly the prefixes `at` received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub monitor_agrees: Option<bool>,
    /// `at` received End-of-RIB for these families, after every route it holds of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub end_of_rib: Option<Vec<Family>>,
    /// The named snapshot that `announced`, `withdrawn` and `uninterrupted` count from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub since: Option<String>,
    /// `at` received at least this many prefix announcements since `since` (repeats count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub announced: Option<u64>,
    /// `at` received exactly this many prefix withdrawals since `since` (checked last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub withdrawn: Option<u64>,
    /// `at`'s session stayed up since `since`: no NOTIFICATION either way, no new session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    pub uninterrupted: Option<bool>,
}

// The schema's defaults of fields kept as `Option` so that a label shows what was written.
fn no_asns() -> Vec<u32> {
    Vec::new()
}

fn no_strings() -> Vec<String> {
    Vec::new()
}

fn zero_u8() -> u8 {
    0
}
