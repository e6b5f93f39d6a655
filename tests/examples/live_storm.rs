//! Throughput of the live capture: an UPDATE storm through a watched veth, decoded live.
//!
//! ```text
//! sudo cargo run --release -p bgpstorm-tests --example live_storm -- [PREFIXES] [RING_MIB] [RATE]
//! ```
//! RING_MIB defaults to the live capture's default ring size (64 MiB). RATE paces the sender
//! at that many prefixes per second (default 0: one burst, as fast as TCP goes).
//! Builds a throwaway namespace pair (removed at the end), attaches the capture to side a,
//! sends PREFIXES (default 5,000,000) IPv4 /24 announcements from a to b in UPDATEs of 500
//! prefixes, and decodes them live through [`LiveStream`]. Prints the prefixes announced on
//! the wire against those decoded, the capture drops, the rate, and the CPU time the
//! decoding thread used (the monitor's cost; the sender runs on other threads).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use bgpstorm_monitor::capture::live::{LiveCapture, LiveConfig};
use bgpstorm_monitor::stream::{DecodeOptions, LiveStream, StreamItem};
use bgpstorm_tests::bgp;
use bgpstorm_tests::lab::{VethPair, require_root};

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    require_root();
    let mut args = std::env::args().skip(1);
    let prefixes: u32 = args.next().map_or(Ok(5_000_000), |a| a.parse())?;
    let ring_mib: u32 =
        args.next().map_or(Ok(LiveConfig::default().ring_bytes >> 20), |a| a.parse())?;
    let rate: u64 = args.next().map_or(Ok(0), |a| a.parse())?;
    // Unicast /24s from 16.0.0.0 up to 223.255.255.0 (224/3 is not unicast: the decoder
    // ignores it, RFC 7606 §7.2 style).
    const MAX: u32 = (224 - 16) << 16;
    if prefixes > MAX {
        return Err(format!("at most {MAX} prefixes").into());
    }
    let pair = VethPair::new()?;
    let cfg = LiveConfig { ring_bytes: ring_mib << 20, ..LiveConfig::default() };
    let cap = LiveCapture::open(pair.netns_a(), &[VethPair::IF_A], &cfg)?;
    let mut stream = LiveStream::new(cap, DecodeOptions::default());

    let mut burst = bgp::open(65001, Ipv4Addr::new(10, 0, 0, 1));
    burst.extend(bgp::keepalive());
    for u in bgp::updates(65001, Ipv4Addr::new(16, 0, 0, 0), prefixes, 500) {
        burst.extend(u);
    }
    let addr = SocketAddr::new(pair.addr_b(false), 179);
    let listener = pair.listen_b(addr)?;
    let (mut client, mut server) = pair.connect_a(&listener, addr)?;
    let flow_src = client.local_addr()?;
    let sent = burst.len();
    let start = Instant::now();
    let side_b = std::thread::spawn(move || -> std::io::Result<()> {
        server.write_all(&bgp::open(65002, Ipv4Addr::new(10, 0, 0, 2)))?;
        server.shutdown(std::net::Shutdown::Write)?;
        std::io::copy(&mut server, &mut std::io::sink()).map(drop)
    });
    let side_a = std::thread::spawn(move || -> std::io::Result<()> {
        if rate == 0 {
            client.write_all(&burst)?;
        } else {
            // Paced: the burst's bytes in 10 ms slices, at `rate` prefixes per second.
            let per_tick = (sent as u64 * rate / u64::from(prefixes) / 100).max(1) as usize;
            let start = Instant::now();
            for (i, slice) in burst.chunks(per_tick).enumerate() {
                client.write_all(slice)?;
                let next = start + Duration::from_millis(10 * (i as u64 + 1));
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
        }
        client.shutdown(std::net::Shutdown::Write)?;
        client.read_to_end(&mut Vec::new()).map(drop)
    });

    let cpu0 = thread_cpu();
    let (mut items, mut closed, mut messages) = (Vec::new(), 0, 0u64);
    // Until both FINs are decoded, or, when records were lost (a FIN among them), until the
    // senders are done and the ring buffer is empty.
    while closed < 2 {
        let senders_done = side_a.is_finished() && side_b.is_finished();
        match tokio::time::timeout(Duration::from_millis(200), stream.next_items(&mut items)).await
        {
            Ok(r) => {
                r?;
            }
            Err(_) if senders_done => break,
            Err(_) => continue,
        }
        for item in items.drain(..) {
            match item {
                StreamItem::Message(_) => messages += 1,
                StreamItem::Closed { flow, .. } if flow.src == flow_src || flow.dst == flow_src => {
                    closed += 1
                }
                _ => {}
            }
        }
    }
    stream.finish(&mut items);
    let (elapsed, cpu) = (start.elapsed(), thread_cpu() - cpu0);
    side_b.join().expect("side b")?;
    side_a.join().expect("side a")?;
    let (live, decode) = stream.stats()?;
    let secs = elapsed.as_secs_f64();
    println!("sent:     {prefixes} prefixes, {sent} bytes of BGP from a to b");
    println!("decoded:  {} prefixes announced, {messages} messages", decode.stream.announced);
    println!("drops:    {} (capture), {} gaps (reassembly)", live.drops(), decode.reassembly.gaps);
    println!(
        "rate:     {:.0} prefixes/s, {:.0} MB/s over {elapsed:.2?}",
        decode.stream.announced as f64 / secs,
        sent as f64 / secs / 1e6
    );
    println!(
        "monitor:  {cpu:.2?} CPU on the decoding thread ({:.0}% of one core)",
        100.0 * cpu.as_secs_f64() / secs
    );
    println!(
        "segments: {} ({:.0} payload bytes each), {} records",
        live.kernel.segments,
        live.kernel.payload_bytes as f64 / live.kernel.segments.max(1) as f64,
        live.kernel.records
    );
    drop(pair);
    if live.drops() > 0 || decode.stream.announced != u64::from(prefixes) {
        eprint!("{live}{decode}");
        return Err("the capture was not lossless".into());
    }
    Ok(())
}
