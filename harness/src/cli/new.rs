//! `bgpstorm new NAME`: writes a commented starter scenario that validates and runs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::exit;
use crate::scenario::model::DutKind;

/// `bgpstorm new` on the command line.
#[derive(clap::Args)]
pub struct NewArgs {
    /// The scenario's name (letters, digits, `-`, `_`, `.`), also its file name.
    pub name: String,
    /// Folder to write it to.
    #[arg(long, value_name = "DIR", default_value = "scenarios")]
    pub dir: PathBuf,
    /// The daemon it runs against by default.
    #[arg(long, value_enum, default_value_t = DutKind::Bird)]
    pub dut: DutKind,
}

impl From<NewArgs> for Options {
    fn from(a: NewArgs) -> Self {
        Self { name: a.name, dir: a.dir, dut: a.dut }
    }
}

/// Options of `bgpstorm new`.
#[derive(Debug)]
pub struct Options {
    /// The scenario's name, also its file name (`NAME.yaml`).
    pub name: String,
    /// The folder it is written to.
    pub dir: PathBuf,
    /// The daemon it runs against by default.
    pub dut: DutKind,
}

/// Why a starter scenario was not written.
#[derive(Debug, thiserror::Error)]
pub enum NewError {
    /// The name cannot be a scenario and file name.
    #[error(
        "invalid scenario name {0:?}: use letters, digits, `-`, `_` and `.` (no `/`, no `..`, \
         not starting with `.` or `-`)"
    )]
    Name(String),
    /// A starter scenario peers speakers through a daemon.
    #[error("a starter scenario needs a daemon: --dut bird, frr, gobgp or openbgpd")]
    NoDaemon,
    /// The file is there already.
    #[error("{} exists already; it is left as it is", .0.display())]
    Exists(PathBuf),
    /// The file cannot be written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Checks a scenario name: a plain file name, no path, no `..`.
pub fn check_name(name: &str) -> Result<(), NewError> {
    let ok = !name.is_empty()
        && !name.contains("..")
        && !name.starts_with(['.', '-'])
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok { Ok(()) } else { Err(NewError::Name(name.to_string())) }
}

/// The starter scenario's text.
pub fn starter(name: &str, dut: DutKind) -> String {
    format!(
        r#"# {name}: a starter scenario. Check it with `bgpstorm validate`, run it (as root) with
# `bgpstorm run`, and edit it into your own test: every step and every `expect` check, with
# its fields and an example, is in docs/scenario-reference.md.
version: 1
name: {name}
description: >
  One upstream announces 100 prefixes through the device under test to a downstream, which
  must receive every one of them, and none once the upstream withdraws them all.
# The device under test: bird, frr, gobgp or openbgpd (`bgpstorm run --dut` overrides it).
dut: {{kind: {dut}, asn: 65000}}
# Simulated BGP speakers, by name; each gets its own link and eBGP session to the DUT.
speakers:
  up: {{asn: 65001}}
  down: {{asn: 65100}}
steps:
  # Every session reaches Established.
  - wait: established
  # up announces 100.64.0.0/24, 100.64.1.0/24, ... (100 prefixes), AS path 65001 174.
  - name: announce 100
    announce: {{from: up, prefixes: {{count: 100, start: 100.64.0.0/24}}, as_path: [174]}}
  # down must hold all 100 within 30 s (the check waits on events, not a timer).
  - expect: {{at: down, routes: 100, within: 30s}}
  - name: withdraw all
    withdraw: {{from: up, prefixes: all}}
  - expect: {{at: down, routes: 0, within: 30s}}
  # Nothing malformed, dropped or lost on the wire, no daemon error in its log.
  - expect: {{clean: true}}
"#,
        dut = dut.name()
    )
}

/// Writes `DIR/NAME.yaml`, never over an existing file; returns its path.
pub fn write(opts: &Options) -> Result<PathBuf, NewError> {
    let name = opts.name.strip_suffix(".yaml").unwrap_or(&opts.name);
    check_name(name)?;
    if opts.dut == DutKind::None {
        return Err(NewError::NoDaemon);
    }
    let path = opts.dir.join(format!("{name}.yaml"));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| NewError::Io { path, source }
    };
    std::fs::create_dir_all(&opts.dir).map_err(io(&opts.dir))?;
    let mut file = match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(NewError::Exists(path));
        }
        Err(e) => return Err(NewError::Io { path, source: e }),
    };
    std::io::Write::write_all(&mut file, starter(name, opts.dut).as_bytes()).map_err(io(&path))?;
    Ok(path)
}

/// The command's entry point: exit 0 when written, 2 on a bad name, an existing file or an
/// unwritable folder.
pub fn main(opts: &Options) -> ExitCode {
    match write(opts) {
        Ok(path) => {
            println!("wrote {}", path.display());
            println!("next: bgpstorm validate {0} && sudo bgpstorm run {0}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bgpstorm: {e}");
            exit::code(exit::USAGE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_starter_validates_for_every_daemon() {
        for kind in DutKind::DAEMONS {
            let text = starter("my-first", kind);
            let s = crate::scenario::parse(Path::new("my-first.yaml"), &text)
                .unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
            assert_eq!(s.name, "my-first");
            assert_eq!(s.dut.kind, kind);
        }
    }

    #[test]
    fn new_rejects_names_that_are_paths() {
        for bad in ["", "a/b", "../x", "x..y", ".hidden", "-x", "a b", "é"] {
            assert!(matches!(check_name(bad), Err(NewError::Name(_))), "{bad:?}");
        }
        for good in ["my-first", "bgp_4.2", "A1"] {
            assert!(check_name(good).is_ok(), "{good:?}");
        }
    }
}
