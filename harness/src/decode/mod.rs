//! `bgpstorm decode`: MRT archives and pcap captures to text.
//!
//! Each input is opened once and read once, so that pipes, FIFOs and `-` (standard input)
//! work as files do; its kind is sniffed from its first bytes; MRT records go through
//! `bgpstorm_wire::mrt`, captures through `bgpstorm_monitor::stream`; both end in the
//! same route model and the same writers ([`pipe`], [`jsonl`]).

mod capture;
pub mod jsonl;
mod mrt;
pub mod pipe;
pub mod stats;

use std::fs::File;
use std::io::{self, BufWriter, Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use bgpstorm_monitor::stream::StreamItem;
use bgpstorm_wire::Message;
use bgpstorm_wire::mrt::MrtRecord;

pub use stats::Stats;

use crate::cli::exit;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `bgpdump -m` lines.
    Pipe,
    /// JSON lines.
    Jsonl,
}

/// Options of a decode run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Output format.
    pub format: Format,
    /// Print statistics on stderr.
    pub stats: bool,
    /// TCP ports carrying BGP in captures.
    pub ports: Vec<u16>,
}

/// The kind of an input file, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// libpcap (either byte order, micro- or nanosecond).
    Pcap,
    /// pcapng.
    PcapNg,
    /// Anything else is read as MRT (plain, gzip or bzip2; the reader sniffs compression).
    Mrt,
    /// No bytes at all: nothing to decode. Not an error (an archive of a quiet interval may
    /// hold no record), but said on stderr, so that an input that came out empty by mistake
    /// (`<(zcat missing.gz)`) is not mistaken for one without routes.
    Empty,
}

/// An opened input, read from its first byte (the sniffed bytes included).
pub type Input = Box<dyn Read + Send>;

/// Sniffs a file's kind (opens and reads the file; see [`open`] to read it once).
pub fn sniff(path: &Path) -> io::Result<FileKind> {
    open(path).map(|(kind, _)| kind)
}

/// Opens an input (`-` is standard input), sniffs its kind from its first bytes and returns
/// it with a reader that still yields those bytes: nothing is read twice, so a pipe or a
/// FIFO is read as a file is.
pub fn open(path: &Path) -> io::Result<(FileKind, Input)> {
    let mut reader: Input =
        if path == Path::new("-") { Box::new(io::stdin()) } else { Box::new(File::open(path)?) };
    let mut magic = [0u8; 4];
    let mut n = 0;
    // A pipe may hand over fewer bytes per read than asked for.
    while n < magic.len() {
        match reader.read(&mut magic[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let kind = kind_of(&magic[..n]);
    Ok((kind, Box::new(Cursor::new(magic[..n].to_vec()).chain(reader))))
}

fn kind_of(magic: &[u8]) -> FileKind {
    match magic {
        [] => FileKind::Empty,
        [0xd4, 0xc3, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0xc3, 0xd4]
        | [0x4d, 0x3c, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0x3c, 0x4d] => FileKind::Pcap,
        [0x0a, 0x0d, 0x0d, 0x0a] => FileKind::PcapNg,
        _ => FileKind::Mrt,
    }
}

/// Decodes `files` to `out`. Returns the statistics; file-level failures (cannot open) are
/// errors, malformed content is counted in the statistics.
pub fn run(files: &[PathBuf], opts: &Options, out: &mut impl Write) -> io::Result<(Stats, bool)> {
    let mut stats = Stats::default();
    let mut unreadable = false;
    for file in files {
        let (kind, input) = match open(file) {
            Ok(k) => k,
            Err(e) => {
                eprintln!("bgpstorm decode: {}: cannot open: {e}", file.display());
                unreadable = true;
                continue;
            }
        };
        stats.files += 1;
        let mut output = Output { format: opts.format, out: &mut *out };
        match kind {
            FileKind::Mrt => mrt::decode(file, input, &mut output, &mut stats)?,
            FileKind::Pcap | FileKind::PcapNg => {
                capture::decode(file, input, opts, &mut output, &mut stats)?
            }
            FileKind::Empty => eprintln!("bgpstorm decode: {}: empty, no records", file.display()),
        }
    }
    out.flush()?;
    Ok((stats, unreadable))
}

/// The command's entry point: runs, prints statistics, maps the outcome to an exit status.
pub fn main(files: &[PathBuf], opts: &Options) -> ExitCode {
    let start = Instant::now();
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    let result = run(files, opts, &mut out);
    let (stats, unreadable) = match result {
        Ok(r) => r,
        // A closed stdout (`| head`) ends the run quietly.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return exit::code(exit::SUCCESS),
        Err(e) => {
            eprintln!("bgpstorm decode: writing output: {e}");
            return exit::code(exit::USAGE);
        }
    };
    if opts.stats {
        let _ = stats.write(&mut io::stderr().lock(), start.elapsed());
    }
    exit::code(if unreadable {
        exit::USAGE
    } else if stats.error_count() > 0 {
        exit::FAILED
    } else {
        exit::SUCCESS
    })
}

/// Where decoded records go, in the chosen format.
pub(crate) struct Output<'a, W: Write> {
    format: Format,
    out: &'a mut W,
}

impl<W: Write> Output<'_, W> {
    fn mrt_record(&mut self, file: &Path, record: &MrtRecord) -> io::Result<()> {
        match self.format {
            Format::Pipe => pipe::write_record(self.out, record),
            Format::Jsonl => jsonl::write_record(self.out, &file.to_string_lossy(), record),
        }
    }

    fn captured(&mut self, file: &Path, item: &StreamItem) -> io::Result<()> {
        match self.format {
            Format::Pipe => {
                let StreamItem::Message(m) = item else { return Ok(()) };
                let Ok(Message::Update(update)) = &m.message else { return Ok(()) };
                let add_path = update
                    .withdrawn
                    .iter()
                    .chain(update.reach.iter().flat_map(|r| &r.nlri))
                    .any(|n| n.path_id.is_some());
                let label = if add_path { "BGP4MP_ET_AP" } else { "BGP4MP_ET" };
                let time = pipe::Timestamp {
                    seconds: m.ts_ns / 1_000_000_000,
                    microseconds: Some((m.ts_ns % 1_000_000_000 / 1000) as u32),
                };
                let asn = m.sender.map_or(0, |s| s.asn);
                pipe::write_update(self.out, label, time, m.flow.src.ip(), asn, update)
            }
            Format::Jsonl => jsonl::write_captured(self.out, &file.to_string_lossy(), item),
        }
    }
}
