//! The reference model: what each receiving speaker of a case holds after each event.
//!
//! The DUT keeps, per prefix, the paths its speakers announced, without those whose AS path
//! holds its own AS (RFC 4271 §9.1.2). It picks one by the decision process of RFC 4271
//! §9.1.2.2 ([`best`]) and sends it to each speaker but where the export rules say no: not
//! from one iBGP peer to another (§9.2, no route reflection configured), not to anyone with
//! NO_ADVERTISE, not to eBGP with NO_EXPORT (RFC 1997). On the way out it puts its AS in
//! front for eBGP and sets itself as next hop (both for iBGP too: the drivers configure
//! next-hop-self). A receiver discards a route whose AS path holds its own AS (§9.1.2), so
//! such a route counts as not held whether or not the DUT sends it. An AS_SET segment (from
//! [`Event::RawAnnounce`]) counts as one AS in the path length (§9.1.2.2 a) and each of its
//! members for those loops; the unknown optional transitive attribute changes nothing here.
//!
//! Where the daemons, as the drivers configure them, differ in a documented way, the model
//! knows both answers ([`Profile`]) and the generator keeps only cases where they agree:
//! BIRD resolves the next hops of iBGP-learned paths through an IGP table that holds no
//! routes (iBGP sessions are multihop with `gateway recursive` by default), so those paths
//! are unresolvable there and any eBGP path beats them (RFC 4271 §9.1.2.1); alone they are
//! still used and exported. (OpenBGPD 8.x would treat a path with an AS_SET as withdrawn,
//! its `reject as-set` defaulting to yes after RFC 9774; its driver sets it to no, as 7.7
//! has it, so that every daemon keeps such paths.) A graceful restart changes nothing here:
//! the restarting speaker announces the same routes again.
//!
//! Ties the daemons break differently on purpose are not guessed: [`best`] reports them as
//! [`Tie`], and the generator draws another case. Those are two paths still equal after
//! LOCAL_PREF, AS path length, ORIGIN, MED and eBGP over iBGP when both are external (BIRD
//! takes the lower router id, FRR the older path, RFC 5004), and MED differences inside one
//! neighbour AS while paths from other ASes are also in play (the outcome depends on the
//! order of comparison unless deterministic-med or always-compare-med is configured).

use std::net::{IpAddr, Ipv4Addr};

use bgpstorm_wire::model::{AsPath, AsSegment, Community, SegmentKind};
use ipnet::IpNet;

use super::case::{
    Announced, Attrs, Case, Event, NO_ADVERTISE, NO_EXPORT, SpeakerSpec, dut_address,
};
use crate::check::route_line;

/// A path as the DUT holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    /// The speaker it came from.
    pub from: usize,
    /// Whether that session is internal.
    pub ibgp: bool,
    /// The speaker's BGP identifier (its link address, 10.0.k.2).
    pub router_id: Ipv4Addr,
    /// The AS path as received: the speaker's AS and prepends in front on eBGP.
    pub as_path: Vec<u32>,
    /// LOCAL_PREF: as sent on iBGP, 100 (the daemons' default) for eBGP-learned paths.
    pub local_pref: u32,
    /// The rest of the attributes as announced.
    pub attrs: Attrs,
}

impl Path {
    /// The path of `attrs` announced by speaker `from` to a DUT of AS `dut_asn`.
    pub fn new(from: usize, sp: &SpeakerSpec, attrs: &Attrs, dut_asn: u32) -> Self {
        let ibgp = sp.ibgp(dut_asn);
        let mut as_path = Vec::new();
        if !ibgp {
            as_path.extend(std::iter::repeat_n(sp.asn, 1 + usize::from(attrs.prepend)));
        }
        as_path.extend_from_slice(&attrs.as_path);
        let local_pref = if ibgp { attrs.local_pref.unwrap_or(100) } else { 100 };
        Self {
            from,
            ibgp,
            router_id: Ipv4Addr::new(10, 0, (from + 1) as u8, 2),
            as_path,
            local_pref,
            attrs: attrs.clone(),
        }
    }

    /// The path length for route selection: the AS_SET, if any, counts as one AS (RFC 4271
    /// §9.1.2.2 a).
    pub fn route_len(&self) -> usize {
        self.as_path.len() + usize::from(!self.attrs.as_set.is_empty())
    }

