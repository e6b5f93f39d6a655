//! Durations as scenario files write them (`500ms`, `2s`, `1m30s`), bounded when they are read:
//! a deadline, interval or delay longer than [`MAX`] is refused with its position in the file,
//! so no later `Instant + Duration` can overflow in `run`.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

/// The longest duration a scenario may give (24 h).
pub const MAX: Duration = Duration::from_secs(24 * 60 * 60);

/// A value that holds durations to check against [`MAX`].
pub trait Bounded {
    /// The longest duration in it.
    fn longest(&self) -> Option<Duration>;
}

impl Bounded for Duration {
    fn longest(&self) -> Option<Duration> {
        Some(*self)
    }
}

impl Bounded for Option<Duration> {
    fn longest(&self) -> Option<Duration> {
        *self
    }
}

/// Writes the duration in human form (`serde(with)` side of [`deserialize`]).
pub fn serialize<T, S>(d: &T, s: S) -> Result<S::Ok, S::Error>
where
    for<'a> humantime_serde::Serde<&'a T>: Serialize,
    S: Serializer,
{
    humantime_serde::serialize(d, s)
}

/// Reads a human duration and refuses one longer than [`MAX`].
pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
where
    humantime_serde::Serde<T>: Deserialize<'de>,
    T: Bounded,
    D: Deserializer<'de>,
{
    let v: T = humantime_serde::deserialize(d)?;
    match v.longest() {
        Some(l) if l > MAX => Err(D::Error::custom(format!(
            "duration {} is longer than the longest allowed, {}",
            humantime::format_duration(l),
            humantime::format_duration(MAX)
        ))),
        _ => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct T {
        #[serde(default, with = "super")]
        d: Option<Duration>,
    }

    #[test]
    fn durations_past_the_bound_are_refused() {
        let ok: T = serde_saphyr::from_str("d: 24h").unwrap();
        assert_eq!(ok.d, Some(MAX));
        let none: T = serde_saphyr::from_str("{}").unwrap();
        assert_eq!(none.d, None);
        let e = serde_saphyr::from_str::<T>("d: 5000000000000000h").unwrap_err().to_string();
        assert!(e.contains("longer than the longest allowed"), "{e}");
        assert!(serde_saphyr::from_str::<T>("d: 24h 1s").is_err());
    }
}
