//! `bgpstorm review`: accept or reject pending snapshots (`NAME.snap.new`) without a Rust
//! toolchain. The files stay in insta's format, so `cargo insta review` works on them too.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::exit;
use crate::snapshot::{self, PENDING_EXTENSION, SnapshotError, SnapshotFile};

/// What to do with every pending snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Replace the accepted snapshot with the pending one.
    Accept,
    /// Delete the pending snapshot.
    Reject,
    /// Leave it for later.
    Skip,
}

/// `bgpstorm review` on the command line.
#[derive(clap::Args)]
pub struct ReviewArgs {
    /// Only these snapshots (names without `.snap.new`).
    pub names: Vec<String>,
    /// Folder of snapshots.
    #[arg(long, value_name = "DIR", default_value = "snapshots")]
    pub snapshots: PathBuf,
    /// Accept every pending snapshot without asking.
    #[arg(long, conflicts_with = "reject")]
    pub accept: bool,
    /// Reject (delete) every pending snapshot without asking.
    #[arg(long)]
    pub reject: bool,
}

impl From<ReviewArgs> for Options {
    fn from(a: ReviewArgs) -> Self {
        let decision = match (a.accept, a.reject) {
            (true, _) => Some(Decision::Accept),
            (_, true) => Some(Decision::Reject),
            _ => None,
        };
        Self { snapshots: a.snapshots, decision, names: a.names }
    }
}

/// Options of `bgpstorm review`.
#[derive(Debug)]
pub struct Options {
    /// The snapshot folder.
    pub snapshots: PathBuf,
    /// Act on every snapshot without asking (`--accept` / `--reject`).
    pub decision: Option<Decision>,
    /// Only these snapshots (names without extension); all when empty.
    pub names: Vec<String>,
}

/// One pending snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// Its name (`scenario__check__daemon`).
    pub name: String,
    /// `NAME.snap.new`.
    pub path: PathBuf,
}

impl Pending {
    /// `NAME.snap`, the file an accept writes.
    pub fn accepted_path(&self) -> PathBuf {
        self.path.with_file_name(format!("{}.{}", self.name, snapshot::EXTENSION))
    }
}

/// The pending snapshots of `dir`, by name.
pub fn pending(dir: &Path) -> std::io::Result<Vec<Pending>> {
    let suffix = format!(".{PENDING_EXTENSION}");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else { continue };
        if let Some(name) = file.strip_suffix(&suffix) {
            out.push(Pending { name: name.to_string(), path: path.clone() });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The diff a pending snapshot would make (every line added when there is none yet).
pub fn describe(p: &Pending) -> Result<String, SnapshotError> {
    let new = SnapshotFile::read(&p.path)?;
    let accepted = p.accepted_path();
    let old = if accepted.exists() { Some(SnapshotFile::read(&accepted)?) } else { None };
    let (what, old_content) = match &old {
        Some(o) => ("changed", o.content.as_str()),
        None => ("new", ""),
    };
    Ok(format!("{} ({what}):\n{}", p.name, snapshot::diff(old_content, &new.content)))
}

/// Applies a decision to one pending snapshot.
pub fn apply(p: &Pending, decision: Decision) -> Result<(), SnapshotError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SnapshotError::Io { path, source }
    };
    match decision {
        Decision::Skip => Ok(()),
        Decision::Reject => std::fs::remove_file(&p.path).map_err(io(&p.path)),
        Decision::Accept => {
            let mut new = SnapshotFile::read(&p.path)?;
            // Pending files may carry the assertion line; accepted ones never do (as insta).
            new.header.retain(|l| !l.starts_with("assertion_line:"));
            let target = p.accepted_path();
            new.write(&target)?;
            std::fs::remove_file(&p.path).map_err(io(&p.path))
        }
    }
}

