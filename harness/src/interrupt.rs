//! SIGINT and SIGTERM while `bgpstorm run` works: the first one stops the run where it is
//! (a step that waits, a DUT that starts), the run tears down as at its normal end and the
//! command exits 130 or 143; later ones do not stop the teardown.
//!
//! [`install`] replaces the default action of both signals for the rest of the process with a
//! thread that records the first one. Code that waits asks [`wait`] (async) or [`sleep`]
//! (blocking) and returns early once a signal was recorded. Without [`install`] nothing is
//! ever recorded and nothing changes.

use std::sync::{Condvar, LazyLock, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// A signal that stops a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Signal {
    /// Its name, as `kill -l` spells it with the prefix.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The exit status of a command it stopped: 128 + the signal number, as shells report it.
    pub fn exit_status(self) -> u8 {
        match self {
            Signal::Interrupt => crate::cli::exit::INTERRUPTED,
            Signal::Terminate => crate::cli::exit::TERMINATED,
        }
    }
}

/// The first signal, for blocking waiters (condition variable) and async ones (watch).
struct Raised {
    first: Mutex<Option<Signal>>,
    woken: Condvar,
    watch: watch::Sender<Option<Signal>>,
}

static RAISED: LazyLock<Raised> = LazyLock::new(|| Raised {
    first: Mutex::new(None),
    woken: Condvar::new(),
    watch: watch::Sender::new(None),
});

/// Records `sig` unless a signal was recorded before; returns whether it was the first.
pub fn raise(sig: Signal) -> bool {
    let mut first = RAISED.first.lock().unwrap_or_else(|e| e.into_inner());
    if first.is_some() {
        return false;
    }
    *first = Some(sig);
    RAISED.woken.notify_all();
    RAISED.watch.send_replace(Some(sig));
    true
}

/// The first signal received, if any.
pub fn raised() -> Option<Signal> {
    *RAISED.first.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waits until a signal has been received and returns it (at once if one was).
pub async fn wait() -> Signal {
    let mut rx = RAISED.watch.subscribe();
    match rx.wait_for(Option::is_some).await {
        Ok(sig) => sig.unwrap_or(Signal::Interrupt),
        // The sender is a static: it is never dropped.
        Err(_) => std::future::pending().await,
    }
}

/// Blocks for `d`, or less when a signal arrives: `Err` with the signal then.
pub fn sleep(d: Duration) -> Result<(), Signal> {
    let until = Instant::now() + d;
    let mut first = RAISED.first.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let Some(sig) = *first {
            return Err(sig);
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        first = RAISED.woken.wait_timeout(first, left).unwrap_or_else(|e| e.into_inner()).0;
    }
}

/// Takes SIGINT and SIGTERM over for the rest of the process: the first is recorded (and
/// `announce` says what happens now), every later one is answered by `again` on stderr while
/// the teardown goes on. Returns once both handlers are in place.
pub fn install(announce: &'static str, again: &'static str) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::io::Result<()>>();
    std::thread::Builder::new().name("signals".into()).spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return drop(ready_tx.send(Err(e))),
        };
        rt.block_on(async move {
            let (mut int, mut term) =
                match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
                    (Ok(i), Ok(t)) => (i, t),
                    (Err(e), _) | (_, Err(e)) => return drop(ready_tx.send(Err(e))),
                };
            let _ = ready_tx.send(Ok(()));
            loop {
                // SIGINT first when both are pending (the kernel delivers the lower number
                // first too). Two signals sent within microseconds of each other may still be
                // handled on two threads in either order: either is then "the first".
                let sig = tokio::select! {
                    biased;
                    Some(()) = int.recv() => Signal::Interrupt,
                    Some(()) = term.recv() => Signal::Terminate,
                    else => return,
                };
                if raise(sig) {
                    eprintln!("{}: {announce}", sig.name());
                } else {
                    eprintln!("{}: {again}", sig.name());
                }
            }
        });
    })?;
    ready_rx.recv().map_err(|_| std::io::Error::other("the signal thread ended"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_are_128_plus_the_signal_number() {
        assert_eq!(i32::from(Signal::Interrupt.exit_status()), 128 + libc::SIGINT);
        assert_eq!(i32::from(Signal::Terminate.exit_status()), 128 + libc::SIGTERM);
    }
}
