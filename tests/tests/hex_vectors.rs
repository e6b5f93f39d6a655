//! ExaBGP's hex test vectors (data/hex) decoded by our wire layer and compared with
//! the JSON ExaBGP itself printed for them: one test per vector file.
//!
//! - `decoding-vectors/NAME`: a description line (`update ipv4 unicast`, `open`, `nlri ...`),
//!   the hex of one message (whole, or an UPDATE body without its header, or a bare NLRI), then
//!   ExaBGP's JSON.
//! - `encoding-vectors/NAME.ci`: `option:` lines (the session's configuration), then
//!   `N:raw:` lines of hex (with `:` separators), each followed by `N:json:` (or the
//!   `jsv4`/`jsv6` variants of older/newer ExaBGP) when ExaBGP printed its decoding.
//!
//! Compared: announced and withdrawn IPv4/IPv6 unicast prefixes (with next hop and path id),
//! NLRI counts of the other families against our "not modelled" counts, the attributes the
//! route model has a field for, that every other attribute ExaBGP shows is kept raw, and for
//! OPEN the AS, hold time, router id and capability codes. Every vector must decode without a
//! wire error or attribute error. Where we and ExaBGP disagree for a reason we understand, the
//! vector is listed in [`KNOWN_DIFFERENCES`]; a listed vector that starts agreeing fails the
//! test, so the list cannot go stale.

#[path = "hex_vectors/views.rs"]
mod views;

use bgpstorm_wire::{AfiSafi, Message, MessageDecoder, Open, SessionContext, Update};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::fmt::Debug;
use std::path::Path;
use views::{capability_code, exa_nlri_entries, exa_update_view, family_of_name, our_update_view};

/// Vectors where our decoding and ExaBGP's differ for a reason we understand, as
/// (`directory/file:line` of the hex, a fragment the mismatch report must contain, why).
/// The line is the 1-based line of the hex in the file.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    // IPv6 unicast NLRI with a 4-octet (IPv4) next hop in MP_REACH_NLRI. RFC 2545 §3 allows
    // only 16 or 32 octets for AFI 2, and RFC 8950 extends the next hops of IPv4 NLRI only
    // (an IPv4 next hop for IPv6 NLRI is written IPv4-mapped, 16 octets, RFC 4798 §2). The
    // attribute is malformed and RFC 7606 §7.11 asks for a session reset (the NLRI cannot be
    // located reliably after a bad next hop length): our wire error is right, ExaBGP is lenient.
    (
        "encoding-vectors/extended-nexthop.ci:6",
        "wire error: attribute MP_REACH_NLRI at byte 44",
        "IPv4 next hop for IPv6 NLRI",
    ),
];

fn data_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")
}

fn vectors_root(dir: &str) -> String {
    data_dir().join("hex").join(dir).display().to_string()
}

datatest_stable::harness! {
    { test = decoding_vector, root = vectors_root("decoding-vectors") },
    { test = encoding_vector, root = vectors_root("encoding-vectors"), pattern = r"\.ci$" },
}

/// One message of a vector file with what ExaBGP printed for it.
struct Vector {
    /// `directory/file:line`.
    id: String,
    bytes: Vec<u8>,
    /// What ExaBGP printed, when it printed anything.
    expected: Option<Expected>,
}

/// ExaBGP's decoding of a message.
enum Expected {
    /// The `message.update` object of an UPDATE.
    Update(Value),
    /// The `open` object of an OPEN.
    Open(Value),
}

// ---------------------------------------------------------------------------------------------
// Reading the vector files

