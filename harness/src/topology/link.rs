//! Links inside namespaces, through rtnetlink (a netlink socket opened in a namespace talks to
//! that namespace).

use std::io;

use futures_util::TryStreamExt;
use ipnet::IpNet;
use rtnetlink::packet_route::address::{AddressAttribute, AddressFlags, AddressHeaderFlags};
use rtnetlink::packet_route::link::{InfoData, InfoVeth};
use rtnetlink::{Handle, LinkMessageBuilder, LinkUnspec, LinkVeth};

fn nl(e: rtnetlink::Error, what: &str) -> io::Error {
    io::Error::other(format!("{what}: {e}"))
}

/// Runs `f` with a netlink handle of the calling thread's namespace.
pub(super) fn with_handle<T>(f: impl AsyncFnOnce(Handle) -> io::Result<T>) -> io::Result<T> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let (conn, handle, _) = rtnetlink::new_connection()?;
        let task = tokio::spawn(conn);
        let out = f(handle).await;
        task.abort();
        out
    })
}

async fn index(handle: &Handle, name: &str) -> io::Result<u32> {
    let mut links = handle.link().get().match_name(name.to_string()).execute();
    match links.try_next().await {
        Ok(Some(msg)) => Ok(msg.header.index),
        Ok(None) => Err(io::Error::new(io::ErrorKind::NotFound, format!("no interface {name}"))),
        Err(e) => Err(nl(e, &format!("looking up {name}"))),
    }
}

async fn set_up(h: &Handle, name: &str, up: bool) -> io::Result<()> {
    let i = index(h, name).await?;
    let msg = LinkUnspec::new_with_index(i);
    let msg = if up { msg.up() } else { msg.down() };
    h.link().set(msg.build()).execute().await.map_err(|e| nl(e, &format!("setting {name} up/down")))
}

/// Creates a veth pair `name` (here) ↔ `peer` (in the namespace of `peer_ns_fd`), with MTU.
pub(super) fn veth(name: &str, peer: &str, peer_ns_fd: i32, mtu: u32) -> io::Result<()> {
    with_handle(async |h| {
        let peer_msg = LinkMessageBuilder::<LinkUnspec>::new()
            .name(peer.to_string())
            .mtu(mtu)
            .setns_by_fd(peer_ns_fd)
            .build();
        let msg = LinkVeth::new(name, peer)
            .mtu(mtu)
            .set_info_data(InfoData::Veth(InfoVeth::Peer(peer_msg)))
            .build();
        h.link()
            .add(msg)
            .execute()
            .await
            .map_err(|e| nl(e, &format!("creating veth {name} <-> {peer}")))
    })
}

/// Sets interface `name` up or down, and gives it `addresses` (when up for the first time).
pub(super) fn configure(name: &str, addresses: &[IpNet], up: bool) -> io::Result<()> {
    with_handle(async |h| {
        let i = index(&h, name).await?;
        for a in addresses {
            let mut req = h.address().add(i, a.addr(), a.prefix_len()).replace();
            if a.addr().is_ipv6() {
                // Usable at once: duplicate address detection would keep an IPv6 address
                // tentative (unbindable) for a second after every link-up, and every address
                // in a topology is ours.
                let msg = req.message_mut();
                msg.header.flags |= AddressHeaderFlags::Nodad;
                msg.attributes.push(AddressAttribute::Flags(AddressFlags::Nodad));
            }
            req.execute().await.map_err(|e| nl(e, &format!("adding {a} to {name}")))?;
        }
        set_up(&h, name, up).await
    })
}

/// The interface index of `name` in the calling thread's namespace.
pub(super) fn ifindex(name: &str) -> io::Result<u32> {
    with_handle(async |h| index(&h, name).await)
}
