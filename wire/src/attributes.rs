//! Path attributes: a raw scan of the attribute block (offsets, raw values, duplicates),
//! the conversion of netgauze's decoded attributes into [`PathAttributes`], the AS4_PATH
//! merge of RFC 6793 §4.2.3, and the RFC 7606 decisions about malformed ones.

use netgauze_bgp_pkt::path_attribute::{
    Aggregator as NgAggregator, AsPath as NgAsPath, MpReach, MpUnreach, Origin as NgOrigin,
    PathAttribute, PathAttributeValue,
};
use netgauze_bgp_pkt::wire::deserializer::path_attribute::PathAttributeParsingError;
use netgauze_iana::address_family::{AddressFamily, SubsequentAddressFamily};
use std::net::{IpAddr, Ipv4Addr};

use super::context::{AfiSafi, SessionContext};
use super::model::{
    Aggregator, AsPath, AsSegment, Community, ExtendedCommunity, LargeCommunity, Nlri, NotModelled,
    Origin, PathAttributes, RawAttribute, Reach, SegmentKind, Unreach, hex,
};
use super::multicast::{self, Multicast};
pub use super::nlri::parse_ipv4_prefixes;
use super::rfc7606::{Action, AttributeError, action_for, code};

/// AS_TRANS, the 2-octet stand-in for a 4-octet ASN (RFC 6793 §9).
pub const AS_TRANS: u32 = 23456;

/// One attribute as found by the raw scan.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawAttr {
    pub flags: u8,
    pub code: u8,
    /// Offset of the flags octet from the start of the message.
    pub offset: usize,
    /// Start and end of the value within the scanned buffer.
    pub value: (usize, usize),
}

/// Walks the attribute TLVs of `block`. Returns what could be read and, when an attribute
/// header or length overruns the block, the error (RFC 7606 §4: treat-as-withdraw).
pub(crate) fn scan(block: &[u8], base: usize) -> (Vec<RawAttr>, Option<AttributeError>) {
    let mut out = Vec::with_capacity(8);
    let mut i = 0;
    while i < block.len() {
        let start = i;
        if block.len() - i < 3 {
            return (out, Some(overrun(base + start, 0, "attribute header is cut short")));
        }
        let flags = block[i];
        let code = block[i + 1];
        let (len, hdr) = if flags & 0x10 != 0 {
            if block.len() - i < 4 {
                return (out, Some(overrun(base + start, code, "attribute header is cut short")));
            }
            (u16::from_be_bytes([block[i + 2], block[i + 3]]) as usize, 4)
        } else {
            (block[i + 2] as usize, 3)
        };
        let vstart = i + hdr;
        if vstart + len > block.len() {
            let reason = format!(
                "attribute length {len} overruns the attribute block by {} bytes",
                vstart + len - block.len()
            );
            return (out, Some(overrun(base + start, code, &reason)));
        }
        out.push(RawAttr { flags, code, offset: base + start, value: (vstart, vstart + len) });
        i = vstart + len;
    }
    (out, None)
}

fn overrun(offset: usize, type_code: u8, reason: &str) -> AttributeError {
    AttributeError { type_code, offset, action: Action::TreatAsWithdraw, reason: reason.into() }
}

