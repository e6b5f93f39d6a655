//! Both decoders' answers in the same terms: what our route model says about a message and
//! what ExaBGP's JSON says, as plain values the test compares field by field.

use bgpstorm_wire::model::{Origin, SegmentKind};
use bgpstorm_wire::{AfiSafi, Update};
use ipnet::IpNet;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

/// An announced unicast prefix: (family, prefix, path id, next hop).
pub(crate) type Route = (String, IpNet, Option<Ipv4Addr>, Option<IpAddr>);
/// A withdrawn unicast prefix: (family, prefix, path id).
pub(crate) type Withdrawal = (String, IpNet, Option<Ipv4Addr>);

/// What both decoders say about an UPDATE, in the same terms.
#[derive(Default)]
pub(crate) struct UpdateView {
    pub(crate) announced: Vec<Route>,
    pub(crate) withdrawn: Vec<Withdrawal>,
    /// NLRI counts of families outside the model, by (family, "announce" | "withdraw").
    pub(crate) other_families: BTreeMap<(String, &'static str), usize>,
    pub(crate) attributes: AttributeView,
}

/// The path attributes the route model has a field for, plus the codes of the others.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct AttributeView {
    pub(crate) origin: Option<String>,
    /// Segments as (element, ASNs); an empty AS_PATH is no segment (ExaBGP omits it).
    pub(crate) as_path: Vec<(String, Vec<u32>)>,
    pub(crate) med: Option<u64>,
    pub(crate) local_pref: Option<u64>,
    pub(crate) atomic_aggregate: bool,
    pub(crate) aggregator: Option<String>,
    pub(crate) communities: Vec<(u64, u64)>,
    pub(crate) large_communities: Vec<(u64, u64, u64)>,
    pub(crate) extended_communities: Vec<u64>,
    pub(crate) originator_id: Option<String>,
    pub(crate) cluster_list: Vec<String>,
    /// Type codes of the other attributes: those we keep raw; those ExaBGP decodes.
    pub(crate) raw_codes: BTreeSet<u8>,
}

pub(crate) fn our_update_view(u: &Update) -> UpdateView {
    let mut v = UpdateView::default();
    for r in &u.reach {
        let family = family_name(r.family);
        for n in &r.nlri {
            let path_id = n.path_id.map(Ipv4Addr::from);
            v.announced.push((family.clone(), n.prefix, path_id, r.next_hop.first().copied()));
        }
    }
    for n in &u.withdrawn {
        v.withdrawn.push((family_name(n.family()), n.prefix, n.path_id.map(Ipv4Addr::from)));
    }
    for nm in &u.not_modelled {
        let section = if nm.withdrawn { "withdraw" } else { "announce" };
        *v.other_families.entry((family_name(nm.family), section)).or_default() += nm.count;
    }
    v.announced.sort();
    v.withdrawn.sort();
    let a = &u.attributes;
    v.attributes = AttributeView {
        origin: a.origin.map(|o| {
            match o {
                Origin::Igp => "igp",
                Origin::Egp => "egp",
                Origin::Incomplete => "incomplete",
            }
            .to_string()
        }),
        as_path: a
            .as_path
            .iter()
            .flat_map(|p| &p.segments)
            .map(|s| (segment_name(s.kind).to_string(), s.asns.clone()))
            .collect(),
        med: a.med.map(u64::from),
        local_pref: a.local_pref.map(u64::from),
        atomic_aggregate: a.atomic_aggregate,
        aggregator: a.aggregator.map(|g| format!("{}:{}", g.asn, g.address)),
        communities: a
            .communities
            .iter()
            .map(|c| (u64::from(c.0 >> 16), u64::from(c.0 & 0xffff)))
            .collect(),
        large_communities: a
            .large_communities
            .iter()
            .map(|c| (u64::from(c.global), u64::from(c.local1), u64::from(c.local2)))
            .collect(),
        extended_communities: a
            .extended_communities
            .iter()
            .map(|c| u64::from_be_bytes(c.0))
            .collect(),
        originator_id: a.originator_id.map(|i| i.to_string()),
        cluster_list: a.cluster_list.iter().map(|i| i.to_string()).collect(),
        raw_codes: a.other.iter().map(|r| r.type_code).collect(),
    };
    v
}

pub(crate) fn segment_name(kind: SegmentKind) -> &'static str {
    match kind {
        SegmentKind::Sequence => "as-sequence",
        SegmentKind::Set => "as-set",
        SegmentKind::ConfedSequence => "confed-sequence",
        SegmentKind::ConfedSet => "confed-set",
    }
}

