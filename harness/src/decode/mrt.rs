//! MRT archives through `bgpstorm decode`: every record counted, written and, when it is
//! malformed, reported with the file and its offset.

use std::fmt::Display;
use std::io::{self, Write};
use std::path::Path;

use bgpstorm_wire::Message;
use bgpstorm_wire::model::Update;
use bgpstorm_wire::mrt::{MrtBody, MrtReader, MrtRecord, NotModelledScope, RibRoute};
use bgpstorm_wire::rfc7606::AttributeError;

use super::{Output, Stats};

/// Decodes one MRT file, read from `input`. An error that ends the stream (truncation, corrupt compression) is
/// reported and counted, and the records before it stay written.
pub(super) fn decode(
    file: &Path,
    input: super::Input,
    out: &mut Output<impl Write>,
    stats: &mut Stats,
) -> io::Result<()> {
    let reader = match MrtReader::new(input) {
        Ok(r) => r,
        Err(e) => {
            stats.report(file, "mrt.open", e);
            return Ok(());
        }
    };
    for item in reader {
        match item {
            Ok(record) => {
                stats.records += 1;
                account(file, &record, stats);
                out.mrt_record(file, &record)?;
            }
            Err(e) => {
                let fatal = e.is_fatal();
                stats.report(file, &format!("mrt.{}", e.kind()), &e);
                if fatal {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Counts what one record holds and reports what is wrong in it.
fn account(file: &Path, record: &MrtRecord, stats: &mut Stats) {
    let at = record.offset;
    match &record.body {
        MrtBody::Message(m) => {
            stats.peers.insert(m.peer_ip);
            match &m.message {
                Ok(msg) => {
                    stats.message(msg.type_name());
                    if let Message::Update(u) = msg {
                        update(file, &format_args!("record at byte {at}"), u, stats);
                    }
                }
                Err(e) => stats.report(
                    file,
                    &format!("bgp.{}", e.kind()),
                    format_args!("{} record at byte {at}: {e}", record.header.name()),
                ),
            }
        }
        MrtBody::StateChange(s) => {
            stats.peers.insert(s.peer_ip);
            stats.state_changes += 1;
        }
        MrtBody::Rib(rib) => {
            for entry in &rib.entries {
                stats.peers.insert(entry.peer.ip);
                rib_route(file, at, &rib.prefix.to_string(), &entry.route, stats);
            }
        }
        MrtBody::TableDump(t) => {
            stats.peers.insert(t.peer_ip);
            rib_route(file, at, &t.prefix.to_string(), &t.route, stats);
        }
        MrtBody::NotModelled(n) => {
            stats.records_not_modelled += 1;
            // A family outside the route model is counted; a record whose type or subtype is
            // not read at all may hold routes nobody will see, so it is an error.
            if n.scope == NotModelledScope::Record {
                stats.report(
                    file,
                    "mrt.not-decoded",
                    format_args!("record at byte {at}: {} is not decoded", n.what),
                );
            }
        }
        MrtBody::PeerIndexTable(_) => {}
    }
}

/// Counts an UPDATE's routes, and reports its RFC 7606 repairs (`place` says where it was).
pub(super) fn update(file: &Path, place: &dyn Display, u: &Update, stats: &mut Stats) {
    stats.announcements += u.announced_count() as u64;
    stats.withdrawals += u.withdrawn.len() as u64;
    stats.not_modelled += u.not_modelled.iter().map(|n| n.count as u64).sum::<u64>();
    stats.not_modelled += u.ignored_nlri.len() as u64;
    for e in &u.errors {
        attribute_error(file, place, e, stats);
    }
}

fn rib_route(
    file: &Path,
    at: u64,
    prefix: &str,
    route: &Result<RibRoute, bgpstorm_wire::WireError>,
    stats: &mut Stats,
) {
    stats.rib_entries += 1;
    match route {
        Ok(r) => {
            stats.announcements += 1;
            stats.not_modelled += r.not_modelled.len() as u64;
            for e in &r.errors {
                let place = format_args!("RIB entry for {prefix} in the record at byte {at}");
                attribute_error(file, &place, e, stats);
            }
        }
        Err(e) => stats.report(
            file,
            &format!("bgp.{}", e.kind()),
            format_args!("RIB entry for {prefix} in the record at byte {at}: {e}"),
        ),
    }
}

fn attribute_error(file: &Path, place: &dyn Display, e: &AttributeError, stats: &mut Stats) {
    stats.report(file, &format!("rfc7606.{}", e.action), format_args!("{place}: {e}"));
}
