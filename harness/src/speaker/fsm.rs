//! One session over one TCP connection: OpenSent, OpenConfirm, Established (RFC 4271 §8.2.2),
//! and the NOTIFICATION for every error we detect (RFC 4271 §6, RFC 6608).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bgpstorm_wire::{Message, MessageDecoder, SessionContext};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;

use super::fastpath::FastPath;
use super::io::{MessageReader, ReadError};
use super::notification::{self, Direction, ErrorCode, cease_subcode, fsm_subcode};
use super::open::{self, Negotiated};
use super::shared::{Control, Link, Shared, State};

/// How a phase of the session ended early.
pub(crate) enum End {
    /// We send this NOTIFICATION and close.
    Notify(u8, u8, Vec<u8>, String),
    /// Close without a NOTIFICATION (the peer sent one, closed, or the socket failed).
    Close(String),
}

/// A TCP connection of a session, split for reading and writing.
pub(crate) struct Conn {
    pub reader: MessageReader<OwnedReadHalf>,
    pub wr: OwnedWriteHalf,
    pub local: SocketAddr,
    pub peer: SocketAddr,
    decoder: MessageDecoder,
}

impl Conn {
    /// Splits a connected stream; `None` when it is already gone.
    pub fn new(stream: TcpStream) -> Option<Self> {
        let (local, peer) = (stream.local_addr().ok()?, stream.peer_addr().ok()?);
        let (rd, wr) = stream.into_split();
        let decoder = MessageDecoder::new(SessionContext::default());
        Some(Self { reader: MessageReader::new(rd), wr, local, peer, decoder })
    }
}

/// Runs a session on a connected stream until it ends.
pub(crate) async fn session(shared: &Arc<Shared>, stream: TcpStream) {
    let Some(mut conn) = Conn::new(stream) else {
        return shared.set_error("connection lost before OPEN".into());
    };
    let negotiated = match open_exchange(shared, &mut conn).await {
        Ok(n) => n,
        Err(end) => return finish(shared, &mut conn.wr, end).await,
    };
    if let Err(end) = confirm(shared, &mut conn, &negotiated).await {
        return finish(shared, &mut conn.wr, end).await;
    }
    run_established(shared, conn, negotiated).await;
}

/// Established until the session ends: the writer task, the reader loop, the closing
/// NOTIFICATION.
pub(crate) async fn run_established(shared: &Arc<Shared>, conn: Conn, negotiated: Negotiated) {
    let Conn { mut reader, wr, local, peer, .. } = conn;
    let negotiated = Arc::new(negotiated);
    shared.rib_in.clear();
    shared.rib_out.clear();
    shared.restarting.store(false, std::sync::atomic::Ordering::SeqCst);
    let (data_tx, data_rx) = mpsc::channel(16);
    let (control_tx, control_rx) = mpsc::unbounded_channel();
    let link = Link { negotiated: negotiated.clone(), local, peer, data: data_tx };
    shared.set_state(State::Established);
    shared.link.send_replace(Some(link));
    let writer = tokio::spawn(super::writer::run(
        shared.clone(),
        wr,
        data_rx,
        control_rx,
        negotiated.clone(),
    ));
    let end = established(shared, &mut reader, &negotiated, &control_tx).await;
    shared.link.send_replace(None);
    let reason = match end {
        End::Notify(code, subcode, data, reason) => {
            let _ = control_tx.send(Control::Notify(code, subcode, data));
            reason
        }
        End::Close(reason) => reason,
    };
    drop(control_tx);
    shared.set_error(reason);
    let abort = writer.abort_handle();
    if tokio::time::timeout(Duration::from_secs(2), writer).await.is_err() {
        abort.abort();
    }
}

/// Sends the NOTIFICATION of `end`, if any, records the reason and closes.
pub(crate) async fn finish(shared: &Shared, wr: &mut OwnedWriteHalf, end: End) {
    let reason = match end {
        End::Notify(code, subcode, data, reason) => {
            let m = notification::encode(code, subcode, &data);
            let _ = tokio::time::timeout(Duration::from_secs(1), wr.write_all(&m)).await;
            shared.record(Direction::Sent, code, subcode, data);
            reason
        }
        End::Close(reason) => reason,
    };
    let _ = wr.shutdown().await;
    shared.set_error(reason);
}

/// OpenSent: send our OPEN, read and check the peer's (RFC 4271 §8.2.2, §6.2).
pub(crate) async fn open_exchange(shared: &Shared, conn: &mut Conn) -> Result<Negotiated, End> {
    let cfg = &shared.cfg;
    let ours = open::our_open(cfg).map_err(End::Close)?;
    let restarting = shared.restarting.load(std::sync::atomic::Ordering::SeqCst);
    conn.wr.write_all(&open::encode_open_restarting(cfg, restarting)).await.map_err(io_err)?;
    shared.counters.sent(0, 1, 0);
    shared.set_state(State::OpenSent);
    let msg =
        read(shared, &mut conn.reader, &mut conn.decoder, Some(cfg.open_timeout), 4096).await?;
    let peer_open = match msg {
        Message::Open(o) => o,
        other => return Err(unexpected(shared, &other, fsm_subcode::IN_OPEN_SENT)),
    };
    open::negotiate(cfg, &ours, peer_open).map_err(|e| {
        let (code, subcode) = e.notification();
        End::Notify(code, subcode, e.data.clone(), format!("peer's OPEN refused: {e}"))
    })
}