/// The NLRI entries ExaBGP lists per family, announced and withdrawn together.
pub(crate) fn exa_nlri_entries(u: &Value) -> Vec<(String, Vec<&Value>)> {
    let mut out = Vec::new();
    for (family, by_next_hop) in u["announce"].as_object().into_iter().flatten() {
        let entries = by_next_hop.as_object().into_iter().flatten();
        let entries = entries.flat_map(|(_, l)| l.as_array().into_iter().flatten()).collect();
        out.push((family.clone(), entries));
    }
    for (family, list) in u["withdraw"].as_object().into_iter().flatten() {
        out.push((family.clone(), list.as_array().into_iter().flatten().collect()));
    }
    out
}

pub(crate) fn exa_update_view(u: &Value) -> Result<UpdateView, String> {
    let mut v = UpdateView::default();
    for (family, by_next_hop) in u["announce"].as_object().into_iter().flatten() {
        let by_next_hop = by_next_hop.as_object().ok_or("announce is not by next hop")?;
        for (next_hop, entries) in by_next_hop {
            let entries = entries.as_array().ok_or("announcements are not a list")?;
            if !is_unicast(family) {
                *v.other_families.entry((family.clone(), "announce")).or_default() += entries.len();
                continue;
            }
            let nh: IpAddr = next_hop.parse().map_err(|e| format!("next hop {next_hop}: {e}"))?;
            for e in entries {
                let (prefix, path_id) = exa_prefix(e)?;
                v.announced.push((family.clone(), prefix, path_id, Some(nh)));
            }
        }
    }
    for (family, entries) in u["withdraw"].as_object().into_iter().flatten() {
        let entries = entries.as_array().ok_or("withdrawals are not a list")?;
        if !is_unicast(family) {
            *v.other_families.entry((family.clone(), "withdraw")).or_default() += entries.len();
            continue;
        }
        for e in entries {
            let (prefix, path_id) = exa_prefix(e)?;
            v.withdrawn.push((family.clone(), prefix, path_id));
        }
    }
    v.announced.sort();
    v.withdrawn.sort();
    v.attributes = exa_attributes(&u["attribute"])?;
    Ok(v)
}

pub(crate) fn exa_prefix(e: &Value) -> Result<(IpNet, Option<Ipv4Addr>), String> {
    let nlri = e["nlri"].as_str().ok_or_else(|| format!("no nlri in {e}"))?;
    let prefix = nlri.parse().map_err(|err| format!("prefix {nlri}: {err}"))?;
    let path_id = match e.get("path-information") {
        Some(p) => Some(
            p.as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("path-information {p}"))?,
        ),
        None => None,
    };
    Ok((prefix, path_id))
}

pub(crate) fn exa_attributes(attrs: &Value) -> Result<AttributeView, String> {
    let mut a = AttributeView::default();
    let Some(attrs) = attrs.as_object() else { return Ok(a) };
    let bad = |key: &str, v: &Value| format!("attribute {key}: unexpected value {v}");
    for (key, v) in attrs {
        match key.as_str() {
            "origin" => a.origin = v.as_str().map(str::to_string),
            "as-path" => a.as_path = exa_as_path(v).ok_or_else(|| bad(key, v))?,
            "med" => a.med = Some(v.as_u64().ok_or_else(|| bad(key, v))?),
            "local-preference" => a.local_pref = Some(v.as_u64().ok_or_else(|| bad(key, v))?),
            "atomic-aggregate" => a.atomic_aggregate = v.as_bool().ok_or_else(|| bad(key, v))?,
            "aggregator" => a.aggregator = v.as_str().map(str::to_string),
            "community" => {
                a.communities = numbers(v)
                    .ok_or_else(|| bad(key, v))?
                    .into_iter()
                    .map(|c| (c[0], c[1]))
                    .collect()
            }
            "large-community" => {
                a.large_communities = numbers(v)
                    .ok_or_else(|| bad(key, v))?
                    .into_iter()
                    .map(|c| (c[0], c[1], c[2]))
                    .collect()
            }
            "extended-community" => {
                let list = v.as_array().ok_or_else(|| bad(key, v))?;
                a.extended_communities = list
                    .iter()
                    .map(|c| c["value"].as_u64())
                    .collect::<Option<_>>()
                    .ok_or_else(|| bad(key, v))?
            }
            "originator-id" => a.originator_id = v.as_str().map(str::to_string),
            "cluster-list" => {
                let list = v.as_array().ok_or_else(|| bad(key, v))?;
                a.cluster_list =
                    list.iter().filter_map(|c| c.as_str().map(str::to_string)).collect()
            }
            other => {
                a.raw_codes.insert(raw_code(other).ok_or_else(|| format!("unknown key {other}"))?);
            }
        }
    }
    Ok(a)
}

/// The type code of an attribute the route model keeps raw, by ExaBGP's JSON key.
pub(crate) fn raw_code(key: &str) -> Option<u8> {
    Some(match key {
        "tunnel-encap" => 23,            // RFC 9012
        "extended-community-ipv6" => 25, // RFC 5701
        "aigp" => 26,                    // RFC 7311
        "bgp-ls" => 29,                  // RFC 9552
        "bgp-prefix-sid" => 40,          // RFC 8669
        // ExaBGP's generic attribute: `attribute-0x<code>-0x<flags>`.
        k => {
            let hex = k.strip_prefix("attribute-0x")?.split('-').next()?;
            u8::from_str_radix(hex, 16).ok()?
        }
    })
}