fn decoding_vector(path: &Path, text: String) -> datatest_stable::Result<()> {
    let name = file_name(path);
    let mut lines = text.lines();
    let description = lines.next().unwrap_or_default().trim().to_string();
    let hex = lines.next().ok_or("no hex line")?;
    let exa: Value = serde_json::from_str(lines.next().ok_or("no JSON line")?)?;
    let bytes = unhex(hex)?;
    let (bytes, exa) = match description.split_whitespace().next() {
        Some("open") => (whole_message(bytes, 1), exa),
        Some("update") => (whole_message(bytes, 2), exa),
        // A bare BGP-LS NLRI: carried in an MP_REACH_NLRI of an otherwise minimal UPDATE,
        // ExaBGP's NLRI object as the one announcement of that family.
        Some("nlri") => (
            bgp_ls_update(&bytes),
            json!({"neighbor": {"message": {"update": {
                "attribute": {"origin": "igp"},
                "announce": {"bgp-ls bgp-ls": {"0.0.0.0": [exa]}}
            }}}}),
        ),
        _ => return Err(format!("unknown vector kind {description:?}").into()),
    };
    let vector = Vector {
        id: format!("decoding-vectors/{name}:2"),
        bytes,
        expected: Some(expected_of(&exa)?),
    };
    let ctx = context_for(&[&vector], false);
    check_file(&format!("decoding-vectors/{name}"), &[vector], &ctx)
}

fn encoding_vector(path: &Path, text: String) -> datatest_stable::Result<()> {
    let name = file_name(path);
    let mut vectors: Vec<Vector> = Vec::new();
    let mut options = Vec::new();
    // A raw line's JSON follows it; `json` or `jsv6` (newer ExaBGP) wins over `jsv4`.
    let mut preferred_json_taken = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(opt) = line.strip_prefix("option:") {
            options.push(opt.to_string());
            continue;
        }
        let Some((_, rest)) = line.split_once(':').filter(|(n, _)| n.parse::<u32>().is_ok()) else {
            continue; // comments and blank lines
        };
        let Some((kind, payload)) = rest.split_once(':') else { continue };
        match kind {
            "raw" => {
                vectors.push(Vector {
                    id: format!("encoding-vectors/{name}:{}", i + 1),
                    bytes: unhex(payload)?,
                    expected: None,
                });
                preferred_json_taken = false;
            }
            "json" | "jsv6" | "jsv4" => {
                let last = vectors.last_mut().ok_or("JSON before any raw line")?;
                if !preferred_json_taken || kind == "jsv6" || kind == "json" {
                    last.expected = Some(expected_of(&serde_json::from_str(payload)?)?);
                    preferred_json_taken = kind != "jsv4";
                }
            }
            _ => {}
        }
    }
    if vectors.is_empty() {
        return Err("no raw line".into());
    }
    // RFC 6793: `conf-no-asn4` is a session without the 4-octet AS capability.
    let asn2 = options.iter().any(|o| o.contains("no-asn4"));
    let refs: Vec<&Vector> = vectors.iter().collect();
    let ctx = context_for(&refs, asn2);
    check_file(&format!("encoding-vectors/{name}"), &vectors, &ctx)
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap_or_default().to_string_lossy().into_owned()
}

/// Hex with any of the separators the files use (`:`, spaces).
fn unhex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text.bytes().filter(|b| b.is_ascii_hexdigit()).collect();
    if text.bytes().any(|b| !b.is_ascii_hexdigit() && !matches!(b, b':' | b' ' | b'\t')) {
        return Err(format!("not hex: {text:?}"));
    }
    if !digits.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits: {text:?}"));
    }
    let nibble = |d: u8| (d as char).to_digit(16).unwrap_or(0) as u8;
    Ok(digits.chunks(2).map(|p| (nibble(p[0]) << 4) | nibble(p[1])).collect())
}

/// The message itself when it starts with the marker, else the body of a message of type
/// `kind` that gets its 19-byte header (RFC 4271 §4.1).
fn whole_message(bytes: Vec<u8>, kind: u8) -> Vec<u8> {
    if bytes.len() >= 16 && bytes[..16] == [0xff; 16] {
        return bytes;
    }
    let mut msg = vec![0xff; 16];
    msg.extend_from_slice(&((bytes.len() + 19) as u16).to_be_bytes());
    msg.push(kind);
    msg.extend_from_slice(&bytes);
    msg
}

