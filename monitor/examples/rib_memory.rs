//! RIB memory benchmark: S sessions × N IPv4 prefixes (a full table from each of S upstreams)
//! built through `Rib::apply` from full-table-like UPDATEs, measured with a counting global
//! allocator (heap bytes held after the build minus before, per path) and the process's peak
//! RSS. Issue 4's target: ≤ 64 bytes per (session, prefix) path for 4 × 1,000,000.
//!
//! `cargo run --release -p bgpstorm-monitor --example rib_memory -- [--sessions 4]
//! [--prefixes 1000000] [--per-update 200] [--attr-sets 1000] [--disjoint]`
//! (`ci/bench-rib` runs it). `--disjoint` gives each session its own prefixes (no sharing of
//! a prefix between sessions: the worst case for per-prefix overhead).

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bgpstorm_monitor::reassembly::Flow;
use bgpstorm_monitor::rib::Rib;
use bgpstorm_wire::model::{AsPath, Community, Origin};
use bgpstorm_wire::{AfiSafi, Nlri, PathAttributes, Reach, Update};
use ipnet::{IpNet, Ipv4Net};

/// The system allocator, counting the bytes currently held and their peak.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = HELD.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let now = HELD.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                HELD.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The table's shape.
struct Shape {
    sessions: u32,
    prefixes: u32,
    per_update: u32,
    attr_sets: u32,
    disjoint: bool,
}

fn parse_args() -> Result<Shape, String> {
    let mut s = Shape {
        sessions: 4,
        prefixes: 1_000_000,
        per_update: 200,
        attr_sets: 1000,
        disjoint: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |name: &str| -> Result<u32, String> {
            let v = args.next().ok_or(format!("{name} needs a value"))?;
            v.replace('_', "").parse().map_err(|e| format!("{name} {v}: {e}"))
        };
        match a.as_str() {
            "--sessions" => s.sessions = num("--sessions")?,
            "--prefixes" => s.prefixes = num("--prefixes")?,
            "--per-update" => s.per_update = num("--per-update")?,
            "--attr-sets" => s.attr_sets = num("--attr-sets")?,
            "--disjoint" => s.disjoint = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if s.sessions == 0 || s.sessions > 200 || s.per_update == 0 || s.attr_sets == 0 {
        return Err("sessions must be 1..=200, per-update and attr-sets at least 1".into());
    }
    Ok(s)
}

/// The i-th prefix of a table: mostly /24s, every 16th a /20 (as in a real table, where /24
/// is about 60 % of the prefixes and shorter ones cover them), from 1.0.0.0 up.
fn prefix(i: u32) -> Ipv4Net {
    let base = (1u32 << 24).wrapping_add(i << 8);
    let len = if i.is_multiple_of(16) { 20 } else { 24 };
    Ipv4Net::new(Ipv4Addr::from(base), len).map(|n| n.trunc()).unwrap_or_default()
}

/// Attribute set `k` as session `s` sends it: AS_PATH of 2 to 6 ASes starting with the
/// peer's, 1 to 4 communities, a MED on a third of them, the session's next hop.
fn attributes(s: u32, k: u32) -> PathAttributes {
    let peer = 64_600 + s;
    let mut path = vec![peer];
    path.extend((0..(k % 5)).map(|j| 174 + 1000 * j + k % 7));
    path.push(10_000 + k);
    PathAttributes {
        origin: Some(if k.is_multiple_of(10) { Origin::Incomplete } else { Origin::Igp }),
        as_path: Some(AsPath::sequence(path)),
        med: k.is_multiple_of(3).then_some(k * 10),
        communities: (0..1 + k % 4).map(|j| Community(peer << 16 | (k * 4 + j) & 0xffff)).collect(),
        ..PathAttributes::default()
    }
}

fn update(shape: &Shape, s: u32, first: u32, count: u32) -> Update {
    let offset = if shape.disjoint { s * shape.prefixes } else { 0 };
    // Neighbouring prefixes share attributes in runs of one UPDATE, like a full table dump.
    let k = (first / shape.per_update).wrapping_mul(2_654_435_761) % shape.attr_sets;
    Update {
        reach: vec![Reach {
            family: AfiSafi::IPV4_UNICAST,
            next_hop: vec![IpAddr::V4(Ipv4Addr::new(10, 0, s as u8, 2))],
            nlri: (first..first + count)
                .map(|i| Nlri { prefix: IpNet::V4(prefix(offset + i)), path_id: None })
                .collect(),
        }],
        attributes: attributes(s, k),
        ..Update::default()
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> ExitCode {
    let shape = match parse_args() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rib_memory: {e}");
            return ExitCode::from(2);
        }
    };
    let before = HELD.load(Ordering::Relaxed);
    let rss_before = peak_rss_kib().unwrap_or(0);
    let mut rib = Rib::new(16);
    let start = Instant::now();
    let mut out = Vec::new();
    for s in 0..shape.sessions {
        let flow = Flow {
            src: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, s as u8, 2)), 40_000),
            dst: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, s as u8, 1)), 179),
        };
        let id = rib.session(flow);
        let mut first = 0;
        while first < shape.prefixes {
            let count = shape.per_update.min(shape.prefixes - first);
            rib.apply(id, u64::from(first) * 1000, &update(&shape, s, first, count), &mut out);
            out.clear();
            first += count;
        }
    }
    let elapsed = start.elapsed();
    drop(out);
    let held = HELD.load(Ordering::Relaxed) - before;
    let paths = rib.path_count();
    let expected = u64::from(shape.sessions) * u64::from(shape.prefixes);
    if paths != expected {
        eprintln!("rib_memory: the table holds {paths} paths, expected {expected}");
        return ExitCode::FAILURE;
    }
    let per_path = held as f64 / paths as f64;
    println!(
        "rib_memory: {} sessions x {} IPv4 prefixes ({}), {} UPDATEs of {} prefixes, {} attribute sets",
        shape.sessions,
        shape.prefixes,
        if shape.disjoint { "disjoint" } else { "the same prefixes on every session" },
        expected.div_ceil(u64::from(shape.per_update)),
        shape.per_update,
        rib.attr_set_count(),
    );
    println!("  paths                {paths}");
    println!("  prefixes             {}", rib.prefix_count());
    println!("  heap held by the RIB {held} B ({:.1} MiB)", held as f64 / (1 << 20) as f64);
    println!("  per path             {per_path:.1} B   (target <= 64 B)");
    println!(
        "  peak heap            {:.1} MiB (during the build)",
        (PEAK.load(Ordering::Relaxed) - before) as f64 / (1 << 20) as f64
    );
    if let Some(rss) = peak_rss_kib() {
        println!(
            "  peak RSS             {:.1} MiB (before the build {:.1} MiB)",
            rss as f64 / 1024.0,
            rss_before as f64 / 1024.0
        );
    }
    println!(
        "  build time           {:.2} s ({:.0} paths/s)",
        elapsed.as_secs_f64(),
        paths as f64 / elapsed.as_secs_f64()
    );
    drop(rib);
    ExitCode::SUCCESS
}
