//! Nothing of the live capture outlives its owner (DESIGN.md, "Nothing leaks"): TCX links
//! are file descriptors of the owning process, so dropping the capture or killing the
//! process with SIGKILL detaches the programs and unloads them. Checked with the kernel's
//! own answers: the TCX query of the interface (BPF_PROG_QUERY through aya) and, for the
//! loaded programs, the kernel's program list and `bpftool prog show`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use bgpstorm_monitor::capture::Direction;
use bgpstorm_monitor::capture::live::{
    AttachedProgram, LiveCapture, LiveConfig, attached_programs, program_loaded,
};
use bgpstorm_tests::lab::{VethPair, require_root};

/// Programs attached to side a's veth, by the TCX query.
fn attached(pair: &VethPair) -> Vec<AttachedProgram> {
    attached_programs(pair.netns_a(), VethPair::IF_A).expect("query TCX")
}

/// Whether `bpftool prog show id ID` finds the program: an independent witness of the
/// loaded set (Debian 12's bpftool 7.1 predates TCX, so `net show` cannot list the links).
fn bpftool_has(id: u32) -> bool {
    let out = Command::new("bpftool")
        .args(["-j", "prog", "show", "id", &id.to_string()])
        .output()
        .expect("run bpftool (installed by ci/setup)");
    out.status.success()
}

fn assert_ours(found: &[AttachedProgram], ids: &[u32]) {
    let mut hooks: Vec<(Direction, &str)> =
        found.iter().map(|p| (p.direction, p.name.as_str())).collect();
    hooks.sort_by_key(|h| h.0 == Direction::Egress);
    assert_eq!(hooks, [(Direction::Ingress, "bgp_ingress"), (Direction::Egress, "bgp_egress")]);
    for p in found {
        assert!(ids.contains(&p.id), "program {} is not the capture's ({ids:?})", p.id);
    }
}

#[tokio::test]
async fn dropping_the_capture_detaches_and_unloads_its_programs() {
    require_root();
    let pair = VethPair::new().expect("namespaces and veth pair");
    let cap = LiveCapture::open(pair.netns_a(), &[VethPair::IF_A], &LiveConfig::default())
        .expect("attach");
    let ids: Vec<u32> = cap.attachments().iter().map(|a| a.program_id).collect();
    assert_ours(&attached(&pair), &ids);
    assert!(ids.iter().all(|&id| bpftool_has(id)), "bpftool does not see {ids:?}");

    drop(cap);
    assert_eq!(attached(&pair), [], "still attached after drop");
    for id in ids {
        assert!(!program_loaded(id), "program {id} still loaded after drop");
        assert!(!bpftool_has(id), "bpftool still sees program {id} after drop");
    }
}

#[tokio::test]
async fn every_interface_of_a_capture_is_attached_and_released() {
    require_root();
    let pair = VethPair::new().expect("namespaces and veth pair");
    let cap = LiveCapture::open(pair.netns_a(), &[VethPair::IF_A, "lo"], &LiveConfig::default())
        .expect("attach");
    assert_eq!(cap.attachments().len(), 4, "{:?}", cap.attachments());
    let ids: Vec<u32> = cap.attachments().iter().map(|a| a.program_id).collect();
    let on_lo = || attached_programs(pair.netns_a(), "lo").expect("query TCX of lo");
    assert_ours(&attached(&pair), &ids);
    assert_ours(&on_lo(), &ids);
    drop(cap);
    assert_eq!((attached(&pair), on_lo()), (vec![], vec![]), "still attached after drop");
}

#[tokio::test]
async fn an_unknown_interface_is_a_clear_error_and_nothing_stays_attached() {
    require_root();
    let pair = VethPair::new().expect("namespaces and veth pair");
    let r = LiveCapture::open(pair.netns_a(), &[VethPair::IF_A, "nope0"], &LiveConfig::default());
    let Err(e) = r else { panic!("attached to an interface that does not exist") };
    assert!(e.to_string().contains("attach to nope0"), "{e}");
    assert_eq!(attached(&pair), [], "the interface that exists kept an attachment");
}

#[test]
fn a_capture_killed_with_sigkill_leaves_nothing_attached() {
    require_root();
    let pair = VethPair::new().expect("namespaces and veth pair");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bgpstorm-test-attach-holder"))
        .arg(pair.netns_a().path())
        .arg(VethPair::IF_A)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the holder");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("piped stdout");
    // Blocks until the holder has attached (or exited: then the line is empty).
    BufReader::new(stdout).read_line(&mut line).expect("read the holder's stdout");
    let Some(ids) = line.trim().strip_prefix("attached ") else {
        let out = child.wait_with_output().expect("holder output");
        panic!("holder did not attach: {line:?} {}", String::from_utf8_lossy(&out.stderr));
    };
    let ids: Vec<u32> = ids.split(' ').map(|i| i.parse().expect("program id")).collect();
    assert_ours(&attached(&pair), &ids);

    child.kill().expect("SIGKILL the holder");
    let status = child.wait().expect("reap the holder");
    assert!(!status.success(), "the holder was killed, not ended: {status}");
    assert_eq!(attached(&pair), [], "still attached after SIGKILL");
    for id in ids {
        assert!(!program_loaded(id), "program {id} still loaded after SIGKILL");
        assert!(!bpftool_has(id), "bpftool still sees program {id} after SIGKILL");
    }
}
