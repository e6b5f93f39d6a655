//! A generated case as a small typed value: the DUT's AS, 2 to 4 speakers and a short list of
//! events. [`Case::render`] turns it into the scenario file's YAML form ([`raw::Scenario`]);
//! the reference model ([`super::model`]) reads the same value.

use std::collections::BTreeMap;
use std::net::IpAddr;

use bgpstorm_wire::encode::as_path_bytes;
use bgpstorm_wire::model::{
    AsPath, AsSegment, Community, ExtendedCommunity, LargeCommunity, Origin, SegmentKind,
};
use bgpstorm_wire::rfc7606::code;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// The DUT's AS in a generated case, unless the case draws a 4-octet one.
pub const DUT_ASN: u32 = 65000;

/// The DUT's AS in the cases that draw a 4-octet one (RFC 6793): its speakers without the
/// 4-octet AS capability see AS_TRANS in its OPEN and in the paths it sends them, with the
/// real path in AS4_PATH.
pub const FOUR_OCTET_DUT_ASN: u32 = 4_200_000_000;

fn default_dut_asn() -> u32 {
    DUT_ASN
}

/// NO_EXPORT (RFC 1997): not to be advertised outside the AS.
pub const NO_EXPORT: Community = Community(0xFFFF_FF01);
/// NO_ADVERTISE (RFC 1997): not to be advertised to any peer.
pub const NO_ADVERTISE: Community = Community(0xFFFF_FF02);

/// A generated case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// The seed it was generated from (it names the scenario).
    pub seed: u64,
    /// The DUT's AS ([`DUT_ASN`] or [`FOUR_OCTET_DUT_ASN`]); speakers of this AS are iBGP.
    #[serde(default = "default_dut_asn")]
    pub dut_asn: u32,
    /// The speakers; speaker `i` is named `sp{i+1}` and sits on link `i+1`.
    pub speakers: Vec<SpeakerSpec>,
    /// What happens, in order; the expected RIBs are checked after each event.
    pub events: Vec<Event>,
}

/// One simulated speaker of a case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpeakerSpec {
    /// Its AS (the DUT's makes it iBGP).
    pub asn: u32,
    /// Whether it offers the 4-octet AS capability (RFC 6793); off only for 2-octet ASes.
    pub four_octet: bool,
    /// Whether it carries IPv6 unicast besides IPv4.
    pub ipv6: bool,
}

impl SpeakerSpec {
    /// Whether the session with a DUT of AS `dut_asn` is internal.
    pub fn ibgp(&self, dut_asn: u32) -> bool {
        self.asn == dut_asn
    }

    /// Whether the speaker carries the family of `p`.
    pub fn carries(&self, p: &IpNet) -> bool {
        p.addr().is_ipv4() || self.ipv6
    }
}

/// Attributes of one announcement, before the sending session adds its part (its own AS and
/// prepends on eBGP, LOCAL_PREF 100 on iBGP when none is given).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attrs {
    /// AS numbers after the speaker's own (the whole path on iBGP).
    pub as_path: Vec<u32>,
    /// Extra copies of the speaker's AS (eBGP only).
    pub prepend: u8,
    /// ORIGIN.
    #[serde(with = "super::log::origin")]
    pub origin: Origin,
    /// MULTI_EXIT_DISC.
    pub med: Option<u32>,
    /// LOCAL_PREF (iBGP only).
    pub local_pref: Option<u32>,
    /// Standard communities, NO_EXPORT and NO_ADVERTISE among them.
    #[serde(with = "super::log::communities")]
    pub communities: Vec<Community>,
    /// Large communities.
    #[serde(with = "super::log::large")]
    pub large: Vec<LargeCommunity>,
    /// Extended communities (route target / route origin).
    #[serde(with = "super::log::extended")]
    pub extended: Vec<ExtendedCommunity>,
    /// An AS_SET segment after the path (only from [`Event::RawAnnounce`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub as_set: Vec<u32>,
    /// An unknown optional transitive attribute ([`UNKNOWN_ATTR`]; only from
    /// [`Event::RawAnnounce`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unknown: bool,
    /// NEXT_HOP (IPv4) is a third party on the speaker's link ([`third_party`]) instead of
    /// the speaker itself (RFC 4271 §5.1.3).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub third_party: bool,
}