/// OpenConfirm: send KEEPALIVE, wait for the peer's (RFC 4271 §8.2.2).
pub(crate) async fn confirm(
    shared: &Shared,
    conn: &mut Conn,
    negotiated: &Negotiated,
) -> Result<(), End> {
    conn.wr.write_all(&notification::keepalive()).await.map_err(io_err)?;
    shared.set_state(State::OpenConfirm);
    let hold = negotiated.hold().unwrap_or(shared.cfg.open_timeout);
    match read(shared, &mut conn.reader, &mut conn.decoder, Some(hold), 4096).await? {
        Message::Keepalive => Ok(()),
        other => Err(unexpected(shared, &other, fsm_subcode::IN_OPEN_CONFIRM)),
    }
}

fn io_err(e: std::io::Error) -> End {
    End::Close(format!("socket error: {e}"))
}

/// A message that has no place in the current state: FSM Error (RFC 6608 §4), or the end the
/// peer asked for with its NOTIFICATION.
fn unexpected(shared: &Shared, msg: &Message, subcode: u8) -> End {
    if let Message::Notification(n) = msg {
        let data = decode_hex(&n.data);
        shared.record(Direction::Received, n.code, n.subcode, data);
        let what = notification::describe(n.code, n.subcode);
        return End::Close(format!("peer sent NOTIFICATION {}/{} ({what})", n.code, n.subcode));
    }
    let reason =
        format!("unexpected {} in state {}", msg.type_name(), shared.status.borrow().state);
    End::Notify(ErrorCode::Fsm as u8, subcode, Vec::new(), reason)
}

/// Reads and decodes one message within `hold` (hold timer, RFC 4271 §8.2.2), or stops.
async fn read(
    shared: &Shared,
    reader: &mut MessageReader<OwnedReadHalf>,
    decoder: &mut MessageDecoder,
    hold: Option<Duration>,
    max_len: usize,
) -> Result<Message, End> {
    let (bytes, at) = timed(shared, hold, reader.next(max_len)).await?;
    let _ = at;
    shared.counters.received(bytes.len(), false);
    open::precheck(&bytes).map_err(|e| {
        let (code, subcode) = e.notification();
        End::Notify(code, subcode, e.data.clone(), format!("peer's OPEN refused: {e}"))
    })?;
    decoder.decode(&bytes).map_err(|e| {
        let (code, subcode) = e.notification();
        End::Notify(code, subcode, Vec::new(), format!("malformed message from the peer: {e}"))
    })
}

/// Awaits a read under the hold timer and the stop signal.
async fn timed<T>(
    shared: &Shared,
    hold: Option<Duration>,
    read: impl Future<Output = Result<T, ReadError>>,
) -> Result<T, End> {
    let mut stop = shared.stop.subscribe();
    let hold_timer = async {
        match hold {
            Some(h) => tokio::time::sleep(h).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        r = read => r.map_err(|e| match e {
            ReadError::Header(w) => {
                let (code, subcode) = w.notification();
                End::Notify(code, subcode, Vec::new(), format!("bad message header from the peer: {w}"))
            }
            other => End::Close(other.to_string()),
        }),
        () = shared.drop_connection.notified() => Err(End::Close(
            "connection dropped without NOTIFICATION (restart)".into(),
        )),
        () = hold_timer => Err(End::Notify(ErrorCode::HoldTimerExpired as u8, 0, Vec::new(), "hold timer expired".into())),
        _ = stop.wait_for(|s| *s) => Err(End::Notify(
            ErrorCode::Cease as u8,
            cease_subcode::ADMINISTRATIVE_SHUTDOWN,
            Vec::new(),
            "stopped (administrative shutdown)".into(),
        )),
    }
}

/// Established: UPDATEs into the Adj-RIB-In, ROUTE-REFRESH answered, until an error or stop.
async fn established(
    shared: &Shared,
    reader: &mut MessageReader<OwnedReadHalf>,
    negotiated: &Negotiated,
    control: &mpsc::UnboundedSender<Control>,
) -> End {
    let mut decoder = MessageDecoder::new(negotiated.receive.clone());
    let mut fast = FastPath::default();
    let max_len = negotiated.receive.max_message_len();
    loop {
        let (bytes, at) = match timed(shared, negotiated.hold(), reader.next(max_len)).await {
            Ok(m) => m,
            Err(end) => return end,
        };
        if fast.apply(&bytes, &mut decoder, &shared.rib_in, at) {
            shared.counters.received(bytes.len(), true);
            continue;
        }
        let msg = match decoder.decode(&bytes) {
            Ok(m) => m,
            Err(e) => {
                let (code, subcode) = e.notification();
                let reason = format!("malformed message from the peer: {e}");
                return End::Notify(code, subcode, Vec::new(), reason);
            }
        };
        shared.counters.received(bytes.len(), matches!(msg, Message::Update(_)));
        match msg {
            Message::Update(u) => {
                for e in &u.errors {
                    tracing::warn!(session = %shared.cfg.name, "RFC 7606: {e:?}");
                }
                shared.rib_in.apply(&u, at);
            }
            Message::Keepalive => {}
            Message::RouteRefresh(rr) if negotiated.route_refresh => {
                let _ = control.send(Control::Refresh(rr.family));
            }
            // RFC 2918 §5 lets a speaker that did not advertise the capability ignore it.
            Message::RouteRefresh(_) => {}
            other => return unexpected(shared, &other, fsm_subcode::IN_ESTABLISHED),
        }
    }
}

/// Bytes of the wire layer's hex rendering of NOTIFICATION data.
fn decode_hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2).filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()).collect()
}
