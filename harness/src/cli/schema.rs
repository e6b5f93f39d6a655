//! `bgpstorm schema`: the JSON Schema of scenario files, for editor completion.

use std::process::ExitCode;

use super::exit;
use crate::scenario;

/// Prints the JSON Schema.
pub fn main() -> ExitCode {
    println!("{}", serde_json::to_string_pretty(&scenario::json_schema()).unwrap_or_default());
    exit::code(exit::SUCCESS)
}
