//! Live capture: the eBPF TC classifier of `bgpstorm-ebpf`, loaded with aya, as a source of
//! [`CaptureEvent`]s.
//!
//! [`LiveCapture::open`] loads the program, fills its port set and peer filter, and attaches
//! it at TC ingress and egress of each interface, inside a network namespace ([`Netns`]: the
//! attach runs on a thread that entered it, because aya resolves interface names in the
//! calling thread's namespace). On Linux ≥ 6.6 aya attaches with TCX, whose attachments are
//! BPF links held by file descriptors of this process: dropping the [`LiveCapture`], exiting
//! or being killed closes them and the kernel detaches the program. Nothing is pinned.
//!
//! Records are read from the BPF ring buffer through tokio's [`AsyncFd`] and decoded into the
//! same event type as the pcap reader ([`record`] explains the chunking of GSO super-packets),
//! so [`crate::reassembly`] and [`crate::stream`] do not know the difference. Every loss is
//! counted: see [`LiveStats::drops`].

mod netns;
pub mod record;
mod stats;

use std::io;

use aya::maps::lpm_trie::Key;
use aya::maps::{Array, HashMap as BpfHashMap, LpmTrie, MapData, MapError, PerCpuArray, RingBuf};
use aya::programs::{ProgramError, SchedClassifier, TcAttachType};
use aya::util::KernelVersion;
use aya::{Ebpf, EbpfError, EbpfLoader};
use bgpstorm_ebpf::{self as kern, Counter};
use ipnet::IpNet;
use tokio::io::unix::AsyncFd;

use crate::capture::{CaptureEvent, Direction};
pub use netns::Netns;
pub use record::{RecordError, parse_record};
pub use stats::{KernelCounters, LiveStats};

/// What to capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveConfig {
    /// TCP ports: a segment is captured when its source or destination port is one of them.
    pub ports: Vec<u16>,
    /// Peer filter: when not empty, a segment is captured only when its source or destination
    /// address is in one of these prefixes (IPv4 and IPv6).
    pub peers: Vec<IpNet>,
    /// Ring buffer size in bytes: a power of two, a multiple of the page size. The default,
    /// 64 MiB, absorbs a 60 MB UPDATE burst on a veth while the reader is descheduled
    /// (16 MiB dropped records under the same burst on a 2-core machine).
    pub ring_bytes: u32,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self { ports: vec![crate::stream::BGP_PORT], peers: Vec::new(), ring_bytes: 64 << 20 }
    }
}

/// Why the live capture cannot start or read on.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The namespace cannot be opened or entered.
    #[error("{0}")]
    Netns(io::Error),
    /// [`LiveCapture::open`] was called outside a tokio runtime (the ring buffer needs one).
    #[error("the live capture must be opened inside a tokio runtime (it polls the ring buffer)")]
    NoRuntime,
    /// The kernel predates TCX (Linux 6.6): aya would fall back to netlink TC filters, which
    /// outlive the process, so the capture refuses to attach.
    #[error(
        "kernel {0} has no TCX (needs Linux >= 6.6): TC filters attached by netlink would \
         outlive the monitor"
    )]
    NoTcx(String),
    /// The configuration cannot be used.
    #[error("invalid live capture configuration: {0}")]
    Config(String),
    /// The object does not load (missing privileges, verifier rejection, old kernel).
    #[error("loading the eBPF object failed (needs root or CAP_BPF+CAP_NET_ADMIN): {0}")]
    Load(#[from] EbpfError),
    /// A program does not load or attach.
    #[error("{what} of program {program}: {source}")]
    Program {
        /// The program.
        program: &'static str,
        /// What was being done (load, attach to IFACE).
        what: String,
        /// aya's error (its verifier log when the verifier said no).
        source: ProgramError,
    },
    /// A map is missing or cannot be used.
    #[error("map {map}: {message}")]
    Map {
        /// The map.
        map: &'static str,
        /// What went wrong.
        message: String,
    },
    /// Polling the ring buffer failed.
    #[error("reading the ring buffer: {0}")]
    Io(#[from] io::Error),
}

fn map_err(map: &'static str) -> impl Fn(MapError) -> LiveError {
    move |e| LiveError::Map { map, message: e.to_string() }
}

/// One program attached to one hook of one interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// Interface name, in the capture's namespace.
    pub iface: String,
    /// Its ifindex there.
    pub ifindex: u32,
    /// Ingress or egress hook.
    pub direction: Direction,
    /// The kernel's id of the program.
    pub program_id: u32,
}

