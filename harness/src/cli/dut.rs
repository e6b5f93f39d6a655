//! `bgpstorm dut list` (every daemon available on this machine, its version read by running
//! it) and `bgpstorm dut install [NAME]` (builds a root of other daemon versions).

use std::process::ExitCode;

use super::exit;
use crate::dut::install::{self, RootRecipe};
use crate::dut::{self, Installed, Source};

/// `println!` that ignores a closed stdout (`bgpstorm dut list | head`) instead of panicking.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// Options of `bgpstorm dut`.
#[derive(Clone, Debug, clap::Args)]
pub struct DutArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: DutCommand,
}

/// The `bgpstorm dut` subcommands.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum DutCommand {
    /// Every daemon available on this machine: the spelling that picks it (`--dut`), kind,
    /// version (read by running it), source and path. Roots are looked for in
    /// $BGPSTORM_ROOTS (default /var/lib/bgpstorm/roots). Exit 0, or 3 when none is found
    /// or a daemon does not say its version.
    List {
        /// Print JSON (one object per daemon) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Build root filesystems of other daemon versions with mmdebstrap (needs root and a
    /// Debian mirror): `debian13` holds BIRD 3, FRR 10, GoBGP 3.36 and OpenBGPD 8 from
    /// Debian 13's packages, `debian13-bird2` its BIRD 2 (2.17). Each is built in NAME.tmp
    /// and renamed when complete; a root already built from the same package list is left
    /// alone. Prints the time taken and the disk used. Exit 0, 2 for an unknown NAME, 3 when
    /// one cannot be built.
    Install {
        /// Which roots (default: every one).
        #[arg(value_parser = recipe_names())]
        names: Vec<String>,
        /// Debian mirror.
        #[arg(long, default_value = install::DEFAULT_MIRROR)]
        mirror: String,
    },
}

fn recipe_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(install::RECIPES.map(|r| r.name))
}

/// Runs `bgpstorm dut`.
pub fn main(a: DutArgs) -> ExitCode {
    match a.command {
        DutCommand::List { json } => list(json),
        DutCommand::Install { names, mirror } => {
            let names = if names.is_empty() {
                install::RECIPES.map(|r| r.name.to_string()).to_vec()
            } else {
                names
            };
            for name in names {
                let code = install_root(&name, &mirror);
                if code != exit::code(exit::SUCCESS) {
                    return code;
                }
            }
            exit::code(exit::SUCCESS)
        }
    }
}

fn list(json: bool) -> ExitCode {
    let all = dut::available();
    let mut failed = false;
    let mut found: Vec<Installed> = Vec::new();
    for r in all {
        match r {
            Ok(i) => found.push(i),
            Err(e) => {
                eprintln!("bgpstorm dut list: {e}");
                failed = true;
            }
        }
    }
    if json {
        match serde_json::to_string_pretty(&found) {
            Ok(t) => say!("{t}"),
            Err(e) => {
                eprintln!("bgpstorm dut list: {e}");
                return exit::code(exit::ENVIRONMENT);
            }
        }
    } else {
        let rows: Vec<[String; 5]> = found
            .iter()
            .map(|i| {
                let path = match &i.source {
                    Source::Root { path, .. } => format!("{}{}", path.display(), i.path),
                    _ => i.path.clone(),
                };
                [i.spec(), i.kind.name().into(), i.version.clone(), i.source.to_string(), path]
            })
            .collect();
        let head = ["DUT", "KIND", "VERSION", "SOURCE", "PATH"].map(String::from);
        let mut width = [0; 5];
        for row in rows.iter().chain([&head]) {
            for (w, cell) in width.iter_mut().zip(row) {
                *w = (*w).max(cell.len());
            }
        }
        for row in [&head].into_iter().chain(&rows) {
            let line: Vec<String> =
                row.iter().zip(width).map(|(c, w)| format!("{c:<w$}")).collect();
            say!("{}", line.join("  ").trim_end());
        }
    }
    if found.is_empty() {
        eprintln!(
            "bgpstorm dut list: no daemon found (the host: `bash ci/setup`; a Debian 13 root: `bgpstorm dut install debian13`)"
        );
        return exit::code(exit::ENVIRONMENT);
    }
    exit::code(if failed { exit::ENVIRONMENT } else { exit::SUCCESS })
}

fn install_root(name: &str, mirror: &str) -> ExitCode {
    let Some(recipe) = RootRecipe::named(name) else {
        eprintln!("bgpstorm dut install: unknown root {name:?}");
        return exit::code(exit::USAGE);
    };
    let cache = dut::roots_dir();
    let path = cache.join(recipe.name);
    let done = match install::install(&recipe, &cache, mirror) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("bgpstorm dut install {name}: {e}");
            return exit::code(exit::ENVIRONMENT);
        }
    };
    let mib = install::disk_use(&path) as f64 / (1024.0 * 1024.0);
    match done {
        install::Installed::AlreadyThere => {
            say!("{name}: already installed in {} ({mib:.0} MiB), nothing to do", path.display())
        }
        install::Installed::Built(took) => say!(
            "{name}: built in {} in {:.1} s ({mib:.0} MiB)",
            path.display(),
            took.as_secs_f64()
        ),
    }
    let source = Source::Root { name: Some(recipe.name.into()), path };
    for kind in crate::scenario::model::DutKind::DAEMONS {
        match Installed::read(kind, source.clone()) {
            Ok(i) => say!("  {:<16} {}", i.spec(), i.label()),
            // A root holds the daemons of its packages only.
            Err(dut::ResolveError::Missing { .. }) => {}
            Err(e) => {
                eprintln!("bgpstorm dut install {name}: {e}");
                return exit::code(exit::ENVIRONMENT);
            }
        }
    }
    exit::code(exit::SUCCESS)
}