/// An UPDATE announcing one BGP-LS NLRI (AFI 16388, SAFI 71, RFC 9552 §5.2) with next hop
/// 0.0.0.0, ORIGIN IGP and an empty AS_PATH.
fn bgp_ls_update(nlri: &[u8]) -> Vec<u8> {
    let mut mp = vec![0x40, 0x04, 71, 4, 0, 0, 0, 0, 0];
    mp.extend_from_slice(nlri);
    let mut attrs = vec![0x40, 1, 1, 0, 0x40, 2, 0, 0x90, 14];
    attrs.extend_from_slice(&(mp.len() as u16).to_be_bytes());
    attrs.extend_from_slice(&mp);
    let mut body = vec![0, 0];
    body.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    body.extend_from_slice(&attrs);
    whole_message(body, 2)
}

fn expected_of(exa: &Value) -> Result<Expected, String> {
    let neighbor = &exa["neighbor"];
    if let Some(u) = neighbor["message"].get("update") {
        Ok(Expected::Update(u.clone()))
    } else if let Some(o) = neighbor.get("open") {
        Ok(Expected::Open(o.clone()))
    } else {
        Err(format!("ExaBGP JSON of an unexpected kind: {}", exa["type"]))
    }
}

/// The session context of a file: 2-octet AS when the configuration says so, and ADD-PATH
/// (RFC 7911) for every family ExaBGP shows a path-information for.
fn context_for(vectors: &[&Vector], asn2: bool) -> SessionContext {
    let mut ctx = SessionContext::new(!asn2);
    for v in vectors {
        let Some(Expected::Update(u)) = &v.expected else { continue };
        for (family, entries) in exa_nlri_entries(u) {
            if entries.iter().any(|e| e.get("path-information").is_some())
                && let Some(f) = family_of_name(&family)
            {
                ctx = ctx.with_add_path(f);
            }
        }
    }
    ctx
}

// ---------------------------------------------------------------------------------------------
// Checking a file against ExaBGP and the known differences

fn check_file(file: &str, vectors: &[Vector], ctx: &SessionContext) -> datatest_stable::Result<()> {
    let mut report = Vec::new();
    let mut agreeing = 0;
    for v in vectors {
        let problems = check_vector(v, ctx);
        let known = KNOWN_DIFFERENCES.iter().find(|(id, _, _)| *id == v.id);
        match (known, problems.is_empty()) {
            (None, true) => agreeing += 1,
            (None, false) => report.push(format!("{}:\n    {}", v.id, problems.join("\n    "))),
            (Some((_, fragment, _)), false) if problems.iter().any(|p| p.contains(fragment)) => {}
            (Some((_, fragment, _)), false) => report.push(format!(
                "{}: listed as a known difference ({fragment:?}) but differs otherwise:\n    {}",
                v.id,
                problems.join("\n    ")
            )),
            (Some(_), true) => report.push(format!(
                "{}: listed in KNOWN_DIFFERENCES but now agrees with ExaBGP: remove it",
                v.id
            )),
        }
    }
    for (id, _, _) in KNOWN_DIFFERENCES {
        let listed_file = id.rsplit_once(':').map_or(*id, |(f, _)| f);
        if !data_dir().join("hex").join(listed_file).exists() {
            report.push(format!("KNOWN_DIFFERENCES lists {id}, but there is no such file"));
        } else if listed_file == file && !vectors.iter().any(|v| v.id == *id) {
            report.push(format!("KNOWN_DIFFERENCES lists {id}, but that line holds no vector"));
        }
    }
    let with_json = vectors.iter().filter(|v| v.expected.is_some()).count();
    eprintln!(
        "{file}: {} vectors ({with_json} with ExaBGP's JSON), {agreeing} agree",
        vectors.len()
    );
    if report.is_empty() { Ok(()) } else { Err(report.join("\n").into()) }
}

