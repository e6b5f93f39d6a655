//! Encoding the route model back to wire bytes (RFC 4271 §4.3, RFC 4760, RFC 6793).
//!
//! This is the reference encoder: straightforward, complete for the model, and the other half
//! of the decode round-trip property. The simulator's hot path uses pre-encoded templates and
//! is checked against the decoder instead.

use ipnet::IpNet;
use std::net::IpAddr;

use crate::attributes::AS_TRANS;
use crate::context::{AfiSafi, SessionContext};
use crate::framing::{HEADER_LEN, kind};
use crate::iana::AttributeFlags;
use crate::model::{AsPath, AsSegment, Nlri, PathAttributes, SegmentKind, Update};
use crate::rfc7606::code;

const OPTIONAL: u8 = AttributeFlags::OPTIONAL;
const EXTENDED_LENGTH: u8 = AttributeFlags::EXTENDED_LENGTH;
const WELL_KNOWN: u8 = AttributeFlags::WELL_KNOWN;
const OPTIONAL_TRANSITIVE: u8 = AttributeFlags::OPTIONAL_TRANSITIVE;

/// Encodes an UPDATE: IPv4 unicast prefixes announced with a NEXT_HOP go in the legacy
/// fields, everything else in MP_REACH_NLRI / MP_UNREACH_NLRI.
pub fn encode_update(update: &Update, ctx: &SessionContext) -> Vec<u8> {
    let mut msg = Vec::with_capacity(256);
    msg.extend_from_slice(&[0xff; 16]);
    msg.extend_from_slice(&[0, 0, kind::UPDATE]);

    let (v4_withdrawn, mp_withdrawn): (Vec<&Nlri>, Vec<&Nlri>) =
        update.withdrawn.iter().partition(|n| n.family() == AfiSafi::IPV4_UNICAST);
    let at = msg.len();
    msg.extend_from_slice(&[0, 0]);
    for n in &v4_withdrawn {
        put_nlri(&mut msg, n, ctx.has_add_path(AfiSafi::IPV4_UNICAST));
    }
    patch_u16(&mut msg, at);

    // The legacy NLRI field carries IPv4 unicast announced with the NEXT_HOP attribute.
    let legacy = update.attributes.next_hop.and_then(|nh| {
        update
            .reach
            .iter()
            .position(|r| r.family == AfiSafi::IPV4_UNICAST && r.next_hop == [IpAddr::V4(nh)])
    });
    let at = msg.len();
    msg.extend_from_slice(&[0, 0]);
    put_attributes(&mut msg, &update.attributes, ctx);
    for (_, r) in update.reach.iter().enumerate().filter(|(i, _)| Some(*i) != legacy) {
        let mut v = Vec::new();
        v.extend_from_slice(&r.family.afi.to_be_bytes());
        v.push(r.family.safi);
        let nh: Vec<u8> = r
            .next_hop
            .iter()
            .flat_map(|ip| match ip {
                IpAddr::V4(a) => a.octets().to_vec(),
                IpAddr::V6(a) => a.octets().to_vec(),
            })
            .collect();
        v.push(nh.len() as u8);
        v.extend_from_slice(&nh);
        v.push(0);
        for n in &r.nlri {
            put_nlri(&mut v, n, ctx.has_add_path(r.family));
        }
        put_attr(&mut msg, OPTIONAL, code::MP_REACH, &v);
    }
    if !mp_withdrawn.is_empty() {
        let mut families: Vec<AfiSafi> = mp_withdrawn.iter().map(|n| n.family()).collect();
        families.dedup();
        for family in families {
            let mut v = Vec::new();
            v.extend_from_slice(&family.afi.to_be_bytes());
            v.push(family.safi);
            for n in mp_withdrawn.iter().filter(|n| n.family() == family) {
                put_nlri(&mut v, n, ctx.has_add_path(family));
            }
            put_attr(&mut msg, OPTIONAL, code::MP_UNREACH, &v);
        }
    }
    // Multicast withdrawals (SAFI 2), one MP_UNREACH_NLRI per family.
    for u in &update.unreach {
        let mut v = Vec::new();
        v.extend_from_slice(&u.family.afi.to_be_bytes());
        v.push(u.family.safi);
        for n in &u.nlri {
            put_nlri(&mut v, n, ctx.has_add_path(u.family));
        }
        put_attr(&mut msg, OPTIONAL, code::MP_UNREACH, &v);
    }
    patch_u16(&mut msg, at);
    if let Some(i) = legacy {
        for n in &update.reach[i].nlri {
            put_nlri(&mut msg, n, ctx.has_add_path(AfiSafi::IPV4_UNICAST));
        }
    }
    let len = msg.len() as u16;
    msg[16..18].copy_from_slice(&len.to_be_bytes());
    debug_assert!(msg.len() >= HEADER_LEN);
    msg
}

fn patch_u16(buf: &mut [u8], at: usize) {
    let len = (buf.len() - at - 2) as u16;
    buf[at..at + 2].copy_from_slice(&len.to_be_bytes());
}

