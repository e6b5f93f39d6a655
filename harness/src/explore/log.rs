//! The event log of `bgpstorm explore`: NDJSON, one object per line.
//!
//! The first line (`"record": "explore"`, a [`Header`]) says how explore was called; each
//! further line (`"record": "case"`, an [`Entry`]) is one case run on one column (or, with
//! `--write-only`, one case written), with the whole [`Case`], so that `--replay` runs the same
//! case again without its seed: a shrunk case has no seed of its own. [`LogWriter`] writes
//! each line as its run ends, so a killed explore keeps what it had; [`read`] reads a log back
//! and names the line (and column) of anything it cannot take.
//!
//! Communities are written in their text forms (`65001:1`, `4200000001:1:1`, `rt:65001:100`,
//! or `0x` and 16 hex digits for an extended community that has no exact text form); the
//! `with` modules below are what [`Case`]'s attributes use for that.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use bgpstorm_wire::model::{Community, ExtendedCommunity, LargeCommunity, Origin};
use serde::{Deserialize, Serialize};

use super::case::{Case, Event};

/// The first line of a log: how explore was called.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The version of bgpstorm that wrote the log.
    pub bgpstorm: String,
    /// When explore started (RFC 3339, UTC).
    pub started: String,
    /// The first seed (`None` when replaying a log).
    pub seed: Option<u64>,
    /// `--cases`, when given (or its default).
    pub cases: Option<u64>,
    /// `--time`, when given (`10m`).
    pub time: Option<String>,
    /// The columns each case runs on (`bird@2.0.12`); empty with `--write-only`, or when a
    /// replay takes each line's own column.
    pub columns: Vec<String>,
    /// The log a replay reads, when it is one.
    pub replay: Option<String>,
    /// Whether cases were only written, not run.
    pub write_only: bool,
}

/// What became of a case on a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The DUT held what the model predicts, at every check.
    Passed,
    /// A step failed: the DUT disagrees with the model (or the harness erred).
    Diverged,
    /// Written as a scenario only (`--write-only`).
    Written,
}

/// The first failed step of a diverging run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// Its position, counted from 1 as the run's lines print it.
    pub step: usize,
    /// Its name.
    pub name: String,
    /// What went wrong (the step's whole detail).
    pub message: String,
}

/// One case run on one column (or written).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The case's seed (as the case holds it).
    pub seed: u64,
    /// The column it ran on (`bird@2.0.12`, `frr=/opt/frr`); `None` when only written.
    pub column: Option<String>,
    /// The daemon kind (`bird`).
    pub kind: Option<String>,
    /// The daemon's version, when known.
    pub version: Option<String>,
    /// What became of it.
    pub result: Outcome,
    /// The first failure, when it diverged.
    pub failure: Option<Failure>,
    /// The divergence's oracle and what diverged (`liveness: NOTIFICATION 3/6`), when it
    /// diverged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub divergence: Option<String>,
    /// The case is the shrunk form of the logged case of this seed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shrunk: bool,
    /// How long the run took, seconds.
    pub secs: Option<f64>,
    /// The case itself.
    pub case: Case,
}

/// A log read back: its header and its entries with their line numbers (from 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Log {
    /// The first line.
    pub header: Header,
    /// Every other non-blank line, with its line number.
    pub entries: Vec<(usize, Entry)>,
}

/// A log that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The file cannot be opened, read, created or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not what a log holds there.
    #[error("{path}:{line}: {why}")]
    Line {
        /// The file.
        path: PathBuf,
        /// Its line, from 1.
        line: usize,
        /// What is wrong with it.
        why: String,
    },
    /// The file holds no line at all.
    #[error("{0}: empty, not an explore log (its first line is {{\"record\": \"explore\", ...}})")]
    Empty(PathBuf),
}

/// The tag every line carries.
#[derive(Deserialize)]
struct Tag {
    record: String,
}

/// A record with its tag, as written.
#[derive(Serialize)]
struct Tagged<'a, T> {
    record: &'static str,
    #[serde(flatten)]
    body: &'a T,
}

const HEADER: &str = "explore";
const CASE: &str = "case";

/// The most speakers, events and flap cycles a logged case may have: far more than the
/// generator draws, few enough that one run stays short.
const MAX_SPEAKERS: usize = 32;
const MAX_EVENTS: usize = 256;
const MAX_FLAP_CYCLES: u32 = 100;
/// Members of a raw announcement's AS_SET (its AS_PATH must fit a one-octet length).
const MAX_AS_SET: usize = 32;

