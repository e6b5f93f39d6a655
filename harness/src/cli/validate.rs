//! `bgpstorm validate`: checks scenario files (schema, references, values).

use std::path::PathBuf;
use std::process::ExitCode;

use super::{exit, scenario_files};
use crate::scenario;

/// Options of `bgpstorm validate`.
#[derive(clap::Args)]
pub struct ValidateArgs {
    /// Scenario files or directories (searched for *.yaml).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// Checks every scenario; prints `ok FILE` or the errors. Exit 2 when any is invalid.
pub fn main(paths: &[PathBuf]) -> ExitCode {
    let files = match scenario_files(paths) {
        Ok(f) => f,
        Err(c) => return c,
    };
    let mut bad = 0;
    for f in &files {
        match scenario::load(f) {
            Ok(_) => println!("ok {}", f.display()),
            Err(e) => {
                bad += 1;
                eprintln!("{e}");
            }
        }
    }
    if bad > 0 {
        eprintln!("{bad} of {} scenarios invalid", files.len());
        exit::code(exit::USAGE)
    } else {
        exit::code(exit::SUCCESS)
    }
}