/// Appends one prefix in NLRI encoding (RFC 4271 §4.3, RFC 7911 §3).
pub fn put_nlri(buf: &mut Vec<u8>, n: &Nlri, add_path: bool) {
    if add_path {
        buf.extend_from_slice(&n.path_id.unwrap_or(0).to_be_bytes());
    }
    let bits = n.prefix.prefix_len();
    buf.push(bits);
    let bytes = (bits as usize).div_ceil(8);
    match n.prefix {
        IpNet::V4(p) => buf.extend_from_slice(&p.network().octets()[..bytes]),
        IpNet::V6(p) => buf.extend_from_slice(&p.network().octets()[..bytes]),
    }
}

/// Appends one attribute TLV, with the extended length flag when the value needs it.
pub fn put_attr(buf: &mut Vec<u8>, flags: u8, type_code: u8, value: &[u8]) {
    if value.len() > 255 {
        buf.extend_from_slice(&[flags | EXTENDED_LENGTH, type_code]);
        buf.extend_from_slice(&(value.len() as u16).to_be_bytes());
    } else {
        buf.extend_from_slice(&[flags & !EXTENDED_LENGTH, type_code, value.len() as u8]);
    }
    buf.extend_from_slice(value);
}

fn put_attributes(buf: &mut Vec<u8>, a: &PathAttributes, ctx: &SessionContext) {
    if let Some(o) = a.origin {
        put_attr(buf, WELL_KNOWN, code::ORIGIN, &[o as u8]);
    }
    let mut as4_path = None;
    if let Some(p) = &a.as_path {
        put_attr(buf, WELL_KNOWN, code::AS_PATH, &as_path_bytes(p, ctx.asn4));
        if !ctx.asn4 && p.segments.iter().any(|s| s.asns.iter().any(|&x| x > 0xffff)) {
            as4_path = Some(as_path_bytes(p, true));
        }
    }
    if let Some(nh) = a.next_hop {
        put_attr(buf, WELL_KNOWN, code::NEXT_HOP, &nh.octets());
    }
    if let Some(med) = a.med {
        put_attr(buf, OPTIONAL, code::MED, &med.to_be_bytes());
    }
    if let Some(lp) = a.local_pref {
        put_attr(buf, WELL_KNOWN, code::LOCAL_PREF, &lp.to_be_bytes());
    }
    if a.atomic_aggregate {
        put_attr(buf, WELL_KNOWN, code::ATOMIC_AGGREGATE, &[]);
    }
    let mut as4_aggregator = None;
    if let Some(g) = a.aggregator {
        let mut v = Vec::with_capacity(8);
        if ctx.asn4 {
            v.extend_from_slice(&g.asn.to_be_bytes());
        } else {
            let asn2 = if g.asn > 0xffff {
                as4_aggregator = Some(g);
                AS_TRANS as u16
            } else {
                g.asn as u16
            };
            v.extend_from_slice(&asn2.to_be_bytes());
        }
        v.extend_from_slice(&g.address.octets());
        put_attr(buf, OPTIONAL_TRANSITIVE, code::AGGREGATOR, &v);
    }
    if !a.communities.is_empty() {
        let v: Vec<u8> = a.communities.iter().flat_map(|c| c.0.to_be_bytes()).collect();
        put_attr(buf, OPTIONAL_TRANSITIVE, code::COMMUNITIES, &v);
    }
    if let Some(id) = a.originator_id {
        put_attr(buf, OPTIONAL, code::ORIGINATOR_ID, &id.octets());
    }
    if !a.cluster_list.is_empty() {
        let v: Vec<u8> = a.cluster_list.iter().flat_map(|c| c.octets()).collect();
        put_attr(buf, OPTIONAL, code::CLUSTER_LIST, &v);
    }
    if !a.extended_communities.is_empty() {
        let v: Vec<u8> = a.extended_communities.iter().flat_map(|c| c.0).collect();
        put_attr(buf, OPTIONAL_TRANSITIVE, code::EXTENDED_COMMUNITIES, &v);
    }
    if let Some(v) = as4_path {
        put_attr(buf, OPTIONAL_TRANSITIVE, code::AS4_PATH, &v);
    }
    if let Some(g) = as4_aggregator {
        let mut v = g.asn.to_be_bytes().to_vec();
        v.extend_from_slice(&g.address.octets());
        put_attr(buf, OPTIONAL_TRANSITIVE, code::AS4_AGGREGATOR, &v);
    }
    if !a.large_communities.is_empty() {
        let v: Vec<u8> = a
            .large_communities
            .iter()
            .flat_map(|c| [c.global, c.local1, c.local2])
            .flat_map(u32::to_be_bytes)
            .collect();
        put_attr(buf, OPTIONAL_TRANSITIVE, code::LARGE_COMMUNITIES, &v);
    }
    for raw in &a.other {
        put_attr(buf, raw.flags, raw.type_code, &raw.value);
    }
}

/// AS_PATH value; on 2-octet sessions ASNs above 65535 become AS_TRANS (RFC 6793 §4.2.2).
pub fn as_path_bytes(p: &AsPath, asn4: bool) -> Vec<u8> {
    let mut v = Vec::new();
    for AsSegment { kind, asns } in &p.segments {
        for chunk in asns.chunks(255) {
            v.push(SegmentKind::code(*kind));
            v.push(chunk.len() as u8);
            for &asn in chunk {
                if asn4 {
                    v.extend_from_slice(&asn.to_be_bytes());
                } else {
                    let a = if asn > 0xffff { AS_TRANS as u16 } else { asn as u16 };
                    v.extend_from_slice(&a.to_be_bytes());
                }
            }
        }
    }
    v
}
