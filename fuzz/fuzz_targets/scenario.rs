//! Scenario YAML through the harness's parser and checker (`scenario::parse`), as
//! `bgpstorm run` and `bgpstorm check` read a file.
//!
//! Properties besides "no panic": an error has a message; a scenario that is accepted renders
//! (its YAML form, as JSON, which is YAML too) and reads back to the same model; its monitor
//! section resolves against the speakers' addresses without panicking; the JSON Schema
//! renders.
//!
//! The harness crate itself would bring the monitor's REST API and live capture into this
//! build, so the scenario module, which needs only the codec and serde crates, is compiled
//! here from its source.

#![no_main]

#[allow(dead_code, unused_imports)]
#[path = "../../harness/src/scenario/mod.rs"]
mod scenario;

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("fuzz.yaml");
    let parsed = scenario::parse(path, text);
    let s = match parsed {
        Ok(s) => s,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let raw: scenario::raw::Scenario =
        serde_saphyr::from_str(text).expect("an accepted scenario deserializes");
    let json = yaml_safe(&serde_json::to_string(&raw).expect("the YAML form serializes"));
    match scenario::parse(Path::new("fuzz.json"), &json) {
        Ok(again) => assert_eq!(again, s, "rendered as {json}"),
        Err(e) => panic!("an accepted scenario, rendered as {json}, is refused: {e}"),
    }
    let names: Vec<&String> = s.speakers.keys().collect();
    let peer_of = |n: &str| {
        let i = names.iter().position(|x| x.as_str() == n)?;
        Some(IpAddr::V4(Ipv4Addr::new(10, 0, (i >> 8) as u8, i as u8)))
    };
    let _ = s.monitor.resolve(vec![IpAddr::V4(Ipv4Addr::new(10, 255, 0, 1))], peer_of);
    for step in &s.steps {
        let _ = step.action.sends_routes();
    }
    let _ = scenario::json_schema();
});

/// JSON is YAML 1.2 only where every character is printable in YAML: serde_json writes DEL,
/// the C1 control characters (U+0080 to U+009F) and U+FFFE/U+FFFF as they are, and a YAML
/// reader refuses them unescaped. They can only stand inside JSON strings, so each becomes a
/// `\uXXXX` escape, which JSON and YAML read alike; so do U+FEFF, which readers take for a
/// byte order mark, and the line breaks of YAML 1.1 (U+0085, U+2028, U+2029).
fn yaml_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        let n = u32::from(c);
        let printable = !matches!(n, 0x7F..=0x9F | 0x2028 | 0x2029 | 0xFEFF | 0xFFFE | 0xFFFF);
        if printable {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{n:04x}"));
        }
    }
    out
}
