//! The parsing context of each direction of each TCP connection, learned from the OPENs it
//! carries, or guessed when the capture starts after them.
//!
//! - Both OPENs seen: [`SessionContext::negotiated`] per direction (RFC 6793 §4, RFC 7911 §4,
//!   RFC 8654 §3). This is definitive: a message that does not decode is an error.
//! - One OPEN seen: the sender's direction uses [`SessionContext::offered`]; the other
//!   direction takes the AS number width and extended messages from the receiver's OPEN and
//!   no ADD-PATH (the sender's capabilities are unknown).
//! - No OPEN: 4-octet AS, no ADD-PATH, extended messages allowed (what most sessions run).
//!
//! Short of both OPENs the context is a guess, checked by every UPDATE: when one does not
//! decode cleanly (an error, or an RFC 7606 attribute error), the other AS widths and
//! ADD-PATH settings for IPv4/IPv6 unicast are tried; the first that decodes cleanly, or else
//! the one with the fewest errors if it beats the guess, becomes the direction's context.

use serde::Serialize;
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};

use super::StreamStats;
use crate::reassembly::Flow;
use bgpstorm_wire::framing::kind;
use bgpstorm_wire::{AfiSafi, Message, MessageDecoder, Open, SessionContext, WireError};

/// Where the context a message was decoded with came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContextSource {
    /// Both OPENs of the session were seen.
    Negotiated,
    /// Only the sender's OPEN was seen.
    SenderOpen,
    /// Only the receiver's OPEN was seen.
    ReceiverOpen,
    /// No OPEN was seen (the capture started mid-session).
    Guessed,
}

/// A BGP speaker as its OPEN describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Speaker {
    /// Its AS (the 4-octet capability's value when present).
    pub asn: u32,
    /// Its BGP identifier.
    pub bgp_id: Ipv4Addr,
}

impl Speaker {
    fn of(open: &Open) -> Self {
        Self { asn: open.asn, bgp_id: open.bgp_id }
    }
}

/// A message decoded under its direction's context.
pub(crate) struct Decoded {
    pub message: Result<Message, WireError>,
    pub context: ContextSource,
    pub sender: Option<Speaker>,
}

struct Direction {
    decoder: MessageDecoder,
    source: ContextSource,
}

impl Direction {
    fn new(ctx: SessionContext, source: ContextSource) -> Self {
        Self { decoder: MessageDecoder::new(ctx), source }
    }
}

/// One TCP connection: side 0 is the lower (address, port) endpoint.
struct Connection {
    opens: [Option<Open>; 2],
    dirs: [Direction; 2],
}

impl Connection {
    fn new() -> Self {
        let guess = || Direction::new(guessed(), ContextSource::Guessed);
        Self { opens: [None, None], dirs: [guess(), guess()] }
    }

    /// Recomputes both directions' contexts from the OPENs known.
    fn learn(&mut self, side: usize, open: Open) {
        self.opens[side] = Some(open);
        for s in 0..2 {
            let (sender, receiver) = (&self.opens[s], &self.opens[1 - s]);
            let (ctx, source) = match (sender, receiver) {
                (Some(a), Some(b)) => (SessionContext::negotiated(a, b), ContextSource::Negotiated),
                (Some(a), None) => (SessionContext::offered(a), ContextSource::SenderOpen),
                (None, Some(b)) => (from_receiver(b), ContextSource::ReceiverOpen),
                (None, None) => (guessed(), ContextSource::Guessed),
            };
            self.dirs[s].decoder.set_context(ctx);
            self.dirs[s].source = source;
        }
    }
}

/// The context assumed before any OPEN.
fn guessed() -> SessionContext {
    SessionContext { asn4: true, extended_messages: true, add_path: Vec::new() }
}

/// The context of messages towards the speaker that sent `receiver`, the sender unknown.
fn from_receiver(receiver: &Open) -> SessionContext {
    SessionContext {
        asn4: receiver.four_octet_as.is_some(),
        extended_messages: receiver.extended_message,
        add_path: Vec::new(),
    }
}