/// A TC program found attached to an interface (see [`attached_programs`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachedProgram {
    /// Hook.
    pub direction: Direction,
    /// Kernel program id.
    pub id: u32,
    /// Program name as the kernel has it (at most 15 bytes).
    pub name: String,
}

// The capture moves between tasks and threads (a monitor spawns it): checked at compile time.
const _: () = {
    const fn send<T: Send>() {}
    send::<LiveCapture>();
};

/// The loaded, attached program and the reader of its ring buffer.
pub struct LiveCapture {
    ring: AsyncFd<RingBuf<MapData>>,
    counters: PerCpuArray<MapData, u64>,
    attachments: Vec<Attachment>,
    config: LiveConfig,
    stats: LiveStats,
    // Declared last: dropped after the maps, it detaches (closes the TCX links) and unloads.
    _ebpf: Ebpf,
}

impl LiveCapture {
    /// Loads the program and attaches it at ingress and egress of each of `ifaces` in `netns`.
    ///
    /// Must be called inside a tokio runtime. Nothing stays attached if this fails.
    pub fn open(netns: &Netns, ifaces: &[&str], cfg: &LiveConfig) -> Result<Self, LiveError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(LiveError::NoRuntime);
        }
        validate(ifaces, cfg)?;
        require_tcx()?;
        let (mut ebpf, attachments) =
            netns.run(|| load_and_attach(ifaces, cfg)).map_err(LiveError::Netns)??;
        let ring = ebpf.take_map(kern::MAP_EVENTS).ok_or_else(|| missing(kern::MAP_EVENTS))?;
        let ring = RingBuf::try_from(ring).map_err(map_err(kern::MAP_EVENTS))?;
        let counters =
            ebpf.take_map(kern::MAP_COUNTERS).ok_or_else(|| missing(kern::MAP_COUNTERS))?;
        let counters = PerCpuArray::try_from(counters).map_err(map_err(kern::MAP_COUNTERS))?;
        // SAFETY: the RingBuf owns its map fd and keeps it open, unchanged, while the AsyncFd
        // owns the RingBuf.
        let ring = unsafe { AsyncFd::register(ring) }.map_err(io::Error::from)?;
        Ok(Self {
            ring,
            counters,
            attachments,
            config: cfg.clone(),
            stats: LiveStats::default(),
            _ebpf: ebpf,
        })
    }

    /// What it captures.
    pub fn config(&self) -> &LiveConfig {
        &self.config
    }

    /// Where the program is attached.
    pub fn attachments(&self) -> &[Attachment] {
        &self.attachments
    }

    /// Waits until at least one record is available, then appends every available event to
    /// `out` (at most `max` records per call) and returns how many were appended.
    pub async fn next_batch(
        &mut self,
        out: &mut Vec<CaptureEvent>,
        max: usize,
    ) -> Result<usize, LiveError> {
        loop {
            let mut guard = self.ring.readable_mut().await?;
            let n = drain(guard.get_inner_mut(), &mut self.stats, out, max);
            if n > 0 {
                return Ok(n);
            }
            // Empty: wait for the kernel's next wakeup (epoll on the ring buffer fd).
            guard.clear_ready();
        }
    }

    /// Appends the events available now, without waiting; returns how many.
    pub fn try_batch(&mut self, out: &mut Vec<CaptureEvent>, max: usize) -> usize {
        drain(self.ring.get_mut(), &mut self.stats, out, max)
    }

    /// The kernel's counters (summed over CPUs) and the reader's.
    pub fn stats(&mut self) -> Result<LiveStats, LiveError> {
        self.stats.kernel = self.kernel_counters()?;
        Ok(self.stats.clone())
    }

    /// The kernel's per-CPU counters, summed (the largest segment: the maximum).
    pub fn kernel_counters(&self) -> Result<KernelCounters, LiveError> {
        let mut v = [0u64; Counter::ALL.len()];
        for c in Counter::ALL {
            let per_cpu = self.counters.get(&(c as u32), 0).map_err(map_err(kern::MAP_COUNTERS))?;
            v[c as usize] = match c {
                Counter::MaxSegment => per_cpu.iter().copied().max().unwrap_or(0),
                _ => per_cpu.iter().sum(),
            };
        }
        Ok(KernelCounters::from_values(&v))
    }
}

