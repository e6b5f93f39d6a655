//! UPDATE programs on an Established session: announce, withdraw, flap, churn, storm, and
//! End-of-RIB, through the template encoder, in large writes, at a rate when one is asked.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bgpstorm_wire::encode::encode_route_refresh;
use bgpstorm_wire::{AfiSafi, PathAttributes, RouteRefresh};
use ipnet::IpNet;

use super::churn::{ChurnEvent, ChurnPlan};
use super::rate::TokenBucket;
use super::ribout::{OutRoute, family_of};
use super::route::{NoNextHop, Origination, RouteSpec};
use super::session::{Link, LinkDown, Session, Shared};
use super::template::{self, PackedNlri, Template, TooLarge};

/// Bytes collected before a write is queued: few large writes (DESIGN.md hot path).
const CHUNK: usize = 256 * 1024;
/// Prefixes encoded at a time by [`Injector::emit_prefixes`] (about 64 KiB of IPv4 NLRI).
const PACK_SLICE: usize = 16 * 1024;

/// A program step failed.
#[derive(Debug, thiserror::Error)]
pub enum ProgramError {
    /// The session went down.
    #[error(transparent)]
    LinkDown(#[from] LinkDown),
    /// The peer did not negotiate a family we were asked to send.
    #[error("the peer did not negotiate {0}")]
    Family(AfiSafi),
    /// No next hop for a family.
    #[error(transparent)]
    NextHop(#[from] NoNextHop),
    /// Attributes too large for a message.
    #[error(transparent)]
    TooLarge(#[from] TooLarge),
}

/// What a churn run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChurnReport {
    /// Announcements (including attribute changes).
    pub announced: u64,
    /// Withdrawals.
    pub withdrawn: u64,
}

/// The prefixes of one family: the slice itself when it holds nothing else (no copy of a
/// million-prefix table).
fn of_family(prefixes: &[IpNet], family: AfiSafi) -> std::borrow::Cow<'_, [IpNet]> {
    if prefixes.iter().all(|p| family_of(p) == family) {
        std::borrow::Cow::Borrowed(prefixes)
    } else {
        prefixes.iter().copied().filter(|p| family_of(p) == family).collect()
    }
}

/// Sends programs on one Established session.
pub struct Injector {
    link: Link,
    shared: Arc<Shared>,
    origin: Origination,
    rate: Option<TokenBucket>,
    buf: Vec<u8>,
    buf_messages: u64,
    /// Time spent encoding and queueing UPDATEs, not waiting for the session to take them.
    busy: Duration,
    /// Time spent waiting: for room in the writer's queue, or for the rate limit.
    waited: Duration,
}

impl Injector {
    /// An injector for the session's current link, at `rate` prefixes per second when given.
    pub fn new(session: &Session, link: Link, rate: Option<f64>) -> Self {
        let shared = session.shared().clone();
        let origin = Origination {
            local_asn: shared.cfg.local_asn,
            ibgp: shared.cfg.is_ibgp(),
            local_addr: link.local.ip().to_canonical(),
        };
        let rate = rate.map(|r| TokenBucket::new(r, (r / 20.0).max(1.0)));
        Self {
            link,
            shared,
            origin,
            rate,
            buf: Vec::with_capacity(CHUNK + 65536),
            buf_messages: 0,
            busy: Duration::ZERO,
            waited: Duration::ZERO,
        }
    }

    /// Time this injector has spent producing UPDATEs for announcements and withdrawals,
    /// without the time it waited for the peer (backpressure) or a rate limit: prefixes over
    /// it are what the sender could do.
    pub fn busy(&self) -> Duration {
        self.busy
    }

    /// What the session adds to routes.
    pub fn origination(&self) -> Origination {
        self.origin
    }

    /// The link in use.
    pub fn link(&self) -> &Link {
        &self.link
    }

    fn check_family(&self, family: AfiSafi) -> Result<(), ProgramError> {
        if self.link.negotiated.has_family(family) {
            Ok(())
        } else {
            Err(ProgramError::Family(family))
        }
    }

    /// Announces `prefixes` with `route` (RFC 4271 §9.2): one template per family, as many
    /// NLRI per UPDATE as fit.
    pub async fn announce(
        &mut self,
        prefixes: &[IpNet],
        route: &RouteSpec,
    ) -> Result<(), ProgramError> {
        for family in [AfiSafi::IPV4_UNICAST, AfiSafi::IPV6_UNICAST] {
            let of = of_family(prefixes, family);
            if of.is_empty() {
                continue;
            }
            let (attrs, next_hop) = route.resolve(family, &self.origin)?;
            self.announce_family(&of, family, attrs, next_hop, route.path_id).await?;
        }
        self.send_buf().await
    }

