//! The DUT's RIB as its CLI prints it, normalized: one best route per prefix with AS path,
//! next hop and communities in the same text forms for every daemon.

use serde::Serialize;
use serde_json::Value;

use super::RibError;

/// A best route of the DUT.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DutRoute {
    /// The prefix.
    pub prefix: String,
    /// AS path, space separated.
    pub as_path: String,
    /// Next hop.
    pub next_hop: String,
    /// Standard and large communities, `a:b` / `a:b:c`, sorted.
    pub communities: Vec<String>,
}

fn route(prefix: &str, as_path: &str, next_hop: &str, mut communities: Vec<String>) -> DutRoute {
    communities.sort();
    DutRoute {
        prefix: prefix.to_string(),
        as_path: as_path.split_whitespace().collect::<Vec<_>>().join(" "),
        next_hop: next_hop.to_string(),
        communities,
    }
}

/// `birdc show route all`: a line per path (the prefix on the first), attribute lines
/// indented below it; `*` marks the best path.
pub fn bird(text: &str) -> Vec<DutRoute> {
    let mut out = Vec::new();
    let mut prefix = String::new();
    let mut cur: Option<DutRoute> = None;
    let flush = |cur: &mut Option<DutRoute>, out: &mut Vec<DutRoute>| {
        if let Some(r) = cur.take() {
            out.push(route(&r.prefix, &r.as_path, &r.next_hop, r.communities));
        }
    };
    for line in text.lines() {
        let indented = line.starts_with([' ', '\t']);
        let t = line.trim();
        if t.is_empty()
            || t.starts_with("Table ")
            || t.starts_with("BIRD ")
            || t.starts_with("Network")
        {
            continue;
        }
        let is_path = t.contains(" [")
            && (t.contains("unicast") || t.contains("blackhole") || t.contains("unreachable"));
        if is_path {
            flush(&mut cur, &mut out);
            if !indented {
                prefix = t.split_whitespace().next().unwrap_or_default().to_string();
            }
            if t.contains(" * ") || t.contains("] *") {
                cur = Some(route(&prefix, "", "", Vec::new()));
            }
            continue;
        }
        let Some(r) = cur.as_mut() else { continue };
        if let Some(v) = t.strip_prefix("BGP.as_path:") {
            r.as_path = v.split_whitespace().collect::<Vec<_>>().join(" ");
        } else if let Some(v) = t.strip_prefix("BGP.next_hop:") {
            r.next_hop = v.split_whitespace().next().unwrap_or_default().to_string();
        } else if let Some(v) = t.strip_prefix("BGP.community:") {
            r.communities.extend(v.split(')').filter_map(|c| {
                let c = c.trim().trim_start_matches('(');
                (!c.is_empty()).then(|| c.replace(',', ":").replace(' ', ""))
            }));
        } else if let Some(v) = t.strip_prefix("BGP.large_community:") {
            r.communities.extend(v.split(')').filter_map(|c| {
                let c = c.trim().trim_start_matches('(');
                (!c.is_empty()).then(|| c.replace(", ", ":").replace(',', ":"))
            }));
        }
    }
    flush(&mut cur, &mut out);
    out
}

fn json(text: &str) -> Result<Value, RibError> {
    serde_json::from_str(text).map_err(|source| RibError::Json {
        source,
        start: text.chars().take(200).collect::<String>(),
    })
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(String::from)).collect(),
        Value::String(s) => s.split_whitespace().map(String::from).collect(),
        _ => Vec::new(),
    }
}

/// `vtysh -c 'show bgp ipv4 unicast json'`: `routes` maps prefixes to their paths.
pub fn frr(text: &str) -> Result<Vec<DutRoute>, RibError> {
    let v = json(text)?;
    let mut out = Vec::new();
    let Some(routes) = v.get("routes").and_then(Value::as_object) else { return Ok(out) };
    for (prefix, paths) in routes {
        for p in paths.as_array().into_iter().flatten() {
            if p.get("bestpath").and_then(Value::as_bool) != Some(true) {
                continue;
            }
            let nh = p["nexthops"].get(0).and_then(|n| n["ip"].as_str()).unwrap_or_default();
            let path = p["path"].as_str().or_else(|| p["aspath"].as_str()).unwrap_or_default();
            out.push(route(prefix, path, nh, strings(&p["community"]["list"])));
        }
    }
    Ok(out)
}

