//! One simulated BGP session: its handle, and the task that runs the RFC 4271 §8 finite
//! state machine from Idle through Connect/Active to Established, and back.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use bgpstorm_wire::iana::{CeaseSubcode, ErrorCode};

use super::config::{Mode, SessionConfig};
use super::counters::{CounterSnapshot, Counters};
use super::notification::{self, NotificationRecord};
use super::rib::AdjRibIn;
use super::ribout::AdjRibOut;
pub(crate) use super::shared::Shared;
pub use super::shared::{Link, LinkDown, State, Status};
use super::socket;

/// Why a session could not be started or did not get where it was asked to.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The configuration is invalid.
    #[error("session {name}: {reason}")]
    Config {
        /// The session.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The listening socket could not be made.
    #[error("session {name}: cannot listen on {addr}: {source}")]
    Listen {
        /// The session.
        name: String,
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A wait ran out.
    #[error("session {name}: not established within {waited:?} (state {state}{}{})",
        last.as_ref().map(|e| format!("; last error: {e}")).unwrap_or_default(),
        notification.as_ref().map(|n| format!("; last {n}")).unwrap_or_default())]
    Timeout {
        /// The session.
        name: String,
        /// How long we waited.
        waited: Duration,
        /// The state at the end.
        state: State,
        /// The last error seen.
        last: Option<String>,
        /// The last NOTIFICATION sent or received: a retry's error (the peer closing the
        /// next connection) can hide why the session did not come up.
        notification: Option<String>,
    },
    /// The session task ended.
    #[error("session {name} ended{}", last.as_ref().map(|e| format!(": {e}")).unwrap_or_default())]
    Ended {
        /// The session.
        name: String,
        /// The last error seen.
        last: Option<String>,
    },
}

/// A running session.
#[derive(Debug)]
pub struct Session {
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
    listen_addr: Option<SocketAddr>,
}

impl Session {
    /// Validates `cfg`, creates the listening socket in passive mode, and starts the FSM
    /// (ManualStart, RFC 4271 §8.1.2). Needs a tokio runtime.
    pub fn start(cfg: SessionConfig) -> Result<Self, SessionError> {
        let name = cfg.name.clone();
        cfg.validate().map_err(|reason| SessionError::Config { name: name.clone(), reason })?;
        let status = Status {
            state: State::Idle,
            established_at: None,
            established_count: 0,
            last_error: None,
            finished: false,
        };
        let rib_in = AdjRibIn::default();
        rib_in.reserve(cfg.rib_in_capacity);
        let shared = Arc::new(Shared {
            cfg,
            status: watch::channel(status).0,
            link: watch::channel(None).0,
            rib_in,
            rib_out: AdjRibOut::default(),
            notifications: Mutex::default(),
            counters: Counters::default(),
            stop: watch::channel(false).0,
            drop_connection: Notify::new(),
            restarting: AtomicBool::new(false),
        });
        let listener = match shared.cfg.mode {
            Mode::Passive | Mode::Both => {
                let c = &shared.cfg;
                let ip = c.local_addr.unwrap_or(std::net::Ipv6Addr::UNSPECIFIED.into());
                let addr = SocketAddr::new(ip, c.port);
                let l = socket::listen(addr, &shared.socket_options())
                    .map_err(|source| SessionError::Listen { name: name.clone(), addr, source })?;
                Some(l)
            }
            Mode::Active => None,
        };
        let listen_addr = listener.as_ref().and_then(|l| l.local_addr().ok());
        let task = tokio::spawn(run(shared.clone(), listener));
        Ok(Self { shared, task: Some(task), listen_addr })
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.shared.cfg
    }

