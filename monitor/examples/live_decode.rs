//! Live capture → reassembly → BGP stream → decoded messages, printed one per line.
//!
//! ```text
//! sudo cargo run -p bgpstorm-monitor --example live_decode -- NETNS IFACE [SECONDS]
//! ```
//! NETNS is a name under /run/netns (`ip netns add`), or `-` for the current namespace.
//! Runs for SECONDS (default 10), then prints the capture and decode counters. Needs root
//! (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN for setns).

use std::time::Duration;

use bgpstorm_monitor::capture::live::{LiveCapture, LiveConfig, Netns};
use bgpstorm_monitor::stream::{LiveStream, StreamItem};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (netns, iface, secs) = match args.as_slice() {
        [ns, iface] => (ns, iface, 10),
        [ns, iface, s] => match s.parse() {
            Ok(s) => (ns, iface, s),
            Err(_) => usage(),
        },
        _ => usage(),
    };
    let ns = if netns == "-" { Ok(Netns::current()) } else { Netns::named(netns) };
    let ns = ns.unwrap_or_else(|e| {
        eprintln!("live_decode: {e}");
        std::process::exit(1);
    });
    let capture = match LiveCapture::open(&ns, &[iface], &LiveConfig::default()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("live_decode: cannot capture on {iface} in {}: {e}", ns.name());
            std::process::exit(1);
        }
    };
    let mut stream = LiveStream::new(capture, Default::default());
    let mut items = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while let Ok(r) = tokio::time::timeout_at(deadline, stream.next_items(&mut items)).await {
        if let Err(e) = r {
            eprintln!("live_decode: {e}");
            std::process::exit(1);
        }
        items.drain(..).for_each(print);
    }
    stream.finish(&mut items);
    items.drain(..).for_each(print);
    match stream.stats() {
        Ok((live, decode)) => eprint!("{live}{decode}"),
        Err(e) => eprintln!("live_decode: counters: {e}"),
    }
}

fn print(item: StreamItem) {
    match item {
        StreamItem::Message(m) => match m.message {
            Ok(msg) => println!("{} {} {} {} bytes", m.ts_ns, m.flow, msg.type_name(), m.raw.len()),
            Err(e) => println!("{} {} undecodable: {e}", m.ts_ns, m.flow),
        },
        StreamItem::Gap { flow, len, cause, .. } => println!("{flow} GAP {len} bytes ({cause:?})"),
        other => println!("{other:?}"),
    }
}

fn usage() -> ! {
    eprintln!("usage: live_decode NETNS|- IFACE [SECONDS]");
    std::process::exit(2);
}