    /// Whether `asn` is in the path, in the sequence or in the AS_SET (loop detection, RFC
    /// 4271 §9.1.2).
    pub fn holds(&self, asn: u32) -> bool {
        self.as_path.contains(&asn) || self.attrs.as_set.contains(&asn)
    }

    /// Whether the path starts with an AS_SET (iBGP, no sequence before it): it has no
    /// neighbour AS that daemons agree on.
    fn set_first(&self) -> bool {
        self.as_path.is_empty() && !self.attrs.as_set.is_empty()
    }

    /// The neighbour AS that MED comparison groups by: the first AS of the path, `None` (the
    /// DUT's own) for an empty (iBGP-originated) path.
    fn neighbor_as(&self) -> Option<u32> {
        self.as_path.first().copied()
    }
}

/// The rule that decided between paths (RFC 4271 §9.1.2.2 and §9.1.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// One path only.
    Only,
    /// Highest LOCAL_PREF.
    LocalPref,
    /// Shortest AS path.
    AsPathLength,
    /// Lowest ORIGIN.
    Origin,
    /// Lowest MED among paths from the same neighbour AS (missing is 0).
    Med,
    /// eBGP over iBGP.
    External,
    /// Lowest BGP identifier, then lowest peer address, between iBGP paths.
    RouterId,
}

/// A tie that daemons break differently.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Tie {
    /// External paths equal to the end (router id in BIRD, oldest path in FRR).
    #[error("eBGP paths from speakers {0:?} tie after every shared rule")]
    External(Vec<usize>),
    /// MED decides inside one neighbour AS while other ASes' paths are in play.
    #[error(
        "MED decides between paths of one neighbour AS while other neighbour ASes are in play (speakers {0:?})"
    )]
    Med(Vec<usize>),
    /// A daemon of another profile would hold other routes.
    #[error("after event {}, a daemon of {profile:?} holds other routes", after + 1)]
    Profile {
        /// The event.
        after: usize,
        /// The profile.
        profile: Profile,
    },
}

/// How a daemon, as its driver configures it, differs from the plain RFC where that changes
/// a case's outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// iBGP-learned paths have unresolvable next hops (BIRD: no IGP routes to resolve them
    /// recursively); any eBGP path is preferred to them (RFC 4271 §9.1.2.1).
    pub ibgp_unresolvable: bool,
}

impl Profile {
    /// The plain RFC 4271 behaviour (FRR, GoBGP, OpenBGPD as configured).
    pub const RFC: Self = Self { ibgp_unresolvable: false };
    /// BIRD as its driver configures it.
    pub const BIRD: Self = Self { ibgp_unresolvable: true };
    /// Every profile a generated case must give the same answer under.
    pub const ALL: [Self; 2] = [Self::RFC, Self::BIRD];
}

/// The best of `paths` (not empty) and the rule that chose it, by plain RFC 4271.
pub fn best(paths: &[Path]) -> Result<(&Path, Rule), Tie> {
    best_in(paths, Profile::RFC)
}

/// The best of `paths` (not empty) for a daemon of `profile`, and the rule that chose it.
pub fn best_in(paths: &[Path], profile: Profile) -> Result<(&Path, Rule), Tie> {
    let mut c: Vec<&Path> = paths.iter().collect();
    if profile.ibgp_unresolvable && c.iter().any(|p| !p.ibgp) {
        c.retain(|p| !p.ibgp);
    }
    if c.len() == 1 {
        return Ok((c[0], Rule::Only));
    }
    let steps: [(Rule, Key); 3] = [
        (Rule::LocalPref, |p| u64::from(u32::MAX - p.local_pref)),
        (Rule::AsPathLength, |p| p.route_len() as u64),
        (Rule::Origin, |p| u64::from(u8::from(p.attrs.origin))),
    ];
    for (rule, key) in steps {
        keep_min(&mut c, key);
        if c.len() == 1 {
            return Ok((c[0], rule));
        }
    }
    med(&mut c)?;
    if c.len() == 1 {
        return Ok((c[0], Rule::Med));
    }
    if c.iter().any(|p| !p.ibgp) {
        c.retain(|p| !p.ibgp);
        if c.len() == 1 {
            return Ok((c[0], Rule::External));
        }
        return Err(Tie::External(c.iter().map(|p| p.from).collect()));
    }
    // Peer addresses order as router ids do here (both are the speaker's link address).
    keep_min(&mut c, |p| u64::from(u32::from(p.router_id)));
    Ok((c[0], Rule::RouterId))
}