impl Attrs {
    /// What `flap:` re-announces with: the AS path and nothing else.
    pub fn plain(as_path: Vec<u32>) -> Self {
        Self {
            as_path,
            prepend: 0,
            origin: Origin::Igp,
            med: None,
            local_pref: None,
            communities: Vec::new(),
            large: Vec::new(),
            extended: Vec::new(),
            as_set: Vec::new(),
            unknown: false,
            third_party: false,
        }
    }

    /// What an [`Event::RawAnnounce`] announces: ORIGIN IGP, no path but the speaker's AS
    /// (eBGP), the AS_SET and perhaps the unknown attribute.
    pub fn raw(as_set: Vec<u32>, unknown: bool) -> Self {
        Self { as_set, unknown, ..Self::plain(Vec::new()) }
    }

    /// Whether only a raw UPDATE can announce these attributes (`announce` cannot write an
    /// AS_SET or an unknown attribute).
    pub fn needs_raw(&self) -> bool {
        !self.as_set.is_empty() || self.unknown
    }
}

/// One event of a case; `usize` values are speaker indexes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Announce (or implicitly replace) prefixes with attributes.
    Announce {
        /// The speaker.
        from: usize,
        /// The prefixes, all of families the speaker carries.
        prefixes: Vec<IpNet>,
        /// Their attributes.
        attrs: Attrs,
    },
    /// Withdraw prefixes (those not announced are withdrawn all the same).
    Withdraw {
        /// The speaker.
        from: usize,
        /// The prefixes.
        prefixes: Vec<IpNet>,
    },
    /// Withdraw everything the speaker announced.
    WithdrawAll(usize),
    /// Withdraw and re-announce prefixes with a plain path ([`Attrs::plain`]).
    Flap {
        /// The speaker.
        from: usize,
        /// The prefixes.
        prefixes: Vec<IpNet>,
        /// AS path after the speaker's AS.
        as_path: Vec<u32>,
        /// Withdraw/announce cycles.
        cycles: u32,
    },
    /// The speaker resets its session (Cease), reconnects and announces its routes again.
    Reset(usize),
    /// The speaker restarts gracefully (RFC 4724): it offers the Graceful Restart capability
    /// from the start ([`Case::graceful`]), its connection closes without a NOTIFICATION, it
    /// reconnects with the Restart State bit set, announces its routes again and ends them
    /// with End-of-RIB. Meanwhile the DUT keeps its routes as stale: the other speakers see
    /// no withdrawal.
    GracefulRestart(usize),
    /// The speaker asks for the DUT's routes again (ROUTE-REFRESH, IPv4).
    Refresh(usize),
    /// The speaker's link goes down (its routes go), comes back, and it announces again.
    LinkFlap(usize),
    /// The DUT restarts; every speaker reconnects and announces its routes again.
    RestartDut,
    /// The speaker sends an UPDATE for an IPv4 prefix with an attribute error that RFC 7606
    /// answers with treat-as-withdraw: the DUT drops the speaker's route for that prefix and
    /// keeps the session.
    Malformed {
        /// The speaker.
        from: usize,
        /// The prefix (IPv4).
        prefix: IpNet,
        /// The error.
        error: Malformation,
    },
    /// The speaker announces an IPv4 prefix in an UPDATE written by hand ([`raw_update`]):
    /// its path ends in an AS_SET segment (on a 2-octet AS session with AS4_PATH for 4-octet
    /// members), and it may carry an optional transitive attribute of an unassigned type
    /// ([`UNKNOWN_ATTR`]).
    RawAnnounce {
        /// The speaker.
        from: usize,
        /// The prefix (IPv4).
        prefix: IpNet,
        /// The members of the AS_SET (none: no AS_SET segment).
        as_set: Vec<u32>,
        /// Whether the unknown optional transitive attribute is sent.
        unknown: bool,
    },
}

