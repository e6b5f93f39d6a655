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

/// Whether `count` consecutive prefixes of the length of `start` fit in the address space (the
/// arithmetic of the speaker's range generator, without building the list).
pub fn range_fits(start: IpNet, count: u64) -> bool {
    let span = count.saturating_sub(1);
    match start {
        IpNet::V4(n) => {
            let step: u64 = 1 << (32 - u32::from(n.prefix_len()));
            let base = u64::from(u32::from(n.network()));
            step.checked_mul(span)
                .and_then(|s| base.checked_add(s))
                .is_some_and(|last| last <= u64::from(u32::MAX))
        }
        IpNet::V6(n) => match n.prefix_len() {
            0 => count <= 1,
            len => (1u128 << (128 - u32::from(len)))
                .checked_mul(u128::from(span))
                .and_then(|s| u128::from(n.network()).checked_add(s))
                .is_some(),
        },
    }
}
