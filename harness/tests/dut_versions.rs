//! Daemons of other versions and users' builds: the Debian 13 root that `bgpstorm dut
//! install debian13` builds runs the quickstart scenario with each of its daemons, chrooted;
//! a daemon given as a user's build (a root, a prefix) runs it too; each root daemon, and each
//! host daemon, accepts the configuration its driver generates for its version; `dut list`
//! shows every daemon.
//!
//! Needs root and the root in the cache ($BGPSTORM_ROOTS, default /var/lib/bgpstorm/roots):
//! without the root each test says so and passes without running (`bash ci/setup` builds it).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use bgpstorm_harness::dut::{
    DutPlan, DutSpec, Installed, Neighbor, Source, Version, driver, resolve, roots_dir,
};
use bgpstorm_harness::scenario::model::{AddPathMode, DutKind, Family};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// The Debian 13 root, or `None` (with the reason printed) when it is not installed.
fn debian13() -> Option<PathBuf> {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "needs root (CI runs as root)");
    let root = roots_dir().join("debian13");
    if root.join("usr").is_dir() {
        Some(root)
    } else {
        eprintln!(
            "SKIPPED: no Debian 13 root at {} (`bgpstorm dut install debian13` or `bash ci/setup` builds it)",
            root.display()
        );
        None
    }
}

/// The four daemons of the root, as `dut list` names them (versions read, not assumed).
fn root_daemons(root: &Path) -> Vec<Installed> {
    DutKind::DAEMONS
        .into_iter()
        .map(|k| {
            let source = Source::Root { name: Some("debian13".into()), path: root.to_path_buf() };
            Installed::read(k, source).unwrap_or_else(|e| panic!("{}: {e}", k.name()))
        })
        .collect()
}

/// `bgpstorm run --dut DUTS scenarios/quickstart.yaml`: its output; asserts it passed.
fn quickstart(duts: &str, tag: &str) -> String {
    let artifacts = repo().join(format!("target/tmp/dut-versions-{tag}-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_bgpstorm"))
        .current_dir(repo())
        .args(["run", "--dut", duts, "scenarios/quickstart.yaml", "--artifacts"])
        .arg(&artifacts)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "--dut {duts}: {}\n{text}\n{err}", out.status);
    let _ = std::fs::remove_dir_all(&artifacts);
    text
}

#[test]
fn the_quickstart_passes_on_each_daemon_of_the_debian13_root() {
    let Some(root) = debian13() else { return };
    let daemons = root_daemons(&root);
    let specs: Vec<String> = daemons.iter().map(Installed::spec).collect();
    let text = quickstart(&specs.join(","), "root");
    assert!(text.contains("4 runs, 4 passed"), "{text}");
    for i in &daemons {
        // The line of each run names the version the running daemon reports and the root.
        let line = format!("{} from debian13", i.version);
        assert!(text.contains(&line), "{}: no {line:?} in\n{text}", i.spec());
    }
}

#[test]
fn a_daemon_given_as_a_users_root_or_prefix_runs_the_quickstart() {
    let Some(root) = debian13() else { return };
    // A user's root: the root's FRR, named by path.
    let text = quickstart(&format!("frr={}", root.display()), "user-root");
    assert!(text.contains(&format!("from {}", root.display())), "{text}");
    // A user's prefix: the host's BIRD given as if installed under /usr by hand.
    let prefix = DutSpec::list("bird=/usr").unwrap().remove(0);
    let i = resolve(&prefix).unwrap();
    assert_eq!(i.source, Source::Prefix { path: "/usr".into() });
    let text = quickstart("bird=/usr", "user-prefix");
    assert!(text.contains("from /usr"), "{text}");
}

#[test]
fn dut_list_shows_the_host_and_root_daemons_with_their_versions() {
    let Some(root) = debian13() else { return };
    let out = Command::new(env!("CARGO_BIN_EXE_bgpstorm")).args(["dut", "list", "--json"]).output();
    let out = out.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(list.len() >= 8, "{list:#?}");
    for i in root_daemons(&root) {
        assert!(
            list.iter().any(|d| d["kind"] == i.kind.name()
                && d["version"] == i.version.as_str()
                && d["source"]["name"] == "debian13"),
            "{} missing from {list:#?}",
            i.label()
        );
    }
    for kind in DutKind::DAEMONS {
        assert!(
            list.iter().any(|d| d["kind"] == kind.name() && d["source"]["type"] == "host"),
            "no host {}",
            kind.name()
        );
    }
}

