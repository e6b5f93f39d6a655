//! Snapshots in insta's file format, compared without insta's assertion macro.
//!
//! A snapshot `NAME` lives in `DIR/NAME.snap`: a YAML header between two `---` lines
//! (`source:`, optionally `expression:`) and then the content. A changed result is written
//! beside it as `NAME.snap.new` (same format), which `bgpstorm review` and `cargo insta
//! review` both accept or reject. Comparison normalises as insta does: trailing whitespace
//! at the end and CRLF line ends do not count.
//!
//! Nothing here panics or touches the process-wide panic hook: every outcome is a value.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Extension of an accepted snapshot.
pub const EXTENSION: &str = "snap";
/// Extension of a pending (not yet reviewed) snapshot.
pub const PENDING_EXTENSION: &str = "snap.new";

/// A snapshot file: its header lines (kept verbatim) and its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotFile {
    /// Header lines between the two `---` lines, e.g. `source: harness/src/run/expect.rs`.
    pub header: Vec<String>,
    /// The content, normalised (no trailing whitespace at the end, LF line ends).
    pub content: String,
}

impl SnapshotFile {
    /// A snapshot with a `source:` header, as insta writes one with the expression omitted.
    pub fn new(source: &str, content: &str) -> Self {
        Self { header: vec![format!("source: {source}")], content: normalize(content) }
    }

    /// Parses the text of a `.snap` or `.snap.new` file.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut lines = text.split_inclusive('\n');
        match lines.next() {
            Some(l) if l.trim_end() == "---" => {}
            _ => return Err("does not start with a `---` header line".into()),
        }
        let mut header = Vec::new();
        let mut closed = false;
        for l in lines.by_ref() {
            if l.trim_end() == "---" {
                closed = true;
                break;
            }
            header.push(l.trim_end_matches(['\r', '\n']).to_string());
        }
        if !closed {
            return Err("the header has no closing `---` line".into());
        }
        let content: String = lines.collect();
        Ok(Self { header, content: normalize(&content) })
    }

    /// The value of a header field (`source`, `expression`, …), unquoted.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.header.iter().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key).then(|| v.trim().trim_matches(['"', '\'']))
        })
    }

    /// The file's text, as insta writes it.
    pub fn render(&self) -> String {
        let mut out = String::from("---\n");
        for l in &self.header {
            out.push_str(l);
            out.push('\n');
        }
        out.push_str("---\n");
        out.push_str(&self.content);
        out.push('\n');
        out
    }

    /// Reads a snapshot file.
    pub fn read(path: &Path) -> Result<Self, SnapshotError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| SnapshotError::Io { path: path.into(), source })?;
        Self::parse(&text).map_err(|reason| SnapshotError::Malformed { path: path.into(), reason })
    }

    /// Writes the snapshot file (creating its folder).
    pub fn write(&self, path: &Path) -> Result<(), SnapshotError> {
        let io = |source| SnapshotError::Io { path: path.into(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        std::fs::write(path, self.render()).map_err(io)
    }
}

/// Insta's normalisation: trailing whitespace at the end and CR of CRLF do not count.
pub fn normalize(content: &str) -> String {
    content.trim_end().replace("\r\n", "\n")
}

/// When snapshot files may be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A developer's machine: a missing snapshot is written, a changed one goes to `.snap.new`.
    Local,
    /// CI (`CI` set and not `false`/`0`/empty, or `TF_BUILD`), or `INSTA_UPDATE=no`:
    /// nothing is written, a missing or changed snapshot fails.
    Never,
    /// `INSTA_UPDATE=always`: every result is written in place and passes.
    Always,
}

impl Mode {
    /// The mode the environment asks for (the same variables insta reads).
    pub fn from_env() -> Self {
        Self::from_vars(
            std::env::var("CI").ok().as_deref(),
            std::env::var_os("TF_BUILD").is_some(),
            std::env::var("INSTA_UPDATE").ok().as_deref(),
        )
    }

    /// The mode for given values of `CI`, `TF_BUILD` (set or not) and `INSTA_UPDATE`.
    pub fn from_vars(ci: Option<&str>, tf_build: bool, update: Option<&str>) -> Self {
        match update {
            Some("always" | "force") => return Self::Always,
            Some("no") => return Self::Never,
            _ => {}
        }
        let ci = match ci {
            Some("false" | "0" | "") => false,
            Some(_) => true,
            None => tf_build,
        };
        if ci { Self::Never } else { Self::Local }
    }
}

