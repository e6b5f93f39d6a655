//! The OPEN message with its capabilities (RFC 4271 §4.2, RFC 5492 §4).

use super::{patch_len, start};
use crate::attributes::AS_TRANS;
use crate::iana::{CapabilityCode, MessageType, OpenParameter};
use crate::open::{Capability, GracefulRestart, OpenMessage};

/// Encodes an OPEN.
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
pub fn encode_open(open: &OpenMessage) -> Vec<u8> {
    let mut caps = Vec::with_capacity(64);
    for c in &open.capabilities {
        put_capability(&mut caps, c);
    }
    let my_as = u16::try_from(open.asn).unwrap_or(AS_TRANS as u16);
    let mut m = Vec::with_capacity(29 + 2 + caps.len());
    start(&mut m, MessageType::Open);
    m.push(4);
    m.extend_from_slice(&my_as.to_be_bytes());
    m.extend_from_slice(&open.hold_time.to_be_bytes());
    m.extend_from_slice(&open.bgp_id.octets());
    m.push((caps.len() + 2) as u8);
    m.extend_from_slice(&[OpenParameter::Capabilities.into(), caps.len() as u8]);
    m.extend_from_slice(&caps);
    patch_len(&mut m);
    m
}

/// Appends one capability: code, length, value (RFC 5492 §4).
fn put_capability(buf: &mut Vec<u8>, cap: &Capability) {
    let mut put = |code: CapabilityCode, value: &[u8]| {
        buf.push(code.into());
        buf.push(value.len() as u8);
        buf.extend_from_slice(value);
    };
    match cap {
        Capability::Multiprotocol(f) => {
            let a = f.afi.to_be_bytes();
            put(CapabilityCode::Multiprotocol, &[a[0], a[1], 0, f.safi]);
        }
        Capability::RouteRefresh => put(CapabilityCode::RouteRefresh, &[]),
        Capability::ExtendedMessage => put(CapabilityCode::ExtendedMessage, &[]),
        Capability::GracefulRestart(gr) => put(CapabilityCode::GracefulRestart, &gr_value(gr)),
        Capability::FourOctetAs(asn) => put(CapabilityCode::FourOctetAs, &asn.to_be_bytes()),
        Capability::AddPath(families) => {
            let mut v = Vec::with_capacity(4 * families.len());
            for ap in families {
                v.extend_from_slice(&ap.family.afi.to_be_bytes());
                v.push(ap.family.safi);
                v.push(u8::from(ap.receive) | (u8::from(ap.send) << 1));
            }
            put(CapabilityCode::AddPath, &v);
        }
    }
}

/// Restart flags (R: restarting) and 12-bit restart time, then per family AFI, SAFI and the
/// flags octet whose top bit is Forwarding State (RFC 4724 §3).
fn gr_value(gr: &GracefulRestart) -> Vec<u8> {
    let flags: u16 = if gr.restarting { 0x8000 } else { 0 };
    let mut v = (flags | gr.time.min(4095)).to_be_bytes().to_vec();
    for (family, forwarding) in &gr.families {
        v.extend_from_slice(&family.afi.to_be_bytes());
        v.push(family.safi);
        v.push(if *forwarding { 0x80 } else { 0 });
    }
    v
}