fn drain(
    ring: &mut RingBuf<MapData>,
    stats: &mut LiveStats,
    out: &mut Vec<CaptureEvent>,
    max: usize,
) -> usize {
    let mut n = 0;
    while n < max {
        let Some(item) = ring.next() else { break };
        stats.records_read += 1;
        match parse_record(&item) {
            Ok(ev) => {
                stats.payload_bytes_read += ev.payload.len() as u64;
                out.push(ev);
                n += 1;
            }
            Err(_) => stats.malformed_records += 1,
        }
    }
    n
}

/// Attachments must be BPF links owned by this process (TCX, Linux >= 6.6).
fn require_tcx() -> Result<(), LiveError> {
    let current =
        KernelVersion::current().map_err(|e| LiveError::NoTcx(format!("(unknown: {e})")))?;
    if current < KernelVersion::new(6, 6, 0) {
        return Err(LiveError::NoTcx(format!("{current:?}")));
    }
    Ok(())
}

fn missing(map: &'static str) -> LiveError {
    LiveError::Map { map, message: "not in the eBPF object".to_owned() }
}

fn validate(ifaces: &[&str], cfg: &LiveConfig) -> Result<(), LiveError> {
    if ifaces.is_empty() {
        return Err(LiveError::Config("no interface to attach to".to_owned()));
    }
    if cfg.ports.is_empty() || cfg.ports.len() > kern::MAX_PORTS {
        return Err(LiveError::Config(format!(
            "between 1 and {} ports, not {}",
            kern::MAX_PORTS,
            cfg.ports.len()
        )));
    }
    if cfg.peers.len() > kern::MAX_PEERS {
        return Err(LiveError::Config(format!(
            "at most {} peer prefixes, not {}",
            kern::MAX_PEERS,
            cfg.peers.len()
        )));
    }
    let page = 4096u32;
    if !cfg.ring_bytes.is_power_of_two() || cfg.ring_bytes < page {
        return Err(LiveError::Config(format!(
            "ring_bytes {} is not a power of two of at least the page size",
            cfg.ring_bytes
        )));
    }
    Ok(())
}

/// The peer trie's key: IPv6, or IPv4 mapped to `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2).
fn peer_key(net: &IpNet) -> Key<[u8; 16]> {
    match net {
        IpNet::V4(n) => {
            Key::new(96 + u32::from(n.prefix_len()), n.network().to_ipv6_mapped().octets())
        }
        IpNet::V6(n) => Key::new(u32::from(n.prefix_len()), n.network().octets()),
    }
}

/// Runs inside the namespace: load, configure, attach. Returns the loaded object, whose
/// programs own the links.
fn load_and_attach(
    ifaces: &[&str],
    cfg: &LiveConfig,
) -> Result<(Ebpf, Vec<Attachment>), LiveError> {
    let mut ebpf =
        EbpfLoader::new().map_max_entries(kern::MAP_EVENTS, cfg.ring_bytes).load(kern::PROGRAM)?;
    configure(&mut ebpf, cfg)?;
    let mut attachments = Vec::new();
    for (program, direction, hook) in [
        (kern::PROG_INGRESS, Direction::Ingress, TcAttachType::Ingress),
        (kern::PROG_EGRESS, Direction::Egress, TcAttachType::Egress),
    ] {
        let prog_err = |what: String| move |source| LiveError::Program { program, what, source };
        let prog: &mut SchedClassifier = ebpf
            .program_mut(program)
            .ok_or_else(|| LiveError::Config(format!("program {program} not in the eBPF object")))?
            .try_into()
            .map_err(prog_err("type".to_owned()))?;
        prog.load().map_err(prog_err("load".to_owned()))?;
        let id = prog.info().map_err(prog_err("info".to_owned()))?.id();
        for iface in ifaces {
            prog.attach(iface, hook)
                .map_err(prog_err(format!("attach to {iface} {direction:?}")))?;
            attachments.push(Attachment {
                iface: (*iface).to_owned(),
                ifindex: ifindex(iface),
                direction,
                program_id: id,
            });
        }
    }
    Ok((ebpf, attachments))
}