    /// Announces prefixes of one family with fully resolved attributes.
    pub async fn announce_family(
        &mut self,
        prefixes: &[IpNet],
        family: AfiSafi,
        attributes: PathAttributes,
        next_hop: Vec<IpAddr>,
        path_id: u32,
    ) -> Result<(), ProgramError> {
        self.check_family(family)?;
        let t = Template::announce(&attributes, family, &next_hop, &self.link.negotiated.send)?;
        self.emit_prefixes(&t, prefixes, path_id, true).await?;
        let route = Arc::new(OutRoute { attributes, next_hop, path_id });
        let t = Instant::now();
        self.shared.rib_out.announce(prefixes, &route);
        self.busy += t.elapsed();
        Ok(())
    }

    /// Withdraws `prefixes` (RFC 4271 §4.3 withdrawn routes, RFC 4760 MP_UNREACH_NLRI).
    pub async fn withdraw(&mut self, prefixes: &[IpNet]) -> Result<(), ProgramError> {
        self.withdraw_with(prefixes, 0, true).await
    }

    /// Withdraws path `path_id` of `prefixes` (RFC 7911 §3) and nothing else: the
    /// Adj-RIB-Out, which holds one path per prefix, keeps them.
    pub async fn withdraw_path(
        &mut self,
        prefixes: &[IpNet],
        path_id: u32,
    ) -> Result<(), ProgramError> {
        self.withdraw_with(prefixes, path_id, false).await
    }

    async fn withdraw_with(
        &mut self,
        prefixes: &[IpNet],
        path_id: u32,
        forget: bool,
    ) -> Result<(), ProgramError> {
        for family in [AfiSafi::IPV4_UNICAST, AfiSafi::IPV6_UNICAST] {
            let of = of_family(prefixes, family);
            if of.is_empty() {
                continue;
            }
            self.check_family(family)?;
            let t = Template::withdraw(family, &self.link.negotiated.send);
            self.emit_prefixes(&t, &of, path_id, false).await?;
            if forget {
                self.shared.rib_out.withdraw(&of);
            }
        }
        self.send_buf().await
    }

    /// Withdraws everything announced on the session.
    pub async fn withdraw_all(&mut self) -> Result<usize, ProgramError> {
        let all = self.shared.rib_out.all();
        self.withdraw(&all).await?;
        Ok(all.len())
    }

    /// End-of-RIB for every negotiated family (RFC 4724 §2).
    pub async fn end_of_rib(&mut self) -> Result<(), ProgramError> {
        for family in self.link.negotiated.families.clone() {
            self.buf.extend_from_slice(&template::end_of_rib(family));
            self.buf_messages += 1;
        }
        self.send_buf().await
    }

    /// Asks the peer to send its table again (ROUTE-REFRESH, RFC 2918 §3).
    pub async fn route_refresh(&mut self, family: AfiSafi) -> Result<(), ProgramError> {
        let rr = RouteRefresh { family, subtype: 0 };
        self.buf.extend_from_slice(&encode_route_refresh(&rr));
        self.buf_messages += 1;
        self.flush().await
    }

    /// Sends a whole message as it is (header included) and waits until it is written: for
    /// bytes no program would send, such as attribute errors (RFC 7606). The Adj-RIB-Out is
    /// not changed.
    pub async fn send_raw(&mut self, message: &[u8]) -> Result<(), ProgramError> {
        self.buf.extend_from_slice(message);
        self.buf_messages += 1;
        self.flush().await
    }

    /// Storm: `cycles` times withdraw and re-announce the (announced) set back to back, as
    /// fast as the session allows (no pause; the injector's rate if it has one), ending
    /// announced. Large writes throughout.
    pub async fn storm(
        &mut self,
        prefixes: &[IpNet],
        route: &RouteSpec,
        cycles: u32,
    ) -> Result<(), ProgramError> {
        for _ in 0..cycles {
            self.withdraw(prefixes).await?;
            self.announce(prefixes, route).await?;
        }
        self.flush().await
    }

