use super::*;
use bgpstorm_wire::{AfiSafi, Nlri, Reach};
use std::net::SocketAddr;

const MS: u64 = 1_000_000;

fn flow(src: &str, dst: &str) -> Flow {
    Flow { src: src.parse::<SocketAddr>().unwrap(), dst: dst.parse::<SocketAddr>().unwrap() }
}

fn nlri(prefixes: &[&str]) -> Vec<Nlri> {
    prefixes.iter().map(|p| Nlri { prefix: p.parse().unwrap(), path_id: None }).collect()
}

fn announce(prefixes: &[&str]) -> Update {
    Update {
        reach: vec![Reach {
            family: AfiSafi::IPV4_UNICAST,
            next_hop: vec!["10.0.0.1".parse().unwrap()],
            nlri: nlri(prefixes),
        }],
        ..Update::default()
    }
}

fn withdraw(prefixes: &[&str]) -> Update {
    Update { withdrawn: nlri(prefixes), ..Update::default() }
}

#[test]
fn latency_runs_from_the_first_trigger_in_to_the_last_update_out() {
    let mut c = Convergence::new(["10.0.1.1".parse().unwrap(), "10.0.2.1".parse().unwrap()]);
    let (up, down1, down2) = (
        flow("10.0.1.2:179", "10.0.1.1:4000"),
        flow("10.0.2.1:4001", "10.0.2.2:179"),
        flow("10.0.2.1:4002", "10.0.3.2:179"),
    );
    c.observe(&up, &announce(&["192.0.2.0/24", "198.51.100.0/24"]), 100 * MS);
    c.observe(&up, &announce(&["192.0.2.0/24"]), 101 * MS); // joins the open event
    c.observe(&down1, &announce(&["192.0.2.0/24"]), 103 * MS);
    c.observe(&down2, &announce(&["192.0.2.0/24"]), 105 * MS);
    let s = c.sample("192.0.2.0/24".parse().unwrap()).unwrap();
    assert_eq!((s.latency_ns(), s.outputs), (Some(5 * MS), 2));
    // 198.51.100.0/24 never came out.
    let sum = c.summary();
    assert_eq!((sum.announce.count, sum.unconverged), (1, 1));
    assert!((4990..=5010).contains(&sum.announce.max_us), "{sum:?}");
    // A withdrawal after the answer starts a new event.
    c.observe(&up, &withdraw(&["192.0.2.0/24"]), 200 * MS);
    c.observe(&down1, &withdraw(&["192.0.2.0/24"]), 202 * MS);
    let sum = c.summary();
    // The announcement event is kept next to the new one.
    assert_eq!((sum.announce.count, sum.withdraw.count), (1, 1));
    assert!((1990..=2010).contains(&sum.withdraw.p99_us), "{sum:?}");
    assert_eq!(sum.overall_us, Some(102_000));
}

#[test]
fn traffic_not_crossing_the_device_is_ignored() {
    let mut c = Convergence::new(["10.0.1.1".parse().unwrap()]);
    c.observe(&flow("10.9.0.1:179", "10.9.0.2:4000"), &announce(&["192.0.2.0/24"]), MS);
    assert_eq!(c.samples().count(), 0);
    assert!(c.is_enabled());
}

#[test]
fn a_phase_boundary_closes_events_the_device_never_answered() {
    let mut c = Convergence::new(["10.0.1.1".parse().unwrap()]);
    let (up, down) = (flow("10.0.1.2:179", "10.0.1.1:4000"), flow("10.0.1.1:4001", "10.0.3.2:179"));
    // A backup path: no output.
    c.observe(&up, &announce(&["192.0.2.0/24"]), MS);
    assert_eq!((c.triggers(), c.pending()), (1, 1));
    c.phase();
    assert_eq!((c.pending(), c.summary().silent), (0, 1));
    // The withdrawal after the phase starts its own event, timed from itself.
    c.observe(&up, &withdraw(&["192.0.2.0/24"]), 100 * MS);
    c.observe(&down, &announce(&["192.0.2.0/24"]), 103 * MS);
    let s = c.sample("192.0.2.0/24".parse().unwrap()).unwrap();
    assert_eq!(s.latency_ns(), Some(3 * MS));
    assert_eq!(c.pending(), 0);
}

#[test]
fn progress_counts_answers_from_the_first_byte_in() {
    let mut c = Convergence::new(["10.0.1.1".parse().unwrap()]);
    let (up, down) = (flow("10.0.1.2:179", "10.0.1.1:4000"), flow("10.0.1.1:4001", "10.0.2.2:179"));
    // Prefix i enters 10·i ms after the first and is answered 5 ms after its own trigger:
    // every latency is 5 ms, the answers come 5, 15, 25 and 35 ms after the first byte in.
    for i in 0..4u64 {
        let prefix = format!("10.{i}.0.0/16");
        c.observe(&up, &announce(&[prefix.as_str()]), (100 + 10 * i) * MS);
        c.observe(&down, &announce(&[prefix.as_str()]), (105 + 10 * i) * MS);
    }
    let s = c.summary();
    let at = |q: f64| s.progress.iter().find(|(x, _)| (*x - q).abs() < 1e-9).map(|(_, us)| *us);
    let near = |us: u64, want: u64| us.abs_diff(want) <= want / 200;
    assert!(near(s.announce.max_us, 5_000), "{s:?}");
    assert!(near(at(0.0).unwrap(), 5_000), "{s:?}");
    assert!(near(at(0.5).unwrap(), 15_000), "{s:?}");
    assert!(near(at(1.0).unwrap(), 35_000), "{s:?}");
}

#[test]
fn phase_answers_count_the_devices_reactions_since_the_phase_began() {
    let mut c = Convergence::new(["10.0.1.1".parse().unwrap()]);
    let (up, down) = (flow("10.0.1.2:179", "10.0.1.1:4000"), flow("10.0.1.1:4001", "10.0.2.2:179"));
    c.observe(&up, &announce(&["10.0.0.0/16"]), 100 * MS);
    c.observe(&down, &announce(&["10.0.0.0/16"]), 101 * MS);
    assert_eq!(c.phase_answers(), 1);
    c.phase();
    assert_eq!(c.phase_answers(), 0);
    // A change the device does not answer (yet) leaves it at zero.
    c.observe(&up, &announce(&["10.1.0.0/16"]), 200 * MS);
    assert_eq!((c.phase_answers(), c.pending()), (0, 1));
    c.observe(&down, &announce(&["10.1.0.0/16"]), 1_200 * MS);
    assert_eq!((c.phase_answers(), c.pending()), (1, 0));
}
