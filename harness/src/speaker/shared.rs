//! What a session's handle shares with its tasks: the FSM [`State`] and published
//! [`Status`], the [`Link`] of an Established session with its writer's queues
//! ([`Outbound`], [`Control`]), and [`Shared`], the state behind them all.
//!
//! The session's modules depend on this one and never the other way: `session` →
//! `collision` → `fsm` → `writer` → `shared`.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::{Notify, mpsc, oneshot, watch};

use super::config::SessionConfig;
use super::counters::Counters;
use super::notification::{Direction, NotificationRecord};
use super::open::Negotiated;
use super::rib::AdjRibIn;
use super::ribout::AdjRibOut;
use super::socket::SocketOptions;

/// FSM states (RFC 4271 §8.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// Refuses connections; the start and the end.
    Idle,
    /// Waiting for our TCP connection to complete.
    Connect,
    /// Listening for the peer's connection (or waiting to retry ours).
    Active,
    /// Our OPEN is sent; waiting for the peer's.
    OpenSent,
    /// OPENs exchanged; waiting for the peer's KEEPALIVE.
    OpenConfirm,
    /// UPDATEs flow.
    Established,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What a session is doing, as published to watchers.
#[derive(Clone, Debug)]
pub struct Status {
    /// FSM state.
    pub state: State,
    /// When the current (or last) session reached Established.
    pub established_at: Option<Instant>,
    /// How many times the session reached Established.
    pub established_count: u32,
    /// Why the last session ended, or the last connection attempt failed.
    pub last_error: Option<String>,
    /// The task has ended: no more state changes.
    pub finished: bool,
}

/// Data for the writer of an Established session.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// Encoded messages: bytes, message count, UPDATE count.
    Messages(Bytes, u64, u64),
    /// Answer once everything queued before has been written.
    Flush(oneshot::Sender<()>),
}

/// Commands to the writer that skip the data queue.
#[derive(Debug)]
pub(crate) enum Control {
    /// Send a NOTIFICATION and close.
    Notify(u8, u8, Vec<u8>),
    /// Answer a ROUTE-REFRESH for a family (RFC 2918 §4).
    Refresh(bgpstorm_wire::AfiSafi),
}

/// An Established session: what was negotiated and the way to send on it.
#[derive(Clone, Debug)]
pub struct Link {
    /// The negotiation.
    pub negotiated: Arc<Negotiated>,
    /// Our end of the connection.
    pub local: SocketAddr,
    /// The peer's end.
    pub peer: SocketAddr,
    pub(crate) data: mpsc::Sender<Outbound>,
}

/// The link ended before a send could finish.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the session is no longer established")]
pub struct LinkDown;

impl Link {
    /// Whether the session behind it has ended (nothing queued can be written any more).
    pub fn is_closed(&self) -> bool {
        self.data.is_closed()
    }

    /// Queues encoded messages (waits while the queue is full: backpressure from TCP).
    pub(crate) async fn send(
        &self,
        bytes: Vec<u8>,
        messages: u64,
        updates: u64,
    ) -> Result<(), LinkDown> {
        self.data
            .send(Outbound::Messages(bytes.into(), messages, updates))
            .await
            .map_err(|_| LinkDown)
    }

    /// Waits until everything queued so far is written to the socket.
    pub async fn flush(&self) -> Result<(), LinkDown> {
        let (tx, rx) = oneshot::channel();
        self.data.send(Outbound::Flush(tx)).await.map_err(|_| LinkDown)?;
        rx.await.map_err(|_| LinkDown)
    }
}

/// State shared by a session's handle and tasks.
#[derive(Debug)]
pub(crate) struct Shared {
    pub cfg: SessionConfig,
    pub status: watch::Sender<Status>,
    pub link: watch::Sender<Option<Link>>,
    pub rib_in: AdjRibIn,
    pub rib_out: AdjRibOut,
    pub notifications: Mutex<Vec<NotificationRecord>>,
    pub counters: Counters,
    pub stop: watch::Sender<bool>,
    /// Drop the current connection without a NOTIFICATION (a restart, RFC 4724 §4).
    pub drop_connection: Notify,
    /// Our next OPEN carries the Restart State bit (RFC 4724 §4.1); cleared once Established.
    pub restarting: AtomicBool,
}

impl Shared {
    pub fn set_state(&self, state: State) {
        self.status.send_if_modified(|s| {
            let changed = s.state != state;
            if changed {
                tracing::debug!(session = %self.cfg.name, from = %s.state, to = %state, "FSM");
            }
            s.state = state;
            if state == State::Established {
                s.established_at = Some(Instant::now());
                s.established_count += 1;
            }
            changed
        });
    }

    pub fn set_error(&self, error: String) {
        tracing::info!(session = %self.cfg.name, %error, "session");
        self.status.send_modify(|s| s.last_error = Some(error));
    }

    pub fn record(&self, direction: Direction, code: u8, subcode: u8, data: Vec<u8>) {
        let established = self.status.borrow().state == State::Established;
        let r =
            NotificationRecord { direction, code, subcode, data, at: Instant::now(), established };
        tracing::warn!(session = %self.cfg.name, "{r}");
        self.notifications.lock().unwrap_or_else(|e| e.into_inner()).push(r);
    }

    pub fn socket_options(&self) -> SocketOptions {
        let c = &self.cfg;
        SocketOptions {
            netns: c.netns.clone(),
            local: c.local_addr,
            md5: c.md5_key.clone().and_then(|k| c.peer_addr.map(|p| (p, k))),
            ttl_security: c.ttl_security,
        }
    }
}
