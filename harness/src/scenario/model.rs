//! The scenario model, version 1: the typed [`Scenario`] the runner executes, and the parts
//! that read the same in YAML and in the model (the DUT, speakers, links, the monitor). Steps
//! and checks are in [`super::action`] and [`super::expect`]; their YAML form in [`super::raw`].
//! Unknown keys are errors everywhere; durations are human (`500ms`, `2s`, `1m`).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use super::action::*;
pub use super::expect::*;

/// A scenario, checked and typed: what the runner executes.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Format version; only 1 exists.
    pub version: u32,
    /// A short name (the test's name).
    pub name: String,
    /// What it shows, in a sentence or two.
    pub description: String,
    /// The device under test.
    pub dut: Dut,
    /// Simulated speakers, by name.
    pub speakers: BTreeMap<String, Speaker>,
    /// What the wire monitor watches for.
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
    /// Daemons, or versions of a daemon, it cannot run on, with the reason observed (shown in
    /// the matrix): `openbgpd` is every version, `openbgpd@7` every 7.x, `frr@8.4` every 8.4.x;
    /// the entry with the longest version wins.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub unsupported: BTreeMap<DutMatch, String>,
}

impl Dut {
    /// Why the scenario does not run on `kind` at `version` (`None`: not known), if it does
    /// not: the most specific matching `unsupported` entry, else `applies_to` leaving it out.
    pub fn not_applicable(&self, kind: DutKind, version: Option<&str>) -> Option<String> {
        let unsupported = self
            .unsupported
            .iter()
            .filter(|(m, _)| m.matches(kind, version))
            .max_by_key(|(m, _)| m.version.as_ref().map_or(0, String::len))
            .map(|(_, why)| why.clone());
        unsupported.or_else(|| {
            self.applies_to.as_ref().filter(|l| !l.contains(&kind)).map(|l| {
                format!("applies to {}", l.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "))
            })
        })
    }
}

/// A key of `dut.unsupported`: a daemon (`openbgpd`, every version), or a daemon and the start
/// of a version (`openbgpd@7`: 7, 7.7, 7.7.1, not 70).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DutMatch {
    /// The daemon.
    pub kind: DutKind,
    /// The version's first components, if only some versions are meant.
    pub version: Option<String>,
}

impl DutMatch {
    /// Whether it names `kind` at `version` (a version-specific entry never matches an unknown
    /// version).
    pub fn matches(&self, kind: DutKind, version: Option<&str>) -> bool {
        self.kind == kind
            && match (&self.version, version) {
                (None, _) => true,
                (Some(want), Some(v)) => v
                    .strip_prefix(want.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '-', '+', '~'])),
                (Some(_), None) => false,
            }
    }
}

impl TryFrom<String> for DutMatch {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        let (name, version) = match s.split_once('@') {
            Some((n, v)) if !v.is_empty() => (n, Some(v.to_string())),
            Some(_) => return Err(format!("{s:?}: nothing after `@` (write e.g. openbgpd@7.7)")),
            None => (s.as_str(), None),
        };
        let kind = DutKind::DAEMONS.into_iter().find(|k| k.name() == name).ok_or_else(|| {
            format!("{name:?} is not a daemon: expected bird, frr, gobgp or openbgpd, optionally with @VERSION")
        })?;
        Ok(Self { kind, version })
    }
}

impl From<DutMatch> for String {
    fn from(m: DutMatch) -> String {
        match m.version {
            Some(v) => format!("{}@{v}", m.kind.name()),
            None => m.kind.name().to_string(),
        }
    }
}

impl From<DutKind> for DutMatch {
    fn from(kind: DutKind) -> Self {
        Self { kind, version: None }
    }
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
