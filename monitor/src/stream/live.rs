//! The live pipeline: eBPF capture → reassembly → BGP messages, as [`super::PcapStream`]
//! is for files.
//!
//! ```no_run
//! # async fn run() -> Result<(), bgpstorm_monitor::capture::live::LiveError> {
//! use bgpstorm_monitor::capture::live::{LiveCapture, LiveConfig, LiveError, Netns};
//! use bgpstorm_monitor::stream::{LiveStream, StreamItem};
//! let ns = Netns::named("dut").map_err(LiveError::Netns)?;
//! let capture = LiveCapture::open(&ns, &["eth0"], &LiveConfig::default())?;
//! let mut stream = LiveStream::new(capture, Default::default());
//! let mut items = Vec::new();
//! loop {
//!     stream.next_items(&mut items).await?;
//!     for item in items.drain(..) {
//!         if let StreamItem::Message(m) = item {
//!             println!("{} {} {:?}", m.ts_ns, m.flow, m.message.map(|m| m.type_name()));
//!         }
//!     }
//! }
//! # }
//! ```

use crate::capture::CaptureEvent;
use crate::capture::live::{LiveCapture, LiveError, LiveStats};

use super::{DecodeOptions, DecodeStats, StreamDecoder, StreamItem};

/// Records read from the ring buffer per wakeup at most, to bound latency and memory.
const BATCH: usize = 4096;

/// A live capture decoded into BGP messages.
pub struct LiveStream {
    capture: LiveCapture,
    decoder: StreamDecoder,
    batch: Vec<CaptureEvent>,
    tap: Option<Tap>,
}

/// Sees every capture event before it is decoded (e.g. to write a pcap).
pub type Tap = Box<dyn FnMut(&CaptureEvent) + Send>;

impl LiveStream {
    /// Decodes what `capture` captures; the BGP ports are the capture's, whatever `opts` says.
    pub fn new(capture: LiveCapture, mut opts: DecodeOptions) -> Self {
        opts.ports.clone_from(&capture.config().ports);
        Self {
            decoder: StreamDecoder::new(opts),
            capture,
            batch: Vec::with_capacity(BATCH),
            tap: None,
        }
    }

    /// Calls `tap` with every capture event, in order, before decoding it.
    pub fn set_tap(&mut self, tap: Tap) {
        self.tap = Some(tap);
    }

    /// Waits for the kernel's next records and appends what they completed to `out`
    /// (possibly nothing: a pure ACK completes no message). Returns the records read.
    pub async fn next_items(&mut self, out: &mut Vec<StreamItem>) -> Result<usize, LiveError> {
        let n = self.capture.next_batch(&mut self.batch, BATCH).await?;
        for ev in self.batch.drain(..) {
            if let Some(t) = &mut self.tap {
                t(&ev);
            }
            self.decoder.push(ev, out);
        }
        Ok(n)
    }

    /// Ends the capture: decodes what is still in the ring buffer, then ends every flow
    /// (open holes become gaps, unfinished messages are counted).
    pub fn finish(&mut self, out: &mut Vec<StreamItem>) {
        while self.capture.try_batch(&mut self.batch, BATCH) > 0 {
            for ev in self.batch.drain(..) {
                if let Some(t) = &mut self.tap {
                    t(&ev);
                }
                self.decoder.push(ev, out);
            }
        }
        self.decoder.finish(out);
    }

    /// Capture counters (kernel and reader) and decode counters so far.
    pub fn stats(&mut self) -> Result<(LiveStats, DecodeStats), LiveError> {
        Ok((self.capture.stats()?, self.decoder.stats()))
    }

    /// The capture underneath.
    pub fn capture(&self) -> &LiveCapture {
        &self.capture
    }
}