/// The other contexts worth trying when a guess fails, fewest changes first.
fn alternatives(ctx: &SessionContext) -> Vec<SessionContext> {
    let v4 = ctx.has_add_path(AfiSafi::IPV4_UNICAST);
    let v6 = ctx.has_add_path(AfiSafi::IPV6_UNICAST);
    let flips = [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (1, 0, 1), (0, 1, 1), (1, 1, 1)];
    flips
        .iter()
        .map(|&(a, p4, p6)| {
            let mut alt = SessionContext {
                asn4: ctx.asn4 ^ (a == 1),
                extended_messages: ctx.extended_messages,
                add_path: ctx
                    .add_path
                    .iter()
                    .copied()
                    .filter(|f| *f != AfiSafi::IPV4_UNICAST && *f != AfiSafi::IPV6_UNICAST)
                    .collect(),
            };
            if v4 ^ (p4 == 1) {
                alt = alt.with_add_path(AfiSafi::IPV4_UNICAST);
            }
            if v6 ^ (p6 == 1) {
                alt = alt.with_add_path(AfiSafi::IPV6_UNICAST);
            }
            alt
        })
        .collect()
}

/// How well a context decoded a message: higher is better. A right context decodes cleanly
/// (rank `u32::MAX`: no error, no RFC 7606 repair); short of that, an UPDATE with fewer
/// attribute errors beats one with more, and any UPDATE beats an unusable message (0).
fn rank(r: &Result<Message, WireError>) -> u32 {
    match r {
        Ok(Message::Update(u)) => u32::MAX - u32::try_from(u.errors.len()).unwrap_or(u32::MAX - 1),
        Ok(_) => u32::MAX,
        Err(_) => 0,
    }
}

/// Every connection's OPENs and decoders.
#[derive(Default)]
pub(crate) struct Sessions {
    conns: HashMap<(SocketAddr, SocketAddr), Connection>,
}

fn key(flow: Flow) -> ((SocketAddr, SocketAddr), usize) {
    if flow.src <= flow.dst { ((flow.src, flow.dst), 0) } else { ((flow.dst, flow.src), 1) }
}

impl Sessions {
    /// A new TCP connection (a SYN) on `flow`'s 4-tuple: what the old one negotiated is gone.
    pub(crate) fn reset(&mut self, flow: Flow) {
        self.conns.remove(&key(flow).0);
    }

    /// Decodes one framed message sent on `flow`, learning from OPENs and checking guesses.
    pub(crate) fn decode(&mut self, flow: Flow, bytes: &[u8], stats: &mut StreamStats) -> Decoded {
        let (k, side) = key(flow);
        let conn = self.conns.entry(k).or_insert_with(Connection::new);
        let dir = &mut conn.dirs[side];
        let mut message = dir.decoder.decode(bytes);
        let is_update = bytes.get(18) == Some(&kind::UPDATE);
        if is_update && dir.source != ContextSource::Negotiated {
            stats.guessed_updates += 1;
            let mut best = rank(&message);
            if best < u32::MAX {
                stats.guess_retries += 1;
                let mut better = None;
                for alt in alternatives(dir.decoder.context()) {
                    let mut d = MessageDecoder::new(alt);
                    let m = d.decode(bytes);
                    let r = rank(&m);
                    if r > best {
                        best = r;
                        better = Some((d, m));
                        if r == u32::MAX {
                            break;
                        }
                    }
                }
                if let Some((d, m)) = better {
                    stats.guess_switches += 1;
                    dir.decoder = d;
                    message = m;
                }
            }
        }
        let context = dir.source;
        if let Ok(Message::Open(open)) = &message {
            conn.learn(side, open.clone());
        }
        Decoded { message, context, sender: conn.opens[side].as_ref().map(Speaker::of) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_try_each_as_width_and_add_path_setting_once() {
        let alts = alternatives(&guessed());
        assert_eq!(alts.len(), 7);
        assert_eq!(alts[0], SessionContext { asn4: false, ..guessed() });
        assert_eq!(alts[1], guessed().with_add_path(AfiSafi::IPV4_UNICAST));
        assert!(!alts.contains(&guessed()));
    }

    #[test]
    fn connection_sides_do_not_depend_on_which_way_a_flow_goes() {
        let a: SocketAddr = "192.0.2.1:179".parse().unwrap();
        let b: SocketAddr = "192.0.2.2:40000".parse().unwrap();
        let (k1, s1) = key(Flow { src: a, dst: b });
        let (k2, s2) = key(Flow { src: b, dst: a });
        assert_eq!(k1, k2);
        assert_ne!(s1, s2);
    }
}
