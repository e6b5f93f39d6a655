//! BGP messages for tests that send them over real sockets (RFC 4271 §4).

use std::net::{IpAddr, Ipv4Addr};

use bgpstorm_wire::encode::{encode_keepalive, encode_open, encode_update};
use bgpstorm_wire::model::{AsPath, Origin};
use bgpstorm_wire::open::{Capability, OpenMessage};
use bgpstorm_wire::{AfiSafi, Nlri, PathAttributes, Reach, SessionContext, Update};

/// KEEPALIVE (RFC 4271 §4.4).
pub fn keepalive() -> Vec<u8> {
    encode_keepalive().to_vec()
}

/// OPEN from `asn` (2-octet field AS_TRANS when above 65535) with router id `id`, hold time
/// 90 s, and the multiprotocol IPv4 unicast and 4-octet AS capabilities (RFC 4271 §4.2,
/// RFC 4760, RFC 6793).
pub fn open(asn: u32, id: Ipv4Addr) -> Vec<u8> {
    encode_open(&OpenMessage {
        asn,
        hold_time: 90,
        bgp_id: id,
        capabilities: vec![
            Capability::Multiprotocol(AfiSafi::IPV4_UNICAST),
            Capability::FourOctetAs(asn),
        ],
    })
}

/// UPDATEs from `asn` announcing `count` consecutive /24s from `first` (4-octet AS session),
/// `per_update` prefixes each.
pub fn updates(asn: u32, first: Ipv4Addr, count: u32, per_update: u32) -> Vec<Vec<u8>> {
    let ctx = SessionContext::new(true);
    let nh = Ipv4Addr::new(10, 179, 0, 1);
    let base = u32::from(first);
    (0..count.div_ceil(per_update))
        .map(|u| {
            let nlri = (u * per_update..((u + 1) * per_update).min(count))
                .map(|i| Nlri {
                    prefix: ipnet::Ipv4Net::new(Ipv4Addr::from(base + (i << 8)), 24)
                        .unwrap()
                        .into(),
                    path_id: None,
                })
                .collect();
            let update = Update {
                reach: vec![Reach {
                    family: AfiSafi::IPV4_UNICAST,
                    next_hop: vec![IpAddr::V4(nh)],
                    nlri,
                }],
                attributes: PathAttributes {
                    origin: Some(Origin::Igp),
                    as_path: Some(AsPath::sequence(vec![asn, 174, 3356 + u % 7])),
                    next_hop: Some(nh),
                    med: Some(u),
                    ..PathAttributes::default()
                },
                ..Update::default()
            };
            encode_update(&update, &ctx)
        })
        .collect()
}