/// The attribute type code netgauze's error refers to.
fn error_code(e: &PathAttributeParsingError) -> Option<u8> {
    use PathAttributeParsingError as E;
    Some(match e {
        E::Parse(_) => return None,
        E::OriginError(_) => code::ORIGIN,
        E::AsPathError(_) => code::AS_PATH,
        E::NextHopError(_) => code::NEXT_HOP,
        E::MultiExitDiscriminatorError(_) => code::MED,
        E::LocalPreferenceError(_) => code::LOCAL_PREF,
        E::AtomicAggregateError(_) => code::ATOMIC_AGGREGATE,
        E::AggregatorError(_) => code::AGGREGATOR,
        E::CommunitiesError(_) => code::COMMUNITIES,
        E::ExtendedCommunitiesError(_) => code::EXTENDED_COMMUNITIES,
        E::ExtendedCommunitiesErrorIpv6(_) => code::IPV6_EXTENDED_COMMUNITIES,
        E::LargeCommunitiesError(_) => code::LARGE_COMMUNITIES,
        E::OriginatorError(_) => code::ORIGINATOR_ID,
        E::ClusterListError(_) => code::CLUSTER_LIST,
        E::MpReachErrorError(_) => code::MP_REACH,
        E::MpUnreachErrorError(_) => code::MP_UNREACH,
        E::OnlyToCustomerError(_) => code::OTC,
        E::AigpError(_) => code::AIGP,
        E::BgpLsError(_) => 29,
        E::SegmentIdentifierParsingError(_) => 40,
        E::UnknownAttributeError(_) => return None,
        E::InvalidPathAttribute { value, .. } => match value {
            Ok(t) => *t as u8,
            Err(c) => *c,
        },
    })
}

fn ng_code(a: &PathAttribute) -> u8 {
    match a.value() {
        PathAttributeValue::UnknownAttribute(u) => u.code(),
        _ => match a.path_attribute_type() {
            Ok(t) => t as u8,
            Err(c) => c,
        },
    }
}

/// Everything an attribute block contributes to an UPDATE.
#[derive(Debug, Default)]
pub(crate) struct Converted {
    pub attrs: PathAttributes,
    pub mp_reach: Vec<Reach>,
    pub unreach: Vec<Unreach>,
    pub mp_unreach: Vec<Nlri>,
    pub not_modelled: Vec<NotModelled>,
    pub errors: Vec<AttributeError>,
}