/// A comparison that passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Passed {
    /// The content equals the snapshot.
    Matched,
    /// There was no snapshot: this one was written (first run of a new check).
    Written(PathBuf),
    /// `INSTA_UPDATE=always` replaced a different snapshot.
    Updated(PathBuf),
}

impl std::fmt::Display for Passed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Matched => f.write_str("snapshot matched"),
            Self::Written(p) => write!(f, "new snapshot written: {}", p.display()),
            Self::Updated(p) => write!(f, "snapshot updated: {}", p.display()),
        }
    }
}

/// A comparison that failed, or a snapshot file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// No snapshot, and this mode never writes one.
    #[error("missing snapshot {} (CI never writes snapshots)", path.display())]
    Missing {
        /// The snapshot that should exist.
        path: PathBuf,
    },
    /// The content differs from the snapshot.
    #[error("snapshot {} differs (- snapshot, + now):\n{diff}{}", path.display(), review_hint(pending.as_deref()))]
    Mismatch {
        /// The accepted snapshot.
        path: PathBuf,
        /// Unified line diff, accepted → new.
        diff: String,
        /// Where the new content was written for review (none in CI).
        pending: Option<PathBuf>,
    },
    /// The file cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not in insta's format.
    #[error("{}: not a snapshot file: {reason}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

fn review_hint(pending: Option<&Path>) -> String {
    match pending {
        Some(p) => format!(
            "new version written to {}; run `bgpstorm review` to accept or reject it",
            p.display()
        ),
        None => "nothing written (CI never writes snapshots); run the scenario locally, \
                 then `bgpstorm review`"
            .to_string(),
    }
}

/// `DIR/NAME.snap`.
pub fn path_of(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.{EXTENSION}"))
}

/// `DIR/NAME.snap.new`.
pub fn pending_path_of(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.{PENDING_EXTENSION}"))
}

/// Unified line diff from `old` to `new` (3 lines of context), `-`/`+`/` ` prefixed.
pub fn diff(old: &str, new: &str) -> String {
    // Snapshot contents carry no final newline: add one, so the last line compares as a line.
    let line_end =
        |s: &str| if s.is_empty() || s.ends_with('\n') { s.to_string() } else { format!("{s}\n") };
    let (old, new) = (line_end(old), line_end(new));
    let d = similar::TextDiff::from_lines(&old, &new);
    let mut out = String::new();
    for hunk in d.unified_diff().context_radius(3).iter_hunks() {
        let _ = writeln!(out, "{}", hunk.header());
        for change in hunk.iter_changes() {
            let sign = match change.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            };
            let _ = write!(out, "{sign}{}", change.value());
            if change.missing_newline() {
                out.push('\n');
            }
        }
    }
    out
}

/// Compares `content` with snapshot `name` in `dir`; `source` names the code that made it
/// (the `source:` header of a new file).
pub fn check(
    dir: &Path,
    name: &str,
    source: &str,
    content: &str,
    mode: Mode,
) -> Result<Passed, SnapshotError> {
    let path = path_of(dir, name);
    let pending = pending_path_of(dir, name);
    let content = normalize(content);
    let old = match std::fs::metadata(&path) {
        Ok(_) => Some(SnapshotFile::read(&path)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(SnapshotError::Io { path, source }),
    };
    let Some(old) = old else {
        return match mode {
            Mode::Never => Err(SnapshotError::Missing { path }),
            Mode::Local | Mode::Always => {
                SnapshotFile::new(source, &content).write(&path)?;
                remove_stale(&pending)?;
                Ok(Passed::Written(path))
            }
        };
    };
    if old.content == content {
        if mode != Mode::Never {
            remove_stale(&pending)?;
        }
        return Ok(Passed::Matched);
    }
    // Keep the accepted file's header, so a review changes the content only.
    let new = SnapshotFile { header: old.header.clone(), content };
    match mode {
        Mode::Always => {
            new.write(&path)?;
            remove_stale(&pending)?;
            Ok(Passed::Updated(path))
        }
        Mode::Local => {
            new.write(&pending)?;
            Err(SnapshotError::Mismatch {
                diff: diff(&old.content, &new.content),
                path,
                pending: Some(pending),
            })
        }
        Mode::Never => Err(SnapshotError::Mismatch {
            diff: diff(&old.content, &new.content),
            path,
            pending: None,
        }),
    }
}

/// Removes a pending file left by an earlier mismatch that no longer applies.
fn remove_stale(pending: &Path) -> Result<(), SnapshotError> {
    match std::fs::remove_file(pending) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(SnapshotError::Io { path: pending.into(), source }),
    }
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