/// Reads the log at `path`.
pub fn read(path: &Path) -> Result<Log, LogError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| LogError::Io { path: path.to_path_buf(), source })?;
    parse(path, &text)
}

/// Reads a log's text (`path` names it in errors).
pub fn parse(path: &Path, text: &str) -> Result<Log, LogError> {
    let bad = |line: usize, why: String| LogError::Line { path: path.to_path_buf(), line, why };
    let mut lines =
        text.lines().enumerate().map(|(i, l)| (i + 1, l)).filter(|(_, l)| !l.trim().is_empty());
    let Some((n, first)) = lines.next() else {
        return Err(LogError::Empty(path.to_path_buf()));
    };
    let header: Header = record(first, HEADER).map_err(|why| bad(n, why))?;
    let mut entries = Vec::new();
    for (n, line) in lines {
        let e: Entry = record(line, CASE).map_err(|why| bad(n, why))?;
        check_case(&e.case).map_err(|why| bad(n, format!("the case cannot be run: {why}")))?;
        entries.push((n, e));
    }
    Ok(Log { header, entries })
}

/// One line as a record tagged `want`.
fn record<T: serde::de::DeserializeOwned>(line: &str, want: &str) -> Result<T, String> {
    let tag: Tag = serde_json::from_str(line).map_err(json_error)?;
    if tag.record != want {
        return Err(format!("a {:?} record where a {want:?} record belongs", tag.record));
    }
    serde_json::from_str(line).map_err(json_error)
}

/// serde_json's message with the column (every record is one line, so its line is 1).
fn json_error(e: serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = msg.rsplit_once(" at line ").map_or(msg.as_str(), |(m, _)| m).to_string();
    let what = match e.classify() {
        serde_json::error::Category::Eof => "truncated JSON",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "not an explore log record",
        serde_json::error::Category::Io => "unreadable",
    };
    format!("column {}: {what}: {msg}", e.column())
}