/// What a rule minimises.
type Key = fn(&Path) -> u64;

fn keep_min(c: &mut Vec<&Path>, key: impl Fn(&Path) -> u64) {
    let min = c.iter().map(|p| key(p)).min().unwrap_or(0);
    c.retain(|p| key(p) == min);
}

/// RFC 4271 §9.1.2.2 (c): within each neighbour AS only the lowest MED stays.
fn med(c: &mut Vec<&Path>) -> Result<(), Tie> {
    let med = |p: &Path| p.attrs.med.unwrap_or(0);
    // A path that starts with an AS_SET has no neighbour AS to group by: where MED could
    // decide, daemons disagree on which paths it compares.
    if c.iter().any(|p| p.set_first()) && c.iter().any(|p| med(p) != med(c[0])) {
        return Err(Tie::Med(c.iter().map(|p| p.from).collect()));
    }
    let first = c[0].neighbor_as();
    if c.iter().all(|p| p.neighbor_as() == first) {
        let min = c.iter().map(|p| med(p)).min().unwrap_or(0);
        c.retain(|p| med(p) == min);
        return Ok(());
    }
    let decides =
        c.iter().any(|p| c.iter().any(|q| q.neighbor_as() == p.neighbor_as() && med(q) != med(p)));
    if decides {
        return Err(Tie::Med(c.iter().map(|p| p.from).collect()));
    }
    Ok(())
}

/// What one receiver holds: its routes' lines ([`route_line`]), sorted.
pub type Rib = Vec<String>;

/// The expected RIBs at one point of the case: one per speaker, `None` for a speaker whose
/// session is down (not checked).
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The event it follows.
    pub after: usize,
    /// Taken while this speaker's link is down (between the two halves of a link flap).
    pub link_down: Option<usize>,
    /// Per speaker.
    pub ribs: Vec<Option<Rib>>,
    /// The prefixes the DUT itself holds (a usable path from a speaker that is up).
    pub dut: Vec<IpNet>,
}

/// Every checkpoint of a case in order (after each event, and while a flapped link is down),
/// when every [`Profile`] gives the same; otherwise what differs.
pub fn checkpoints(case: &Case) -> Result<Vec<Checkpoint>, Tie> {
    let plain = checkpoints_in(case, Profile::RFC)?;
    for profile in &Profile::ALL[1..] {
        let other = checkpoints_in(case, *profile)?;
        if let Some((c, _)) = plain.iter().zip(&other).find(|(a, b)| a != b) {
            return Err(Tie::Profile { after: c.after, profile: *profile });
        }
    }
    Ok(plain)
}

/// Every checkpoint of a case for a daemon of `profile`.
pub fn checkpoints_in(case: &Case, profile: Profile) -> Result<Vec<Checkpoint>, Tie> {
    let mut announced = case.empty();
    let mut out = Vec::new();
    for (i, e) in case.events.iter().enumerate() {
        if let Event::LinkFlap(x) = e {
            let mut up = vec![true; case.speakers.len()];
            up[*x] = false;
            let ribs = predict(case.dut_asn, &case.speakers, &announced, &up, profile)?;
            let dut = dut_prefixes(case.dut_asn, &case.speakers, &announced, &up);
            out.push(Checkpoint { after: i, link_down: Some(*x), ribs, dut });
        }
        case.apply(&mut announced, e);
        let up = vec![true; case.speakers.len()];
        let ribs = predict(case.dut_asn, &case.speakers, &announced, &up, profile)?;
        let dut = dut_prefixes(case.dut_asn, &case.speakers, &announced, &up);
        out.push(Checkpoint { after: i, link_down: None, ribs, dut });
    }
    Ok(out)
}

/// Whether every checkpoint of the case has one answer for every daemon.
pub fn decidable(case: &Case) -> bool {
    checkpoints(case).is_ok()
}

