//! Both active and passive at once, with connection collision detection (RFC 4271 §6.8):
//! each TCP connection runs its OPEN exchange on its own task; when a second one gets the
//! peer's OPEN, the connection opened by the speaker with the higher BGP Identifier wins and
//! the other is closed with Cease / Connection Collision Resolution (RFC 4486 §4).

use std::net::Ipv4Addr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;

use super::fsm::{self, Conn, End};
use super::notification::{ErrorCode, cease_subcode};
use super::open::Negotiated;
use super::shared::{Shared, State};
use super::socket;

/// A connection that received the peer's OPEN and asks whether to go on.
struct Opened {
    /// Whether we initiated the connection.
    ours: bool,
    /// The peer's BGP Identifier.
    peer_id: Ipv4Addr,
    /// The answer: `true` to go on, `false` to close as the loser of a collision.
    go: oneshot::Sender<bool>,
    /// Closes the connection later, if a later one wins.
    cancel: watch::Sender<bool>,
}

fn collision() -> End {
    let reason = "connection collision resolved in favour of the other connection".to_string();
    End::Notify(ErrorCode::Cease as u8, cease_subcode::COLLISION_RESOLUTION, Vec::new(), reason)
}

/// One connection: OPEN exchange, the coordinator's verdict, then OpenConfirm.
async fn connection(
    shared: Arc<Shared>,
    mut conn: Conn,
    ours: bool,
    opened: mpsc::Sender<Opened>,
) -> Option<(Conn, Negotiated)> {
    let negotiated = match fsm::open_exchange(&shared, &mut conn).await {
        Ok(n) => n,
        Err(end) => {
            fsm::finish(&shared, &mut conn.wr, end).await;
            return None;
        }
    };
    let (go_tx, go_rx) = oneshot::channel();
    let (cancel, mut cancelled) = watch::channel(false);
    let ask = Opened { ours, peer_id: negotiated.peer.bgp_id, go: go_tx, cancel };
    if opened.send(ask).await.is_err() || !go_rx.await.unwrap_or(false) {
        fsm::finish(&shared, &mut conn.wr, collision()).await;
        return None;
    }
    let confirmed = tokio::select! {
        r = fsm::confirm(&shared, &mut conn, &negotiated) => r,
        _ = cancelled.wait_for(|c| *c) => Err(collision()),
    };
    match confirmed {
        Ok(()) => Some((conn, negotiated)),
        Err(end) => {
            fsm::finish(&shared, &mut conn.wr, end).await;
            None
        }
    }
}

/// What to do when a connection gets the peer's OPEN.
#[derive(Debug, PartialEq, Eq)]
struct Verdict {
    /// Go on with this connection.
    go: bool,
    /// Close the connection that got its OPEN before.
    cancel_previous: bool,
}

/// RFC 4271 §6.8: of two connections to the same peer, keep the one opened by the speaker
/// with the higher BGP Identifier (compared as 4-octet unsigned integers).
fn resolve(
    previous_ours: Option<bool>,
    this_ours: bool,
    local_id: Ipv4Addr,
    peer_id: Ipv4Addr,
) -> Verdict {
    match previous_ours {
        Some(prev) if prev != this_ours => {
            let keep_ours = u32::from(local_id) > u32::from(peer_id);
            let go = this_ours == keep_ours;
            Verdict { go, cancel_previous: go }
        }
        _ => Verdict { go: true, cancel_previous: false },
    }
}

/// Connects until one attempt succeeds, handing the stream over.
async fn connector(shared: Arc<Shared>, out: mpsc::Sender<tokio::net::TcpStream>) {
    let Some(peer) = shared.cfg.peer_socket() else { return };
    loop {
        let opts = shared.socket_options();
        match tokio::time::timeout(shared.cfg.connect_retry, socket::connect(peer, &opts)).await {
            Ok(Ok(s)) => {
                let _ = out.send(s).await;
                return;
            }
            Ok(Err(e)) => shared.set_error(format!("connect to {peer}: {e}")),
            Err(_) => shared.set_error(format!("connect to {peer}: timed out")),
        }
        tokio::time::sleep(shared.cfg.connect_retry).await;
    }
}

/// Runs connections until one reaches Established; the others are closed.
pub(crate) async fn establish(shared: &Arc<Shared>, listener: &TcpListener) -> (Conn, Negotiated) {
    shared.set_state(State::Active);
    let (out_tx, mut out_rx) = mpsc::channel(1);
    let dialer = tokio::spawn(connector(shared.clone(), out_tx));
    let (opened_tx, mut opened_rx) = mpsc::channel::<Opened>(4);
    let mut tasks = JoinSet::new();
    // The connection that got its OPEN first: (initiated by us, its canceller).
    let mut confirmed: Option<(bool, watch::Sender<bool>)> = None;
    let local_id = shared.cfg.router_id;
    let winner = loop {
        tokio::select! {
            Some(s) = out_rx.recv() => if let Some(c) = Conn::new(s) {
                tasks.spawn(connection(shared.clone(), c, true, opened_tx.clone()));
            },
            a = listener.accept() => match a {
                Ok((s, from)) if shared.cfg.peer_addr.is_none_or(|p| p == from.ip().to_canonical()) => {
                    let _ = s.set_nodelay(true);
                    if let Some(c) = Conn::new(s) {
                        tasks.spawn(connection(shared.clone(), c, false, opened_tx.clone()));
                    }
                }
                Ok((_, from)) => shared.set_error(format!("refused a connection from {from}: not the peer")),
                Err(e) => shared.set_error(format!("accept: {e}")),
            },
            Some(o) = opened_rx.recv() => {
                let verdict = resolve(confirmed.as_ref().map(|c| c.0), o.ours, local_id, o.peer_id);
                if verdict.cancel_previous && let Some((_, cancel)) = &confirmed {
                    let _ = cancel.send(true);
                }
                if verdict.go {
                    confirmed = Some((o.ours, o.cancel));
                }
                let _ = o.go.send(verdict.go);
            },
            Some(done) = tasks.join_next() => if let Ok(Some(w)) = done { break w },
        }
    };
    dialer.abort();
    if let Some((_, cancel)) = confirmed {
        let _ = cancel.send(true);
    }
    // The losers send their Cease and end on their own.
    tasks.detach_all();
    winner
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOW: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const HIGH: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    #[test]
    fn the_connection_opened_by_the_higher_identifier_wins() {
        // We are the higher: our connection wins whichever got its OPEN first.
        assert_eq!(
            resolve(Some(false), true, HIGH, LOW),
            Verdict { go: true, cancel_previous: true }
        );
        assert_eq!(
            resolve(Some(true), false, HIGH, LOW),
            Verdict { go: false, cancel_previous: false }
        );
        // We are the lower: the peer's connection wins.
        assert_eq!(
            resolve(Some(true), false, LOW, HIGH),
            Verdict { go: true, cancel_previous: true }
        );
        assert_eq!(
            resolve(Some(false), true, LOW, HIGH),
            Verdict { go: false, cancel_previous: false }
        );
        // No collision: go on.
        assert_eq!(resolve(None, true, LOW, HIGH), Verdict { go: true, cancel_previous: false });
    }
}