/// Every way the decoding of one vector falls short; empty when it agrees with ExaBGP.
fn check_vector(v: &Vector, ctx: &SessionContext) -> Vec<String> {
    let mut problems = Vec::new();
    let decoded = match MessageDecoder::new(ctx.clone()).decode(&v.bytes) {
        Ok(m) => m,
        Err(e) => return vec![format!("wire error: {e}")],
    };
    if let Message::Update(u) = &decoded {
        for e in &u.errors {
            problems.push(format!("attribute error: {e}"));
        }
    }
    match (&decoded, &v.expected) {
        (_, None) => {}
        (Message::Update(u), Some(Expected::Update(exa))) => compare_update(u, exa, &mut problems),
        (Message::Open(o), Some(Expected::Open(exa))) => compare_open(o, exa, &mut problems),
        (m, Some(_)) => problems.push(format!("decoded as {}, ExaBGP disagrees", m.type_name())),
    }
    problems
}

fn diff<T: PartialEq + Debug>(problems: &mut Vec<String>, what: &str, ours: T, exabgp: T) {
    if ours != exabgp {
        problems.push(format!("{what}: ours {ours:?}, ExaBGP {exabgp:?}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Comparing

fn compare_update(ours: &Update, exa: &Value, problems: &mut Vec<String>) {
    let mine = our_update_view(ours);
    let theirs = match exa_update_view(exa) {
        Ok(v) => v,
        Err(e) => return problems.push(format!("ExaBGP JSON not understood: {e}")),
    };
    diff(problems, "announced", &mine.announced, &theirs.announced);
    diff(problems, "withdrawn", &mine.withdrawn, &theirs.withdrawn);
    diff(problems, "other-family NLRI counts", &mine.other_families, &theirs.other_families);
    let (a, b) = (&mine.attributes, &theirs.attributes);
    diff(problems, "origin", &a.origin, &b.origin);
    diff(problems, "as-path", &a.as_path, &b.as_path);
    diff(problems, "med", a.med, b.med);
    diff(problems, "local-preference", a.local_pref, b.local_pref);
    diff(problems, "atomic-aggregate", a.atomic_aggregate, b.atomic_aggregate);
    diff(problems, "aggregator", &a.aggregator, &b.aggregator);
    diff(problems, "community", &a.communities, &b.communities);
    diff(problems, "large-community", &a.large_communities, &b.large_communities);
    diff(problems, "extended-community", &a.extended_communities, &b.extended_communities);
    diff(problems, "originator-id", &a.originator_id, &b.originator_id);
    diff(problems, "cluster-list", &a.cluster_list, &b.cluster_list);
    let missing: BTreeSet<_> = b.raw_codes.difference(&a.raw_codes).collect();
    if !missing.is_empty() {
        problems.push(format!("attributes ExaBGP shows that we did not keep: {missing:?}"));
    }
}

fn compare_open(o: &Open, exa: &Value, problems: &mut Vec<String>) {
    diff(problems, "version", Some(u64::from(o.version)), exa["version"].as_u64());
    diff(problems, "asn", Some(u64::from(o.asn)), exa["asn"].as_u64());
    diff(problems, "hold time", Some(u64::from(o.hold_time)), exa["hold_time"].as_u64());
    diff(
        problems,
        "router id",
        Some(o.bgp_id.to_string()),
        exa["router_id"].as_str().map(str::to_string),
    );
    let ours: BTreeSet<u8> = o.capabilities.iter().filter_map(capability_code).collect();
    let theirs: BTreeSet<u8> = exa["capabilities"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(code, _)| code.parse().ok())
        .collect();
    diff(problems, "capability codes", ours, theirs);
    let mut families: Vec<AfiSafi> = o.families.clone();
    families.sort();
    let mut exa_families: Vec<AfiSafi> = exa["capabilities"]["1"]["families"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str().and_then(family_of_name))
        .collect();
    exa_families.sort();
    diff(problems, "multiprotocol families", families, exa_families);
}