/// The prefixes the DUT (of AS `dut_asn`) holds when the speakers whose session is `up` have
/// announced `announced`: those with a path that does not hold the DUT's AS (RFC 4271
/// §9.1.2), sorted.
pub fn dut_prefixes(
    dut_asn: u32,
    speakers: &[SpeakerSpec],
    announced: &Announced,
    up: &[bool],
) -> Vec<IpNet> {
    let mut out: Vec<IpNet> = announced
        .iter()
        .enumerate()
        .filter(|(s, _)| up[*s])
        .flat_map(|(s, m)| {
            m.iter()
                .filter(move |(_, a)| !Path::new(s, &speakers[s], a, dut_asn).holds(dut_asn))
                .map(|(p, _)| *p)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The RIB of each speaker when the speakers whose session is `up` have announced
/// `announced`, for a daemon of `profile` and AS `dut_asn`.
pub fn predict(
    dut_asn: u32,
    speakers: &[SpeakerSpec],
    announced: &Announced,
    up: &[bool],
    profile: Profile,
) -> Result<Vec<Option<Rib>>, Tie> {
    let mut prefixes: Vec<IpNet> = announced.iter().flat_map(|m| m.keys().copied()).collect();
    prefixes.sort();
    prefixes.dedup();
    let mut ribs: Vec<Option<Rib>> = up.iter().map(|&u| u.then(Vec::new)).collect();
    for p in prefixes {
        let paths: Vec<Path> = announced
            .iter()
            .enumerate()
            .filter(|(s, _)| up[*s])
            .filter_map(|(s, m)| m.get(&p).map(|a| Path::new(s, &speakers[s], a, dut_asn)))
            // RFC 4271 §9.1.2: a path with the DUT's own AS is a loop.
            .filter(|path| !path.holds(dut_asn))
            .collect();
        if paths.is_empty() {
            continue;
        }
        let (b, _) = best_in(&paths, profile)?;
        for (r, rib) in ribs.iter_mut().enumerate() {
            if let Some(rib) = rib
                && let Some(line) = export(b, &p, r, &speakers[r], dut_asn)
            {
                rib.push(line);
            }
        }
    }
    for rib in ribs.iter_mut().flatten() {
        rib.sort();
    }
    Ok(ribs)
}

/// The line of `best` for prefix `p` at receiver `r`, or `None` when `r` does not hold it,
/// from a DUT of AS `dut_asn`.
pub fn export(best: &Path, p: &IpNet, r: usize, to: &SpeakerSpec, dut_asn: u32) -> Option<String> {
    let c = &best.attrs.communities;
    let to_ibgp = to.ibgp(dut_asn);
    if !to.carries(p)
        // RFC 4271 §9.2: iBGP-learned routes are not sent to iBGP peers (no reflection).
        || (best.ibgp && to_ibgp)
        || c.contains(&NO_ADVERTISE)
        || (c.contains(&NO_EXPORT) && !to_ibgp)
    {
        return None;
    }
    let mut path = best.as_path.clone();
    if !to_ibgp {
        // A receiver without the 4-octet AS capability gets AS_TRANS for a 4-octet AS in
        // AS_PATH and the real path in AS4_PATH; it merges them (RFC 6793 §4.2.3), and so
        // holds this path too.
        path.insert(0, dut_asn);
        // RFC 4271 §9.1.2: the receiver discards a path with its own AS (its own route
        // echoed back among them).
        if path.contains(&to.asn) || best.attrs.as_set.contains(&to.asn) {
            return None;
        }
    }
    let mut as_path = if path.is_empty() { AsPath::default() } else { AsPath::sequence(path) };
    if !best.attrs.as_set.is_empty() {
        as_path
            .segments
            .push(AsSegment { kind: SegmentKind::Set, asns: best.attrs.as_set.clone() });
    }
    let nh: IpAddr = dut_address(r, p.addr().is_ipv6());
    Some(route_line(
        p,
        Some(&as_path),
        Some(best.attrs.origin),
        &[nh],
        &best.attrs.communities,
        &best.attrs.large,
        &best.attrs.extended,
    ))
}

/// Standard communities of a case (so tests can name them).
pub fn community(asn: u16, value: u16) -> Community {
    Community(u32::from(asn) << 16 | u32::from(value))
}
