//! `bgpstorm validate`, `bgpstorm list` and `bgpstorm schema`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::monitor_cmd::exit;
use crate::scenario;

fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ExitCode> {
    match scenario::discover(paths) {
        Ok(f) if f.is_empty() => {
            eprintln!(
                "bgpstorm: no scenario files (*.yaml) under {}",
                paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            );
            Err(ExitCode::from(exit::USAGE))
        }
        Ok(f) => Ok(f),
        Err(e) => {
            eprintln!("bgpstorm: {e}");
            Err(ExitCode::from(exit::USAGE))
        }
    }
}

/// Checks every scenario; prints `ok FILE` or the errors. Exit 2 when any is invalid.
pub fn validate(paths: &[PathBuf]) -> ExitCode {
    let files = match files(paths) {
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
        ExitCode::from(exit::USAGE)
    } else {
        ExitCode::SUCCESS
    }
}

/// Lists scenarios: file, name, DUT kinds it applies to, steps, description.
pub fn list(paths: &[PathBuf]) -> ExitCode {
    let files = match files(paths) {
        Ok(f) => f,
        Err(c) => return c,
    };
    let mut bad = false;
    for f in &files {
        match scenario::load(f) {
            Ok(s) => {
                let kinds: Vec<&str> = match &s.dut.applies_to {
                    Some(k) => k.iter().map(|k| k.name()).collect(),
                    None if s.dut.kind == scenario::model::DutKind::None => vec!["none"],
                    None => scenario::model::DutKind::DAEMONS.iter().map(|k| k.name()).collect(),
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
    if bad { ExitCode::from(exit::USAGE) } else { ExitCode::SUCCESS }
}

/// Prints the JSON Schema.
pub fn schema() -> ExitCode {
    println!("{}", serde_json::to_string_pretty(&scenario::json_schema()).unwrap_or_default());
    ExitCode::SUCCESS
}