impl Event {
    /// The speaker the event belongs to (`None` for a DUT restart).
    pub fn speaker(&self) -> Option<usize> {
        match self {
            Self::Announce { from, .. }
            | Self::Withdraw { from, .. }
            | Self::Flap { from, .. }
            | Self::Malformed { from, .. }
            | Self::RawAnnounce { from, .. } => Some(*from),
            Self::WithdrawAll(x)
            | Self::Reset(x)
            | Self::GracefulRestart(x)
            | Self::Refresh(x)
            | Self::LinkFlap(x) => Some(*x),
            Self::RestartDut => None,
        }
    }
}

/// Attribute errors that call for treat-as-withdraw (RFC 7606).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Malformation {
    /// ORIGIN 7, an undefined value (§7.1).
    Origin,
    /// MULTI_EXIT_DISC of 3 octets instead of 4 (§7.4), the last attribute.
    MedLength,
    /// NEXT_HOP of 3 octets instead of 4 (§7.3).
    NextHopLength,
    /// COMMUNITIES of 3 octets, not a multiple of 4 (§7.8), the last attribute.
    CommunitiesLength,
    /// An AS_PATH segment that says it holds one AS more than the attribute has room for
    /// (§7.2: a segment that overruns the attribute).
    AsPathOverrun,
}

impl Malformation {
    /// The name in step names and test output.
    pub fn name(self) -> &'static str {
        match self {
            Self::Origin => "ORIGIN 7",
            Self::MedLength => "a 3-octet MED",
            Self::NextHopLength => "a 3-octet NEXT_HOP",
            Self::CommunitiesLength => "a 3-octet COMMUNITIES",
            Self::AsPathOverrun => "an AS_PATH segment that overruns the attribute",
        }
    }
}

/// The body of the UPDATE (after the 19-octet header, RFC 4271 §4.3) that speaker `i`
/// sends for a [`Event::Malformed`]: no withdrawn routes, ORIGIN, AS_PATH (its own AS on
/// eBGP, in 2 or 4 octets as its session has them; empty on iBGP), NEXT_HOP its link
/// address, LOCAL_PREF 100 on iBGP, and the prefix, with the error in one of them or in an
/// attribute after them.
pub fn malformed_update(
    i: usize,
    sp: &SpeakerSpec,
    dut_asn: u32,
    prefix: &IpNet,
    error: Malformation,
) -> Vec<u8> {
    let mut attrs = Vec::new();
    let origin = if error == Malformation::Origin { 7 } else { 0 };
    attrs.extend_from_slice(&[0x40, 1, 1, origin]);
    let mut path = if sp.ibgp(dut_asn) {
        Vec::new()
    } else {
        as_path_bytes(&AsPath::sequence([sp.asn]), sp.four_octet)
    };
    if error == Malformation::AsPathOverrun {
        // The segment says it holds one AS more than it does (iBGP: one, and none there).
        if path.is_empty() {
            path = vec![2, 0];
        }
        path[1] += 1;
    }
    attrs.extend_from_slice(&[0x40, 2, path.len() as u8]);
    attrs.extend_from_slice(&path);
    if error == Malformation::NextHopLength {
        attrs.extend_from_slice(&[0x40, 3, 3, 10, 0, (i + 1) as u8]);
    } else {
        attrs.extend_from_slice(&[0x40, 3, 4, 10, 0, (i + 1) as u8, 2]);
    }
    if sp.ibgp(dut_asn) {
        attrs.extend_from_slice(&[0x40, 5, 4, 0, 0, 0, 100]);
    }
    match error {
        Malformation::MedLength => attrs.extend_from_slice(&[0x80, 4, 3, 0, 0, 0]),
        Malformation::CommunitiesLength => {
            attrs.extend_from_slice(&[0xC0, 8, 3, 0xfd, 0xe9, 0]);
        }
        Malformation::Origin | Malformation::NextHopLength | Malformation::AsPathOverrun => {}
    }
    update_body(&attrs, prefix)
}

/// The type code of the unknown optional transitive attribute: 244, which the IANA "BGP Path
/// Attributes" registry lists as unassigned (244-254; 241-243 are deprecated, 255 is reserved
/// for development).
pub const UNKNOWN_ATTR: u8 = 0xF4;

/// The value of the unknown attribute.
pub const UNKNOWN_VALUE: [u8; 4] = [0x62, 0x67, 0x70, 0x73];

