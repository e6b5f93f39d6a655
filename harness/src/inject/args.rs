//! The options of `bgpstorm inject`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Duration;

use bgpstorm_wire::model::{Community, ExtendedCommunity, LargeCommunity, Origin};
use ipnet::IpNet;

use super::parse;

/// Address families a session can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Family {
    /// IPv4 unicast (AFI 1, SAFI 1).
    Ipv4,
    /// IPv6 unicast (AFI 2, SAFI 1).
    Ipv6,
}

/// Run one BGP speaker against a router: announce generated, MRT or replayed routes, or
/// (with --passive --expect N) accept a session and measure how fast N prefixes arrive.
///
/// Examples:
///   bgpstorm inject --local-as 65001 --peer-as 65000 --peer 10.0.0.1 --announce 100000 --start 10.0.0.0/24
///   bgpstorm inject --local-as 65001 --peer-as 65000 --peer 10.0.0.1 --replay updates.gz --peer-index 3 --speed 10
///   bgpstorm inject --passive --local-as 65100 --peer-as 65000 --expect 1000000 --deadline 30s
///
/// Exit status: 0 done; 1 the session failed, went down during --hold (the reason on
/// stderr) or --expect was not met by the deadline; 2 wrong usage or unreadable input; 3 the environment is missing something (address,
/// namespace, permission).
#[derive(Clone, Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct InjectArgs {
    /// Our AS number (4-octet numbers go out as AS_TRANS + AS4_PATH to 2-octet peers).
    #[arg(long, value_name = "ASN", required_unless_present = "list_peers", value_parser = parse::asn)]
    pub local_as: Option<u32>,
    /// The peer's AS number (equal to --local-as for iBGP).
    #[arg(long, value_name = "ASN", required_unless_present = "list_peers", value_parser = parse::asn)]
    pub peer_as: Option<u32>,
    /// The peer's address (required unless --passive; with --passive only it may connect).
    #[arg(long, value_name = "ADDR")]
    pub peer: Option<IpAddr>,
    /// Our address to bind (and listen on with --passive).
    #[arg(long, value_name = "ADDR")]
    pub local: Option<IpAddr>,
    /// TCP port to connect to or listen on.
    #[arg(long, default_value_t = 179)]
    pub port: u16,
    /// Our BGP identifier (default: --local when it is IPv4, else 192.0.2.1).
    #[arg(long, value_name = "ID")]
    pub router_id: Option<Ipv4Addr>,
    /// Wait for the peer to connect instead of connecting.
    #[arg(long, conflicts_with = "both")]
    pub passive: bool,
    /// Connect and listen at once, resolving connection collisions (RFC 4271 §6.8).
    #[arg(long)]
    pub both: bool,
    /// Families to offer.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "ipv4,ipv6")]
    pub families: Vec<Family>,
    /// Hold time to offer, seconds (0, or 3 and more).
    #[arg(long, default_value_t = 90)]
    pub hold_time: u16,
    /// Offer extended messages (RFC 8654): UPDATEs up to 65535 bytes.
    #[arg(long)]
    pub extended_messages: bool,
    /// Offer ADD-PATH send and receive for the families (RFC 7911).
    #[arg(long)]
    pub add_path: bool,
    /// Act as a 2-octet AS speaker (no 4-octet AS capability).
    #[arg(long)]
    pub two_octet: bool,
    /// TCP MD5 signature key (RFC 2385); needs --peer.
    #[arg(long, value_name = "KEY")]
    pub md5: Option<String>,
    /// GTSM (RFC 5082): TTL 255 out, at least 254 in.
    #[arg(long)]
    pub ttl_security: bool,
    /// Network namespace to open the socket in: a name under /run/netns or a path.
    #[arg(long, value_name = "NAME")]
    pub netns: Option<String>,

    /// Announce N generated prefixes, from --start on.
    #[arg(long, value_name = "N", requires = "start")]
    pub announce: Option<u64>,
    /// First generated prefix; the others follow with the same length.
    #[arg(long, value_name = "PREFIX")]
    pub start: Option<IpNet>,
    /// Also announce N generated IPv6 prefixes, from --start-v6 on.
    #[arg(long, value_name = "N", requires = "start_v6")]
    pub announce_v6: Option<u64>,
    /// First generated IPv6 prefix.
    #[arg(long, value_name = "PREFIX")]
    pub start_v6: Option<IpNet>,
    /// Announce these prefixes (repeatable, or comma separated).
    #[arg(long = "prefix", value_name = "PREFIX", value_delimiter = ',')]
    pub prefixes: Vec<IpNet>,
    /// Announce the distinct prefixes of an MRT file (RIB dump or updates).
    #[arg(long, value_name = "FILE")]
    pub prefixes_from: Option<PathBuf>,
    /// At most this many prefixes from --prefixes-from.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Replay the UPDATEs of one peer of an MRT BGP4MP file.
    #[arg(long, value_name = "FILE", requires = "peer_index")]
    pub replay: Option<PathBuf>,
    /// The peer to replay: its index in order of first appearance (see --list-peers).
    #[arg(long, value_name = "N")]
    pub peer_index: Option<usize>,
    /// Replay timing: recorded time divided by this factor; as fast as possible when absent.
    #[arg(long, value_name = "FACTOR")]
    pub speed: Option<f64>,
    /// Announce one peer's routes of a TABLE_DUMP_V2 file first (with --table-peer).
    #[arg(long, value_name = "FILE")]
    pub table: Option<PathBuf>,
    /// Peer index (PEER_INDEX_TABLE) of --table.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub table_peer: u16,
    /// Print the peers of an MRT BGP4MP file and exit.
    #[arg(long, value_name = "FILE")]
    pub list_peers: Option<PathBuf>,
    /// After announcing: withdraw and re-announce everything this many times, back to back.
    #[arg(long, value_name = "CYCLES")]
    pub storm: Option<u32>,
    /// After announcing: flap the prefixes this many times (withdraw, re-announce).
    #[arg(long, value_name = "CYCLES")]
    pub flap: Option<u32>,
    /// Time between flap changes.
    #[arg(long, value_name = "DURATION", value_parser = parse::duration, default_value = "1s")]
    pub flap_interval: Duration,
    /// After announcing: random announce/withdraw/attribute changes for this long.
    #[arg(long, value_name = "DURATION", value_parser = parse::duration)]
    pub churn: Option<Duration>,
    /// Churn events per second.
    #[arg(long, value_name = "N", default_value_t = 1000.0)]
    pub churn_rate: f64,
    /// Churn seed (the same seed gives the same events).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// At the end, withdraw everything announced.
    #[arg(long)]
    pub withdraw: bool,
    /// Prefixes per second (token bucket); as fast as the session allows when absent.
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,

    /// AS numbers after ours, e.g. "64500 64501".
    #[arg(long, value_name = "PATH", value_parser = parse::as_path)]
    pub as_path: Option<Vec<u32>>,
    /// Extra copies of our AS at the front of the path.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub prepend: u8,
    /// ORIGIN.
    #[arg(long, value_parser = parse::origin, default_value = "igp")]
    pub origin: Origin,
    /// IPv4 next hop (default: our address).
    #[arg(long, value_name = "ADDR")]
    pub next_hop: Option<Ipv4Addr>,
    /// IPv6 next hop (default: our address; required for IPv6 over an IPv4 session).
    #[arg(long, value_name = "ADDR")]
    pub next_hop_v6: Option<Ipv6Addr>,
    /// MULTI_EXIT_DISC.
    #[arg(long)]
    pub med: Option<u32>,
    /// LOCAL_PREF (iBGP only).
    #[arg(long)]
    pub local_pref: Option<u32>,
    /// Community ASN:VALUE (repeatable, or comma separated).
    #[arg(long = "community", value_name = "C", value_delimiter = ',', value_parser = parse::community)]
    pub communities: Vec<Community>,
    /// Large community GLOBAL:LOCAL1:LOCAL2 (repeatable, or comma separated).
    #[arg(long = "large-community", value_name = "C", value_delimiter = ',', value_parser = parse::large_community)]
    pub large_communities: Vec<LargeCommunity>,
    /// Extended community rt:ASN:VALUE, soo:ASN:VALUE or 0x + 16 hex digits.
    #[arg(long = "ext-community", value_name = "C", value_delimiter = ',', value_parser = parse::extended_community)]
    pub extended_communities: Vec<ExtendedCommunity>,

    /// Wait until the peer has sent us this many prefixes, and report how long it took.
    #[arg(long, value_name = "N")]
    pub expect: Option<usize>,
    /// Give up (exit 1) when the session or --expect is not there by then.
    #[arg(long, value_name = "DURATION", value_parser = parse::duration, default_value = "60s")]
    pub deadline: Duration,
    /// After the programs, keep the session up this long (routes stay announced). The
    /// session going down meanwhile (the peer's NOTIFICATION, the peer closing the
    /// connection, the hold timer expiring) is a failure: exit 1 with the reason.
    #[arg(long, value_name = "DURATION", value_parser = parse::duration)]
    pub hold: Option<Duration>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// No progress display even on a terminal.
    #[arg(long)]
    pub quiet: bool,
}
