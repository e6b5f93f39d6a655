//! Sockets of a session: created inside a network namespace when asked (a socket keeps the
//! namespace it was created in, so only creation happens on a thread that entered it), with
//! TCP MD5 (RFC 2385) and GTSM (RFC 5082) options, then driven by tokio.

use std::io;
use std::mem;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// Runs `f` on a fresh thread that entered the network namespace at `netns` (or on this
/// thread when `None`). The thread ends with `f`, so no other work runs in the namespace.
pub fn in_netns<T: Send + 'static>(
    netns: Option<&Path>,
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    let Some(path) = netns else { return f() };
    let ns = crate::topology::Netns::open(path).map_err(|e| {
        io::Error::new(e.kind(), format!("network namespace {}: {e}", path.display()))
    })?;
    ns.run(f)?
}

/// A non-blocking TCP socket of the family of `addr`, created in `netns`.
fn new_socket(netns: Option<&Path>, addr: &SocketAddr) -> io::Result<TcpSocket> {
    let domain = if addr.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
    let fd = in_netns(netns, move || {
        let flags = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
        // SAFETY: plain socket(2); the fd is owned right away.
        let fd = unsafe { libc::socket(domain, flags, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh, valid descriptor that nothing else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    })?;
    Ok(TcpSocket::from_std_stream(std::net::TcpStream::from(fd)))
}

/// Socket options of a session.
#[derive(Clone, Debug, Default)]
pub struct SocketOptions {
    /// Network namespace to create the socket in.
    pub netns: Option<std::path::PathBuf>,
    /// Local address to bind.
    pub local: Option<IpAddr>,
    /// TCP MD5 key and the peer it applies to.
    pub md5: Option<(IpAddr, String)>,
    /// GTSM.
    pub ttl_security: bool,
}

/// Connects to `peer` with the options.
pub async fn connect(peer: SocketAddr, opts: &SocketOptions) -> io::Result<TcpStream> {
    let sock = new_socket(opts.netns.as_deref(), &peer)?;
    if let Some(ip) = opts.local {
        sock.bind(SocketAddr::new(ip, 0))?;
    }
    apply(sock.as_raw_fd(), peer.is_ipv4(), opts)?;
    let stream = sock.connect(peer).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Listens on `addr` with the options.
pub fn listen(addr: SocketAddr, opts: &SocketOptions) -> io::Result<TcpListener> {
    let sock = new_socket(opts.netns.as_deref(), &addr)?;
    sock.set_reuseaddr(true)?;
    sock.bind(addr)?;
    apply(sock.as_raw_fd(), addr.is_ipv4(), opts)?;
    sock.listen(64)
}

fn apply(fd: RawFd, v4: bool, opts: &SocketOptions) -> io::Result<()> {
    if let Some((peer, key)) = &opts.md5 {
        set_md5(fd, *peer, key.as_bytes())?;
    }
    if opts.ttl_security {
        // RFC 5082 §3: send with TTL 255, drop anything that arrives with less than 254.
        if v4 {
            setsockopt_int(fd, libc::IPPROTO_IP, libc::IP_TTL, 255)?;
            setsockopt_int(fd, libc::IPPROTO_IP, libc::IP_MINTTL, 254)?;
        } else {
            setsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS, 255)?;
            setsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_MINHOPCOUNT, 254)?;
        }
    }
    Ok(())
}

fn setsockopt_int(fd: RawFd, level: i32, name: i32, value: i32) -> io::Result<()> {
    // SAFETY: value outlives the call; the length matches its type.
    let rc = unsafe {
        libc::setsockopt(fd, level, name, (&raw const value).cast(), mem::size_of::<i32>() as u32)
    };
    if rc != 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

/// `struct tcp_md5sig` of linux/tcp.h.
#[repr(C)]
struct TcpMd5Sig {
    addr: libc::sockaddr_storage,
    flags: u8,
    prefixlen: u8,
    keylen: u16,
    ifindex: i32,
    key: [u8; 80],
}

/// Sets the TCP MD5 signature key for segments to and from `peer` (RFC 2385, TCP_MD5SIG).
fn set_md5(fd: RawFd, peer: IpAddr, key: &[u8]) -> io::Result<()> {
    // SAFETY: all-zero is a valid value of this plain C struct.
    let mut sig: TcpMd5Sig = unsafe { mem::zeroed() };
    // SAFETY: sockaddr_storage is large and aligned enough for either address type.
    unsafe {
        match peer {
            IpAddr::V4(a) => {
                let sin = (&raw mut sig.addr).cast::<libc::sockaddr_in>();
                (*sin).sin_family = libc::AF_INET as u16;
                (*sin).sin_addr.s_addr = u32::from_ne_bytes(a.octets());
            }
            IpAddr::V6(a) => {
                let sin6 = (&raw mut sig.addr).cast::<libc::sockaddr_in6>();
                (*sin6).sin6_family = libc::AF_INET6 as u16;
                (*sin6).sin6_addr.s6_addr = a.octets();
            }
        }
    }
    let n = key.len().min(sig.key.len());
    sig.key[..n].copy_from_slice(&key[..n]);
    sig.keylen = n as u16;
    // SAFETY: sig outlives the call; the length matches its type.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_MD5SIG,
            (&raw const sig).cast(),
            mem::size_of::<TcpMd5Sig>() as u32,
        )
    };
    if rc != 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(e.kind(), format!("TCP_MD5SIG: {e}")));
    }
    Ok(())
}