/// What a case must be for its scenario to be written and run: speakers that its events
/// name, a malformed or raw UPDATE for an IPv4 prefix, an AS_SET or unknown attribute in raw
/// announcements only, and bounded sizes.
pub fn check_case(c: &Case) -> Result<(), String> {
    let n = c.speakers.len();
    if n == 0 || n > MAX_SPEAKERS {
        return Err(format!("{n} speakers (1 to {MAX_SPEAKERS})"));
    }
    if c.events.len() > MAX_EVENTS {
        return Err(format!("{} events (at most {MAX_EVENTS})", c.events.len()));
    }
    for (i, e) in c.events.iter().enumerate() {
        if let Some(from) = e.speaker().filter(|f| *f >= n) {
            return Err(format!(
                "event {}: speaker index {from}, but there are {n} speakers",
                i + 1
            ));
        }
        match e {
            Event::Malformed { prefix, .. } if !prefix.addr().is_ipv4() => {
                return Err(format!("event {}: a malformed UPDATE for {prefix}, not IPv4", i + 1));
            }
            Event::RawAnnounce { prefix, .. } if !prefix.addr().is_ipv4() => {
                return Err(format!("event {}: a raw UPDATE for {prefix}, not IPv4", i + 1));
            }
            Event::RawAnnounce { as_set, .. } if as_set.len() > MAX_AS_SET => {
                return Err(format!(
                    "event {}: an AS_SET of {} members (at most {MAX_AS_SET})",
                    i + 1,
                    as_set.len()
                ));
            }
            Event::Announce { attrs, .. } if attrs.needs_raw() => {
                return Err(format!(
                    "event {}: an announcement with an AS_SET or the unknown attribute (only raw_announce carries them)",
                    i + 1
                ));
            }
            Event::Flap { cycles, .. } if *cycles == 0 || *cycles > MAX_FLAP_CYCLES => {
                return Err(format!(
                    "event {}: {cycles} flap cycles (1 to {MAX_FLAP_CYCLES})",
                    i + 1
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A log being written: each line goes to the file as soon as it is given.
#[derive(Debug)]
pub struct LogWriter {
    file: File,
    path: PathBuf,
}

impl LogWriter {
    /// Creates (or empties) the log at `path`, its folder too, and writes `header`.
    pub fn create(path: &Path, header: &Header) -> Result<Self, LogError> {
        let io = |source| LogError::Io { path: path.to_path_buf(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = File::create(path).map_err(io)?;
        let mut w = Self { file, path: path.to_path_buf() };
        w.line(HEADER, header)?;
        Ok(w)
    }

    /// Appends one entry.
    pub fn write(&mut self, e: &Entry) -> Result<(), LogError> {
        self.line(CASE, e)
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn line<T: Serialize>(&mut self, record: &'static str, body: &T) -> Result<(), LogError> {
        let io = |source| LogError::Io { path: self.path.clone(), source };
        let mut text = serde_json::to_string(&Tagged { record, body })
            .map_err(|e| io(std::io::Error::other(e)))?;
        text.push('\n');
        // One write per line: a process killed between lines leaves only whole lines.
        self.file.write_all(text.as_bytes()).map_err(io)?;
        self.file.flush().map_err(io)
    }
}

/// `Origin` as `igp`, `egp` or `incomplete`.
pub mod origin {
    use super::*;

    /// Writes the name.
    pub fn serialize<S: serde::Serializer>(o: &Origin, s: S) -> Result<S::Ok, S::Error> {
        o.serialize(s)
    }

    /// Reads the name.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Origin, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "igp" => Ok(Origin::Igp),
            "egp" => Ok(Origin::Egp),
            "incomplete" => Ok(Origin::Incomplete),
            _ => {
                Err(serde::de::Error::custom(format!("origin {s:?} is not igp, egp or incomplete")))
            }
        }
    }
}

/// A list of values written as their text forms.
macro_rules! text_list {
    ($(#[$doc:meta])* $module:ident, $t:ty, $write:path, $read:path) => {
        $(#[$doc])*
        pub mod $module {
            use super::*;

            /// Writes each value's text form.
            pub fn serialize<S: serde::Serializer>(v: &[$t], s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(v.iter().map($write))
            }

            /// Reads each value from its text form.
            pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<$t>, D::Error> {
                Vec::<String>::deserialize(d)?
                    .iter()
                    .map(|s| $read(s).map_err(serde::de::Error::custom))
                    .collect()
            }
        }
    };
}

text_list!(
    /// Standard communities as `ASN:VALUE` (RFC 1997).
    communities,
    Community,
    ToString::to_string,
    parse_community
);
text_list!(
    /// Large communities as `GLOBAL:LOCAL1:LOCAL2` (RFC 8092).
    large,
    LargeCommunity,
    ToString::to_string,
    parse_large
);
text_list!(
    /// Extended communities as `rt:ASN:VALUE` / `soo:ASN:VALUE`, or `0x` and 16 hex digits.
    extended,
    ExtendedCommunity,
    extended_text,
    parse_extended
);

/// `ASN:VALUE`, two 16-bit numbers.
fn parse_community(s: &str) -> Result<Community, String> {
    let bad = || format!("community {s:?} is not ASN:VALUE (two 16-bit numbers)");
    let (a, v) = s.split_once(':').ok_or_else(bad)?;
    let a: u16 = a.parse().map_err(|_| bad())?;
    let v: u16 = v.parse().map_err(|_| bad())?;
    Ok(Community(u32::from(a) << 16 | u32::from(v)))
}

/// `GLOBAL:LOCAL1:LOCAL2`, three 32-bit numbers.
fn parse_large(s: &str) -> Result<LargeCommunity, String> {
    let bad = || format!("large community {s:?} is not GLOBAL:LOCAL1:LOCAL2 (32-bit numbers)");
    let parts: Vec<u32> =
        s.split(':').map(|p| p.parse().map_err(|_| bad())).collect::<Result<_, _>>()?;
    let [global, local1, local2] = parts[..] else {
        return Err(bad());
    };
    Ok(LargeCommunity { global, local1, local2 })
}

/// The text form when it reads back as the same 8 bytes, else the hex form.
fn extended_text(e: &ExtendedCommunity) -> String {
    let text = e.to_string();
    if parse_extended(&text).ok() == Some(*e) {
        return text;
    }
    let hex: String = e.0.iter().map(|b| format!("{b:02x}")).collect();
    format!("0x{hex}")
}

/// `0x` and 16 hex digits, or `rt:ASN:VALUE` / `soo:ASN:VALUE`: a transitive 2-octet AS
/// specific route target or route origin (RFC 4360 §4), 16-bit AS, 32-bit value.
fn parse_extended(s: &str) -> Result<ExtendedCommunity, String> {
    let bad = || {
        format!(
            "extended community {s:?} is not rt:ASN:VALUE, soo:ASN:VALUE or 0x and 16 hex digits"
        )
    };
    if let Some(hex) = s.strip_prefix("0x") {
        if hex.len() != 16 {
            return Err(bad());
        }
        let v = u64::from_str_radix(hex, 16).map_err(|_| bad())?;
        return Ok(ExtendedCommunity(v.to_be_bytes()));
    }
    let parts: Vec<&str> = s.split(':').collect();
    let [kind, asn, value] = parts[..] else {
        return Err(bad());
    };
    let subtype = match kind {
        "rt" => 2,
        "soo" => 3,
        _ => return Err(bad()),
    };
    let asn: u16 = asn.parse().map_err(|_| bad())?;
    let value: u32 = value.parse().map_err(|_| bad())?;
    let mut b = [0u8; 8];
    b[1] = subtype;
    b[2..4].copy_from_slice(&asn.to_be_bytes());
    b[4..8].copy_from_slice(&value.to_be_bytes());
    Ok(ExtendedCommunity(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::case::{Attrs, Malformation, SpeakerSpec};
    use crate::explore::generator::generate;

    fn header() -> Header {
        Header {
            bgpstorm: "0.1.0".into(),
            started: "2026-01-01T00:00:00Z".into(),
            seed: Some(7),
            cases: Some(2),
            time: Some("10m".into()),
            columns: vec!["bird@2.0.12".into()],
            replay: None,
            write_only: false,
        }
    }

    fn entry(case: Case) -> Entry {
        Entry {
            seed: case.seed,
            column: Some("bird@2.0.12".into()),
            kind: Some("bird".into()),
            version: Some("2.0.12".into()),
            result: Outcome::Diverged,
            failure: Some(Failure { step: 3, name: "sp1 holds".into(), message: "a\nb".into() }),
            divergence: Some("liveness: NOTIFICATION 3/6".into()),
            shrunk: true,
            secs: Some(7.5),
            case,
        }
    }

    /// A log written to a scratch file, read back.
    fn write_and_read(name: &str, entries: &[Entry]) -> (PathBuf, Log) {
        let dir = std::env::temp_dir().join(format!("bgpstorm-log-{name}-{}", std::process::id()));
        let path = dir.join("explore.ndjson");
        let mut w = LogWriter::create(&path, &header()).unwrap();
        for e in entries {
            w.write(e).unwrap();
        }
        let log = read(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        (path, log)
    }

    #[test]
    fn generated_cases_round_trip_through_a_log() {
        let entries: Vec<Entry> = (0..40).map(|s| entry(generate(s).unwrap())).collect();
        let (_, log) = write_and_read("round-trip", &entries);
        assert_eq!(log.header, header());
        let lines: Vec<usize> = log.entries.iter().map(|(n, _)| *n).collect();
        assert_eq!(lines, (2..42).collect::<Vec<_>>());
        for ((_, got), want) in log.entries.iter().zip(&entries) {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn every_attribute_and_event_round_trips_in_its_text_form() {
        let mut ext_v4 = [0u8; 8];
        ext_v4[..2].copy_from_slice(&[0x01, 0x02]);
        let attrs = Attrs {
            as_path: vec![174, 4_200_000_100],
            prepend: 2,
            origin: Origin::Incomplete,
            med: Some(10),
            local_pref: Some(200),
            communities: vec![Community(65001 << 16 | 1), Community(0xFFFF_FF01)],
            large: vec![LargeCommunity { global: 4_200_000_001, local1: 1, local2: 2 }],
            // A route target written as text, a non-transitive one and an IPv4-specific one
            // that only the hex form keeps exactly.
            extended: vec![
                parse_extended("rt:65001:100").unwrap(),
                ExtendedCommunity([0x40, 2, 0, 1, 0, 0, 0, 9]),
                ExtendedCommunity(ext_v4),
            ],
            as_set: Vec::new(),
            unknown: false,
            third_party: true,
        };
        let p = |s: &str| s.parse().unwrap();
        let case = Case {
            seed: 3,
            dut_asn: crate::explore::case::DUT_ASN,
            speakers: vec![
                SpeakerSpec { asn: 65001, four_octet: false, ipv6: true },
                SpeakerSpec { asn: 65000, four_octet: true, ipv6: false },
            ],
            events: vec![
                Event::Announce { from: 0, prefixes: vec![p("2001:db8:1::/48")], attrs },
                Event::Withdraw { from: 0, prefixes: vec![p("2001:db8:1::/48")] },
                Event::WithdrawAll(1),
                Event::Flap {
                    from: 1,
                    prefixes: vec![p("100.64.0.0/24")],
                    as_path: vec![],
                    cycles: 2,
                },
                Event::Reset(0),
                Event::GracefulRestart(1),
                Event::Refresh(1),
                Event::LinkFlap(0),
                Event::RestartDut,
                Event::Malformed {
                    from: 1,
                    prefix: p("100.64.1.0/24"),
                    error: Malformation::MedLength,
                },
                Event::RawAnnounce {
                    from: 1,
                    prefix: p("100.64.2.0/24"),
                    as_set: vec![174, 1299],
                    unknown: true,
                },
            ],
        };
        let (_, log) = write_and_read("attrs", &[entry(case.clone())]);
        assert_eq!(log.entries[0].1.case, case);
        let line = serde_json::to_string(&case).unwrap();
        for text in [
            "\"65001:1\"",
            "\"65535:65281\"",
            "\"4200000001:1:2\"",
            "\"rt:65001:100\"",
            "\"0x4002000100000009\"",
            "\"incomplete\"",
            "\"restart_dut\"",
            "\"raw_announce\"",
            "\"med_length\"",
        ] {
            assert!(line.contains(text), "{text} in {line}");
        }
    }

    fn log_with(lines: &[&str]) -> Result<Log, LogError> {
        parse(Path::new("x.ndjson"), &lines.join("\n"))
    }

    fn header_line() -> String {
        serde_json::to_string(&Tagged { record: HEADER, body: &header() }).unwrap()
    }

    fn case_line() -> String {
        serde_json::to_string(&Tagged { record: CASE, body: &entry(generate(1).unwrap()) }).unwrap()
    }

    fn error_of(lines: &[&str]) -> String {
        log_with(lines).unwrap_err().to_string()
    }

    #[test]
    fn a_bad_line_is_an_error_that_names_the_file_and_the_line() {
        let (h, c) = (header_line(), case_line());
        assert_eq!(log_with(&[&h, &c, &c]).unwrap().entries.len(), 2);
        // A line cut short, as by a full disk.
        let e = error_of(&[&h, &c, &c[..c.len() / 2]]);
        assert!(e.starts_with("x.ndjson:3: column ") && e.contains("truncated JSON"), "{e}");
        // A value of the wrong type.
        let wrong = c.replacen("\"seed\":1", "\"seed\":\"one\"", 1);
        assert_ne!(wrong, c);
        let e = error_of(&[&h, &wrong]);
        assert!(e.starts_with("x.ndjson:2: column ") && e.contains("invalid type"), "{e}");
        // Not JSON, a case before the header, two headers, an empty file.
        let e = error_of(&[&h, "", "nonsense"]);
        assert!(e.starts_with("x.ndjson:3: column 2: not JSON"), "{e}");
        assert!(error_of(&[&c]).contains("x.ndjson:1: a \"case\" record where a \"explore\""));
        assert!(error_of(&[&h, &h]).contains("x.ndjson:2: a \"explore\" record"));
        assert!(error_of(&[]).contains("empty, not an explore log"));
        // An attribute that is not one (the first event is an announcement).
        let mut v: serde_json::Value = serde_json::from_str(&c).unwrap();
        v["case"]["events"][0]["announce"]["attrs"]["origin"] = "7".into();
        let e = error_of(&[&h, &v.to_string()]);
        assert!(e.contains("origin \"7\" is not igp"), "{e}");
        v["case"]["events"][0]["announce"]["attrs"]["origin"] = "igp".into();
        v["case"]["events"][0]["announce"]["attrs"]["communities"] = serde_json::json!(["1:x"]);
        let e = error_of(&[&h, &v.to_string()]);
        assert!(e.contains("community \"1:x\" is not ASN:VALUE"), "{e}");
    }

    #[test]
    fn a_case_the_runner_cannot_take_is_refused_with_its_line() {
        let h = header_line();
        let mut bad = generate(1).unwrap();
        bad.events.push(Event::Reset(9));
        let line = serde_json::to_string(&Tagged { record: CASE, body: &entry(bad) }).unwrap();
        let e = error_of(&[&h, &line]);
        assert!(e.starts_with("x.ndjson:2: the case cannot be run: event "), "{e}");
        assert!(e.contains("speaker index 9"), "{e}");
        let mut v6 = generate(1).unwrap();
        v6.events.push(Event::Malformed {
            from: 0,
            prefix: "2001:db8:1::/48".parse().unwrap(),
            error: Malformation::Origin,
        });
        assert!(check_case(&v6).unwrap_err().contains("not IPv4"));
    }

    #[test]
    fn community_text_forms_read_back_and_bad_ones_are_refused() {
        assert_eq!(parse_community("65535:65282").unwrap(), Community(0xFFFF_FF02));
        assert!(parse_community("65536:1").is_err());
        assert!(parse_large("1:2").is_err());
        assert!(parse_extended("0x12").is_err());
        assert!(parse_extended("rt:70000:1").is_err());
        assert_eq!(
            parse_extended("0x0002fde900000064").unwrap(),
            parse_extended("rt:65001:100").unwrap()
        );
    }
}