/// Converts netgauze's attributes, aligned with the raw scan, and decides about the ones
/// netgauze rejected (`isolated`: those it was not even given, by offset, with the reason).
/// Returns `Err` for errors that need a session reset.
pub(crate) fn convert(
    decoded: &[PathAttribute],
    ng_errors: &[PathAttributeParsingError],
    isolated: &[(usize, String)],
    raw: &[RawAttr],
    block: &[u8],
    ctx: &SessionContext,
) -> Result<Converted, AttributeError> {
    let mut out = Converted::default();
    let mut seen = [false; 256];
    let mut as4_path: Option<AsPath> = None;
    let mut as4_aggregator: Option<Aggregator> = None;
    let mut next_decoded = decoded.iter().peekable();
    let mut pending_errors = ng_errors.iter();
    for r in raw {
        let value = &block[r.value.0..r.value.1];
        // Attributes hidden from netgauze (see `MessageDecoder::update`) have no decoded value.
        let isolated_reason = isolated.iter().find(|(o, _)| *o == r.offset).map(|(_, e)| e);
        let foreign = foreign_family(r.code, value);
        let ng = match next_decoded.peek() {
            Some(a)
                if isolated_reason.is_none()
                    && foreign.is_none()
                    && multicast::family(r.code, value).is_none()
                    && ng_code(a) == r.code =>
            {
                next_decoded.next()
            }
            _ => None,
        };
        if seen[r.code as usize] {
            // RFC 7606 §3 g: repeated MP_(UN)REACH is a session reset, others keep the first.
            let action = if matches!(r.code, code::MP_REACH | code::MP_UNREACH) {
                Action::SessionReset
            } else {
                Action::AttributeDiscard
            };
            let e = AttributeError {
                type_code: r.code,
                offset: r.offset,
                action,
                reason: "attribute appears more than once".into(),
            };
            if action == Action::SessionReset {
                return Err(e);
            }
            out.errors.push(e);
            continue;
        }
        seen[r.code as usize] = true;
        if let Some(family) = foreign {
            out.not_modelled.push(foreign_not_modelled(r.code, family, value, ctx));
            continue;
        }
        if let Some(family) = multicast::family(r.code, value) {
            match multicast::decode(r.code, family, value, r.offset, ctx) {
                Ok(Multicast::Reach(reach)) => out.mp_reach.push(reach),
                // An empty one is an End-of-RIB (RFC 4724 §2), reported by the decoder.
                Ok(Multicast::Unreach(unreach)) if unreach.nlri.is_empty() => {}
                Ok(Multicast::Unreach(unreach)) => out.unreach.push(unreach),
                Err(e) if e.action == Action::SessionReset => return Err(e),
                Err(e) => out.errors.push(e),
            }
            continue;
        }
        let Some(ng) = ng else {
            // netgauze rejected this attribute; try our own reading where netgauze is
            // stricter than the RFC (confederation segments in AS_PATH, RFC 5065).
            if r.code == code::AS_PATH
                && let Some(p) = parse_as_path(value, ctx.asn4)
            {
                out.attrs.as_path = Some(p);
                pending_errors.next();
                continue;
            }
            let reason = match isolated_reason {
                Some(reason) => reason.clone(),
                None => pending_errors
                    .find(|e| error_code(e).is_none_or(|c| c == r.code))
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| "rejected by the decoder".into()),
            };
            let e = AttributeError {
                type_code: r.code,
                offset: r.offset,
                action: action_for(r.code),
                reason,
            };
            if e.action == Action::SessionReset {
                return Err(e);
            }
            out.errors.push(e);
            continue;
        };
        apply(ng, r, value, ctx, &mut out, &mut as4_path, &mut as4_aggregator);
    }
    if !ctx.asn4 {
        merge_as4(&mut out, as4_path, as4_aggregator);
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn apply(
    ng: &PathAttribute,
    r: &RawAttr,
    value: &[u8],
    ctx: &SessionContext,
    out: &mut Converted,
    as4_path: &mut Option<AsPath>,
    as4_aggregator: &mut Option<Aggregator>,
) {
    // RFC 6793 §4.1: AS4_PATH and AS4_AGGREGATOR only mean something on 2-octet sessions;
    // elsewhere they are kept raw, for the record.
    if matches!(r.code, code::AS4_PATH | code::AS4_AGGREGATOR) {
        if ctx.asn4 {
            out.attrs.other.push(RawAttribute {
                flags: r.flags,
                type_code: r.code,
                value: value.to_vec(),
            });
        } else if r.code == code::AS4_AGGREGATOR {
            if let Ok(v) = <[u8; 8]>::try_from(value) {
                *as4_aggregator = Some(Aggregator {
                    asn: u32::from_be_bytes([v[0], v[1], v[2], v[3]]),
                    address: Ipv4Addr::new(v[4], v[5], v[6], v[7]),
                });
            }
        } else {
            *as4_path = parse_as_path(value, true);
        }
        return;
    }
    let a = &mut out.attrs;
    match ng.value() {
        PathAttributeValue::Origin(o) => {
            a.origin = Some(match o {
                NgOrigin::IGP => Origin::Igp,
                NgOrigin::EGP => Origin::Egp,
                NgOrigin::Incomplete => Origin::Incomplete,
            })
        }
        PathAttributeValue::AsPath(p) => a.as_path = Some(convert_as_path(p)),
        PathAttributeValue::NextHop(n) => a.next_hop = Some(n.next_hop()),
        PathAttributeValue::MultiExitDiscriminator(m) => a.med = Some(m.metric()),
        PathAttributeValue::LocalPreference(l) => a.local_pref = Some(l.metric()),
        PathAttributeValue::AtomicAggregate(_) => a.atomic_aggregate = true,
        PathAttributeValue::Aggregator(NgAggregator::As2Aggregator(g)) => {
            if r.code == code::AS4_AGGREGATOR {
                *as4_aggregator =
                    Some(Aggregator { asn: u32::from(*g.asn()), address: g.origin() });
            } else {
                a.aggregator = Some(Aggregator { asn: u32::from(*g.asn()), address: g.origin() })
            }
        }
        PathAttributeValue::Aggregator(NgAggregator::As4Aggregator(g)) => {
            let agg = Aggregator { asn: *g.asn(), address: g.origin() };
            if r.code == code::AS4_AGGREGATOR {
                if !ctx.asn4 {
                    *as4_aggregator = Some(agg);
                }
            } else {
                a.aggregator = Some(agg)
            }
        }
        PathAttributeValue::Communities(c) => {
            a.communities = c.communities().iter().map(|c| Community(c.value())).collect()
        }
        PathAttributeValue::LargeCommunities(c) => {
            a.large_communities = c
                .communities()
                .iter()
                .map(|c| LargeCommunity {
                    global: c.global_admin(),
                    local1: c.local_data1(),
                    local2: c.local_data2(),
                })
                .collect()
        }
        PathAttributeValue::ExtendedCommunities(_) => {
            a.extended_communities = value
                .chunks_exact(8)
                .map(|c| ExtendedCommunity(c.try_into().expect("chunks of 8")))
                .collect()
        }
        PathAttributeValue::Originator(o) => a.originator_id = Some(o.id()),
        PathAttributeValue::ClusterList(c) => {
            a.cluster_list = c.cluster_list().iter().map(|c| c.id()).collect()
        }
        PathAttributeValue::MpReach(m) => mp_reach(m, ctx, out),
        PathAttributeValue::MpUnreach(m) => mp_unreach(m, ctx, out),
        _ => {
            a.other.push(RawAttribute { flags: r.flags, type_code: r.code, value: value.to_vec() })
        }
    }
}

fn seg_kind(code: u8) -> SegmentKind {
    SegmentKind::from_code(code).unwrap_or(SegmentKind::Sequence)
}

fn convert_as_path(p: &NgAsPath) -> AsPath {
    let segments = match p {
        NgAsPath::As2PathSegments(s) => s
            .iter()
            .map(|s| AsSegment {
                kind: seg_kind(s.segment_type() as u8),
                asns: s.as_numbers().iter().map(|&a| u32::from(a)).collect(),
            })
            .collect(),
        NgAsPath::As4PathSegments(s) => s
            .iter()
            .map(|s| AsSegment {
                kind: seg_kind(s.segment_type() as u8),
                asns: s.as_numbers().to_vec(),
            })
            .collect(),
    };
    AsPath { segments }
}

/// Reads an AS_PATH (or AS4_PATH with `asn4 = true`) value, confederation segments included.
/// `None` when it is malformed (RFC 7606 §7.2).
pub fn parse_as_path(value: &[u8], asn4: bool) -> Option<AsPath> {
    let width = if asn4 { 4 } else { 2 };
    let mut segments = Vec::new();
    let mut i = 0;
    while i < value.len() {
        let kind = SegmentKind::from_code(*value.get(i)?)?;
        let count = *value.get(i + 1)? as usize;
        if count == 0 {
            return None;
        }
        let body = value.get(i + 2..i + 2 + count * width)?;
        let asns = body
            .chunks_exact(width)
            .map(|c| {
                if asn4 {
                    u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                } else {
                    u32::from(u16::from_be_bytes([c[0], c[1]]))
                }
            })
            .collect();
        segments.push(AsSegment { kind, asns });
        i += 2 + count * width;
    }
    Some(AsPath { segments })
}

/// Number of ASes a path counts for the AS4_PATH merge (RFC 6793 §4.2.3: a set counts 1,
/// confederation segments are not counted).
fn merge_len(p: &AsPath) -> usize {
    p.route_len()
}

/// RFC 6793 §4.2.3: rebuild the 4-octet path and aggregator from AS_PATH/AS4_PATH and
/// AGGREGATOR/AS4_AGGREGATOR received on a 2-octet session.
fn merge_as4(out: &mut Converted, as4_path: Option<AsPath>, as4_agg: Option<Aggregator>) {
    if let Some(agg4) = as4_agg {
        match out.attrs.aggregator {
            // An AGGREGATOR with a real 2-octet AS means a 2-octet speaker aggregated after
            // the path was built: both AS4_* attributes are to be ignored.
            Some(agg) if agg.asn != AS_TRANS => return,
            _ => out.attrs.aggregator = Some(agg4),
        }
    }
    let (Some(as4), Some(path)) = (as4_path, out.attrs.as_path.as_mut()) else { return };
    let n_path = merge_len(path);
    let n_as4 = merge_len(&as4);
    if n_path < n_as4 {
        return;
    }
    let mut keep = n_path - n_as4;
    let mut merged = Vec::new();
    for seg in &path.segments {
        if keep == 0 {
            break;
        }
        match seg.kind {
            SegmentKind::Sequence => {
                let take = keep.min(seg.asns.len());
                merged.push(AsSegment { kind: seg.kind, asns: seg.asns[..take].to_vec() });
                keep -= take;
            }
            SegmentKind::Set => {
                merged.push(seg.clone());
                keep -= 1;
            }
            _ => merged.push(seg.clone()),
        }
    }
    merged.extend(as4.segments);
    // Adjacent sequences produced by the cut are one sequence on the wire.
    let mut joined: Vec<AsSegment> = Vec::with_capacity(merged.len());
    for seg in merged {
        match joined.last_mut() {
            Some(last)
                if last.kind == SegmentKind::Sequence && seg.kind == SegmentKind::Sequence =>
            {
                last.asns.extend(seg.asns)
            }
            _ => joined.push(seg),
        }
    }
    path.segments = joined;
}

fn mp_reach(m: &MpReach, ctx: &SessionContext, out: &mut Converted) {
    match m {
        MpReach::Ipv4Unicast { next_hop, next_hop_local, nlri } => {
            let mut nh = vec![*next_hop];
            nh.extend(next_hop_local.map(IpAddr::V6));
            out.mp_reach.push(Reach {
                family: AfiSafi::IPV4_UNICAST,
                next_hop: nh,
                nlri: nlri
                    .iter()
                    .map(|n| Nlri { prefix: n.network().address().into(), path_id: n.path_id() })
                    .collect(),
            });
        }
        MpReach::Ipv6Unicast { next_hop_global, next_hop_local, nlri } => {
            let mut nh = vec![IpAddr::V6(*next_hop_global)];
            nh.extend(next_hop_local.map(IpAddr::V6));
            out.mp_reach.push(Reach {
                family: AfiSafi::IPV6_UNICAST,
                next_hop: nh,
                nlri: nlri
                    .iter()
                    .map(|n| Nlri { prefix: n.network().address().into(), path_id: n.path_id() })
                    .collect(),
            });
        }
        // netgauze keeps the NLRI of families it does not parse as bytes: count them here.
        MpReach::Unknown { value, .. } => {
            let family = AfiSafi::new(u16::from(m.afi()), u8::from(m.safi()));
            let nlri = reach_nlri(value).unwrap_or_default();
            let count = count_raw_nlri(family, nlri, ctx.has_add_path(family)).unwrap_or(0);
            out.not_modelled.push(NotModelled { count, ..not_modelled(family, false, m) });
        }
        other => {
            let family = AfiSafi::new(u16::from(other.afi()), u8::from(other.safi()));
            out.not_modelled.push(not_modelled(family, false, other));
        }
    }
}

fn mp_unreach(m: &MpUnreach, ctx: &SessionContext, out: &mut Converted) {
    match m {
        MpUnreach::Ipv4Unicast { nlri } => out.mp_unreach.extend(
            nlri.iter()
                .map(|n| Nlri { prefix: n.network().address().into(), path_id: n.path_id() }),
        ),
        MpUnreach::Ipv6Unicast { nlri } => out.mp_unreach.extend(
            nlri.iter()
                .map(|n| Nlri { prefix: n.network().address().into(), path_id: n.path_id() }),
        ),
        MpUnreach::Unknown { nlri, .. } => {
            let family = AfiSafi::new(u16::from(m.afi()), u8::from(m.safi()));
            let count = count_raw_nlri(family, nlri, ctx.has_add_path(family)).unwrap_or(0);
            out.not_modelled.push(NotModelled { count, ..not_modelled(family, true, m) });
        }
        other => {
            let family = AfiSafi::new(u16::from(other.afi()), u8::from(other.safi()));
            out.not_modelled.push(not_modelled(family, true, other));
        }
    }
}

fn not_modelled(family: AfiSafi, withdrawn: bool, v: &impl serde::Serialize) -> NotModelled {
    let detail = serde_json::to_value(v).unwrap_or(serde_json::Value::Null);
    let count = count_nlri(&detail);
    NotModelled { family, withdrawn, count, detail }
}

/// Finds the NLRI list in netgauze's serde form of an MP attribute and counts it.
fn count_nlri(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Object(m) => {
            if let Some(serde_json::Value::Array(a)) = m.get("nlri") {
                return a.len();
            }
            m.values().map(count_nlri).max().unwrap_or(0)
        }
        _ => 0,
    }
}

