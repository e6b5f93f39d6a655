//! Waiting for a line of a child process's output, with a deadline (never a sleep).

use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

/// Reads `output` (a child's stdout or stderr) line by line on a thread until `pick` finds
/// what it looks for in a line, and returns that. Fails the test, saying `what` was awaited,
/// when the output ends first or `timeout` passes. The thread drains the rest of the output,
/// so the child never blocks on a full pipe.
pub fn wait_for_line<T: Send + 'static>(
    output: impl Read + Send + 'static,
    pick: impl Fn(&str) -> Option<T> + Send + 'static,
    timeout: Duration,
    what: &str,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut found = false;
        for line in BufReader::new(output).lines().map_while(Result::ok) {
            if !found && let Some(v) = pick(&line) {
                let _ = tx.send(v);
                found = true;
            }
        }
    });
    match rx.recv_timeout(timeout) {
        Ok(v) => v,
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            panic!("the output ended before {what}")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("no {what} within {timeout:?}"),
    }
}
