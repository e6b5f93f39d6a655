//! How a DUT is named on the command line, in `BGPSTORM_DUT` and in reports: a daemon kind,
//! and optionally which installation of it.
//!
//! - `bird`: the host's packages;
//! - `bird@3.1.8`: the available daemon of that version, whatever its source;
//! - `frr=/opt/frr`: a user's build, an installation prefix (holding `sbin/`, `bin/` or
//!   `lib/frr/`) or a root filesystem (holding `usr/` and `etc/`);
//! - `all`: every daemon available on the machine (`bgpstorm dut list`).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::scenario::model::DutKind;

/// A DUT as the user names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DutSpec {
    /// Which daemon.
    pub kind: DutKind,
    /// Which installation of it.
    pub want: Want,
}

/// Which installation of a daemon a [`DutSpec`] asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Want {
    /// The host's packages.
    Host,
    /// Any available installation whose version is this one.
    Version(String),
    /// A user's build: a prefix or a root filesystem.
    Path(PathBuf),
    /// `all`: every installation of every daemon on the machine (the kind is `none`).
    All,
}

/// A DUT name that cannot be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The daemon is not one bgpstorm drives.
    #[error("unknown daemon {0:?}: expected bird, frr, gobgp, openbgpd, none or all")]
    Kind(String),
    /// `KIND@` with no version, or `KIND=` with no path.
    #[error("{0:?}: nothing after {1:?} (write e.g. bird@3.1.8 or frr=/opt/frr)")]
    Empty(String, char),
    /// `none` names no daemon, so no installation of it.
    #[error("{0:?}: `none` has no version or path")]
    NoneWithSource(String),
}

impl FromStr for DutSpec {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, SpecError> {
        let s = s.trim();
        if s == "all" {
            return Ok(Self { kind: DutKind::None, want: Want::All });
        }
        let (name, want) = match s.find(['@', '=']) {
            None => (s, Want::Host),
            Some(i) => {
                let (name, rest) = (&s[..i], &s[i + 1..]);
                let sep = s.as_bytes()[i] as char;
                if rest.is_empty() {
                    return Err(SpecError::Empty(s.to_string(), sep));
                }
                let want = if sep == '@' {
                    Want::Version(rest.to_string())
                } else {
                    Want::Path(PathBuf::from(rest))
                };
                (name, want)
            }
        };
        let kind = DutKind::DAEMONS
            .into_iter()
            .chain([DutKind::None])
            .find(|k| k.name() == name)
            .ok_or_else(|| SpecError::Kind(name.to_string()))?;
        if kind == DutKind::None && want != Want::Host {
            return Err(SpecError::NoneWithSource(s.to_string()));
        }
        Ok(Self { kind, want })
    }
}

impl fmt::Display for DutSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.want {
            Want::Host => write!(f, "{}", self.kind.name()),
            Want::Version(v) => write!(f, "{}@{v}", self.kind.name()),
            Want::Path(p) => write!(f, "{}={}", self.kind.name(), p.display()),
            Want::All => f.write_str("all"),
        }
    }
}

impl DutSpec {
    /// The host's installation of `kind`.
    pub fn host(kind: DutKind) -> Self {
        Self { kind, want: Want::Host }
    }

    /// A comma-separated list, as `--dut` and `BGPSTORM_DUT` take it.
    pub fn list(s: &str) -> Result<Vec<Self>, SpecError> {
        s.split(',').filter(|p| !p.trim().is_empty()).map(str::parse).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_spellings_read_and_print_back() {
        for s in ["bird", "frr@10.3", "gobgp=/opt/gobgp", "openbgpd@8.8", "none", "all"] {
            let spec: DutSpec = s.parse().unwrap();
            assert_eq!(spec.to_string(), s);
        }
        assert_eq!(
            "bird@3.1.8".parse::<DutSpec>().unwrap(),
            DutSpec { kind: DutKind::Bird, want: Want::Version("3.1.8".into()) }
        );
        assert_eq!(
            "frr=/opt/frr".parse::<DutSpec>().unwrap().want,
            Want::Path(PathBuf::from("/opt/frr"))
        );
    }

    #[test]
    fn a_list_reads_every_item_and_names_the_bad_one() {
        let l = DutSpec::list("bird@3.1.8,frr=/opt/frr, gobgp").unwrap();
        assert_eq!(l.len(), 3);
        assert_eq!(l[2], DutSpec::host(DutKind::Gobgp));
        assert_eq!(DutSpec::list("bird,quagga").unwrap_err(), SpecError::Kind("quagga".into()));
    }

    #[test]
    fn bad_spellings_are_errors_that_say_what_to_write() {
        assert!(matches!("bird@".parse::<DutSpec>(), Err(SpecError::Empty(_, '@'))));
        assert!(matches!("frr=".parse::<DutSpec>(), Err(SpecError::Empty(_, '='))));
        assert!(matches!("none@1".parse::<DutSpec>(), Err(SpecError::NoneWithSource(_))));
        let e = "bird3".parse::<DutSpec>().unwrap_err().to_string();
        assert!(e.contains("bird, frr, gobgp, openbgpd"), "{e}");
    }
}
