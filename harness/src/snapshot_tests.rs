use std::path::{Path, PathBuf};

use super::*;

/// A fresh, empty folder under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p =
            std::env::temp_dir().join(format!("bgpstorm-snapshot-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const SOURCE: &str = "harness/src/run/expect.rs";

fn repo_snapshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../snapshots")
}

#[test]
fn snapshot_header_round_trips_a_real_file_byte_for_byte() {
    for name in ["failover-hidden-route__failover-diff__bird.snap", "jsonl_4byte_asn.snap"] {
        let path = repo_snapshots().join(name);
        let text = std::fs::read_to_string(&path).expect("snapshot of the repository");
        let snap = SnapshotFile::parse(&text).expect("parses");
        assert!(snap.field("source").is_some(), "{name}: no source field");
        assert_eq!(snap.render(), text, "{name}");
    }
    let text =
        std::fs::read_to_string(repo_snapshots().join("jsonl_4byte_asn.snap")).expect("read");
    let snap = SnapshotFile::parse(&text).expect("parses");
    assert_eq!(snap.field("source"), Some("harness/tests/decode_cli.rs"));
    assert_eq!(snap.field("expression"), Some("text(&out.stdout)"));
}

#[test]
fn snapshot_parse_rejects_text_without_header() {
    assert!(SnapshotFile::parse("10.0.0.0/8\n").is_err());
    assert!(SnapshotFile::parse("---\nsource: x\n10.0.0.0/8\n").is_err());
}

#[test]
fn snapshot_matches_existing_content_with_insta_normalisation() {
    let dir = TempDir::new("match");
    SnapshotFile::new(SOURCE, "a\nb").write(&path_of(&dir.0, "s")).expect("write");
    let got = check(&dir.0, "s", SOURCE, "a\r\nb\n\n", Mode::Never).expect("matches");
    assert_eq!(got, Passed::Matched);
}

#[test]
fn snapshot_new_is_written_and_passes_outside_ci() {
    let dir = TempDir::new("new");
    let got = check(&dir.0, "first", SOURCE, "10.0.0.0/24\n", Mode::Local).expect("passes");
    let path = path_of(&dir.0, "first");
    assert_eq!(got, Passed::Written(path.clone()));
    assert_eq!(got.to_string(), format!("new snapshot written: {}", path.display()));
    assert_eq!(
        std::fs::read_to_string(&path).expect("written"),
        format!("---\nsource: {SOURCE}\n---\n10.0.0.0/24\n")
    );
    // Second run: the same content matches.
    assert_eq!(
        check(&dir.0, "first", SOURCE, "10.0.0.0/24", Mode::Local).expect("ok"),
        Passed::Matched
    );
}

#[test]
fn snapshot_missing_in_ci_fails_and_writes_nothing() {
    let dir = TempDir::new("ci-missing");
    let err = check(&dir.0, "first", SOURCE, "x", Mode::Never).expect_err("fails in CI");
    let path = path_of(&dir.0, "first");
    assert_eq!(
        err.to_string(),
        format!("missing snapshot {} (CI never writes snapshots)", path.display())
    );
    assert!(!path.exists());
    assert!(!pending_path_of(&dir.0, "first").exists());
}

#[test]
fn snapshot_mismatch_shows_a_diff_and_writes_a_pending_file() {
    let dir = TempDir::new("mismatch");
    let path = path_of(&dir.0, "s");
    SnapshotFile::new(SOURCE, "a\nb\nc").write(&path).expect("write");
    let err = check(&dir.0, "s", "elsewhere.rs", "a\nB\nc\nd", Mode::Local).expect_err("differs");
    let msg = err.to_string();
    assert!(msg.contains("-b\n+B\n"), "{msg}");
    assert!(msg.contains("+d\n"), "{msg}");
    assert!(msg.contains("bgpstorm review"), "{msg}");
    assert!(!msg.contains("cargo insta"), "{msg}");
    let pending = SnapshotFile::read(&pending_path_of(&dir.0, "s")).expect("pending written");
    assert_eq!(pending.content, "a\nB\nc\nd");
    // The accepted file's header is kept, so accepting changes the content only.
    assert_eq!(pending.field("source"), Some(SOURCE));
    assert_eq!(SnapshotFile::read(&path).expect("untouched").content, "a\nb\nc");
    // A later matching run removes the stale pending file.
    check(&dir.0, "s", SOURCE, "a\nb\nc", Mode::Local).expect("matches");
    assert!(!pending_path_of(&dir.0, "s").exists());
}

#[test]
fn snapshot_mismatch_in_ci_shows_a_diff_and_writes_nothing() {
    let dir = TempDir::new("ci-mismatch");
    SnapshotFile::new(SOURCE, "a").write(&path_of(&dir.0, "s")).expect("write");
    let err = check(&dir.0, "s", SOURCE, "b", Mode::Never).expect_err("differs");
    let msg = err.to_string();
    assert!(msg.contains("-a\n+b\n"), "{msg}");
    assert!(msg.contains("CI never writes snapshots"), "{msg}");
    assert!(!pending_path_of(&dir.0, "s").exists());
}

#[test]
fn snapshot_update_always_replaces_in_place() {
    let dir = TempDir::new("always");
    let path = path_of(&dir.0, "s");
    SnapshotFile::new(SOURCE, "a").write(&path).expect("write");
    assert_eq!(
        check(&dir.0, "s", SOURCE, "b", Mode::Always).expect("passes"),
        Passed::Updated(path.clone())
    );
    assert_eq!(SnapshotFile::read(&path).expect("read").content, "b");
}

#[test]
fn snapshot_mode_follows_the_variables_insta_reads() {
    assert_eq!(Mode::from_vars(None, false, None), Mode::Local);
    assert_eq!(Mode::from_vars(Some("true"), false, None), Mode::Never);
    assert_eq!(Mode::from_vars(Some("1"), false, None), Mode::Never);
    assert_eq!(Mode::from_vars(Some("false"), true, None), Mode::Local);
    assert_eq!(Mode::from_vars(Some("0"), false, None), Mode::Local);
    assert_eq!(Mode::from_vars(None, true, None), Mode::Never);
    assert_eq!(Mode::from_vars(Some("true"), false, Some("always")), Mode::Always);
    assert_eq!(Mode::from_vars(None, false, Some("no")), Mode::Never);
}
