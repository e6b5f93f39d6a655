//! BGP message streams: from capture events to decoded messages, per TCP flow.
//!
//! [`StreamDecoder`] is the pipeline both capture sources feed: segments on a BGP port go
//! through [`crate::reassembly`], each flow's bytes are framed into messages (across segment
//! boundaries, and found again after gaps by their header), and each message is decoded under
//! the context its session's OPENs negotiated (or a checked guess, see [`ContextSource`]).
//! [`decode_pcap`] runs it over a capture file, [`LiveStream`] over the live eBPF capture.
//!
//! ```no_run
//! use bgpstorm_monitor::stream::{decode_pcap, StreamItem};
//! let mut items = decode_pcap("capture.pcapng")?;
//! for item in items.by_ref() {
//!     if let StreamItem::Message(m) = item {
//!         println!("{} {} {:?}", m.ts_ns, m.flow, m.message.map(|m| m.type_name()));
//!     }
//! }
//! eprint!("{}", items.stats());
//! # Ok::<(), bgpstorm_monitor::capture::CaptureError>(())
//! ```

mod framer;
#[cfg(feature = "live")]
mod live;
mod session;
mod stats;

use std::collections::HashMap;
use std::path::Path;

use crate::capture::{CaptureError, CaptureEvent, PcapSource};
use crate::reassembly::{
    CloseReason, Flow, GapCause, Reassembler, ReassemblyConfig, ReassemblyEvent,
};
use bgpstorm_wire::{Message, WireError};
use framer::{Framed, Framer, Leftover};
use session::Sessions;

#[cfg(feature = "live")]
pub use live::LiveStream;
pub use session::{ContextSource, Speaker};
pub use stats::{DecodeStats, StreamStats};

/// The BGP port (RFC 4271 §8.2.1).
pub const BGP_PORT: u16 = 179;

/// What to decode and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Segments with either port in this set are BGP; others are counted and skipped.
    pub ports: Vec<u16>,
    /// Reassembly limits.
    pub reassembly: ReassemblyConfig,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self { ports: vec![BGP_PORT], reassembly: ReassemblyConfig::default() }
    }
}

/// A BGP message seen on the wire.
#[derive(Clone, Debug, PartialEq)]
pub struct CapturedMessage {
    /// Time of the segment that carried the message's last byte.
    pub ts_ns: u64,
    /// The flow it was sent on (source = the sending speaker).
    pub flow: Flow,
    /// Stream offset of its first byte.
    pub offset: u64,
    /// The message as on the wire, header included.
    pub raw: Vec<u8>,
    /// The decoded message, or why it cannot be used.
    pub message: Result<Message, WireError>,
    /// Where the decoding context came from.
    pub context: ContextSource,
    /// The sender, once its OPEN was seen (AS and BGP identifier).
    pub sender: Option<Speaker>,
}

/// What decoding a capture yields, in capture order.
// Messages are by far the most frequent item: boxing them would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum StreamItem {
    /// A BGP message (or a framed message that cannot be used).
    Message(CapturedMessage),
    /// A TCP flow on a BGP port starts.
    Opened {
        /// The flow.
        flow: Flow,
        /// Time of its first segment.
        ts_ns: u64,
        /// Whether its SYN was seen (else the capture started mid-connection).
        syn: bool,
    },
    /// Bytes of a flow that were never captured.
    Gap {
        /// The flow.
        flow: Flow,
        /// Time at which the hole became final.
        ts_ns: u64,
        /// TCP sequence number of the first missing byte.
        seq: u32,
        /// Stream offset of the first missing byte.
        offset: u64,
        /// Missing bytes.
        len: u64,
        /// Why the hole is final.
        cause: GapCause,
    },
    /// The stream found a message header again after dropping bytes that belong to no
    /// whole message (after a gap, a broken header, or at a mid-stream start).
    Resync {
        /// The flow.
        flow: Flow,
        /// Time of the segment in which the header was found.
        ts_ns: u64,
        /// Stream offset of the header.
        offset: u64,
        /// Bytes dropped before it.
        dropped: u64,
    },
    /// A flow ended.
    Closed {
        /// The flow.
        flow: Flow,
        /// Time of the segment that ended it.
        ts_ns: u64,
        /// How.
        reason: CloseReason,
        /// Bytes of a message the flow ended in the middle of (0 if none).
        unfinished: u64,
        /// Bytes never decoded because no message header was found in them: the flow started
        /// mid-stream (or lost its place at a gap or a broken header) and never found a
        /// marker again before it ended (0 if none).
        unsynced: u64,
    },
    /// The capture file cannot be read further; everything before was decoded.
    CaptureError(CaptureError),
}

