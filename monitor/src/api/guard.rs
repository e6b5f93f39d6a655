//! What keeps the API answering whatever its clients do: an idle timeout on every connection, a
//! cap on open connections (those beyond it are closed at once and counted), and, when bound to
//! loopback, a check of the `Host` header against DNS rebinding.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

/// A connection that neither reads nor writes a byte for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// At most this many connections are open at once (well below a 256-file limit).
pub const MAX_CONNECTIONS: usize = 128;

/// Connection counts shared by the listener, its connections and `/metrics`.
#[derive(Debug, Default)]
pub struct ConnectionStats {
    open: AtomicUsize,
    refused: AtomicU64,
}

impl ConnectionStats {
    /// Connections closed at accept because [`MAX_CONNECTIONS`] were open.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// A TCP listener that caps open connections and gives each an idle timeout.
pub struct GuardedListener {
    inner: TcpListener,
    stats: Arc<ConnectionStats>,
    max: usize,
    idle: Duration,
}

impl GuardedListener {
    /// Wraps `inner`; `stats` counts what it accepts and refuses.
    pub fn new(inner: TcpListener, stats: Arc<ConnectionStats>) -> Self {
        Self { inner, stats, max: MAX_CONNECTIONS, idle: IDLE_TIMEOUT }
    }
}

impl axum::serve::Listener for GuardedListener {
    type Io = IdleStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (stream, addr) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(_) => {
                    // Out of descriptors or a connection reset before accept: back off briefly
                    // rather than spin, as axum's own listener does.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if self.stats.open.load(Ordering::Relaxed) >= self.max {
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
                drop(stream);
                continue;
            }
            let _ = stream.set_nodelay(true);
            self.stats.open.fetch_add(1, Ordering::Relaxed);
            return (IdleStream::new(stream, self.idle, Arc::clone(&self.stats)), addr);
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A TCP stream that fails with `TimedOut` once idle for its timeout, so that the server
/// closes it; it is counted as open until dropped.
pub struct IdleStream {
    inner: TcpStream,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
    stats: Arc<ConnectionStats>,
}

impl IdleStream {
    fn new(inner: TcpStream, idle: Duration, stats: Arc<ConnectionStats>) -> Self {
        Self { inner, idle, timer: Box::pin(tokio::time::sleep(idle)), stats }
    }

    /// Pushes the deadline back after progress.
    fn touch(&mut self) {
        self.timer.as_mut().reset(Instant::now() + self.idle);
    }

    /// `pending` unless the idle deadline has passed.
    fn check_idle<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "idle connection")))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for IdleStream {
    fn drop(&mut self) {
        self.stats.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl AsyncRead for IdleStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.touch();
                Poll::Ready(r)
            }
            Poll::Pending => this.check_idle(cx),
        }
    }
}

impl AsyncWrite for IdleStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(r) => {
                this.touch();
                Poll::Ready(r)
            }
            Poll::Pending => this.check_idle(cx),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Whether `host` (a `Host` header value) names the local machine: `localhost`, `127.0.0.1` or
/// `[::1]`, with or without a port.
pub fn is_local_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((addr, port)) if port.is_empty() || valid_port(port) => return addr == "::1",
            _ => return false,
        }
    } else {
        match host.split_once(':') {
            Some((name, port)) if valid_port(port) => name,
            Some(_) => return false,
            None => host,
        }
    };
    name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1"
}

fn valid_port(s: &str) -> bool {
    s.strip_prefix(':').unwrap_or(s).parse::<u16>().is_ok()
}

/// Middleware: when `loopback`, refuses (421 Misdirected Request) a request whose `Host` names
/// another machine, as a DNS-rebinding page would send. A request without `Host` (HTTP/1.0)
/// passes.
pub async fn check_host(State(loopback): State<bool>, req: Request, next: Next) -> Response {
    if loopback && let Some(host) = req.headers().get(header::HOST) {
        let local = host.to_str().map(is_local_host).unwrap_or(false);
        if !local {
            return super::error(
                StatusCode::MISDIRECTED_REQUEST,
                "the API is bound to loopback and answers only Host: localhost, 127.0.0.1 or [::1]"
                    .into(),
            );
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::is_local_host;

    #[test]
    fn local_hosts_with_and_without_port() {
        for h in ["localhost", "LocalHost:9179", "127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:9179"]
        {
            assert!(is_local_host(h), "{h}");
        }
        for h in [
            "evil.example",
            "evil.example:9179",
            "127.0.0.2",
            "[::2]",
            "localhost:x",
            "[::1]x",
            "localhost.evil.example",
        ] {
            assert!(!is_local_host(h), "{h}");
        }
    }
}