fn configure(ebpf: &mut Ebpf, cfg: &LiveConfig) -> Result<(), LiveError> {
    let map = ebpf.map_mut(kern::MAP_PORTS).ok_or_else(|| missing(kern::MAP_PORTS))?;
    let mut ports: BpfHashMap<_, u16, u8> =
        BpfHashMap::try_from(map).map_err(map_err(kern::MAP_PORTS))?;
    for &p in &cfg.ports {
        ports.insert(p, 1, 0).map_err(map_err(kern::MAP_PORTS))?;
    }
    if cfg.peers.is_empty() {
        return Ok(());
    }
    let map = ebpf.map_mut(kern::MAP_PEERS).ok_or_else(|| missing(kern::MAP_PEERS))?;
    let mut peers: LpmTrie<_, [u8; 16], u8> =
        LpmTrie::try_from(map).map_err(map_err(kern::MAP_PEERS))?;
    for net in &cfg.peers {
        peers.insert(&peer_key(&net.trunc()), 1, 0).map_err(map_err(kern::MAP_PEERS))?;
    }
    let map = ebpf.map_mut(kern::MAP_CONFIG).ok_or_else(|| missing(kern::MAP_CONFIG))?;
    let mut config: Array<_, u32> = Array::try_from(map).map_err(map_err(kern::MAP_CONFIG))?;
    config.set(0, 1, 0).map_err(map_err(kern::MAP_CONFIG))
}

fn ifindex(iface: &str) -> u32 {
    let Ok(c) = std::ffi::CString::new(iface) else { return 0 };
    // SAFETY: a valid NUL-terminated string; if_nametoindex only reads it.
    unsafe { libc::if_nametoindex(c.as_ptr()) }
}

/// The TCX programs attached to `iface` in `netns`, both hooks (for leak checks).
pub fn attached_programs(netns: &Netns, iface: &str) -> Result<Vec<AttachedProgram>, LiveError> {
    netns
        .run(|| {
            let mut found = Vec::new();
            for (direction, hook) in [
                (Direction::Ingress, TcAttachType::Ingress),
                (Direction::Egress, TcAttachType::Egress),
            ] {
                let (_, progs) = SchedClassifier::query_tcx(iface, hook).map_err(|source| {
                    LiveError::Program {
                        program: "(any)",
                        what: format!("query TCX {direction:?} of {iface}"),
                        source,
                    }
                })?;
                for p in progs {
                    let name = p.name_as_str().unwrap_or("").to_owned();
                    found.push(AttachedProgram { direction, id: p.id(), name });
                }
            }
            Ok(found)
        })
        .map_err(LiveError::Netns)?
}

/// Whether a program with kernel id `id` is still loaded.
pub fn program_loaded(id: u32) -> bool {
    aya::programs::loaded_programs().flatten().any(|p| p.id() == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_peers_are_mapped_into_the_ipv6_trie() {
        let k = peer_key(&"192.0.2.0/24".parse().unwrap());
        assert_eq!(k.prefix_len(), 120);
        assert_eq!(k.data(), "::ffff:192.0.2.0".parse::<std::net::Ipv6Addr>().unwrap().octets());
        let k = peer_key(&"2001:db8::/32".parse().unwrap());
        assert_eq!((k.prefix_len(), &k.data()[..4]), (32, &[0x20, 0x01, 0x0d, 0xb8][..]));
    }

    #[test]
    fn outside_a_runtime_opening_is_an_error_not_a_panic() {
        let e = LiveCapture::open(&Netns::current(), &["lo"], &LiveConfig::default()).err();
        assert!(matches!(e, Some(LiveError::NoRuntime)), "{e:?}");
    }

    #[test]
    fn bad_configurations_are_refused_before_loading() {
        let ok = LiveConfig::default();
        assert!(validate(&["eth0"], &ok).is_ok());
        assert!(matches!(validate(&[], &ok), Err(LiveError::Config(_))));
        let no_ports = LiveConfig { ports: vec![], ..ok.clone() };
        assert!(matches!(validate(&["eth0"], &no_ports), Err(LiveError::Config(_))));
        let odd_ring = LiveConfig { ring_bytes: 3 << 20, ..ok };
        assert!(matches!(validate(&["eth0"], &odd_ring), Err(LiveError::Config(_))));
    }
}
