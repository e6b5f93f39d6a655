//! The capture → engine drive loops: the one place where stream items reach an engine, for
//! `bgpstorm monitor` (live and `--pcap`) and for the wire monitor of `bgpstorm run`.

#[cfg(feature = "live")]
use std::future::Future;
use std::path::{Path, PathBuf};

use super::handle::{CaptureCounters, EngineHandle};
use crate::capture::CaptureError;
#[cfg(feature = "live")]
use crate::capture::live::{LiveError, LiveStats};
#[cfg(feature = "live")]
use crate::stream::LiveStream;
use crate::stream::{DecodeOptions, DecodeStats, StreamItem, decode_pcap_with};

/// Feeds `stream` to the engine behind `handle`, batch by batch, until `stop` completes; then
/// decodes what is left. Each batch is shown to `tap` once the engine has it. Returns the
/// capture's and the decoder's final counters.
#[cfg(feature = "live")]
pub async fn drive_live(
    mut stream: LiveStream,
    handle: &EngineHandle,
    stop: impl Future<Output = ()>,
    mut tap: impl FnMut(&[StreamItem]),
) -> Result<(LiveStats, DecodeStats), LiveError> {
    let mut items = Vec::new();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            r = stream.next_items(&mut items) => { r?; }
            () = &mut stop => break,
        }
        if let Ok((live, _)) = stream.stats() {
            handle.set_live_capture(&live);
        }
        deliver(handle, &mut items, &mut tap);
    }
    stream.finish(&mut items);
    let (live, decode) = stream.stats()?;
    handle.set_live_capture(&live);
    deliver(handle, &mut items, &mut tap);
    Ok((live, decode))
}

#[cfg(feature = "live")]
fn deliver(
    handle: &EngineHandle,
    items: &mut Vec<StreamItem>,
    tap: &mut impl FnMut(&[StreamItem]),
) {
    handle.push_all(items);
    tap(items);
    items.clear();
}

/// Items fed to the engine under one lock when reading files.
const BATCH: usize = 1024;

/// A capture file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct PcapError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub source: CaptureError,
}

/// Feeds capture files, in order, to the engine behind `handle`. Errors inside a file (a
/// truncated record) are items of the stream, shown to `on_error` and counted; a file that
/// cannot be opened ends the run. Returns the decoder's counters over all files.
pub fn drive_pcap(
    files: &[PathBuf],
    options: &DecodeOptions,
    handle: &EngineHandle,
    mut on_error: impl FnMut(&Path, &CaptureError),
) -> Result<DecodeStats, PcapError> {
    let mut stats = DecodeStats::default();
    for file in files {
        let mut stream = decode_pcap_with(file, options.clone())
            .map_err(|source| PcapError { path: file.clone(), source })?;
        let mut batch = Vec::with_capacity(BATCH);
        for item in stream.by_ref() {
            if let StreamItem::CaptureError(e) = &item {
                on_error(file, e);
            }
            batch.push(item);
            if batch.len() >= BATCH {
                handle.push_all(&batch);
                batch.clear();
            }
        }
        handle.push_all(&batch);
        stats.merge(&stream.stats());
    }
    handle.set_capture(CaptureCounters {
        events: stats.capture.tcp_segments,
        drops: stats.capture_errors,
    });
    Ok(stats)
}
