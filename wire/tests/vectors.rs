//! One vector per message type the speaker sends, checked in both directions:
//! decode(bytes) == value and encode(value) == bytes (RFC 4271 §4, RFC 2918 §3).

use bgpstorm_wire::encode::{
    encode_keepalive, encode_notification, encode_open, encode_route_refresh, encode_update,
};
use bgpstorm_wire::model::{AsPath, Origin};
use bgpstorm_wire::open::{Capability, GracefulRestart, OpenMessage};
use bgpstorm_wire::{
    AfiSafi, Message, MessageDecoder, Nlri, Notification, PathAttributes, Reach, RouteRefresh,
    SessionContext, Update,
};
use std::net::Ipv4Addr;

/// The 16-octet marker, then `rest` (length, type, body) as hex.
fn msg(rest: &str) -> Vec<u8> {
    let hex = format!("{}{}", "ff".repeat(16), rest.replace(' ', ""));
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

fn decode(bytes: &[u8]) -> Message {
    MessageDecoder::new(SessionContext::default()).decode(bytes).expect("decodes")
}

#[test]
fn keepalive_both_ways() {
    let bytes = msg("0013 04");
    assert_eq!(decode(&bytes), Message::Keepalive);
    assert_eq!(encode_keepalive().as_slice(), bytes);
}

#[test]
fn notification_both_ways() {
    // Cease / Administrative Shutdown with an RFC 9003 message "bye".
    let bytes = msg("0019 03 06 02 03 627965");
    let value = Notification {
        code: 6,
        subcode: 2,
        data: "03627965".into(),
        shutdown_message: Some("bye".into()),
    };
    assert_eq!(decode(&bytes), Message::Notification(value));
    assert_eq!(encode_notification(6, 2, &[3, b'b', b'y', b'e']), bytes);
}

#[test]
fn route_refresh_both_ways() {
    // IPv6 unicast, RFC 7313 subtype 0 (normal request).
    let bytes = msg("0017 05 0002 00 01");
    let value = RouteRefresh { family: AfiSafi::IPV6_UNICAST, subtype: 0 };
    assert_eq!(decode(&bytes), Message::RouteRefresh(value));
    assert_eq!(encode_route_refresh(&value).as_slice(), bytes);
}

#[test]
fn open_both_ways() {
    // AS 4200000001 (AS_TRANS 23456 in My AS), hold 90, id 10.0.0.1; capabilities: IPv4
    // unicast, route refresh, graceful restart 120 s for IPv4 unicast, 4-octet AS.
    let bytes = msg("0035 01 04 5ba0 005a 0a000001 18 02 16 \
         01 04 0001 00 01  02 00  40 06 0078 0001 01 00  41 04 fa56ea01");
    let value = OpenMessage {
        asn: 4_200_000_001,
        hold_time: 90,
        bgp_id: Ipv4Addr::new(10, 0, 0, 1),
        capabilities: vec![
            Capability::Multiprotocol(AfiSafi::IPV4_UNICAST),
            Capability::RouteRefresh,
            Capability::GracefulRestart(GracefulRestart {
                restarting: false,
                time: 120,
                families: vec![(AfiSafi::IPV4_UNICAST, false)],
            }),
            Capability::FourOctetAs(4_200_000_001),
        ],
    };
    assert_eq!(encode_open(&value), bytes);
    let Message::Open(o) = decode(&bytes) else { panic!("not an OPEN") };
    assert_eq!((o.version, o.asn, o.hold_time, o.bgp_id), (4, 4_200_000_001, 90, value.bgp_id));
    assert_eq!(o.four_octet_as, Some(4_200_000_001));
    assert_eq!(o.families, [AfiSafi::IPV4_UNICAST]);
    assert!(o.route_refresh && !o.extended_message && o.add_path.is_empty());
    assert_eq!(o.graceful_restart, Some(120));
    assert_eq!(o.capabilities.len(), 4);
}

#[test]
fn update_both_ways() {
    // ORIGIN IGP, AS_PATH (65001), NEXT_HOP 192.0.2.1; NLRI 198.51.100.0/24.
    let bytes = msg("002f 02 0000 0014 \
         40 01 01 00  40 02 06 02 01 0000fde9  40 03 04 c0000201  18 c63364");
    let nh = Ipv4Addr::new(192, 0, 2, 1);
    let value = Update {
        reach: vec![Reach {
            family: AfiSafi::IPV4_UNICAST,
            next_hop: vec![nh.into()],
            nlri: vec![Nlri { prefix: "198.51.100.0/24".parse().unwrap(), path_id: None }],
        }],
        attributes: PathAttributes {
            origin: Some(Origin::Igp),
            as_path: Some(AsPath::sequence(vec![65001])),
            next_hop: Some(nh),
            ..PathAttributes::default()
        },
        ..Update::default()
    };
    assert_eq!(decode(&bytes), Message::Update(value.clone()));
    assert_eq!(encode_update(&value, &SessionContext::default()), bytes);
}