    /// Where a passive session listens (useful with port 0).
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.listen_addr
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.shared.status.borrow().clone()
    }

    /// A receiver of status changes.
    pub fn watch_status(&self) -> watch::Receiver<Status> {
        self.shared.status.subscribe()
    }

    /// The current FSM state.
    pub fn state(&self) -> State {
        self.shared.status.borrow().state
    }

    /// The link of the Established session, if there is one.
    pub fn link(&self) -> Option<Link> {
        self.shared.link.borrow().clone()
    }

    /// Waits until the session is Established, or the deadline passes, or the task ends.
    pub async fn established(&self, deadline: tokio::time::Instant) -> Result<Link, SessionError> {
        let started = tokio::time::Instant::now();
        let mut rx = self.shared.link.subscribe();
        let mut status = self.shared.status.subscribe();
        let wait = async {
            loop {
                if let Some(l) = rx.borrow_and_update().clone() {
                    return Ok(l);
                }
                if status.borrow_and_update().finished {
                    return Err(self.ended());
                }
                tokio::select! {
                    r = rx.changed() => if r.is_err() { return Err(self.ended()) },
                    r = status.changed() => if r.is_err() { return Err(self.ended()) },
                }
            }
        };
        match tokio::time::timeout_at(deadline, wait).await {
            Ok(r) => r,
            Err(_) => Err(self.timed_out(started)),
        }
    }

    /// The deadline of a wait that began at `started` passed.
    fn timed_out(&self, started: tokio::time::Instant) -> SessionError {
        let s = self.status();
        SessionError::Timeout {
            name: self.shared.cfg.name.clone(),
            waited: started.elapsed(),
            state: s.state,
            last: s.last_error,
            notification: self.notifications().last().map(ToString::to_string),
        }
    }

    fn ended(&self) -> SessionError {
        SessionError::Ended { name: self.shared.cfg.name.clone(), last: self.status().last_error }
    }

    /// The Adj-RIB-In.
    pub fn rib_in(&self) -> &AdjRibIn {
        &self.shared.rib_in
    }

    /// The Adj-RIB-Out.
    pub fn rib_out(&self) -> &AdjRibOut {
        &self.shared.rib_out
    }

    /// Every NOTIFICATION sent or received so far.
    pub fn notifications(&self) -> Vec<NotificationRecord> {
        self.shared.notifications.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The counters.
    pub fn counters(&self) -> CounterSnapshot {
        self.shared.counters.snapshot()
    }

    /// Restarts like a speaker whose BGP process restarts (RFC 4724 §4): the TCP connection
    /// closes without a NOTIFICATION and, with `restart_state`, the next OPEN says the
    /// speaker restarted and kept its forwarding state. The session reconnects only if it
    /// is configured to `restart`. Returns how many times it was Established before.
    pub fn restart_connection(&self, restart_state: bool) -> u32 {
        self.shared.restarting.store(restart_state, Ordering::SeqCst);
        let before = self.status().established_count;
        self.shared.drop_connection.notify_one();
        before
    }

    /// Drops the connection as [`Session::restart_connection`] does (no NOTIFICATION, Restart
    /// State clear) and waits until the session has left Established, or the deadline
    /// passes. Returns whether it was Established before.
    pub async fn drop_connection(&self, deadline: tokio::time::Instant) -> bool {
        if self.link().is_none() {
            return false;
        }
        self.restart_connection(false);
        let mut status = self.shared.status.subscribe();
        let gone = |s: &Status| s.state != State::Established || s.finished;
        let _ = tokio::time::timeout_at(deadline, status.wait_for(gone)).await;
        true
    }

    /// Waits until the session is Established more than `count` times (the connection after
    /// a restart), or the deadline passes.
    pub async fn established_again(
        &self,
        count: u32,
        deadline: tokio::time::Instant,
    ) -> Result<Link, SessionError> {
        let started = tokio::time::Instant::now();
        let mut status = self.shared.status.subscribe();
        let again = |s: &Status| s.established_count > count || s.finished;
        match tokio::time::timeout_at(deadline, status.wait_for(again)).await {
            Ok(Ok(s)) if !s.finished => {
                drop(s);
                self.established(deadline).await
            }
            Ok(_) => Err(self.ended()),
            Err(_) => Err(self.timed_out(started)),
        }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Ends the session with Cease / Administrative Shutdown (RFC 4486) and waits (up to
    /// `grace`) for the task to finish.
    pub async fn stop(mut self, grace: Duration) {
        self.shared.stop.send_replace(true);
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(grace, task).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The FSM task: establish TCP, run one session, and again if the configuration says so.
async fn run(shared: Arc<Shared>, listener: Option<TcpListener>) {
    let mut stop = shared.stop.subscribe();
    loop {
        if let (Mode::Both, Some(l)) = (shared.cfg.mode, listener.as_ref()) {
            let (conn, negotiated) = tokio::select! {
                c = super::collision::establish(&shared, l) => c,
                _ = stop.wait_for(|s| *s) => break,
            };
            tokio::select! {
                () = super::fsm::run_established(&shared, conn, negotiated) => {}
                () = refuse_more(&shared, listener.as_ref()) => {}
            }
        } else {
            let conn = tokio::select! {
                c = transport(&shared, listener.as_ref()) => c,
                _ = stop.wait_for(|s| *s) => break,
            };
            tokio::select! {
                () = super::fsm::session(&shared, conn) => {}
                () = refuse_more(&shared, listener.as_ref()) => {}
            }
        }
        shared.link.send_replace(None);
        shared.set_state(State::Idle);
        if !shared.cfg.restart || *shared.stop.borrow() {
            break;
        }
        // IdleHoldTimer before the automatic restart (RFC 4271 §8.1.1, DampPeerOscillations off).
        let retry = tokio::time::sleep(shared.cfg.connect_retry);
        tokio::select! { _ = retry => {}, _ = stop.wait_for(|s| *s) => break }
    }
    shared.link.send_replace(None);
    shared.set_state(State::Idle);
    shared.status.send_modify(|s| s.finished = true);
}

/// Connect (active) or accept (passive) until there is a TCP connection.
async fn transport(shared: &Shared, listener: Option<&TcpListener>) -> TcpStream {
    let cfg = &shared.cfg;
    loop {
        match (listener, cfg.peer_socket()) {
            (Some(l), _) => {
                shared.set_state(State::Active);
                match l.accept().await {
                    Ok((s, from))
                        if cfg.peer_addr.is_none_or(|p| p == from.ip().to_canonical()) =>
                    {
                        let _ = s.set_nodelay(true);
                        return s;
                    }
                    Ok((s, from)) => {
                        shared.set_error(format!("refused a connection from {from}: not the peer"));
                        reject(s).await;
                    }
                    Err(e) => shared.set_error(format!("accept: {e}")),
                }
            }
            (None, Some(peer)) => {
                shared.set_state(State::Connect);
                let opts = shared.socket_options();
                match tokio::time::timeout(cfg.connect_retry, socket::connect(peer, &opts)).await {
                    Ok(Ok(s)) => return s,
                    Ok(Err(e)) => shared.set_error(format!("connect to {peer}: {e}")),
                    Err(_) => shared.set_error(format!("connect to {peer}: timed out")),
                }
                // ConnectRetryTimer: wait in Active, then try again (RFC 4271 §8.2.2).
                shared.set_state(State::Active);
                tokio::time::sleep(cfg.connect_retry).await;
            }
            // validate() makes an active session have a peer address.
            (None, None) => std::future::pending::<()>().await,
        }
    }
}

/// Cease / Connection Rejected to a connection we do not want (RFC 4486 §4).
async fn reject(s: TcpStream) {
    refuse(s, CeaseSubcode::ConnectionRejected).await;
}

async fn refuse(mut s: TcpStream, subcode: CeaseSubcode) {
    use tokio::io::AsyncWriteExt;
    let (code, subcode) = ErrorCode::Cease.with(subcode);
    let m = notification::encode(code, subcode, &[]);
    let _ = tokio::time::timeout(Duration::from_secs(1), s.write_all(&m)).await;
}

/// While a session runs, a new connection collides with it and is closed (RFC 4271 §6.8:
/// the existing one wins), with Cease / Connection Collision Resolution. Never returns.
async fn refuse_more(shared: &Shared, listener: Option<&TcpListener>) {
    let Some(l) = listener else { return std::future::pending().await };
    loop {
        if let Ok((s, from)) = l.accept().await {
            shared.set_error(format!("closed a colliding connection from {from}"));
            refuse(s, CeaseSubcode::ConnectionCollisionResolution).await;
        }
    }
}
