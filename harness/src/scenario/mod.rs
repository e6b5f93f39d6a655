//! Scenario files: the YAML form ([`raw`]) read with positions in errors, one pass that checks
//! it and builds the typed model ([`model`]: steps with one [`model::Action`] each, `expect:`
//! as a list of [`model::Check`]s), the JSON Schema for editors, and discovery of the
//! scenario library.

pub mod action;
mod build;
mod duration;
pub mod expect;
pub mod model;
pub mod prefixes;
pub mod raw;
mod validate;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use bgpstorm_wire::model::{Community, ExtendedCommunity, LargeCommunity};

pub use build::{DEFAULT_WITHIN, HexError, parse_hex};
pub use model::Scenario;
pub use validate::label;

/// A scenario that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// YAML or schema error, with line, column and snippet.
    #[error("{}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// serde-saphyr's message (line, column, snippet, what was expected).
        message: String,
    },
    /// Semantic problems.
    #[error("{}: invalid scenario:\n  - {}", path.display(), problems.join("\n  - "))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Each problem with where it is.
        problems: Vec<String>,
    },
}

/// Loads and checks a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ScenarioError::Read { path: path.into(), source })?;
    parse(path, &text)
}

/// Parses and checks scenario text (`path` names it in errors).
pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    let s: raw::Scenario = serde_saphyr::from_str(text).map_err(|e| ScenarioError::Parse {
        path: path.into(),
        message: e.to_string().replace("<input>", &path.display().to_string()),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    validate::build(s, base)
        .map_err(|problems| ScenarioError::Invalid { path: path.into(), problems })
}

/// The JSON Schema of the format, for editors (`bgpstorm schema`).
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(raw::Scenario)).unwrap_or_default()
}

/// Every `*.yaml`/`*.yml` file under `paths` (files are taken as given), sorted. Symbolic links
/// are followed, but a folder already visited (by its canonical path) is not entered again, so
/// a link loop ends the walk instead of hanging it.
pub fn discover(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut seen, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, seen: &mut HashSet<PathBuf>, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !seen.insert(std::fs::canonicalize(dir)?) {
        return Ok(());
    }
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, seen, out)?;
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            out.push(p);
        }
    }
    Ok(())
}

/// `asn:value`.
pub fn parse_community(s: &str) -> Option<Community> {
    let (a, v) = s.split_once(':')?;
    Some(Community(u32::from(a.parse::<u16>().ok()?) << 16 | u32::from(v.parse::<u16>().ok()?)))
}

/// The communities of a range, or `None` when its start is not `asn:value` or it runs past
/// value 65535.
pub fn community_range(r: &model::CommunityRange) -> Option<Vec<Community>> {
    let first = parse_community(&r.start)?;
    let last = (first.0 & 0xffff) + r.count.checked_sub(1)?;
    (last <= 0xffff).then(|| (0..r.count).map(|i| Community(first.0 + i)).collect())
}

/// `global:local1:local2`.
pub fn parse_large_community(s: &str) -> Option<LargeCommunity> {
    let mut it = s.split(':').map(|x| x.parse::<u32>().ok());
    let c = LargeCommunity { global: it.next()??, local1: it.next()??, local2: it.next()?? };
    it.next().is_none().then_some(c)
}

/// `rt:asn:value` / `soo:asn:value` (2-octet AS specific, RFC 4360 §3.1).
pub fn parse_extended_community(s: &str) -> Option<ExtendedCommunity> {
    let mut it = s.split(':');
    let subtype = match it.next()? {
        "rt" => 0x02,
        "soo" => 0x03,
        _ => return None,
    };
    let asn: u16 = it.next()?.parse().ok()?;
    let value: u32 = it.next()?.parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    let mut b = [0u8; 8];
    b[1] = subtype;
    b[2..4].copy_from_slice(&asn.to_be_bytes());
    b[4..8].copy_from_slice(&value.to_be_bytes());
    Some(ExtendedCommunity(b))
}

#[cfg(test)]
mod tests;
