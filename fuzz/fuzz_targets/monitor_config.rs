//! The monitor's configuration: a `bgpstorm monitor --config` file (`MonitorConfig`, byte 0
//! even) or a scenario's `monitor:` section (`MonitorSpec`, byte 0 odd), YAML read with
//! serde-saphyr as the harness reads them.
//!
//! Properties besides "no panic": a configuration that validates builds an engine (its
//! detectors and community rules included) and reads back from its own JSON rendering to the
//! same value; a section that resolves against the speakers' addresses gives a configuration
//! that validates and builds an engine.

#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use bgpstorm_monitor::engine::{Engine, MonitorConfig, MonitorSpec};
use libfuzzer_sys::fuzz_target;

/// Speakers `a`..`z` have addresses; any other name is unknown.
fn peer_of(name: &str) -> Option<IpAddr> {
    match name.as_bytes() {
        [c @ b'a'..=b'z'] => Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, *c))),
        _ => None,
    }
}

fn builds(config: &MonitorConfig) {
    if let Err(e) = Engine::new(config) {
        panic!("a configuration that validates cannot build an engine: {e}\n{config:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    if mode & 1 == 1 {
        let Ok(spec) = serde_saphyr::from_str::<MonitorSpec>(text) else { return };
        let device = vec![IpAddr::V4(Ipv4Addr::new(10, 255, 0, 1))];
        if let Ok(config) = spec.resolve(device, peer_of) {
            assert!(config.validate().is_ok(), "resolve() returned an invalid {config:?}");
            builds(&config);
        }
        return;
    }
    let Ok(config) = serde_saphyr::from_str::<MonitorConfig>(text) else { return };
    if config.validate().is_err() {
        return;
    }
    builds(&config);
    // JSON rendering of a float that is not finite is `null`: no round trip to check then.
    let finite = config.damping.is_none_or(|d| {
        [
            d.withdrawal_penalty,
            d.readvertisement_penalty,
            d.attribute_change_penalty,
            d.suppress,
            d.reuse,
        ]
        .iter()
        .all(|x| x.is_finite())
    });
    if finite {
        let json = serde_json::to_string(&config).expect("a configuration serializes");
        match serde_saphyr::from_str::<MonitorConfig>(&json) {
            Ok(again) => assert_eq!(again, config, "rendered as {json}"),
            Err(e) => panic!("a valid configuration, rendered as {json}, is refused: {e}"),
        }
    }
});
