//! OPEN: the capabilities we advertise, the checks on the peer's OPEN, and what the two
//! negotiate (RFC 4271 §4.2, §6.2; RFC 5492 capabilities).

use std::time::Duration;

use bgpstorm_wire::attributes::AS_TRANS;
use bgpstorm_wire::encode::encode_open as wire_encode_open;
use bgpstorm_wire::iana::MessageType;
use bgpstorm_wire::message::AddPathFamily;
use bgpstorm_wire::open::{Capability, GracefulRestart, OpenMessage};
use bgpstorm_wire::{AfiSafi, Message, MessageDecoder, Open, SessionContext};

use super::config::SessionConfig;
use super::notification::{ErrorCode, open_subcode};

/// Encodes our OPEN (RFC 4271 §4.2) with the wire crate's encoder.
pub fn encode_open(cfg: &SessionConfig) -> Vec<u8> {
    encode_open_restarting(cfg, false)
}

/// Our OPEN after a graceful restart when `restarting`: the Restart State bit set and, for
/// every family listed, the forwarding state preserved (RFC 4724 §3, §4.1).
pub fn encode_open_restarting(cfg: &SessionConfig, restarting: bool) -> Vec<u8> {
    wire_encode_open(&open_message(cfg, restarting))
}

/// Our OPEN as the wire crate's value: capabilities in the order we have always sent them.
pub fn open_message(cfg: &SessionConfig, restarting: bool) -> OpenMessage {
    let mut caps: Vec<Capability> =
        cfg.families.iter().map(|f| Capability::Multiprotocol(*f)).collect();
    if cfg.route_refresh {
        caps.push(Capability::RouteRefresh);
    }
    if cfg.extended_messages {
        caps.push(Capability::ExtendedMessage);
    }
    if let Some(time) = cfg.graceful_restart {
        // Without families the capability only asks for End-of-RIB (RFC 4724 §3).
        let families = if cfg.graceful_restart_families {
            cfg.families.iter().map(|f| (*f, restarting)).collect()
        } else {
            Vec::new()
        };
        caps.push(Capability::GracefulRestart(GracefulRestart { restarting, time, families }));
    }
    if cfg.four_octet_as {
        caps.push(Capability::FourOctetAs(cfg.local_asn));
    }
    if !cfg.add_path.is_empty() {
        caps.push(Capability::AddPath(
            cfg.add_path
                .iter()
                .map(|ap| AddPathFamily { family: ap.family, send: ap.send, receive: ap.receive })
                .collect(),
        ));
    }
    OpenMessage {
        asn: cfg.local_asn,
        hold_time: cfg.hold_time,
        bgp_id: cfg.router_id,
        capabilities: caps,
    }
}

/// Our OPEN in the wire layer's model (decoded from our own bytes, so both sides of the
/// negotiation are read by the same code). An error here is a bug in our encoder.
pub fn our_open(cfg: &SessionConfig) -> Result<Open, String> {
    let bytes = encode_open(cfg);
    match MessageDecoder::new(SessionContext::default()).decode(&bytes) {
        Ok(Message::Open(o)) => Ok(o),
        other => Err(format!("our own OPEN does not decode: {other:?}")),
    }
}

/// Checks the fields of a raw OPEN that the wire decoder rejects without saying why, so
/// that the NOTIFICATION has the right subcode (RFC 4271 §6.2).
pub fn precheck(msg: &[u8]) -> Result<(), OpenError> {
    if msg.len() < 29 || msg[18] != u8::from(MessageType::Open) {
        return Ok(());
    }
    if msg[19] != 4 {
        let reason = format!("peer speaks BGP version {}, we speak 4", msg[19]);
        return Err(OpenError {
            subcode: open_subcode::UNSUPPORTED_VERSION,
            data: vec![0, 4],
            reason,
        });
    }
    let hold = u16::from_be_bytes([msg[22], msg[23]]);
    if matches!(hold, 1 | 2) {
        let reason = format!("hold time {hold} is not 0 or at least 3");
        return Err(OpenError {
            subcode: open_subcode::UNACCEPTABLE_HOLD_TIME,
            data: Vec::new(),
            reason,
        });
    }
    Ok(())
}

/// An error found in the peer's OPEN: the NOTIFICATION to send (RFC 4271 §6.2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct OpenError {
    /// Error subcode of OPEN Message Error.
    pub subcode: u8,
    /// Data field.
    pub data: Vec<u8>,
    /// What was wrong.
    pub reason: String,
}

impl OpenError {
    /// (code, subcode) of the NOTIFICATION.
    pub fn notification(&self) -> (u8, u8) {
        (ErrorCode::OpenMessage as u8, self.subcode)
    }
}