/// A plan that uses every option the drivers configure.
fn rich_plan(i: &Installed, dir: &Path) -> DutPlan {
    let n = |name: &str, addr: &str, local: &str, asn: u32| Neighbor {
        name: name.into(),
        addr: addr.parse().unwrap(),
        local: local.parse().unwrap(),
        local_v6: None,
        asn,
        dut_passive: true,
        families: vec![Family::Ipv4],
        md5: None,
        ttl_security: false,
        graceful_restart: false,
        add_path: None,
        extended_messages: false,
    };
    let mut down = n("down", "10.0.1.2", "10.0.1.1", 65100);
    down.local_v6 = Some("fd00:1::1".parse().unwrap());
    down.families.push(Family::Ipv6);
    down.md5 = Some("secret".into());
    down.ttl_security = true;
    down.graceful_restart = true;
    down.add_path = Some(AddPathMode::Both);
    down.extended_messages = true;
    // iBGP and eBGP speakers of IPv6 without GTSM: the next-hop settings of GoBGP and
    // OpenBGPD 7 (export policy, filter rules, multihop).
    let mut up = n("up", "10.0.2.2", "10.0.2.1", 65000);
    up.dut_passive = false;
    up.local_v6 = Some("fd00:2::1".parse().unwrap());
    up.families.push(Family::Ipv6);
    let mut side = n("side", "10.0.3.2", "10.0.3.1", 65200);
    side.local_v6 = Some("fd00:3::1".parse().unwrap());
    side.families.push(Family::Ipv6);
    DutPlan {
        kind: i.kind,
        asn: 65000,
        router_id: Ipv4Addr::new(10, 255, 255, 1),
        neighbors: vec![down, up, side],
        extra: None,
        dir: dir.to_path_buf(),
        source: i.source.clone(),
        version: Version::parse(&i.version),
    }
}

#[test]
fn each_root_daemon_accepts_the_configuration_generated_for_its_version() {
    let Some(root) = debian13() else { return };
    for i in root_daemons(&root) {
        accepts_its_configuration(&i);
    }
}

#[test]
fn each_host_daemon_accepts_the_configuration_generated_for_its_version() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "needs root (CI runs as root)");
    for kind in DutKind::DAEMONS {
        match Installed::read(kind, Source::Host) {
            Ok(i) => accepts_its_configuration(&i),
            Err(e) => eprintln!("SKIPPED: {}: {e}", kind.name()),
        }
    }
}

/// The daemon's own configuration check (`-p`, `--dryrun`, `--dry-run`, `-n`) accepts what
/// its driver generates from [`rich_plan`] for its version.
fn accepts_its_configuration(i: &Installed) {
    let dir = repo().join(format!(
        "target/tmp/dut-config-{}-{}-{}",
        i.kind.name(),
        i.version,
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let plan = rich_plan(i, &dir);
    let files = driver(i.kind).unwrap().config(&plan);
    for f in &files {
        std::fs::write(dir.join(f.name), &f.text).unwrap();
    }
    let conf = i.source.dir_seen(&dir).join(files[0].name).to_string_lossy().into_owned();
    let check: Vec<&str> = match i.kind {
        DutKind::Bird => vec!["-p", "-c", &conf],
        DutKind::Frr => vec!["--dryrun", "-f", &conf],
        DutKind::Gobgp => vec!["--dry-run", "-t", "toml", "-f", &conf],
        DutKind::Openbgpd => vec!["-n", "-f", &conf],
        DutKind::None => unreachable!(),
    };
    if i.kind == DutKind::Openbgpd {
        // bgpd refuses a configuration others can read.
        let p = dir.join(files[0].name);
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    }
    let argv = i.source.wrap(&dir, &i.path);
    let out = Command::new(&argv[0]).args(&argv[1..]).args(&check).output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // bgpd --dryrun exits 0 whatever it read: it reports bad lines as errors ("[EC ").
    let rejected = !out.status.success() || driver(i.kind).unwrap().is_log_error(&text);
    assert!(
        !rejected,
        "{} rejects its configuration:\n{text}\n--- {} ---\n{}",
        i.label(),
        files[0].name,
        files[0].text
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_spelling_is_exit_2_and_a_version_not_available_exit_3_with_what_is() {
    let run = |dut: &str| {
        Command::new(env!("CARGO_BIN_EXE_bgpstorm"))
            .current_dir(repo())
            .args(["run", "--dut", dut, "scenarios/quickstart.yaml"])
            .output()
            .unwrap()
    };
    let out = run("bird@");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("bird@3.1.8"), "{out:?}");
    let out = run("quagga");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = run("bird@0.0.1");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bird 0.0.1 is not available; available: "), "{err}");
    let out = run("frr=/nonexistent/frr");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no frr there"), "{out:?}");
}
