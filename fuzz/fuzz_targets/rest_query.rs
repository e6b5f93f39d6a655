//! Query strings of the monitor's REST API (`bgpstorm_monitor::query`): byte 0 picks the
//! endpoint (routes, hidden, alerts, events), the rest is what follows `?`.
//!
//! Properties besides "no panic": an error has a message; an accepted prefix has no host bits;
//! an accepted community filter prints to text that parses back to a filter printing the same
//! text, which matches the community the first one names.

#![no_main]

use bgpstorm_monitor::query::{self, CommunityFilter};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&endpoint, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let q = (endpoint & 0x80 == 0).then_some(text.as_ref());
    let error = match endpoint % 4 {
        0 => match query::routes(q) {
            Ok(r) => {
                assert_eq!(r.prefix, r.prefix.trunc());
                if let Some(c) = r.community {
                    // Extended communities compare as printed (the type's high bits, e.g.
                    // non-transitive, do not print), so the round trip is of the text.
                    let printed = c.to_string();
                    let again = match CommunityFilter::parse(&printed) {
                        Ok(f) => f,
                        Err(e) => panic!("{printed}, as printed, is refused: {e}"),
                    };
                    assert_eq!(again.to_string(), printed);
                    let matched = match c {
                        CommunityFilter::Standard(x) => again.matches(&[x], &[], &[]),
                        CommunityFilter::Large(x) => again.matches(&[], &[x], &[]),
                        CommunityFilter::Extended(x) => again.matches(&[], &[], &[x]),
                    };
                    assert!(matched, "{printed} does not match the community it names");
                }
                None
            }
            Err(e) => Some(e),
        },
        1 => query::hidden(q).map(|p| assert_eq!(p, p.trunc())).err(),
        2 => query::alerts(q).err(),
        _ => query::events(q).err(),
    };
    if let Some(e) = error {
        assert!(!e.to_string().is_empty());
    }
});
