//! Prefix sets as scenarios write them: a list, a generated range, or an MRT file's prefixes.
//! Used by steps (announce, withdraw) and by checks (`prefixes:`).

use std::path::PathBuf;

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A set of prefixes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Prefixes {
    /// An explicit list.
    List(#[schemars(with = "Vec<String>")] Vec<IpNet>),
    /// `count` consecutive prefixes of the length of `start`.
    Range(PrefixRange),
    /// The prefixes of an MRT file.
    Mrt(MrtPrefixes),
}

/// A generated range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrefixRange {
    /// How many.
    pub count: u64,
    /// The first one; its length is every one's.
    #[schemars(with = "String")]
    pub start: IpNet,
}

/// Prefixes from MRT.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MrtPrefixes {
    /// The file (relative to the scenario file).
    pub mrt: PathBuf,
    /// At most this many.
    #[serde(default)]
    pub limit: Option<usize>,
}
