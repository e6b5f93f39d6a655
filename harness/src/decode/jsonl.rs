//! JSON lines output: one object per BGP message, state change, RIB entry or record outside
//! the model, with every decoded field. Keys come in a fixed order (the order of the fields
//! below, then the route model's own), so outputs can be diffed and snapshotted.
//!
//! Every line starts with `source` (`mrt` or `pcap`), `file` and `kind`:
//! - `message` (MRT BGP4MP/BGP4MP_ET and captures): the envelope (MRT peer and local
//!   addresses and AS numbers, or the capture's flow, sender and decoding context), then
//!   `message` (the decoded message, tagged by its `type`) or `error`.
//! - `state` (BGP4MP state changes), `rib` (TABLE_DUMP_V2 and TABLE_DUMP entries, one line
//!   per entry), `peer_index` (the TABLE_DUMP_V2 peer table), `not_modelled` (records of
//!   types we do not carry; their raw bytes are in the file at `offset`).
//! - captures also say where flows `opened`, `closed`, had a `gap` or a `resync`, and where
//!   the capture file broke (`capture_error`).

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};

use bgpstorm_monitor::reassembly::{CloseReason, Flow, GapCause};
use bgpstorm_monitor::stream::{CapturedMessage, ContextSource, Speaker, StreamItem};
use bgpstorm_wire::mrt::{MrtBody, MrtRecord, PeerEntry, RibRoute};
use bgpstorm_wire::{Message, WireError};
use ipnet::IpNet;
use serde::Serialize;

/// The fields every MRT line starts with.
#[derive(Serialize)]
struct MrtHead<'a> {
    source: &'static str,
    file: &'a str,
    kind: &'static str,
    offset: u64,
    mrt_type: String,
    mrt_subtype: u16,
    timestamp: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    microseconds: Option<u32>,
}

#[derive(Serialize)]
struct MrtMessage<'a> {
    #[serde(flatten)]
    head: MrtHead<'a>,
    peer_ip: IpAddr,
    peer_asn: u32,
    local_ip: IpAddr,
    local_asn: u32,
    interface_index: u16,
    local: bool,
    add_path: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a WireError>,
}

#[derive(Serialize)]
struct MrtState<'a> {
    #[serde(flatten)]
    head: MrtHead<'a>,
    peer_ip: IpAddr,
    peer_asn: u32,
    local_ip: IpAddr,
    local_asn: u32,
    old_state: u16,
    new_state: u16,
}

#[derive(Serialize)]
struct MrtRib<'a> {
    #[serde(flatten)]
    head: MrtHead<'a>,
    prefix: IpNet,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_id: Option<u32>,
    peer_ip: IpAddr,
    peer_asn: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    peer_bgp_id: Option<Ipv4Addr>,
    originated: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    route: Option<RouteView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a WireError>,
}

#[derive(Serialize)]
struct RouteView<'a> {
    next_hop: &'a [IpAddr],
    attributes: &'a bgpstorm_wire::PathAttributes,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [bgpstorm_wire::rfc7606::AttributeError],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    not_modelled: &'a [bgpstorm_wire::model::NotModelled],
}

impl<'a> From<&'a RibRoute> for RouteView<'a> {
    fn from(r: &'a RibRoute) -> Self {
        Self {
            next_hop: &r.next_hop,
            attributes: &r.attributes,
            errors: &r.errors,
            not_modelled: &r.not_modelled,
        }
    }
}

#[derive(Serialize)]
struct MrtPeerIndex<'a> {
    #[serde(flatten)]
    head: MrtHead<'a>,
    collector_id: Ipv4Addr,
    view_name: &'a str,
    peers: Vec<PeerView>,
}

#[derive(Serialize)]
struct PeerView {
    bgp_id: Ipv4Addr,
    ip: IpAddr,
    asn: u32,
}

impl From<&PeerEntry> for PeerView {
    fn from(p: &PeerEntry) -> Self {
        Self { bgp_id: p.bgp_id, ip: p.ip, asn: p.asn }
    }
}

#[derive(Serialize)]
struct MrtNotModelled<'a> {
    #[serde(flatten)]
    head: MrtHead<'a>,
    what: &'a str,
    length: u32,
}

fn head<'a>(file: &'a str, kind: &'static str, r: &MrtRecord) -> MrtHead<'a> {
    MrtHead {
        source: "mrt",
        file,
        kind,
        offset: r.offset,
        mrt_type: r.header.kind().to_string(),
        mrt_subtype: r.header.subtype,
        timestamp: r.header.timestamp,
        microseconds: r.header.microseconds,
    }
}