/// `gobgp global rib -a ipv4 -j`: prefixes to paths with typed attributes.
pub fn gobgp(text: &str) -> Result<Vec<DutRoute>, RibError> {
    if text.trim().is_empty() || text.trim() == "null" {
        return Ok(Vec::new());
    }
    let v = json(text)?;
    let mut out = Vec::new();
    for (prefix, paths) in v.as_object().into_iter().flatten() {
        for p in paths.as_array().into_iter().flatten() {
            if p.get("best").and_then(Value::as_bool) != Some(true) {
                continue;
            }
            let (mut path, mut nh, mut comms) = (Vec::new(), String::new(), Vec::new());
            for a in p["attrs"].as_array().into_iter().flatten() {
                match a["type"].as_u64() {
                    Some(2) => {
                        for seg in a["as_paths"].as_array().into_iter().flatten() {
                            path.extend(
                                seg["asns"]
                                    .as_array()
                                    .into_iter()
                                    .flatten()
                                    .filter_map(Value::as_u64)
                                    .map(|x| x.to_string()),
                            );
                        }
                    }
                    Some(3) => nh = a["nexthop"].as_str().unwrap_or_default().to_string(),
                    Some(14) => nh = a["nexthop"].as_str().unwrap_or_default().to_string(),
                    Some(8) => comms.extend(
                        a["communities"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_u64)
                            .map(|c| format!("{}:{}", c >> 16, c & 0xffff)),
                    ),
                    Some(32) => {
                        comms.extend(a["value"].as_array().into_iter().flatten().map(|c| {
                            format!(
                                "{}:{}:{}",
                                c["global_admin"], c["local_data1"], c["local_data2"]
                            )
                        }))
                    }
                    _ => {}
                }
            }
            out.push(route(prefix, &path.join(" "), &nh, comms));
        }
    }
    Ok(out)
}

/// `bgpctl -j show rib`: a `rib` list of paths.
pub fn openbgpd(text: &str) -> Result<Vec<DutRoute>, RibError> {
    let v = json(text)?;
    let mut out = Vec::new();
    for p in v["rib"].as_array().into_iter().flatten() {
        if p.get("best").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let prefix = p["prefix"].as_str().unwrap_or_default();
        let nh =
            p["exit_nexthop"].as_str().or_else(|| p["true_nexthop"].as_str()).unwrap_or_default();
        let mut comms = strings(&p["communities"]);
        comms.extend(strings(&p["large_communities"]));
        out.push(route(prefix, p["aspath"].as_str().unwrap_or_default(), nh, comms));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bird_text_keeps_the_best_path_and_its_attributes() {
        let text = "BIRD 2.0.12 ready.\nTable master4:\n10.0.0.0/24          unicast [up 20:00:00.000] * (100) [AS174i]\n\tvia 10.0.1.2 on d-up\n\tType: BGP univ\n\tBGP.origin: IGP\n\tBGP.as_path: 65001 174\n\tBGP.next_hop: 10.0.1.2\n\tBGP.community: (65001,100) (65001,200)\n\tBGP.large_community: (4200000001, 1, 2)\n                     unicast [b 20:00:01.000] (100) [AS3356i]\n\tBGP.as_path: 65002 3356 174\n\tBGP.next_hop: 10.0.2.2\n";
        let r = bird(text);
        assert_eq!(
            r,
            vec![route(
                "10.0.0.0/24",
                "65001 174",
                "10.0.1.2",
                vec!["65001:100".into(), "65001:200".into(), "4200000001:1:2".into()]
            )]
        );
    }
}
