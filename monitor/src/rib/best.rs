//! Best-path selection among the paths one receiver holds for a prefix: the RFC 4271 §9.1.2.2
//! decision process, as far as it can be run from the wire.
//!
//! Tie-breakers, in order:
//! 1. highest LOCAL_PREF (§9.1.1; absent, as on eBGP sessions, counts as 100, the default of
//!    BIRD, FRR, GoBGP and OpenBGPD);
//! 2. shortest AS_PATH (an AS_SET counts 1, confederation segments 0; §9.1.2.2 a);
//! 3. lowest ORIGIN (IGP < EGP < INCOMPLETE; b);
//! 4. lowest MED among paths from the same neighbouring AS, an absent MED being the lowest
//!    (c);
//! 5. eBGP over iBGP, when the session's ASes are known from its OPENs (d);
//! 6. *not applied*: lowest interior cost to the next hop (e) needs IGP knowledge that the
//!    wire does not carry;
//! 7. lowest BGP identifier of the sender, ORIGINATOR_ID in its place when present
//!    (f; RFC 4456 §9), then shortest CLUSTER_LIST (RFC 4456 §9);
//! 8. lowest peer address (g).

use std::cmp::Ordering;
use std::net::{IpAddr, Ipv4Addr};

use bgpstorm_wire::model::Origin;

use super::attrs::AttrSet;

/// What the decision process needs to know about one path.
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    /// The path's attributes.
    pub attrs: &'a AttrSet,
    /// Whether it was learned over eBGP (`None`: the session's ASes are not known).
    pub ebgp: Option<bool>,
    /// The sender's BGP identifier, once its OPEN was seen.
    pub sender_id: Option<Ipv4Addr>,
    /// The sender's address.
    pub peer: IpAddr,
}

/// The LOCAL_PREF assumed when the attribute is absent.
pub const DEFAULT_LOCAL_PREF: u32 = 100;

fn origin_rank(o: Option<Origin>) -> u8 {
    match o {
        Some(Origin::Igp) => 0,
        Some(Origin::Egp) => 1,
        Some(Origin::Incomplete) | None => 2,
    }
}

/// Index of the best of `paths`, or `None` when there are none.
pub fn best(paths: &[Candidate<'_>]) -> Option<usize> {
    let mut alive: Vec<usize> = (0..paths.len()).collect();
    let keep_max = |alive: &mut Vec<usize>, key: &dyn Fn(&Candidate<'_>) -> i64| {
        let top = alive.iter().map(|&i| key(&paths[i])).max();
        alive.retain(|&i| Some(key(&paths[i])) == top);
    };
    fn a<'x>(c: &Candidate<'x>) -> &'x bgpstorm_wire::PathAttributes {
        &c.attrs.attributes
    }
    keep_max(&mut alive, &|c| i64::from(a(c).local_pref.unwrap_or(DEFAULT_LOCAL_PREF)));
    keep_max(&mut alive, &|c| -(a(c).as_path.as_ref().map_or(0, |p| p.route_len()) as i64));
    keep_max(&mut alive, &|c| -i64::from(origin_rank(a(c).origin)));
    // MED only compares paths from the same neighbouring AS.
    let neighbour = |c: &Candidate<'_>| a(c).as_path.as_ref().and_then(|p| p.first_asn());
    let med = |c: &Candidate<'_>| a(c).med.unwrap_or(0);
    let snapshot = alive.clone();
    alive.retain(|&i| {
        let n = neighbour(&paths[i]);
        !snapshot.iter().any(|&j| neighbour(&paths[j]) == n && med(&paths[j]) < med(&paths[i]))
    });
    if alive.iter().any(|&i| paths[i].ebgp == Some(true)) {
        alive.retain(|&i| paths[i].ebgp != Some(false));
    }
    alive.into_iter().min_by(|&i, &j| tie_break(&paths[i], &paths[j]))
}

/// Steps 7 and 8: identifier, cluster list length, peer address.
fn tie_break(x: &Candidate<'_>, y: &Candidate<'_>) -> Ordering {
    let id = |c: &Candidate<'_>| c.attrs.attributes.originator_id.or(c.sender_id);
    let id_order = match (id(x), id(y)) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => Ordering::Equal,
    };
    id_order
        .then(x.attrs.attributes.cluster_list.len().cmp(&y.attrs.attributes.cluster_list.len()))
        .then(x.peer.cmp(&y.peer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bgpstorm_wire::PathAttributes;
    use bgpstorm_wire::model::AsPath;

    fn set(local_pref: Option<u32>, path: &[u32], med: Option<u32>) -> AttrSet {
        AttrSet {
            attributes: PathAttributes {
                origin: Some(Origin::Igp),
                as_path: Some(AsPath::sequence(path.to_vec())),
                local_pref,
                med,
                ..PathAttributes::default()
            },
            next_hop: vec![],
        }
    }

    fn cand<'a>(attrs: &'a AttrSet, peer: &str) -> Candidate<'a> {
        Candidate { attrs, ebgp: Some(true), sender_id: None, peer: peer.parse().unwrap() }
    }

    #[test]
    fn local_pref_beats_a_shorter_path() {
        let (a, b) = (set(Some(200), &[1, 2, 3], None), set(None, &[1], None));
        assert_eq!(best(&[cand(&b, "10.0.0.1"), cand(&a, "10.0.0.2")]), Some(1));
    }

    #[test]
    fn the_shorter_as_path_wins_then_the_lower_peer_address() {
        let (a, b) = (set(None, &[1, 2], None), set(None, &[3], None));
        assert_eq!(best(&[cand(&a, "10.0.0.1"), cand(&b, "10.0.0.2")]), Some(1));
        let c = set(None, &[4], None);
        assert_eq!(best(&[cand(&c, "10.0.0.9"), cand(&b, "10.0.0.2")]), Some(1));
    }

    #[test]
    fn med_only_compares_paths_from_the_same_neighbour_as() {
        // From AS 1 with MED 50 and MED 10, from AS 2 with MED 5: the MED-50 path is out;
        // between AS 1/MED 10 and AS 2/MED 5 MED does not apply, so the lower address wins.
        let (a, b, c) =
            (set(None, &[1], Some(50)), set(None, &[1], Some(10)), set(None, &[2], Some(5)));
        let paths = [cand(&a, "10.0.0.1"), cand(&b, "10.0.0.3"), cand(&c, "10.0.0.2")];
        assert_eq!(best(&paths), Some(2));
        assert_eq!(best(&paths[..2]), Some(1));
    }

    #[test]
    fn ebgp_is_preferred_over_ibgp() {
        let a = set(None, &[1], None);
        let mut ibgp = cand(&a, "10.0.0.1");
        ibgp.ebgp = Some(false);
        assert_eq!(best(&[ibgp, cand(&a, "10.0.0.2")]), Some(1));
        assert_eq!(best(&[]), None);
    }
}