/// The body of the UPDATE that speaker `i` sends for an [`Event::RawAnnounce`] of `prefix`
/// (IPv4) or announces again after a reconnection: ORIGIN IGP, AS_PATH (on eBGP an
/// AS_SEQUENCE of its own AS, then an AS_SET of `a.as_set` when it has members), NEXT_HOP its
/// link address 10.0.k.2, LOCAL_PREF 100 on iBGP, the unknown attribute (flags 0xC0:
/// optional transitive) when `a.unknown`, and the prefix.
///
/// On a session with 2-octet AS numbers (RFC 6793 §4.2.2) the AS_SET carries AS_TRANS for
/// each 4-octet member, and AS4_PATH the set as the 4-octet speaker upstream built it: a
/// 2-octet speaker passes AS4_PATH on and puts its own AS in AS_PATH only. The DUT merges
/// the two (§4.2.3: AS_PATH counts 2, AS4_PATH 1, so the leading AS comes from AS_PATH)
/// into the path the model holds.
pub fn raw_update(i: usize, sp: &SpeakerSpec, dut_asn: u32, prefix: &IpNet, a: &Attrs) -> Vec<u8> {
    let mut path = AsPath::default();
    if !sp.ibgp(dut_asn) {
        path.segments.push(AsSegment { kind: SegmentKind::Sequence, asns: vec![sp.asn] });
    }
    let set = AsSegment { kind: SegmentKind::Set, asns: a.as_set.clone() };
    if !a.as_set.is_empty() {
        path.segments.push(set.clone());
    }
    let two_octet = !sp.four_octet;
    let path = as_path_bytes(&path, sp.four_octet);
    let mut attrs = vec![0x40, 1, 1, 0, 0x40, 2, path.len() as u8];
    attrs.extend_from_slice(&path);
    attrs.extend_from_slice(&[0x40, 3, 4, 10, 0, (i + 1) as u8, 2]);
    if sp.ibgp(dut_asn) {
        attrs.extend_from_slice(&[0x40, 5, 4, 0, 0, 0, 100]);
    }
    if two_octet && a.as_set.iter().any(|&asn| asn > 0xffff) {
        let as4_path = as_path_bytes(&AsPath { segments: vec![set] }, true);
        attrs.extend_from_slice(&[0xC0, code::AS4_PATH, as4_path.len() as u8]);
        attrs.extend_from_slice(&as4_path);
    }
    if a.unknown {
        attrs.extend_from_slice(&[0xC0, UNKNOWN_ATTR, UNKNOWN_VALUE.len() as u8]);
        attrs.extend_from_slice(&UNKNOWN_VALUE);
    }
    update_body(&attrs, prefix)
}

/// An UPDATE body with no withdrawn routes, `attrs` and one IPv4 prefix.
fn update_body(attrs: &[u8], prefix: &IpNet) -> Vec<u8> {
    let mut body = vec![0, 0];
    body.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    body.extend_from_slice(attrs);
    let len = prefix.prefix_len();
    body.push(len);
    if let IpAddr::V4(a) = prefix.network() {
        body.extend_from_slice(&a.octets()[..usize::from(len).div_ceil(8)]);
    }
    body
}

/// Each speaker's announced routes (its Adj-RIB-Out), as a case has them after some events.
pub type Announced = Vec<BTreeMap<IpNet, Attrs>>;

/// The name of speaker `i`.
pub fn speaker_name(i: usize) -> String {
    format!("sp{}", i + 1)
}

/// A third party's IPv4 address on speaker `i`'s link (10.0.k.3 on link k = i + 1, neither
/// the DUT's nor the speaker's): a NEXT_HOP the DUT accepts from any speaker on that link
/// (RFC 4271 §5.1.3), and replaces with its own on the way out as it does the speaker's.
pub fn third_party(i: usize) -> std::net::Ipv4Addr {
    std::net::Ipv4Addr::new(10, 0, (i + 1) as u8, 3)
}

