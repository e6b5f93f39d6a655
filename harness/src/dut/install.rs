//! Root filesystems of other daemon versions, built from Debian's own packages with
//! `mmdebstrap` into the cache ([`super::roots_dir`]).
//!
//! Idempotent: a root carries a stamp of what it was built from (suite and package list); a
//! root whose stamp matches is left alone. Atomic: a root is built in `NAME.tmp` and renamed
//! into place only once complete, so an interrupted build never looks installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A root bgpstorm knows how to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootRecipe {
    /// Its name in the cache.
    pub name: &'static str,
    /// Debian suite.
    pub suite: &'static str,
    /// Packages installed in it.
    pub packages: &'static [&'static str],
}

/// Every root `bgpstorm dut install` builds: Debian 13's current daemons, and its BIRD 2
/// (the `bird2` package, 2.17: the last BIRD 2 beside the host's 2.0.12).
pub const RECIPES: [RootRecipe; 2] = [
    RootRecipe {
        name: "debian13",
        suite: "trixie",
        packages: &["bird3", "frr", "gobgpd", "openbgpd"],
    },
    RootRecipe { name: "debian13-bird2", suite: "trixie", packages: &["bird2"] },
];

/// The Debian mirror used unless told otherwise.
pub const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";

/// Where a root records what it was built from.
const STAMP: &str = "etc/bgpstorm-root";

impl RootRecipe {
    /// The recipe named `name`.
    pub fn named(name: &str) -> Option<Self> {
        RECIPES.into_iter().find(|r| r.name == name)
    }

    /// The stamp text: what a root built from this recipe holds.
    pub fn stamp(&self) -> String {
        format!("suite={}\npackages={}\n", self.suite, self.packages.join(","))
    }
}

/// What `install` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Installed {
    /// The root was already there, built from the same recipe.
    AlreadyThere,
    /// Built now, in that time.
    Built(Duration),
}

/// Why a root could not be built.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// mmdebstrap is not installed.
    #[error("mmdebstrap not found: install it (`apt-get install mmdebstrap`, or `bash ci/setup`)")]
    NoMmdebstrap,
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Files {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// mmdebstrap failed.
    #[error("mmdebstrap failed ({status}); last lines of its output:\n{tail}")]
    Mmdebstrap {
        /// Its exit status.
        status: String,
        /// The end of its output.
        tail: String,
    },
}

fn files(path: &Path) -> impl FnOnce(std::io::Error) -> InstallError + '_ {
    move |source| InstallError::Files { path: path.to_path_buf(), source }
}

/// Whether the root at `path` was built from `recipe`.
pub fn is_current(recipe: &RootRecipe, path: &Path) -> bool {
    std::fs::read_to_string(path.join(STAMP)).is_ok_and(|s| s == recipe.stamp())
}

/// Builds `recipe` into `cache/NAME` unless it is already there.
pub fn install(recipe: &RootRecipe, cache: &Path, mirror: &str) -> Result<Installed, InstallError> {
    let dest = cache.join(recipe.name);
    if is_current(recipe, &dest) {
        return Ok(Installed::AlreadyThere);
    }
    if super::which("mmdebstrap").is_none() {
        return Err(InstallError::NoMmdebstrap);
    }
    std::fs::create_dir_all(cache).map_err(files(cache))?;
    let tmp = cache.join(format!("{}.tmp", recipe.name));
    if tmp.exists() {
        // What an interrupted build left.
        std::fs::remove_dir_all(&tmp).map_err(files(&tmp))?;
    }
    let started = Instant::now();
    let log = cache.join(format!(".{}.log", recipe.name));
    let out = std::fs::File::create(&log).map_err(files(&log))?;
    let err = out.try_clone().map_err(files(&log))?;
    let status = Command::new("mmdebstrap")
        .args(["--variant=apt", "--quiet"])
        .arg(format!("--include={}", recipe.packages.join(",")))
        .arg(recipe.suite)
        .arg(&tmp)
        .arg(mirror)
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .map_err(files(Path::new("mmdebstrap")))?;
    if !status.success() {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(InstallError::Mmdebstrap { status: status.to_string(), tail });
    }
    let stamp = tmp.join(STAMP);
    std::fs::write(&stamp, recipe.stamp()).map_err(files(&stamp))?;
    if dest.exists() {
        // Built from another recipe: replaced as a whole.
        let old = cache.join(format!("{}.old", recipe.name));
        std::fs::rename(&dest, &old).map_err(files(&dest))?;
        std::fs::remove_dir_all(&old).map_err(files(&old))?;
    }
    std::fs::rename(&tmp, &dest).map_err(files(&dest))?;
    let _ = std::fs::remove_file(&log);
    Ok(Installed::Built(started.elapsed()))
}

