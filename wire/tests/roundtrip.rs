//! Properties of the wire layer: the route model survives encode → decode, and no byte
//! string can make the message decoder panic.

use bgpstorm_wire::encode::encode_update;
use bgpstorm_wire::model::{
    Aggregator, AsPath, AsSegment, Community, ExtendedCommunity, LargeCommunity, Nlri, Origin,
    PathAttributes, RawAttribute, Reach, SegmentKind, Update,
};
use bgpstorm_wire::{AfiSafi, Message, MessageDecoder, SessionContext};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

// Unicast prefixes only: the decoder moves multicast and broadcast ones to `ignored_nlri`
// (tested by `multicast_prefixes_are_ignored_and_reported`), so an address from 224.0.0.0 up
// (or in ff00::/8) has its top bit cleared.
fn v4_prefix() -> impl Strategy<Value = IpNet> {
    (any::<u32>(), 0u8..=32).prop_map(|(a, l)| {
        let a = if a >= 0xe000_0000 { a & 0x7fff_ffff } else { a };
        IpNet::V4(Ipv4Net::new(Ipv4Addr::from(a), l).unwrap().trunc())
    })
}

fn v6_prefix() -> impl Strategy<Value = IpNet> {
    (any::<u128>(), 0u8..=128).prop_map(|(a, l)| {
        let a = if a >> 120 == 0xff { a & !(1 << 127) } else { a };
        IpNet::V6(Ipv6Net::new(Ipv6Addr::from(a), l).unwrap().trunc())
    })
}

fn nlri(p: impl Strategy<Value = IpNet>, add_path: bool) -> impl Strategy<Value = Nlri> {
    (p, any::<u32>()).prop_map(move |(prefix, id)| Nlri { prefix, path_id: add_path.then_some(id) })
}

fn as_path(asn4: bool) -> impl Strategy<Value = AsPath> {
    let kinds = if asn4 {
        prop::sample::select(vec![
            SegmentKind::Sequence,
            SegmentKind::Set,
            SegmentKind::ConfedSequence,
            SegmentKind::ConfedSet,
        ])
    } else {
        // RFC 6793 §4.2.2: AS4_PATH never carries confederation segments, so on 2-octet
        // sessions with 4-octet ASNs only sequences and sets survive the merge unchanged.
        prop::sample::select(vec![SegmentKind::Sequence, SegmentKind::Set])
    };
    prop::collection::vec((kinds, prop::collection::vec(1u32..=u32::MAX, 1..6)), 0..4).prop_map(
        |segs| {
            let mut segments: Vec<AsSegment> = Vec::new();
            for (kind, asns) in segs {
                // Two adjacent sequences are one sequence once on the wire and merged.
                match segments.last_mut() {
                    Some(last)
                        if last.kind == SegmentKind::Sequence && kind == SegmentKind::Sequence =>
                    {
                        last.asns.extend(asns)
                    }
                    _ => segments.push(AsSegment { kind, asns }),
                }
            }
            AsPath { segments }
        },
    )
}

fn attributes(asn4: bool) -> impl Strategy<Value = PathAttributes> {
    (
        (
            prop::sample::select(vec![Origin::Igp, Origin::Egp, Origin::Incomplete]),
            as_path(asn4),
            any::<Option<u32>>(),
            any::<Option<u32>>(),
            any::<bool>(),
        ),
        (
            prop::option::of(
                (1u32.., any::<u32>())
                    .prop_map(|(asn, a)| Aggregator { asn, address: Ipv4Addr::from(a) }),
            ),
            prop::collection::vec(any::<u32>().prop_map(Community), 0..5),
            prop::collection::vec(
                any::<(u32, u32, u32)>().prop_map(|(global, local1, local2)| LargeCommunity {
                    global,
                    local1,
                    local2,
                }),
                0..4,
            ),
            prop::collection::vec(any::<[u8; 8]>().prop_map(ExtendedCommunity), 0..4),
        ),
        (
            prop::option::of(any::<u32>().prop_map(Ipv4Addr::from)),
            prop::collection::vec(any::<u32>().prop_map(Ipv4Addr::from), 0..3),
            prop::collection::vec(
                (200u8..=250, prop::collection::vec(any::<u8>(), 0..40))
                    .prop_map(|(type_code, value)| RawAttribute { flags: 0xc0, type_code, value }),
                0..2,
            ),
        ),
    )
        .prop_map(
            |(
                (origin, as_path, med, local_pref, atomic_aggregate),
                (aggregator, communities, large_communities, extended_communities),
                (originator_id, cluster_list, mut other),
            )| {
                other.sort_by_key(|a| a.type_code);
                other.dedup_by_key(|a| a.type_code);
                PathAttributes {
                    origin: Some(origin),
                    as_path: Some(as_path),
                    next_hop: None,
                    med,
                    local_pref,
                    atomic_aggregate,
                    aggregator,
                    communities,
                    large_communities,
                    extended_communities,
                    originator_id,
                    cluster_list,
                    other,
                }
            },
        )
}

