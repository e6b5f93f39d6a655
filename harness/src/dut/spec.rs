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

use super::source::{Installed, Source};
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

/// One column of the compatibility matrix: a daemon kind and which installation of it a run
/// uses, named in the `--dut` spelling that picks exactly that installation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Which daemon (`none` for scenarios without a DUT).
    pub kind: DutKind,
    /// How reports name it: `bird@2.0.12` (the host's or a named root's daemon of that
    /// version), `frr=/opt/frr` (a user's build), `none`; the kind's name alone when the
    /// installation is not known (a host daemon that is missing or does not say its version).
    pub name: String,
    /// The daemon's version, when known.
    pub version: Option<String>,
}

impl Column {
    /// The column of a run on `installed`, or of the kind alone when it is `None`.
    pub fn of(kind: DutKind, installed: Option<&Installed>) -> Self {
        match installed {
            Some(i) if !i.version.is_empty() => {
                let name = match &i.source {
                    Source::Host | Source::Root { name: Some(_), .. } => {
                        format!("{}@{}", kind.name(), i.version)
                    }
                    Source::Root { path, .. } | Source::Prefix { path } => {
                        format!("{}={}", kind.name(), path.display())
                    }
                };
                Self { kind, name, version: Some(i.version.clone()) }
            }
            _ => Self { kind, name: kind.name().to_string(), version: None },
        }
    }

    /// Orders columns: by daemon, then by version (numerically: 8.4.4 before 10.3), then by
    /// name.
    pub fn sort_key(&self) -> (DutKind, Vec<u64>, String) {
        let numbers = self
            .version
            .as_deref()
            .unwrap_or_default()
            .split(['.', '-'])
            .map_while(|p| p.parse().ok())
            .collect();
        (self.kind, numbers, self.name.clone())
    }
}

/// What a run uses: its column, and the installation (`None`: a host daemon not found).
pub type RunOn = (Column, Option<Installed>);

/// What a run on `spec` uses: its column and installation. The host's daemon is read here
/// too; when it is missing or does not say its version, the column is the kind's name and the
/// installation `None` (that run then reports why it could not start). A version or a path
/// that names nothing is an error.
pub fn for_run(spec: &DutSpec) -> Result<RunOn, super::ResolveError> {
    if spec.kind == DutKind::None && spec.want != Want::All {
        return Ok((Column::of(DutKind::None, None), None));
    }
    match super::resolve(spec) {
        Ok(i) => Ok((Column::of(spec.kind, Some(&i)), Some(i))),
        Err(_) if spec.want == Want::Host => Ok((Column::of(spec.kind, None), None)),
        Err(e) => Err(e),
    }
}

/// What runs on each of `specs` ([`for_run`]), in order and each column once, with `all`
/// standing for every daemon of the machine as `bgpstorm dut list` shows them (the host's, then
/// each root's). The first spelling that names nothing is the error.
pub fn for_runs(specs: &[DutSpec]) -> Result<Vec<RunOn>, (DutSpec, super::ResolveError)> {
    let mut out: Vec<RunOn> = Vec::new();
    for spec in specs {
        let found = if spec.want == Want::All {
            let mut each = Vec::new();
            for i in super::available() {
                let i = i.map_err(|e| (spec.clone(), e))?;
                each.push((Column::of(i.kind, Some(&i)), Some(i)));
            }
            each
        } else {
            vec![for_run(spec).map_err(|e| (spec.clone(), e))?]
        };
        for d in found {
            if !out.iter().any(|(c, _)| c.name == d.0.name) {
                out.push(d);
            }
        }
    }
    Ok(out)
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
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
    fn a_column_is_named_by_the_spelling_that_picks_its_installation() {
        let i = |version: &str, source| Installed {
            kind: DutKind::Frr,
            version: version.into(),
            source,
            path: "/usr/lib/frr/bgpd".into(),
        };
        let host = i("8.4.4", Source::Host);
        let root = i("10.3", Source::Root { name: Some("debian13".into()), path: "/r".into() });
        let user = i("10.5-dev", Source::Prefix { path: "/opt/frr".into() });
        let silent = i("", Source::Host);
        let names: Vec<String> =
            [&host, &root, &user, &silent].map(|i| Column::of(DutKind::Frr, Some(i)).name).into();
        assert_eq!(names, ["frr@8.4.4", "frr@10.3", "frr=/opt/frr", "frr"]);
        assert_eq!(Column::of(DutKind::None, None).to_string(), "none");
        let mut cols: Vec<Column> =
            [&user, &root, &host].map(|i| Column::of(DutKind::Frr, Some(i))).into();
        cols.push(Column::of(DutKind::Bird, None));
        cols.sort_by_key(Column::sort_key);
        let order: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(order, ["bird", "frr@8.4.4", "frr@10.3", "frr=/opt/frr"]);
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