/// Disk space used under `path`, bytes (allocated blocks; a hard-linked file counts once;
/// symbolic links are not followed).
pub fn disk_use(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    let mut stack = vec![path.to_path_buf()];
    while let Some(p) = stack.pop() {
        let Ok(m) = std::fs::symlink_metadata(&p) else { continue };
        if m.nlink() > 1 && !m.is_dir() && !seen.insert((m.dev(), m.ino())) {
            continue;
        }
        total += m.blocks() * 512;
        if m.is_dir() {
            stack.extend(std::fs::read_dir(&p).into_iter().flatten().flatten().map(|e| e.path()));
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_root_whose_stamp_matches_is_not_built_again() {
        let cache = std::env::temp_dir().join(format!("bgpstorm-roots-{}", std::process::id()));
        let recipe = RECIPES[0];
        let root = cache.join(recipe.name);
        std::fs::create_dir_all(root.join("etc")).unwrap();
        assert!(!is_current(&recipe, &root));
        std::fs::write(root.join(STAMP), recipe.stamp()).unwrap();
        assert!(is_current(&recipe, &root));
        // No mmdebstrap is run (the mirror is not even a URL).
        assert_eq!(install(&recipe, &cache, "not a mirror").unwrap(), Installed::AlreadyThere);
        std::fs::write(root.join(STAMP), "suite=trixie\npackages=bird2\n").unwrap();
        assert!(!is_current(&recipe, &root));
        std::fs::remove_dir_all(&cache).unwrap();
    }

    #[test]
    fn the_debian13_recipe_holds_the_four_daemons() {
        let r = RootRecipe::named("debian13").unwrap();
        assert_eq!(r.suite, "trixie");
        assert_eq!(r.packages, ["bird3", "frr", "gobgpd", "openbgpd"]);
        assert_eq!(RootRecipe::named("debian13-bird2").unwrap().packages, ["bird2"]);
        assert!(RootRecipe::named("debian99").is_none());
    }

    /// ci/setup builds the same roots without the binary: same names, suites, packages and
    /// stamp (its ROOT_RECIPES lines: NAME SUITE PACKAGES).
    #[test]
    fn ci_setup_builds_every_root_with_the_same_stamp() {
        let setup = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../ci/setup"))
            .expect("ci/setup");
        for r in RECIPES {
            let line = format!("  \"{} {} {}\"\n", r.name, r.suite, r.packages.join(","));
            assert!(setup.contains(&line), "ci/setup has no recipe line {line:?}");
        }
        assert!(setup.contains("'suite=%s\\npackages=%s\\n'") && setup.contains(STAMP), "stamp");
    }

    #[test]
    fn disk_use_counts_allocated_blocks() {
        let dir = std::env::temp_dir().join(format!("bgpstorm-du-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("a")).unwrap();
        std::fs::write(dir.join("a/f"), vec![1u8; 64 * 1024]).unwrap();
        std::fs::hard_link(dir.join("a/f"), dir.join("g")).unwrap();
        let used = disk_use(&dir);
        assert!((64 * 1024..2 * 64 * 1024).contains(&used), "{used}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