/// ExaBGP's AS_PATH: {"0": {"element": "as-sequence", "value": [..]}, "1": ...}.
pub(crate) fn exa_as_path(v: &Value) -> Option<Vec<(String, Vec<u32>)>> {
    let mut segments: Vec<(usize, String, Vec<u32>)> = Vec::new();
    for (index, seg) in v.as_object()? {
        let asns = seg["value"].as_array()?.iter().map(|a| a.as_u64().map(|a| a as u32));
        let asns = asns.collect::<Option<Vec<u32>>>()?;
        segments.push((index.parse().ok()?, seg["element"].as_str()?.to_string(), asns));
    }
    segments.sort();
    Some(segments.into_iter().map(|(_, kind, asns)| (kind, asns)).collect())
}

/// A list of lists of numbers ([[65000, 33], ...]).
pub(crate) fn numbers(v: &Value) -> Option<Vec<Vec<u64>>> {
    v.as_array()?
        .iter()
        .map(|c| c.as_array()?.iter().map(Value::as_u64).collect::<Option<Vec<u64>>>())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Families

/// ExaBGP's family names ("afi safi") and their numbers (IANA).
pub(crate) const FAMILIES: &[(&str, u16, u8)] = &[
    ("ipv4 unicast", 1, 1),
    ("ipv6 unicast", 2, 1),
    ("ipv4 multicast", 1, 2),
    ("ipv6 multicast", 2, 2),
    ("ipv4 nlri-mpls", 1, 4),
    ("ipv6 nlri-mpls", 2, 4),
    ("ipv4 mcast-vpn", 1, 5),
    ("ipv6 mcast-vpn", 2, 5),
    ("l2vpn vpls", 25, 65),
    ("l2vpn evpn", 25, 70),
    ("bgp-ls bgp-ls", 16388, 71),
    ("bgp-ls bgp-ls-vpn", 16388, 72),
    ("ipv4 sr-policy", 1, 73),
    ("ipv6 sr-policy", 2, 73),
    ("ipv4 mup", 1, 85),
    ("ipv6 mup", 2, 85),
    ("ipv4 mpls-vpn", 1, 128),
    ("ipv6 mpls-vpn", 2, 128),
    ("ipv4 rtc", 1, 132),
    ("ipv4 flow", 1, 133),
    ("ipv6 flow", 2, 133),
    ("ipv4 flow-vpn", 1, 134),
    ("ipv6 flow-vpn", 2, 134),
];

pub(crate) fn family_name(f: AfiSafi) -> String {
    FAMILIES
        .iter()
        .find(|(_, afi, safi)| (*afi, *safi) == (f.afi, f.safi))
        .map_or_else(|| format!("afi {} safi {}", f.afi, f.safi), |(n, _, _)| n.to_string())
}

/// The family of an ExaBGP name, "ipv4 unicast" or (in OPENs) "ipv4/unicast".
pub(crate) fn family_of_name(name: &str) -> Option<AfiSafi> {
    let name = name.replace('/', " ");
    FAMILIES.iter().find(|(n, _, _)| *n == name).map(|(_, afi, safi)| AfiSafi::new(*afi, *safi))
}

pub(crate) fn is_unicast(family: &str) -> bool {
    family_of_name(family).is_some_and(AfiSafi::is_modelled)
}
/// The capability code of netgauze's serde form of a capability (IANA "Capability Codes").
pub(crate) fn capability_code(cap: &Value) -> Option<u8> {
    let (name, inner) = match cap {
        Value::String(s) => (s.as_str(), &Value::Null),
        Value::Object(m) => m.iter().next().map(|(k, v)| (k.as_str(), v))?,
        _ => return None,
    };
    Some(match name {
        "MultiProtocolExtensions" => 1,
        "RouteRefresh" => 2,
        "ExtendedNextHopEncoding" => 5,
        "ExtendedMessage" => 6,
        "MultipleLabels" => 8,
        "BgpRole" => 9,
        "GracefulRestartCapability" => 64,
        "FourOctetAs" => 65,
        "AddPath" => 69,
        "EnhancedRouteRefresh" => 70,
        "LongLivedGracefulRestart" => 71,
        "Fqdn" => 73,
        "CiscoRouteRefresh" => 128,
        "Unrecognized" => inner["code"].as_u64()? as u8,
        "Experimental" => {
            let code = inner["code"].as_str()?;
            code.trim_start_matches(|c: char| !c.is_ascii_digit()).parse().ok()?
        }
        _ => return None,
    })
}