/// What our OPEN and the peer's negotiated.
#[derive(Clone, Debug)]
pub struct Negotiated {
    /// The peer's OPEN.
    pub peer: Open,
    /// Hold time in force: the smaller of the two (RFC 4271 §4.2); 0 means no timers.
    pub hold_time: u16,
    /// How our messages to the peer are encoded.
    pub send: SessionContext,
    /// How the peer's messages to us are decoded.
    pub receive: SessionContext,
    /// Families both sides offered (IPv4 unicast is implied when the peer offers none,
    /// RFC 4760 §8).
    pub families: Vec<AfiSafi>,
    /// Both sides support route refresh.
    pub route_refresh: bool,
    /// Both sides advertised graceful restart, so End-of-RIB markers are expected.
    pub graceful_restart: bool,
}

impl Negotiated {
    /// KeepaliveTime: one third of the hold time (RFC 4271 §10), `None` when it is 0.
    pub fn keepalive_interval(&self) -> Option<Duration> {
        (self.hold_time > 0).then(|| Duration::from_millis(u64::from(self.hold_time) * 1000 / 3))
    }

    /// The hold time as a duration, `None` when it is 0.
    pub fn hold(&self) -> Option<Duration> {
        (self.hold_time > 0).then(|| Duration::from_secs(u64::from(self.hold_time)))
    }

    /// Whether the session carries a family.
    pub fn has_family(&self, family: AfiSafi) -> bool {
        self.families.contains(&family)
    }
}

