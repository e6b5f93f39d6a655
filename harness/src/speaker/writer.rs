//! The writer of an Established session: queued UPDATEs in large writes, KEEPALIVEs on the
//! KeepaliveTimer (RFC 4271 §4.4), route refresh answers, and the closing NOTIFICATION.

use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;

use super::notification::{self, Direction};
use super::open::Negotiated;
use super::shared::{Control, Outbound, Shared};

/// Runs until a NOTIFICATION is sent, the control channel closes, or a write fails.
pub(crate) async fn run(
    shared: Arc<Shared>,
    mut wr: OwnedWriteHalf,
    mut data: mpsc::Receiver<Outbound>,
    mut control: mpsc::UnboundedReceiver<Control>,
    negotiated: Arc<Negotiated>,
) {
    let mut keepalive = negotiated.keepalive_interval().map(tokio::time::interval);
    let counters = &shared.counters;
    let mut data_open = true;
    loop {
        let tick = async {
            match keepalive.as_mut() {
                Some(k) => {
                    k.tick().await;
                }
                None => std::future::pending().await,
            }
        };
        let result = tokio::select! {
            biased;
            c = control.recv() => match c {
                Some(Control::Notify(code, subcode, body)) => {
                    let m = notification::encode(code, subcode, &body);
                    let r = wr.write_all(&m).await;
                    shared.record(Direction::Sent, code, subcode, body);
                    let _ = r;
                    break;
                }
                Some(Control::Refresh(family)) => match shared.rib_out.encode_family(family, &negotiated.send) {
                    Ok(bytes) => {
                        let r = wr.write_all(&bytes).await;
                        counters.sent(bytes.len(), 0, 0);
                        r
                    }
                    Err(e) => {
                        tracing::error!(session = %shared.cfg.name, "route refresh: {e}");
                        Ok(())
                    }
                },
                None => break,
            },
            () = tick => {
                let r = wr.write_all(&notification::keepalive()).await;
                counters.sent(19, 1, 0);
                r
            }
            d = data.recv(), if data_open => match d {
                Some(Outbound::Messages(bytes, messages, updates)) => {
                    let r = wr.write_all(&bytes).await;
                    counters.sent(bytes.len(), messages, updates);
                    r
                }
                Some(Outbound::Flush(done)) => {
                    let r = wr.flush().await;
                    let _ = done.send(());
                    r
                }
                None => {
                    data_open = false;
                    Ok(())
                }
            },
        };
        if let Err(e) = result {
            shared.set_error(format!("write failed: {e}"));
            break;
        }
    }
    let _ = wr.shutdown().await;
}
