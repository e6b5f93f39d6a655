//! Session health from the wire: the state of each BGP session as its TCP connection and
//! messages show it, time in state, resets, hold-timer expiries and NOTIFICATIONs.
//!
//! States follow RFC 4271 §8.2.2 as far as a bystander can see them: `connect` (TCP flow
//! seen), `open-sent` (one OPEN seen), `open-confirm` (both), `established` (a KEEPALIVE or
//! UPDATE after both OPENs, or any UPDATE when the capture began mid-session) and `closed`
//! (FIN, RST or NOTIFICATION). A session is keyed by its two addresses, so a reconnect on new
//! ports is the same session, and an Established → closed transition is a reset.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::reassembly::Flow;
use bgpstorm_wire::{Message, Notification};

/// A session's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// TCP connection seen.
    Connect,
    /// One side's OPEN seen.
    OpenSent,
    /// Both OPENs seen.
    OpenConfirm,
    /// Exchanging routes.
    Established,
    /// Ended.
    Closed,
}

/// A NOTIFICATION seen on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeenNotification {
    /// Who sent it.
    pub from: IpAddr,
    /// Code.
    pub code: u8,
    /// Subcode.
    pub subcode: u8,
    /// RFC 9003 shutdown communication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Wire time, ns.
    pub at_ns: u64,
}

/// Health of one session.
#[derive(Clone, Debug, Serialize)]
pub struct Health {
    /// The two addresses, lower first.
    pub peers: (IpAddr, IpAddr),
    /// Current state.
    pub state: State,
    /// Wire time it entered that state, ns.
    pub since_ns: u64,
    /// OPENs seen, by sender.
    #[serde(skip)]
    opens: Vec<IpAddr>,
    /// Times it went from Established to closed.
    pub resets: u64,
    /// NOTIFICATIONs with Hold Timer Expired (code 4).
    pub hold_timer_expiries: u64,
    /// The last NOTIFICATIONs (at most 16).
    pub notifications: Vec<SeenNotification>,
    /// Times it became Established.
    pub establishments: u64,
}

/// A state transition, for the event log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The session.
    pub peers: (IpAddr, IpAddr),
    /// Before.
    pub from: State,
    /// After.
    pub to: State,
    /// Wire time, ns.
    pub at_ns: u64,
}

/// The health tracker.
#[derive(Debug, Default)]
pub struct SessionHealth {
    sessions: BTreeMap<(IpAddr, IpAddr), Health>,
}

const KEPT_NOTIFICATIONS: usize = 16;

fn key(flow: &Flow) -> (IpAddr, IpAddr) {
    let (a, b) = (flow.src.ip(), flow.dst.ip());
    if a <= b { (a, b) } else { (b, a) }
}

impl SessionHealth {
    fn entry(&mut self, flow: &Flow, ts_ns: u64) -> &mut Health {
        let k = key(flow);
        self.sessions.entry(k).or_insert_with(|| Health {
            peers: k,
            state: State::Connect,
            since_ns: ts_ns,
            opens: Vec::new(),
            resets: 0,
            hold_timer_expiries: 0,
            notifications: Vec::new(),
            establishments: 0,
        })
    }

    /// A TCP flow of the session opened.
    pub fn opened(&mut self, flow: &Flow, ts_ns: u64) -> Option<Transition> {
        let h = self.entry(flow, ts_ns);
        if h.state == State::Closed {
            h.opens.clear();
            return move_to(h, State::Connect, ts_ns);
        }
        None
    }

    /// A message on the session.
    pub fn message(&mut self, flow: &Flow, message: &Message, ts_ns: u64) -> Option<Transition> {
        let h = self.entry(flow, ts_ns);
        match message {
            Message::Open(_) => {
                if h.state == State::Closed || h.state == State::Established {
                    h.opens.clear();
                }
                if !h.opens.contains(&flow.src.ip()) {
                    h.opens.push(flow.src.ip());
                }
                let to = if h.opens.len() >= 2 { State::OpenConfirm } else { State::OpenSent };
                move_to(h, to, ts_ns)
            }
            Message::Keepalive if h.state == State::OpenConfirm => {
                move_to(h, State::Established, ts_ns)
            }
            Message::Update(_) if h.state != State::Established => {
                move_to(h, State::Established, ts_ns)
            }
            Message::Notification(n) => {
                notification(h, flow.src.ip(), n, ts_ns);
                move_to(h, State::Closed, ts_ns)
            }
            _ => None,
        }
    }

    /// A TCP flow of the session ended (FIN or RST).
    pub fn closed(&mut self, flow: &Flow, ts_ns: u64) -> Option<Transition> {
        let h = self.entry(flow, ts_ns);
        move_to(h, State::Closed, ts_ns)
    }

    /// Every session.
    pub fn sessions(&self) -> impl Iterator<Item = &Health> {
        self.sessions.values()
    }

    /// Sessions in `state`.
    pub fn count(&self, state: State) -> usize {
        self.sessions.values().filter(|h| h.state == state).count()
    }
}

fn notification(h: &mut Health, from: IpAddr, n: &Notification, ts_ns: u64) {
    if n.code == 4 {
        h.hold_timer_expiries += 1;
    }
    if h.notifications.len() == KEPT_NOTIFICATIONS {
        h.notifications.remove(0);
    }
    h.notifications.push(SeenNotification {
        from,
        code: n.code,
        subcode: n.subcode,
        message: n.shutdown_message.clone(),
        at_ns: ts_ns,
    });
}

fn move_to(h: &mut Health, to: State, ts_ns: u64) -> Option<Transition> {
    if h.state == to {
        return None;
    }
    let from = h.state;
    if from == State::Established && to == State::Closed {
        h.resets += 1;
    }
    if to == State::Established {
        h.establishments += 1;
    }
    h.state = to;
    h.since_ns = ts_ns;
    Some(Transition { peers: h.peers, from, to, at_ns: ts_ns })
}