/// The command's entry point. Exit 0 when done, 1 when pending snapshots remain undecided
/// without a terminal or one cannot be used, 2 on wrong usage or an unreadable folder.
pub fn main(opts: &Options) -> ExitCode {
    let all = match pending(&opts.snapshots) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("bgpstorm: {}: {e}", opts.snapshots.display());
            return exit::code(exit::USAGE);
        }
    };
    let unknown: Vec<&String> =
        opts.names.iter().filter(|n| !all.iter().any(|p| &p.name == *n)).collect();
    if !unknown.is_empty() {
        for n in unknown {
            eprintln!("bgpstorm: no pending snapshot {n} in {}", opts.snapshots.display());
        }
        return exit::code(exit::USAGE);
    }
    let chosen: Vec<Pending> =
        all.into_iter().filter(|p| opts.names.is_empty() || opts.names.contains(&p.name)).collect();
    if chosen.is_empty() {
        println!("no pending snapshots in {}", opts.snapshots.display());
        return ExitCode::SUCCESS;
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if opts.decision.is_none() && !interactive {
        for p in &chosen {
            println!("pending {}", p.path.display());
        }
        eprintln!(
            "{} pending snapshot(s); rerun with --accept or --reject (or on a terminal, to \
             decide one by one)",
            chosen.len()
        );
        return exit::code(exit::FAILED);
    }
    let mut failed = false;
    let mut stdin = std::io::stdin().lock();
    for p in &chosen {
        match describe(p) {
            Ok(d) => print!("{d}"),
            Err(e) => {
                eprintln!("bgpstorm: {e}");
                failed = true;
                continue;
            }
        }
        let decision = match opts.decision {
            Some(d) => d,
            None => ask(&mut stdin),
        };
        match apply(p, decision) {
            Ok(()) => println!("{} {}", verb(decision), p.name),
            Err(e) => {
                eprintln!("bgpstorm: {e}");
                failed = true;
            }
        }
    }
    if failed { exit::code(exit::FAILED) } else { ExitCode::SUCCESS }
}

fn verb(d: Decision) -> &'static str {
    match d {
        Decision::Accept => "accepted",
        Decision::Reject => "rejected",
        Decision::Skip => "skipped",
    }
}

/// Asks on the terminal until the answer is one of a, r, s (end of input skips).
fn ask(input: &mut impl BufRead) -> Decision {
    loop {
        print!("accept, reject or skip? [a/r/s] ");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => return Decision::Skip,
            Ok(_) => {}
        }
        match line.trim() {
            "a" | "accept" => return Decision::Accept,
            "r" | "reject" => return Decision::Reject,
            "s" | "skip" | "" => return Decision::Skip,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_prompt_reads_a_decision_and_asks_again_on_anything_else() {
        let mut input = std::io::Cursor::new("x\naccept\n");
        assert_eq!(ask(&mut input), Decision::Accept);
        assert_eq!(ask(&mut std::io::Cursor::new("r\n")), Decision::Reject);
        assert_eq!(ask(&mut std::io::Cursor::new("\n")), Decision::Skip);
        // End of input (Ctrl-D) skips instead of looping.
        assert_eq!(ask(&mut std::io::Cursor::new("")), Decision::Skip);
    }

    #[test]
    fn review_finds_pending_files_only_and_describes_a_new_snapshot() {
        let dir = std::env::temp_dir().join(format!("bgpstorm-review-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        SnapshotFile::new("x.rs", "a").write(&dir.join("old.snap")).expect("write");
        SnapshotFile::new("x.rs", "b\nc").write(&dir.join("first.snap.new")).expect("write");
        let found = pending(&dir).expect("read dir");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name, "first");
        let d = describe(&found[0]).expect("describe");
        assert!(d.starts_with("first (new):\n") && d.contains("+b\n+c\n"), "{d}");
        apply(&found[0], Decision::Skip).expect("skip");
        assert!(found[0].path.exists());
        apply(&found[0], Decision::Accept).expect("accept");
        assert_eq!(SnapshotFile::read(&dir.join("first.snap")).expect("read").content, "b\nc");
        assert!(!found[0].path.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
