//! `bgpstorm inject --hold` against a loopback peer this test plays by hand (OPEN, KEEPALIVE,
//! then what each case needs): a session that goes down during the hold (the peer's
//! NOTIFICATION, the peer closing the connection, the hold timer) exits 1 with the reason on
//! stderr; a hold the peer leaves alone exits 0.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output};
use std::time::Duration;

/// What the peer does once the sender's table is in (its End-of-RIB received) and its third
/// KEEPALIVE arrived: one confirms the OPEN, its KeepaliveTimer sends the next at once and the
/// third a second later (hold time 3 s), long after 10 prefixes went out: the sender holds.
#[derive(Clone, Copy, PartialEq)]
enum Then {
    /// Cease / Administrative Shutdown (RFC 4486), then close.
    Notify,
    /// Close the connection without a NOTIFICATION.
    Close,
    /// Stay silent, so the sender's hold timer (3 s) expires.
    Silence,
    /// Answer every KEEPALIVE until the sender ends the session.
    KeepUp,
}

const MARKER: [u8; 16] = [0xff; 16];

fn message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = MARKER.to_vec();
    m.extend_from_slice(&(19 + body.len() as u16).to_be_bytes());
    m.push(kind);
    m.extend_from_slice(body);
    m
}

/// OPEN (RFC 4271 §4.2) of AS 65002, hold time 3 s, with the capabilities multiprotocol IPv4
/// unicast (RFC 4760) and 4-octet AS (RFC 6793).
fn open() -> Vec<u8> {
    let caps = [1, 4, 0, 1, 0, 1, 65, 4, 0, 0, 0xfd, 0xea];
    let mut body = vec![4];
    body.extend_from_slice(&65002u16.to_be_bytes());
    body.extend_from_slice(&3u16.to_be_bytes());
    body.extend_from_slice(&[10, 0, 0, 2]);
    body.push(caps.len() as u8 + 2);
    body.extend_from_slice(&[2, caps.len() as u8]);
    body.extend_from_slice(&caps);
    message(1, &body)
}

/// One message: (type, body), or `None` when the connection ended.
fn read_message(s: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 19];
    s.read_exact(&mut head).ok()?;
    let len = u16::from_be_bytes([head[16], head[17]]) as usize;
    let mut body = vec![0; len.checked_sub(19)?];
    s.read_exact(&mut body).ok()?;
    Some((head[18], body))
}

/// Plays the peer on `listener` for one session; returns the types of what it received.
fn peer(listener: TcpListener, then: Then) -> Vec<u8> {
    let (mut s, _) = listener.accept().expect("the sender connects");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut seen = Vec::new();
    // OPEN, then KEEPALIVE (RFC 4271 §8.2.2: OpenSent, OpenConfirm).
    let (kind, _) = read_message(&mut s).expect("the sender's OPEN");
    assert_eq!(kind, 1, "OPEN first");
    s.write_all(&open()).unwrap();
    s.write_all(&message(4, &[])).unwrap();
    let (mut end_of_rib, mut keepalives) = (false, 0);
    while let Some((kind, body)) = read_message(&mut s) {
        seen.push(kind);
        keepalives += usize::from(kind == 4);
        match kind {
            // IPv4 End-of-RIB: an UPDATE with nothing in it (RFC 4724 §2).
            2 if body == [0, 0, 0, 0] => end_of_rib = true,
            4 if end_of_rib && keepalives >= 3 && then != Then::KeepUp => match then {
                Then::Notify => {
                    s.write_all(&message(3, &[6, 2])).unwrap();
                    return seen;
                }
                Then::Close => return seen,
                Then::Silence | Then::KeepUp => {}
            },
            4 if then != Then::Silence => s.write_all(&message(4, &[])).unwrap(),
            _ => {}
        }
    }
    seen
}

/// `bgpstorm inject` announcing 10 prefixes to the peer playing `then`, held `hold`.
fn inject_against(then: Then, hold: &str) -> (Output, Vec<u8>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let peer = std::thread::spawn(move || peer(listener, then));
    let out = Command::new(env!("CARGO_BIN_EXE_bgpstorm"))
        .args(["inject", "--peer", "127.0.0.1", "--port", &port])
        .args(["--local-as", "65001", "--peer-as", "65002", "--families", "ipv4"])
        .args(["--hold-time", "3", "--announce", "10", "--start", "10.0.0.0/24"])
        .args(["--deadline", "20s", "--hold", hold])
        .output()
        .unwrap();
    (out, peer.join().unwrap())
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_notification_during_hold_exits_1_with_its_code_and_name() {
    let (out, _) = inject_against(Then::Notify, "30s");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "into --hold 30s: peer sent NOTIFICATION 6/2 (cease: administrative shutdown)"
        ),
        "{err}"
    );
}

#[test]
fn the_peer_closing_the_connection_during_hold_exits_1() {
    let (out, _) = inject_against(Then::Close, "30s");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("into --hold 30s: connection closed by peer"), "{err}");
}

#[test]
fn the_hold_timer_expiring_during_hold_exits_1() {
    let (out, _) = inject_against(Then::Silence, "30s");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("into --hold 30s: hold timer expired"), "{err}");
}

#[test]
fn an_undisturbed_hold_exits_0() {
    let (out, seen) = inject_against(Then::KeepUp, "2s");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("error"), "{err}");
    // The session stayed up through the hold: KEEPALIVEs every second, then the Cease.
    assert!(seen.iter().filter(|&&k| k == 4).count() >= 2, "{seen:?}");
    assert_eq!(seen.last(), Some(&3), "ended with a NOTIFICATION: {seen:?}");
}
