//! One BGP message under a session context chosen by the first input byte.
//!
//! Byte 0: bit 0 4-octet AS, bit 1 ADD-PATH IPv4 unicast, bit 2 ADD-PATH IPv6 unicast,
//! bit 3 extended messages, bit 4 "body only": the decoder gets a valid 19-byte header
//! (marker, the right length, type from byte 1) in front of the rest, so that the fuzzer
//! spends its time in the message bodies rather than rediscovering the marker.

#![no_main]

use bgpstorm_wire::{AfiSafi, MessageDecoder, SessionContext};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let mut ctx = SessionContext::new(selector & 1 != 0);
    if selector & 2 != 0 {
        ctx = ctx.with_add_path(AfiSafi::IPV4_UNICAST);
    }
    if selector & 4 != 0 {
        ctx = ctx.with_add_path(AfiSafi::IPV6_UNICAST);
    }
    ctx.extended_messages = selector & 8 != 0;
    let mut decoder = MessageDecoder::new(ctx);
    if selector & 16 == 0 {
        let _ = decoder.decode(rest);
        return;
    }
    let Some((&kind, body)) = rest.split_first() else { return };
    let Ok(len) = u16::try_from(19 + body.len()) else { return };
    let mut msg = vec![0xff; 16];
    msg.extend_from_slice(&len.to_be_bytes());
    msg.push(kind % 5 + 1); // OPEN, UPDATE, NOTIFICATION, KEEPALIVE, ROUTE-REFRESH
    msg.extend_from_slice(body);
    let _ = decoder.decode(&msg);
});
