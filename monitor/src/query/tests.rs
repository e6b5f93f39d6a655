use super::*;

fn err(r: Result<impl std::fmt::Debug, QueryError>) -> String {
    r.expect_err("an error").to_string()
}

#[test]
fn a_route_query_reads_every_parameter_percent_decoded() {
    let q =
        routes(Some("prefix=192.0.2.77%2F24&match=longer&session=10.0.0.1&community=65000%3A100"))
            .unwrap();
    assert_eq!(q.prefix, "192.0.2.0/24".parse::<IpNet>().unwrap());
    assert_eq!(q.how, Match::Longer);
    assert_eq!(q.session, Some("10.0.0.1".parse().unwrap()));
    assert_eq!(q.community, Some(CommunityFilter::Standard(Community(65000 << 16 | 100))));
    let q = routes(Some("prefix=2001:db8::1")).unwrap();
    assert_eq!(q.prefix, "2001:db8::1/128".parse::<IpNet>().unwrap());
    assert_eq!((q.how, q.session, q.community), (Match::Exact, None, None));
}

#[test]
fn bad_route_queries_are_errors_that_say_what_is_expected() {
    assert!(err(routes(None)).contains("missing ?prefix="));
    assert!(err(routes(Some("prefix=nope"))).contains("not a prefix"));
    assert!(err(routes(Some("prefix=10.0.0.0/8&match=all"))).contains("exact, longer or shorter"));
    assert!(err(routes(Some("prefix=10.0.0.0/8&session=x"))).contains("peer address"));
    assert!(err(routes(Some("prefix=10.0.0.0/8&prefix=10.0.0.0/9"))).contains("given twice"));
    assert!(err(routes(Some("prefix=10.0.0.0/8&limit=3"))).contains("unknown parameter"));
    assert!(err(routes(Some("prefix=10.0.0.0%2"))).contains("percent-encoding"));
    assert!(err(routes(Some("prefix=%ff"))).contains("not UTF-8"));
}

#[test]
fn a_community_filter_that_is_no_printed_community_is_refused() {
    for bad in [
        "zz",
        "",
        "65000",
        "65536:1",
        "1:2:3:4",
        "-1:2",
        " 1:2",
        "1:4294967296:0",
        "rt:65000",
        "rt:65536:65536",
        "xx:1:2",
        "rt:300.0.0.1:1",
        "0x00",
        "0x000200010000000g",
        "0x0002000100000001ff",
    ] {
        let e = err(routes(Some(&format!("prefix=10.0.0.0/8&community={bad}"))));
        assert!(e.contains("community must be a standard"), "{bad:?}: {e}");
        assert!(e.contains(&format!("{bad:?}")), "{bad:?}: {e}");
    }
}

#[test]
fn every_printed_community_parses_back_to_a_filter_that_matches_it() {
    let std = [Community(0), Community(65000 << 16 | 100), Community(u32::MAX)];
    let large = [LargeCommunity { global: 65536, local1: 1, local2: u32::MAX }];
    let ext = [
        ExtendedCommunity([0x00, 0x02, 0xfd, 0xe8, 0, 0, 0, 100]), // rt:65000:100
        ExtendedCommunity([0x01, 0x03, 192, 0, 2, 1, 0, 7]),       // soo:192.0.2.1:7
        ExtendedCommunity([0x02, 0x02, 0, 1, 0, 0, 0, 9]),         // rt:65536:9
        ExtendedCommunity([0x40, 0x02, 0, 1, 0, 0, 0, 9]),         // non-transitive rt:1:9
        ExtendedCommunity([0x80, 0x06, 0, 0, 0x46, 0x1c, 0x40, 0]), // flow-spec rate: hex
    ];
    for c in std {
        let f = CommunityFilter::parse(&c.to_string()).unwrap();
        assert_eq!(f, CommunityFilter::Standard(c));
        assert!(f.matches(&std, &[], &[]) && !f.matches(&[], &large, &ext));
    }
    for c in large {
        let f = CommunityFilter::parse(&c.to_string()).unwrap();
        assert!(f.matches(&[], &large, &[]) && !f.matches(&std, &[], &ext), "{c}");
    }
    for c in ext {
        let printed = c.to_string();
        let f = CommunityFilter::parse(&printed).unwrap();
        assert_eq!(f.to_string(), printed);
        assert!(f.matches(&[], &[], &[c]), "{printed}");
        assert!(!f.matches(&std, &large, &[]), "{printed}");
    }
    // Hex input matches the community however it prints: the transitive bit does not print,
    // so a non-transitive route target matches too (found by the rest_query fuzz target).
    let f = CommunityFilter::parse("0x0002fde800000064").unwrap();
    assert!(f.matches(&[], &[], &ext[..1]));
    let f = CommunityFilter::parse("0x0002000100000009").unwrap();
    assert_eq!(f.to_string(), "rt:1:9");
    assert!(f.matches(&[], &[], &ext[3..4]));
    let f = CommunityFilter::parse("0x4002fd04e0f30002").unwrap();
    assert_eq!(CommunityFilter::parse(&f.to_string()).unwrap().to_string(), f.to_string());
    // `1:2` is a standard community; a route target of AS 1 is asked for as rt:1:2.
    assert_eq!(CommunityFilter::parse("1:2").unwrap(), CommunityFilter::Standard(Community(65538)));
}

#[test]
fn the_other_endpoints_check_their_parameters_too() {
    assert_eq!(alerts(None).unwrap(), None);
    assert_eq!(alerts(Some("kind=damping")).unwrap(), Some(AlertKind::Damping));
    assert!(err(alerts(Some("kind=bogus"))).contains("flap, community or damping"));
    assert!(err(alerts(Some("prefix=10.0.0.0/8"))).contains("unknown parameter"));
    assert_eq!(events(Some("since=17")).unwrap(), 17);
    assert_eq!(events(Some("")).unwrap(), 0);
    assert!(err(events(Some("since=-1"))).contains("nanoseconds"));
    assert_eq!(hidden(Some("prefix=10.1.2.3/8")).unwrap(), "10.0.0.0/8".parse::<IpNet>().unwrap());
    assert!(err(hidden(Some("prefix=10.0.0.0/8&community=1:1"))).contains("unknown parameter"));
}