    /// Flap: `cycles` times withdraw then re-announce, or, with `alternate`, switch between
    /// the two attribute sets; `interval` between each change.
    pub async fn flap(
        &mut self,
        prefixes: &[IpNet],
        route: &RouteSpec,
        alternate: Option<&RouteSpec>,
        cycles: u32,
        interval: Duration,
    ) -> Result<(), ProgramError> {
        for _ in 0..cycles {
            match alternate {
                Some(alt) => self.announce(prefixes, alt).await?,
                None => self.withdraw(prefixes).await?,
            }
            self.flush().await?;
            tokio::time::sleep(interval).await;
            self.announce(prefixes, route).await?;
            self.flush().await?;
            tokio::time::sleep(interval).await;
        }
        Ok(())
    }

    /// Churn: seeded random announce / withdraw / attribute-change events over `pool`, at
    /// `events_per_sec` for `duration`. The same seed gives the same sequence.
    pub async fn churn(
        &mut self,
        pool: &[IpNet],
        routes: &[RouteSpec],
        events_per_sec: f64,
        duration: Duration,
        seed: u64,
    ) -> Result<ChurnReport, ProgramError> {
        let routes = if routes.is_empty() { vec![RouteSpec::default()] } else { routes.to_vec() };
        let mut bucket = TokenBucket::new(events_per_sec, (events_per_sec / 20.0).max(1.0));
        let mut report = ChurnReport::default();
        let end = Instant::now() + duration;
        for e in ChurnPlan::new(seed, pool.len(), routes.len()) {
            if pool.is_empty() || Instant::now() >= end {
                break;
            }
            match e {
                ChurnEvent::Announce { prefix, route } => {
                    self.announce(&pool[prefix..=prefix], &routes[route]).await?;
                    report.announced += 1;
                }
                ChurnEvent::Withdraw { prefix } => {
                    self.withdraw(&pool[prefix..=prefix]).await?;
                    report.withdrawn += 1;
                }
            }
            if let Some(wait) = bucket.take(1) {
                self.send_buf().await?;
                tokio::time::sleep(wait).await;
            }
        }
        self.flush().await?;
        Ok(report)
    }

    /// Writes the packed NLRI in as many UPDATEs as needed; the last chunk stays buffered
    /// until the step ends (so a program of many small steps still makes large writes).
    /// Encodes and sends `prefixes` a slice at a time, so that the first UPDATE is on the
    /// wire while the rest of a large set is still being encoded; only the last message can
    /// be partly filled.
    async fn emit_prefixes(
        &mut self,
        t: &Template,
        prefixes: &[IpNet],
        path_id: u32,
        announce: bool,
    ) -> Result<(), ProgramError> {
        let (started, waited) = (Instant::now(), self.waited);
        let mut packed = PackedNlri::default();
        let slices = prefixes.len().div_ceil(PACK_SLICE);
        for (i, slice) in prefixes.chunks(PACK_SLICE).enumerate() {
            for &p in slice {
                packed.push(p, t.add_path, path_id);
            }
            let used = self.emit(t, &packed.bytes, announce, i + 1 < slices).await?;
            packed.bytes.drain(..used);
        }
        self.busy += started.elapsed().saturating_sub(self.waited - waited);
        Ok(())
    }

    /// Queues UPDATEs carrying `nlri`; with `whole_only`, stops before a message that would
    /// not be full and leaves those bytes to the caller. Returns the bytes used.
    async fn emit(
        &mut self,
        t: &Template,
        nlri: &[u8],
        announce: bool,
        whole_only: bool,
    ) -> Result<usize, ProgramError> {
        let mut rest = nlri;
        while !rest.is_empty() && (!whole_only || rest.len() >= t.room()) {
            let (used, count) = t.fill(rest, &mut self.buf);
            rest = &rest[used..];
            self.buf_messages += 1;
            let n = count as u64;
            self.shared
                .counters
                .prefixes(if announce { n } else { 0 }, if announce { 0 } else { n });
            if let Some(wait) = self.rate.as_mut().and_then(|b| b.take(count)) {
                self.send_buf().await?;
                let t = Instant::now();
                tokio::time::sleep(wait).await;
                self.waited += t.elapsed();
            } else if self.buf.len() >= CHUNK {
                self.send_buf().await?;
            }
        }
        Ok(nlri.len() - rest.len())
    }

    async fn send_buf(&mut self) -> Result<(), ProgramError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let bytes = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + 65536));
        let n = std::mem::take(&mut self.buf_messages);
        let t = Instant::now();
        self.link.send(bytes, n, n).await?;
        self.waited += t.elapsed();
        Ok(())
    }

    /// Queues what is buffered and waits until the writer has written all of it.
    pub async fn flush(&mut self) -> Result<(), ProgramError> {
        self.send_buf().await?;
        self.link.flush().await?;
        Ok(())
    }
}
