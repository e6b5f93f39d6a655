//! pcap and pcapng captures through `bgpstorm decode`: TCP reassembly per flow, BGP framing,
//! and every gap, resync, unfinished message or capture error reported with its flow.

use std::io::{self, Write};
use std::path::Path;

use bgpstorm_monitor::capture::PcapSource;
use bgpstorm_monitor::stream::{DecodeOptions, PcapStream, StreamItem};
use bgpstorm_wire::Message;

use super::{Options, Output, Stats};

/// Decodes one capture file, read from `input`.
pub(super) fn decode(
    file: &Path,
    input: super::Input,
    opts: &Options,
    out: &mut Output<impl Write>,
    stats: &mut Stats,
) -> io::Result<()> {
    let options = DecodeOptions { ports: opts.ports.clone(), ..DecodeOptions::default() };
    let name = file.display().to_string();
    let mut items = match PcapSource::from_reader(name, input) {
        Ok(s) => PcapStream::new(s, options),
        Err(e) => {
            stats.report(file, "capture.open", e);
            return Ok(());
        }
    };
    for item in items.by_ref() {
        account(file, &item, stats);
        out.captured(file, &item)?;
    }
    let decoded = items.stats();
    stats.records += decoded.capture.frames;
    stats.capture.merge(&decoded);
    Ok(())
}

/// Counts one stream item and reports what went wrong in it.
fn account(file: &Path, item: &StreamItem, stats: &mut Stats) {
    match item {
        StreamItem::Message(m) => {
            stats.peers.insert(m.flow.src.ip());
            match &m.message {
                Ok(msg) => {
                    stats.message(msg.type_name());
                    if let Message::Update(u) = msg {
                        let place = format_args!("flow {} at stream byte {}", m.flow, m.offset);
                        super::mrt::update(file, &place, u, stats);
                    }
                }
                Err(e) => stats.report(
                    file,
                    &format!("bgp.{}", e.kind()),
                    format_args!("flow {} at stream byte {}: {e}", m.flow, m.offset),
                ),
            }
        }
        StreamItem::Gap { flow, seq, offset, len, cause, .. } => stats.report(
            file,
            "capture.gap",
            format_args!(
                "flow {flow}: {len} bytes never captured at stream byte {offset} (seq {seq}, {})",
                serde_json::to_value(cause).map_or_else(|_| format!("{cause:?}"), |v| v.to_string())
            ),
        ),
        StreamItem::Resync { flow, offset, dropped, .. } => stats.report(
            file,
            "capture.resync",
            format_args!("flow {flow}: {dropped} bytes skipped before a message header at stream byte {offset}"),
        ),
        StreamItem::Closed { flow, unfinished, unsynced, .. } => {
            if *unfinished > 0 {
                stats.report(
                    file,
                    "capture.unfinished",
                    format_args!("flow {flow} ended {unfinished} bytes into a message"),
                );
            }
            if *unsynced > 0 {
                stats.report(
                    file,
                    "capture.unsynced",
                    format_args!(
                        "flow {flow} ended with {unsynced} bytes never decoded: no BGP message \
                         header found after a mid-stream start or a gap"
                    ),
                );
            }
        }
        StreamItem::CaptureError(e) => stats.report(file, "capture.error", e),
        StreamItem::Opened { .. } => {}
    }
}