/// The DUT's address on speaker `i`'s link (the next hop it sends the speaker), by the
/// address plan of `run::plan` (10.0.k.1 and fd00:0:0:k::1 on link k = i + 1).
pub fn dut_address(i: usize, v6: bool) -> IpAddr {
    let k = i + 1;
    if v6 {
        IpAddr::V6(std::net::Ipv6Addr::new(0xfd00, 0, 0, k as u16, 0, 0, 0, 1))
    } else {
        IpAddr::V4(std::net::Ipv4Addr::new(10, 0, k as u8, 1))
    }
}

impl Case {
    /// The speakers' Adj-RIB-Out after applying `event` to `rib` (what each speaker has sent
    /// and not withdrawn). Reconnections clear nothing here: the rendered scenario announces
    /// the routes again once the session is back.
    pub fn apply(&self, rib: &mut Announced, event: &Event) {
        match event {
            Event::Announce { from, prefixes, attrs } => {
                for p in prefixes {
                    rib[*from].insert(*p, attrs.clone());
                }
            }
            Event::Withdraw { from, prefixes } => {
                for p in prefixes {
                    rib[*from].remove(p);
                }
            }
            Event::WithdrawAll(from) => rib[*from].clear(),
            Event::Flap { from, prefixes, as_path, .. } => {
                for p in prefixes {
                    rib[*from].insert(*p, Attrs::plain(as_path.clone()));
                }
            }
            Event::RawAnnounce { from, prefix, as_set, unknown } => {
                rib[*from].insert(*prefix, Attrs::raw(as_set.clone(), *unknown));
            }
            // RFC 7606: treat-as-withdraw.
            Event::Malformed { from, prefix, .. } => {
                rib[*from].remove(prefix);
            }
            Event::Reset(_)
            | Event::GracefulRestart(_)
            | Event::Refresh(_)
            | Event::LinkFlap(_)
            | Event::RestartDut => {}
        }
    }

    /// The speakers whose link goes down in the case ([`Event::LinkFlap`]).
    pub fn flapped(&self) -> Vec<usize> {
        self.events
            .iter()
            .filter_map(|e| if let Event::LinkFlap(x) = e { Some(*x) } else { None })
            .collect()
    }

    /// Whether speaker `i` offers the Graceful Restart capability: it does when it restarts
    /// gracefully in the case ([`Event::GracefulRestart`]; the generator draws that only for
    /// speakers whose link never goes down, because a hold-timer expiry under graceful
    /// restart is handled differently from daemon to daemon, RFC 8538).
    pub fn graceful(&self, i: usize) -> bool {
        self.events.contains(&Event::GracefulRestart(i))
    }

    /// Gives the DUT the AS `to` ([`FOUR_OCTET_DUT_ASN`] from the generator, [`DUT_ASN`] back
    /// from the shrinker) wherever its AS appears: its iBGP speakers, and paths and AS_SETs
    /// that loop through it. The speakers without the 4-octet AS capability keep their
    /// 2-octet ASes; with a 4-octet DUT AS they see it as AS_TRANS.
    pub fn renumber_dut(&mut self, to: u32) {
        let from = self.dut_asn;
        let map = |asns: &mut Vec<u32>| {
            for asn in asns.iter_mut().filter(|asn| **asn == from) {
                *asn = to;
            }
        };
        for sp in &mut self.speakers {
            if sp.asn == from {
                sp.asn = to;
            }
        }
        for e in &mut self.events {
            match e {
                Event::Announce { attrs, .. } => {
                    map(&mut attrs.as_path);
                    map(&mut attrs.as_set);
                    attrs.as_set.sort_unstable();
                }
                Event::Flap { as_path, .. } => map(as_path),
                // Sorted, as the generator draws it.
                Event::RawAnnounce { as_set, .. } => {
                    map(as_set);
                    as_set.sort_unstable();
                }
                Event::Withdraw { .. }
                | Event::WithdrawAll(_)
                | Event::Reset(_)
                | Event::GracefulRestart(_)
                | Event::Refresh(_)
                | Event::LinkFlap(_)
                | Event::RestartDut
                | Event::Malformed { .. } => {}
            }
        }
        self.dut_asn = to;
    }

    /// An empty Adj-RIB-Out per speaker.
    pub fn empty(&self) -> Announced {
        vec![BTreeMap::new(); self.speakers.len()]
    }
}