/// Checks the peer's OPEN against our configuration and negotiates (RFC 4271 §6.2,
/// RFC 6793 §4.1 for the AS, RFC 4760 §8 for families).
pub fn negotiate(cfg: &SessionConfig, ours: &Open, peer: Open) -> Result<Negotiated, OpenError> {
    let err = |subcode, data: Vec<u8>, reason: String| Err(OpenError { subcode, data, reason });
    if peer.version != 4 {
        let reason = format!("peer speaks BGP version {}, we speak 4", peer.version);
        return err(open_subcode::UNSUPPORTED_VERSION, vec![0, 4], reason);
    }
    // A 2-octet speaker does not understand the 4-octet capability: it sees My AS, which is
    // AS_TRANS for a 4-octet ASN (RFC 6793 §4.2.1). Its peer may be configured either way: by
    // the real 4-octet ASN (as a scenario names the DUT's AS) or by AS_TRANS itself.
    let two_octet = |asn: u32| if cfg.four_octet_as || asn <= 0xffff { asn } else { AS_TRANS };
    if two_octet(peer.asn) != two_octet(cfg.peer_asn) {
        let reason = format!("peer says AS {}, configured AS {}", peer.asn, cfg.peer_asn);
        return err(open_subcode::BAD_PEER_AS, Vec::new(), reason);
    }
    if matches!(peer.hold_time, 1 | 2) {
        let reason = format!("hold time {} is not 0 or at least 3", peer.hold_time);
        return err(open_subcode::UNACCEPTABLE_HOLD_TIME, Vec::new(), reason);
    }
    // RFC 6286 §2.2: the identifier must not be 0, nor ours on an external session... nor on
    // an internal one (it would be a loop to ourselves).
    if peer.bgp_id.is_unspecified() || peer.bgp_id == cfg.router_id {
        let reason = format!("peer BGP identifier {} is 0 or ours", peer.bgp_id);
        return err(open_subcode::BAD_BGP_ID, Vec::new(), reason);
    }
    let peer_families =
        if peer.families.is_empty() { vec![AfiSafi::IPV4_UNICAST] } else { peer.families.clone() };
    let families: Vec<AfiSafi> =
        cfg.families.iter().copied().filter(|f| peer_families.contains(f)).collect();
    Ok(Negotiated {
        hold_time: cfg.hold_time.min(peer.hold_time),
        send: SessionContext::negotiated(ours, &peer),
        receive: SessionContext::negotiated(&peer, ours),
        families,
        route_refresh: ours.route_refresh && peer.route_refresh,
        graceful_restart: ours.graceful_restart.is_some() && peer.graceful_restart.is_some(),
        peer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::speaker::config::AddPath;
    use std::net::Ipv4Addr;

    fn cfg(asn: u32, peer: u32, id: [u8; 4]) -> SessionConfig {
        SessionConfig::new(asn, peer, Ipv4Addr::from(id))
    }

    #[test]
    fn our_open_decodes_to_what_we_configured() {
        let mut c = cfg(4_200_000_001, 65000, [10, 0, 0, 1]);
        c.extended_messages = true;
        c.add_path = vec![AddPath { family: AfiSafi::IPV4_UNICAST, send: true, receive: false }];
        let o = our_open(&c).expect("decodes");
        assert_eq!(o.asn, 4_200_000_001);
        assert_eq!(o.four_octet_as, Some(4_200_000_001));
        assert_eq!(o.families, vec![AfiSafi::IPV4_UNICAST, AfiSafi::IPV6_UNICAST]);
        assert!(o.route_refresh && o.extended_message);
        assert_eq!(o.graceful_restart, Some(120));
        assert_eq!(o.add_path.len(), 1);
        assert!(o.add_path[0].send && !o.add_path[0].receive);
        // My AS is AS_TRANS for a 4-octet ASN (RFC 6793 §4.2.1).
        assert_eq!(&encode_open(&c)[20..22], &(AS_TRANS as u16).to_be_bytes());
    }

    /// The graceful restart capability's value in an encoded OPEN.
    fn gr_value(open: &[u8]) -> Vec<u8> {
        let caps = &open[31..];
        let mut i = 0;
        while i + 1 < caps.len() {
            let (code, len) = (caps[i], caps[i + 1] as usize);
            if code == u8::from(bgpstorm_wire::iana::CapabilityCode::GracefulRestart) {
                return caps[i + 2..i + 2 + len].to_vec();
            }
            i += 2 + len;
        }
        Vec::new()
    }

    #[test]
    fn graceful_restart_capability_lists_families_and_restart_state_when_asked() {
        let mut c = cfg(65001, 65000, [10, 0, 0, 1]);
        // End-of-RIB only: restart time, no families.
        assert_eq!(gr_value(&encode_open(&c)), vec![0x00, 120]);
        c.graceful_restart_families = true;
        // Before a restart: families listed, R and F clear.
        assert_eq!(gr_value(&encode_open(&c)), vec![0x00, 120, 0, 1, 1, 0, 0, 2, 1, 0]);
        // After one (RFC 4724 §4.1): R set, forwarding state preserved for every family.
        let restarted = encode_open_restarting(&c, true);
        assert_eq!(gr_value(&restarted), vec![0x80, 120, 0, 1, 1, 0x80, 0, 2, 1, 0x80]);
        let o = match MessageDecoder::new(SessionContext::default()).decode(&restarted) {
            Ok(Message::Open(o)) => o,
            other => panic!("restarting OPEN does not decode: {other:?}"),
        };
        assert_eq!(o.graceful_restart, Some(120));
    }

    #[test]
    fn negotiation_takes_the_smaller_hold_time_and_common_families() {
        let a = cfg(65001, 65002, [10, 0, 0, 1]);
        let mut b = cfg(65002, 65001, [10, 0, 0, 2]);
        b.hold_time = 9;
        b.families = vec![AfiSafi::IPV6_UNICAST];
        let n = negotiate(&a, &our_open(&a).expect("decodes"), our_open(&b).expect("decodes"))
            .expect("valid OPEN");
        assert_eq!(n.hold_time, 9);
        assert_eq!(n.keepalive_interval(), Some(Duration::from_secs(3)));
        assert_eq!(n.families, vec![AfiSafi::IPV6_UNICAST]);
        assert!(n.send.asn4 && n.graceful_restart && n.route_refresh);
    }

    #[test]
    fn wrong_peer_as_is_open_error_bad_peer_as() {
        let a = cfg(65001, 65009, [10, 0, 0, 1]);
        let b = cfg(65002, 65001, [10, 0, 0, 2]);
        let e = negotiate(&a, &our_open(&a).expect("decodes"), our_open(&b).expect("decodes"))
            .unwrap_err();
        assert_eq!(e.notification(), (2, 2));
    }

    #[test]
    fn same_identifier_is_bad_bgp_identifier() {
        let a = cfg(65001, 65002, [10, 0, 0, 1]);
        let b = cfg(65002, 65001, [10, 0, 0, 1]);
        assert_eq!(
            negotiate(&a, &our_open(&a).expect("decodes"), our_open(&b).expect("decodes"))
                .unwrap_err()
                .notification(),
            (2, 3)
        );
    }

    #[test]
    fn a_two_octet_speaker_accepts_a_4_octet_peer_configured_by_its_real_asn_or_as_trans() {
        let dut = cfg(4_200_000_000, 65100, [10, 0, 0, 1]);
        for configured in [4_200_000_000, 23456] {
            let mut old = cfg(65100, configured, [10, 0, 0, 2]);
            old.four_octet_as = false;
            let n = negotiate(&old, &our_open(&old).unwrap(), our_open(&dut).unwrap())
                .unwrap_or_else(|e| panic!("peer configured as {configured}: {}", e.reason));
            assert!(!n.send.asn4 && !n.receive.asn4);
        }
        // Any other 4-octet AS is AS_TRANS too: a 2-octet speaker cannot tell them apart.
        // Another 2-octet AS is the wrong AS.
        let mut old = cfg(65100, 65001, [10, 0, 0, 2]);
        old.four_octet_as = false;
        let e = negotiate(&old, &our_open(&old).unwrap(), our_open(&dut).unwrap()).unwrap_err();
        assert_eq!(e.notification(), (2, 2), "{}", e.reason);
    }

    #[test]
    fn two_octet_peer_gets_two_octet_context() {
        let a = cfg(4_200_000_001, 65002, [10, 0, 0, 1]);
        let mut b = cfg(65002, 23456, [10, 0, 0, 2]);
        b.four_octet_as = false;
        let mut a2 = a.clone();
        a2.peer_asn = 65002;
        let n = negotiate(&a2, &our_open(&a2).expect("decodes"), our_open(&b).expect("decodes"))
            .expect("valid OPEN");
        assert!(!n.send.asn4 && !n.receive.asn4);
    }
}
