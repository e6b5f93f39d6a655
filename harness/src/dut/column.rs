//! The columns of the compatibility matrix: which installation of a daemon a run uses, and
//! how reports name it. A [`DutSpec`] names what the user asked for; resolving it
//! ([`resolve`]) finds the installation, and the column is named after that.

use std::fmt;

use super::source::{Installed, ResolveError, Source, available, resolve};
use super::spec::{DutSpec, Want};
use crate::scenario::model::DutKind;

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
pub fn for_run(spec: &DutSpec) -> Result<RunOn, ResolveError> {
    if spec.kind == DutKind::None && spec.want != Want::All {
        return Ok((Column::of(DutKind::None, None), None));
    }
    match resolve(spec) {
        Ok(i) => Ok((Column::of(spec.kind, Some(&i)), Some(i))),
        Err(_) if spec.want == Want::Host => Ok((Column::of(spec.kind, None), None)),
        Err(e) => Err(e),
    }
}

/// What runs on each of `specs` ([`for_run`]), in order and each column once, with `all`
/// standing for every daemon of the machine as `bgpstorm dut list` shows them (the host's, then
/// each root's). The first spelling that names nothing is the error.
pub fn for_runs(specs: &[DutSpec]) -> Result<Vec<RunOn>, (DutSpec, ResolveError)> {
    let mut out: Vec<RunOn> = Vec::new();
    for spec in specs {
        let found = if spec.want == Want::All {
            let mut each = Vec::new();
            for i in available() {
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
}
