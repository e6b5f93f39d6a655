//! What the `bgpstorm explore` tests share: the repository root, the command, a scratch
//! folder and the lines of an event log.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// `bgpstorm ARGS` from the repository root.
pub fn bgpstorm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bgpstorm")).args(args).current_dir(root()).output().unwrap()
}

/// A fresh scratch folder `target/tmp/GROUP/NAME`.
pub fn scratch_in(group: &str, name: &str) -> PathBuf {
    let dir = root().join("target/tmp").join(group).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The lines of an NDJSON log.
pub fn log_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
