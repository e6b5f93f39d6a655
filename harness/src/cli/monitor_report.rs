//! The final state of `bgpstorm monitor`, as text or JSON.

use bgpstorm_monitor::engine::{Engine, Event};
use bgpstorm_monitor::stream::DecodeStats;

/// The final state as JSON; `stats` are the decoder's counters of capture files (live mode
/// prints its capture counters apart and passes the defaults).
pub fn json_report(engine: &Engine, stats: &DecodeStats) -> String {
    let rib = engine.rib();
    let sessions: Vec<_> = engine.health().sessions().cloned().collect();
    let alerts: Vec<&Event> = engine
        .events()
        .filter(|e| matches!(e, Event::Flap(_) | Event::Community(_) | Event::Damping(_)))
        .collect();
    // Multicast (SAFI 2) paths per family, held apart from the unicast `paths`.
    let multicast: serde_json::Map<String, serde_json::Value> =
        rib.multicast_counts().into_iter().map(|(f, n)| (f.to_string(), n.into())).collect();
    let v = serde_json::json!({
        "sessions": sessions,
        "adj_ribs_in": rib.sessions(),
        "rib": { "paths": rib.path_count(), "prefixes": rib.prefix_count(), "attribute_sets": rib.attr_set_count(), "hidden": rib.hidden_count(), "multicast_paths": multicast },
        "alerts": alerts,
        "convergence": engine.convergence().summary(),
        "counters": engine.counters(),
        "capture": stats,
    });
    format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
}

/// The final state as text; `stats` as for [`json_report`].
pub fn text_report(engine: &Engine, stats: &DecodeStats) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let rib = engine.rib();
    let _ = writeln!(s, "sessions");
    for h in engine.health().sessions() {
        let _ = writeln!(
            s,
            "  {} <-> {}  {:?}  established {}x, resets {}, notifications {}",
            h.peers.0,
            h.peers.1,
            h.state,
            h.establishments,
            h.resets,
            h.notifications.len()
        );
    }
    let _ = writeln!(s, "adj-ribs-in");
    for a in rib.sessions() {
        let asn = a.sender_asn.map_or("?".to_string(), |a| a.to_string());
        let _ = writeln!(s, "  {} -> {}  AS{asn}  {} paths", a.flow.src, a.flow.dst, a.paths);
    }
    let _ = writeln!(
        s,
        "rib              {} prefixes, {} paths, {} attribute sets, {} hidden",
        rib.prefix_count(),
        rib.path_count(),
        rib.attr_set_count(),
        rib.hidden_count()
    );
    for (family, n) in rib.multicast_counts() {
        let _ = writeln!(s, "multicast        {family}: {n} paths");
    }
    let c = engine.counters();
    let _ = writeln!(s, "announced        {}", c.announced);
    let _ = writeln!(s, "withdrawn        {}", c.withdrawn);
    let _ = writeln!(
        s,
        "alerts           {} flap, {} community, {} suppressed",
        c.flap_alerts, c.community_alerts, c.suppressions
    );
    for e in engine.events() {
        match e {
            Event::Flap(a) => {
                let _ = writeln!(
                    s,
                    "  flap       {} on session {} ({} changes)",
                    a.nlri.prefix, a.session.0, a.changes
                );
            }
            Event::Community(a) => {
                let _ = writeln!(
                    s,
                    "  community  {} on {} carries {} (rule {}: {})",
                    a.nlri.prefix, a.flow, a.community, a.rule, a.broke
                );
            }
            _ => {}
        }
    }
    let _ = writeln!(s, "malformed        {}", c.malformed);
    let _ = writeln!(
        s,
        "lost             {}",
        if stats.anything_lost() { "yes (see --json capture)" } else { "nothing" }
    );
    s
}