/// An MP_REACH_NLRI or MP_UNREACH_NLRI (by type `code` and value) whose AFI or SAFI
/// netgauze has no name for, e.g. BGP-MUP (SAFI 85). netgauze rejects the whole UPDATE for
/// such an attribute, so the decoder hides it from netgauze and [`convert`] counts it.
pub(crate) fn foreign_family(code: u8, value: &[u8]) -> Option<AfiSafi> {
    if !matches!(code, code::MP_REACH | code::MP_UNREACH) {
        return None;
    }
    // RFC 4760 §3, §4: both attributes start with AFI (2 octets) and SAFI (1 octet).
    let family =
        AfiSafi::new(u16::from_be_bytes([*value.first()?, *value.get(1)?]), *value.get(2)?);
    let known = AddressFamily::try_from(family.afi).is_ok()
        && SubsequentAddressFamily::try_from(family.safi).is_ok();
    (!known).then_some(family)
}

/// The not-modelled record of an MP attribute of a [`foreign_family`].
fn foreign_not_modelled(
    code: u8,
    family: AfiSafi,
    value: &[u8],
    ctx: &SessionContext,
) -> NotModelled {
    let withdrawn = code == code::MP_UNREACH;
    let after_family = &value[3..];
    let nlri = if withdrawn { Some(after_family) } else { reach_nlri(after_family) };
    let count = nlri.and_then(|n| count_raw_nlri(family, n, ctx.has_add_path(family))).unwrap_or(0);
    let detail = serde_json::json!({"afi": family.afi, "safi": family.safi, "value": hex(value)});
    NotModelled { family, withdrawn, count, detail }
}