fn line(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// Writes the lines of one MRT record.
pub fn write_record(out: &mut impl Write, file: &str, r: &MrtRecord) -> io::Result<()> {
    match &r.body {
        MrtBody::Message(m) => line(
            out,
            &MrtMessage {
                head: head(file, "message", r),
                peer_ip: m.peer_ip,
                peer_asn: m.peer_asn,
                local_ip: m.local_ip,
                local_asn: m.local_asn,
                interface_index: m.interface_index,
                local: m.is_local(),
                add_path: m.add_path,
                message: m.message.as_ref().ok(),
                error: m.message.as_ref().err(),
            },
        ),
        MrtBody::StateChange(s) => line(
            out,
            &MrtState {
                head: head(file, "state", r),
                peer_ip: s.peer_ip,
                peer_asn: s.peer_asn,
                local_ip: s.local_ip,
                local_asn: s.local_asn,
                old_state: s.old_state,
                new_state: s.new_state,
            },
        ),
        MrtBody::Rib(rib) => {
            for e in &rib.entries {
                line(
                    out,
                    &MrtRib {
                        head: head(file, "rib", r),
                        prefix: rib.prefix,
                        path_id: e.path_id,
                        peer_ip: e.peer.ip,
                        peer_asn: e.peer.asn,
                        peer_bgp_id: Some(e.peer.bgp_id),
                        originated: e.originated,
                        route: e.route.as_ref().ok().map(RouteView::from),
                        error: e.route.as_ref().err(),
                    },
                )?;
            }
            Ok(())
        }
        MrtBody::TableDump(t) => line(
            out,
            &MrtRib {
                head: head(file, "rib", r),
                prefix: t.prefix,
                path_id: None,
                peer_ip: t.peer_ip,
                peer_asn: t.peer_asn,
                peer_bgp_id: None,
                originated: t.originated,
                route: t.route.as_ref().ok().map(RouteView::from),
                error: t.route.as_ref().err(),
            },
        ),
        MrtBody::PeerIndexTable(p) => line(
            out,
            &MrtPeerIndex {
                head: head(file, "peer_index", r),
                collector_id: p.collector_id,
                view_name: &p.view_name,
                peers: p.peers.iter().map(PeerView::from).collect(),
            },
        ),
        MrtBody::NotModelled(n) => line(
            out,
            &MrtNotModelled {
                head: head(file, "not_modelled", r),
                what: &n.what,
                length: r.header.length,
            },
        ),
    }
}

/// The fields every capture line starts with.
#[derive(Serialize)]
struct CaptureHead<'a> {
    source: &'static str,
    file: &'a str,
    kind: &'static str,
    /// Capture time, nanoseconds since the epoch.
    ts_ns: u64,
    flow: Option<&'a Flow>,
}

#[derive(Serialize)]
struct CaptureMessage<'a> {
    #[serde(flatten)]
    head: CaptureHead<'a>,
    offset: u64,
    length: usize,
    sender: Option<&'a Speaker>,
    context: ContextSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a WireError>,
}

#[derive(Serialize)]
struct CaptureEventLine<'a> {
    #[serde(flatten)]
    head: CaptureHead<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    syn: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unsynced: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<GapCause>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<CloseReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl<'a> CaptureEventLine<'a> {
    fn new(file: &'a str, kind: &'static str, ts_ns: u64, flow: Option<&'a Flow>) -> Self {
        Self {
            head: CaptureHead { source: "pcap", file, kind, ts_ns, flow },
            syn: None,
            seq: None,
            offset: None,
            bytes: None,
            unsynced: None,
            cause: None,
            reason: None,
            error: None,
        }
    }
}

fn message_line<'a>(file: &'a str, m: &'a CapturedMessage) -> CaptureMessage<'a> {
    CaptureMessage {
        head: CaptureHead {
            source: "pcap",
            file,
            kind: "message",
            ts_ns: m.ts_ns,
            flow: Some(&m.flow),
        },
        offset: m.offset,
        length: m.raw.len(),
        sender: m.sender.as_ref(),
        context: m.context,
        message: m.message.as_ref().ok(),
        error: m.message.as_ref().err(),
    }
}

/// Writes the line of one item of a decoded capture.
pub fn write_captured(out: &mut impl Write, file: &str, item: &StreamItem) -> io::Result<()> {
    match item {
        StreamItem::Message(m) => line(out, &message_line(file, m)),
        StreamItem::Opened { flow, ts_ns, syn } => line(
            out,
            &CaptureEventLine {
                syn: Some(*syn),
                ..CaptureEventLine::new(file, "opened", *ts_ns, Some(flow))
            },
        ),
        StreamItem::Gap { flow, ts_ns, seq, offset, len, cause } => line(
            out,
            &CaptureEventLine {
                seq: Some(*seq),
                offset: Some(*offset),
                bytes: Some(*len),
                cause: Some(*cause),
                ..CaptureEventLine::new(file, "gap", *ts_ns, Some(flow))
            },
        ),
        StreamItem::Resync { flow, ts_ns, offset, dropped } => line(
            out,
            &CaptureEventLine {
                offset: Some(*offset),
                bytes: Some(*dropped),
                ..CaptureEventLine::new(file, "resync", *ts_ns, Some(flow))
            },
        ),
        StreamItem::Closed { flow, ts_ns, reason, unfinished, unsynced } => line(
            out,
            &CaptureEventLine {
                reason: Some(*reason),
                bytes: Some(*unfinished),
                unsynced: Some(*unsynced),
                ..CaptureEventLine::new(file, "closed", *ts_ns, Some(flow))
            },
        ),
        StreamItem::CaptureError(e) => line(
            out,
            &CaptureEventLine {
                error: Some(e.to_string()),
                ..CaptureEventLine::new(file, "capture_error", 0, None)
            },
        ),
    }
}