/// An UPDATE as the decoder reports it, for one session context.
fn update() -> impl Strategy<Value = (SessionContext, Update)> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_flat_map(|(asn4, ap4, ap6)| {
        let mut ctx = SessionContext::new(asn4);
        if ap4 {
            ctx = ctx.with_add_path(AfiSafi::IPV4_UNICAST);
        }
        if ap6 {
            ctx = ctx.with_add_path(AfiSafi::IPV6_UNICAST);
        }
        (
            Just(ctx),
            prop::collection::vec(nlri(v4_prefix(), ap4), 0..8),
            prop::collection::vec(nlri(v6_prefix(), ap6), 0..8),
            prop::collection::vec(nlri(v4_prefix(), ap4), 1..8),
            prop::collection::vec(nlri(v6_prefix(), ap6), 0..8),
            any::<u32>().prop_map(Ipv4Addr::from),
            (
                any::<u128>().prop_map(Ipv6Addr::from),
                prop::option::of(any::<u128>().prop_map(Ipv6Addr::from)),
            ),
            attributes(asn4),
        )
            .prop_map(|(ctx, w4, w6, a4, a6, nh4, (nh6, ll6), mut attrs)| {
                attrs.next_hop = Some(nh4);
                let mut reach = vec![Reach {
                    family: AfiSafi::IPV4_UNICAST,
                    next_hop: vec![IpAddr::V4(nh4)],
                    nlri: a4,
                }];
                if !a6.is_empty() {
                    let mut next_hop = vec![IpAddr::V6(nh6)];
                    next_hop.extend(ll6.map(IpAddr::V6));
                    reach.push(Reach { family: AfiSafi::IPV6_UNICAST, next_hop, nlri: a6 });
                }
                let mut withdrawn = w4;
                withdrawn.extend(w6);
                (ctx, Update { withdrawn, reach, attributes: attrs, ..Update::default() })
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn route_model_survives_encode_then_decode((ctx, original) in update()) {
        let bytes = encode_update(&original, &ctx);
        prop_assume!(bytes.len() <= ctx.max_message_len());
        let decoded = MessageDecoder::new(ctx).decode(&bytes);
        prop_assert_eq!(decoded, Ok(Message::Update(original)));
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_message_decoder(body in prop::collection::vec(any::<u8>(), 0..600), t in 1u8..=5, asn4: bool, ap: bool) {
        let mut msg = vec![0xff; 16];
        msg.extend_from_slice(&((body.len() + 19) as u16).to_be_bytes());
        msg.push(t);
        msg.extend_from_slice(&body);
        let mut ctx = SessionContext::new(asn4);
        if ap {
            ctx = ctx.with_add_path(AfiSafi::IPV4_UNICAST).with_add_path(AfiSafi::IPV6_UNICAST);
        }
        let _ = MessageDecoder::new(ctx).decode(&msg);
    }

    #[test]
    fn mutated_updates_never_panic_the_message_decoder((ctx, original) in update(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
        let mut bytes = encode_update(&original, &ctx);
        for (i, b) in flips {
            let at = 19 + i.index(bytes.len() - 19);
            bytes[at] = b;
        }
        let _ = MessageDecoder::new(ctx).decode(&bytes);
    }
}

#[test]
fn multicast_prefixes_are_ignored_and_reported() {
    let ctx = SessionContext::default();
    let net = |s: &str| s.parse::<IpNet>().unwrap();
    let update = Update {
        withdrawn: vec![
            Nlri { prefix: net("224.0.0.0/3"), path_id: None },
            Nlri { prefix: net("10.0.0.0/8"), path_id: None },
        ],
        ..Update::default()
    };
    let Ok(Message::Update(decoded)) =
        MessageDecoder::new(ctx.clone()).decode(&encode_update(&update, &ctx))
    else {
        panic!("not an update")
    };
    assert_eq!(decoded.withdrawn, vec![Nlri { prefix: net("10.0.0.0/8"), path_id: None }]);
    assert_eq!(decoded.ignored_nlri, vec![net("224.0.0.0/3")]);
}