/// The NLRI of an MP_REACH_NLRI value that follows AFI and SAFI: after the next hop length,
/// the next hop and the reserved octet (RFC 4760 §3).
fn reach_nlri(after_family: &[u8]) -> Option<&[u8]> {
    let nh_len = *after_family.first()? as usize;
    after_family.get(1 + nh_len + 1..)
}

/// Counts NLRI of a family netgauze keeps as raw bytes, from each encoding's length fields.
/// `None` when the encoding is not known here or the lengths do not add up.
fn count_raw_nlri(family: AfiSafi, mut nlri: &[u8], add_path: bool) -> Option<usize> {
    let mut count = 0;
    while !nlri.is_empty() {
        if add_path {
            nlri = nlri.get(4..)?; // RFC 7911 §3: path identifier first
        }
        let b = |i: usize| nlri.get(i).map(|&b| b as usize);
        let (header, len) = match family.safi {
            // MCAST-VPN (RFC 6514 §4) and EVPN (RFC 7432 §7): type, length in octets.
            5 | 70 => (2, b(1)?),
            // VPLS (RFC 4761 §3.2.2): 2-octet length in octets.
            65 => (2, (b(0)? << 8) | b(1)?),
            // SR Policy (RFC 9830 §2.1): length in bits.
            73 => (1, b(0)?.div_ceil(8)),
            // BGP-MUP (draft-mpmz-bess-mup-safi §3): architecture, 2-octet route type, length.
            85 => (4, b(3)?),
            // FlowSpec and FlowSpec VPN (RFC 8955 §4.1, §8): 1 octet below 240, else 0xfnnn.
            133 | 134 if b(0)? < 0xf0 => (1, b(0)?),
            133 | 134 => (2, ((b(0)? & 0x0f) << 8) | b(1)?),
            _ => return None,
        };
        nlri = nlri.get(header + len..)?;
        count += 1;
    }
    Some(count)
}