/// The pipeline from capture events to BGP messages, for any capture source.
pub struct StreamDecoder {
    opts: DecodeOptions,
    reassembler: Reassembler,
    framers: HashMap<Flow, Framer>,
    sessions: Sessions,
    stats: StreamStats,
    events: Vec<ReassemblyEvent>,
    framed: Vec<Framed>,
}

impl StreamDecoder {
    /// A pipeline with the given options.
    pub fn new(opts: DecodeOptions) -> Self {
        Self {
            reassembler: Reassembler::new(opts.reassembly.clone()),
            opts,
            framers: HashMap::new(),
            sessions: Sessions::default(),
            stats: StreamStats::default(),
            events: Vec::new(),
            framed: Vec::new(),
        }
    }

    /// Whether a segment is on a BGP port.
    pub fn is_bgp(&self, ev: &CaptureEvent) -> bool {
        self.opts.ports.contains(&ev.src.port()) || self.opts.ports.contains(&ev.dst.port())
    }

    /// Takes one segment and appends what it completed to `out`.
    pub fn push(&mut self, ev: CaptureEvent, out: &mut Vec<StreamItem>) {
        if !self.is_bgp(&ev) {
            self.stats.non_bgp_segments += 1;
            return;
        }
        let mut events = std::mem::take(&mut self.events);
        self.reassembler.push(ev, &mut events);
        for e in events.drain(..) {
            self.handle(e, out);
        }
        self.events = events;
    }

    /// Ends every flow (end of input): open holes become gaps, unfinished messages are
    /// counted.
    pub fn finish(&mut self, out: &mut Vec<StreamItem>) {
        let mut events = std::mem::take(&mut self.events);
        self.reassembler.finish(&mut events);
        for e in events.drain(..) {
            self.handle(e, out);
        }
        self.events = events;
    }

    /// Reassembly and stream counters so far (the capture part is the source's to fill).
    pub fn stats(&self) -> DecodeStats {
        DecodeStats {
            reassembly: self.reassembler.stats().clone(),
            stream: self.stats.clone(),
            ..DecodeStats::default()
        }
    }

    fn handle(&mut self, e: ReassemblyEvent, out: &mut Vec<StreamItem>) {
        match e {
            ReassemblyEvent::Opened { flow, ts_ns, syn } => {
                self.framers.insert(flow, Framer::new(syn, 0));
                if syn {
                    self.sessions.reset(flow);
                }
                out.push(StreamItem::Opened { flow, ts_ns, syn });
            }
            ReassemblyEvent::Data { flow, ts_ns, offset, data } => {
                let framer = self.framers.entry(flow).or_insert_with(|| Framer::new(false, offset));
                let mut framed = std::mem::take(&mut self.framed);
                framer.push(offset, &data, &mut framed);
                for f in framed.drain(..) {
                    self.framed_item(flow, ts_ns, f, out);
                }
                self.framed = framed;
            }
            ReassemblyEvent::Gap { flow, ts_ns, seq, offset, len, cause } => {
                if let Some(framer) = self.framers.get_mut(&flow) {
                    framer.gap(offset + len);
                }
                out.push(StreamItem::Gap { flow, ts_ns, seq, offset, len, cause });
            }
            ReassemblyEvent::Closed { flow, ts_ns, reason } => {
                let left = self.framers.remove(&flow).map(|mut f| f.close()).unwrap_or_default();
                let Leftover { unfinished, unsynced } = left;
                if unfinished > 0 {
                    self.stats.unfinished_messages += 1;
                    self.stats.unfinished_bytes += unfinished;
                }
                if unsynced > 0 {
                    self.stats.unsynced_flows += 1;
                    self.stats.unsynced_bytes += unsynced;
                }
                out.push(StreamItem::Closed { flow, ts_ns, reason, unfinished, unsynced });
            }
        }
    }

