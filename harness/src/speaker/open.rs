//! OPEN: the capabilities we advertise, the checks on the peer's OPEN, and what the two
//! negotiate (RFC 4271 §4.2, §6.2; RFC 5492 capabilities).

use std::time::Duration;

use bgpstorm_wire::attributes::AS_TRANS;
use bgpstorm_wire::framing::kind;
use bgpstorm_wire::{AfiSafi, Message, MessageDecoder, Open, SessionContext};

use super::config::SessionConfig;
use super::notification::{ErrorCode, open_subcode};

/// Capability codes (IANA "Capability Codes").
mod cap {
    pub const MULTIPROTOCOL: u8 = 1;
    pub const ROUTE_REFRESH: u8 = 2;
    pub const EXTENDED_MESSAGE: u8 = 6;
    pub const GRACEFUL_RESTART: u8 = 64;
    pub const FOUR_OCTET_AS: u8 = 65;
    pub const ADD_PATH: u8 = 69;
}

/// Optional parameter type of capabilities (RFC 5492 §4).
const PARAM_CAPABILITIES: u8 = 2;

/// Encodes our OPEN (RFC 4271 §4.2).
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |    Version    |     My Autonomous System      |   Hold Time   :
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// :               |                BGP Identifier                 :
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// :               | Opt Parm Len  |  Optional Parameters (variable)
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
pub fn encode_open(cfg: &SessionConfig) -> Vec<u8> {
    encode_open_restarting(cfg, false)
}

/// Our OPEN after a graceful restart when `restarting`: the Restart State bit set and, for
/// every family listed, the forwarding state preserved (RFC 4724 §3, §4.1).
pub fn encode_open_restarting(cfg: &SessionConfig, restarting: bool) -> Vec<u8> {
    let mut caps = Vec::with_capacity(64);
    let mut put = |code: u8, value: &[u8]| {
        caps.push(code);
        caps.push(value.len() as u8);
        caps.extend_from_slice(value);
    };
    for f in &cfg.families {
        let a = f.afi.to_be_bytes();
        put(cap::MULTIPROTOCOL, &[a[0], a[1], 0, f.safi]);
    }
    if cfg.route_refresh {
        put(cap::ROUTE_REFRESH, &[]);
    }
    if cfg.extended_messages {
        put(cap::EXTENDED_MESSAGE, &[]);
    }
    if let Some(t) = cfg.graceful_restart {
        // Restart flags (R: restarting), 12-bit restart time, then the families whose routes
        // the peer should keep across a restart, each with its Forwarding State bit
        // (RFC 4724 §3). Without families the capability only asks for End-of-RIB.
        let flags: u16 = if restarting { 0x8000 } else { 0 };
        let mut v = (flags | t.min(4095)).to_be_bytes().to_vec();
        if cfg.graceful_restart_families {
            for f in &cfg.families {
                v.extend_from_slice(&f.afi.to_be_bytes());
                v.push(f.safi);
                v.push(if restarting { 0x80 } else { 0 });
            }
        }
        put(cap::GRACEFUL_RESTART, &v);
    }
    if cfg.four_octet_as {
        put(cap::FOUR_OCTET_AS, &cfg.local_asn.to_be_bytes());
    }
    if !cfg.add_path.is_empty() {
        let mut v = Vec::new();
        for ap in &cfg.add_path {
            v.extend_from_slice(&ap.family.afi.to_be_bytes());
            v.push(ap.family.safi);
            v.push(u8::from(ap.receive) | (u8::from(ap.send) << 1));
        }
        put(cap::ADD_PATH, &v);
    }
    let my_as = if cfg.local_asn > 0xffff { AS_TRANS as u16 } else { cfg.local_asn as u16 };
    let mut m = Vec::with_capacity(29 + 2 + caps.len());
    m.extend_from_slice(&[0xff; 16]);
    m.extend_from_slice(&[0, 0, kind::OPEN, 4]);
    m.extend_from_slice(&my_as.to_be_bytes());
    m.extend_from_slice(&cfg.hold_time.to_be_bytes());
    m.extend_from_slice(&cfg.router_id.octets());
    m.push((caps.len() + 2) as u8);
    m.extend_from_slice(&[PARAM_CAPABILITIES, caps.len() as u8]);
    m.extend_from_slice(&caps);
    let len = m.len() as u16;
    m[16..18].copy_from_slice(&len.to_be_bytes());
    m
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
    if msg.len() < 29 || msg[18] != kind::OPEN {
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
        (ErrorCode::Open as u8, self.subcode)
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
    // AS_TRANS for a 4-octet ASN (RFC 6793 §4.2.1).
    let peer_asn = if cfg.four_octet_as || peer.asn <= 0xffff { peer.asn } else { AS_TRANS };
    if peer_asn != cfg.peer_asn {
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
            if code == cap::GRACEFUL_RESTART {
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
