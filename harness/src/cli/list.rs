//! `bgpstorm list`: one line per scenario.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{exit, scenario_files};
use crate::scenario::{self, model::DutKind};

/// Options of `bgpstorm list`.
#[derive(clap::Args)]
pub struct ListArgs {
    /// Scenario files or directories.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
}

/// Lists scenarios: file, name, DUT kinds it applies to, steps, description.
pub fn main(paths: &[PathBuf]) -> ExitCode {
    let files = match scenario_files(paths) {
        Ok(f) => f,
        Err(c) => return c,
    };
    let mut bad = false;
    for f in &files {
        match scenario::load(f) {
            Ok(s) => {
                let kinds: Vec<&str> = match &s.dut.applies_to {
                    Some(k) => k.iter().map(|k| k.name()).collect(),
                    None if s.dut.kind == DutKind::None => vec!["none"],
                    None => DutKind::DAEMONS.iter().map(|k| k.name()).collect(),
                };
                let desc = s.description.split_whitespace().collect::<Vec<_>>().join(" ");
                println!(
                    "{}\t{}\t{}\t{} steps\t{desc}",
                    f.display(),
                    s.name,
                    kinds.join(","),
                    s.steps.len()
                );
            }
            Err(e) => {
                bad = true;
                eprintln!("{e}");
            }
        }
    }
    exit::code(if bad { exit::USAGE } else { exit::SUCCESS })
}