    fn framed_item(&mut self, flow: Flow, ts_ns: u64, f: Framed, out: &mut Vec<StreamItem>) {
        let (offset, raw, message, context, sender) = match f {
            Framed::Message { offset, bytes } => {
                let d = self.sessions.decode(flow, &bytes, &mut self.stats);
                (offset, bytes, d.message, d.context, d.sender)
            }
            Framed::BadHeader { offset, error, bytes } => {
                (offset, bytes, Err(error), ContextSource::Guessed, None)
            }
            Framed::Resynced { offset, dropped } => {
                self.stats.resyncs += 1;
                self.stats.resync_dropped_bytes += dropped;
                out.push(StreamItem::Resync { flow, ts_ns, offset, dropped });
                return;
            }
        };
        self.stats.count(&message);
        out.push(StreamItem::Message(CapturedMessage {
            ts_ns,
            flow,
            offset,
            raw,
            message,
            context,
            sender,
        }));
    }
}

/// A capture file decoded into BGP messages, item by item.
pub struct PcapStream {
    source: PcapSource,
    decoder: StreamDecoder,
    queue: std::collections::VecDeque<StreamItem>,
    scratch: Vec<StreamItem>,
    capture_errors: u64,
    finished: bool,
}

impl PcapStream {
    /// Decodes the capture read by `source`.
    pub fn new(source: PcapSource, opts: DecodeOptions) -> Self {
        Self {
            source,
            decoder: StreamDecoder::new(opts),
            queue: Default::default(),
            scratch: Vec::new(),
            capture_errors: 0,
            finished: false,
        }
    }

    /// Everything counted so far; complete once the iterator has ended.
    pub fn stats(&self) -> DecodeStats {
        DecodeStats {
            capture: self.source.stats().clone(),
            capture_errors: self.capture_errors,
            ..self.decoder.stats()
        }
    }

    /// The capture file's name.
    pub fn path(&self) -> &str {
        self.source.path()
    }

    fn refill(&mut self) {
        while self.scratch.is_empty() && !self.finished {
            match self.source.next_event() {
                Some(Ok(ev)) => self.decoder.push(ev, &mut self.scratch),
                Some(Err(e)) => {
                    self.capture_errors += 1;
                    self.scratch.push(StreamItem::CaptureError(e));
                }
                None => {
                    self.decoder.finish(&mut self.scratch);
                    self.finished = true;
                }
            }
        }
        self.queue.extend(self.scratch.drain(..));
    }
}

impl Iterator for PcapStream {
    type Item = StreamItem;

    fn next(&mut self) -> Option<StreamItem> {
        if self.queue.is_empty() {
            self.refill();
        }
        self.queue.pop_front()
    }
}

/// Decodes the BGP messages of a pcap or pcapng file, with flows on port 179.
///
/// Fails only when the file cannot be opened or is not a capture; a file truncated or
/// corrupt further on yields [`StreamItem::CaptureError`] after everything before it.
pub fn decode_pcap(path: impl AsRef<Path>) -> Result<PcapStream, CaptureError> {
    decode_pcap_with(path, DecodeOptions::default())
}

/// [`decode_pcap`] with options (BGP ports, reassembly limits).
pub fn decode_pcap_with(
    path: impl AsRef<Path>,
    opts: DecodeOptions,
) -> Result<PcapStream, CaptureError> {
    Ok(PcapStream::new(PcapSource::open(path)?, opts))
}

#[cfg(test)]
mod tests;
