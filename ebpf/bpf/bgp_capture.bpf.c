// SPDX-License-Identifier: Apache-2.0
/*
 * bgp_capture.bpf.c — TC classifier that copies BGP TCP segments into a ring buffer.
 *
 * Attached at TC ingress and egress (TCX on Linux >= 6.6, see Documentation/networking/tc*
 * and include/uapi/linux/bpf.h BPF_TCX_*). For every TCP segment whose source or destination
 * port is in PORTS (and, when CONFIG[0].peer_filter is set, whose source or destination
 * address matches the PEERS LPM trie) it writes the segment's metadata and its whole
 * payload, in chunks, to EVENTS. GSO/GRO super-packets (up to 64 KiB) are seen whole at TC,
 * so they are copied whole. Every loss is counted in COUNTERS.
 *
 * The program never changes the packet or its fate: it always returns TC_ACT_UNSPEC
 * (== TCX_NEXT), so the next program or the default action applies.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bgp_capture.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* user space sets the size at load (LiveConfig) */
} EVENTS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16); /* port, host order */
	__type(value, __u8);
} PORTS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__type(key, struct peer_key);
	__type(value, __u8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} PEERS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct config);
} CONFIG SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, C_NUM);
	__type(key, __u32);
	__type(value, __u64);
} COUNTERS SEC(".maps");

struct rec_small {
	struct bgp_rec_hdr h;
	__u8 data[CHUNK_SMALL];
};

struct rec_mid {
	struct bgp_rec_hdr h;
	__u8 data[CHUNK_MID];
};

struct rec_big {
	struct bgp_rec_hdr h;
	__u8 data[CHUNK_BIG];
};

/* What parse() learned about a segment; copied into each record's header. */
struct seg {
	struct bgp_rec_hdr h;
	__u32 payload_off; /* offset of the TCP payload from skb->data */
};

static __always_inline void count(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&COUNTERS, &idx);
	if (v)
		*v += n; /* per-CPU slot: no other writer */
}

static __always_inline void count_max(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&COUNTERS, &idx);
	if (v && *v < n)
		*v = n;
}

static __always_inline int port_selected(__u16 sport, __u16 dport)
{
	return bpf_map_lookup_elem(&PORTS, &sport) || bpf_map_lookup_elem(&PORTS, &dport);
}

static __always_inline int peer_selected(const struct seg *s)
{
	__u32 zero = 0;
	struct config *cfg = bpf_map_lookup_elem(&CONFIG, &zero);
	if (!cfg || !cfg->peer_filter)
		return 1;
	struct peer_key k = {.prefixlen = 128};
	if (s->h.family == 4) {
		k.addr[10] = 0xff;
		k.addr[11] = 0xff;
		__builtin_memcpy(&k.addr[12], s->h.saddr, 4);
		if (bpf_map_lookup_elem(&PEERS, &k))
			return 1;
		__builtin_memcpy(&k.addr[12], s->h.daddr, 4);
		return bpf_map_lookup_elem(&PEERS, &k) != 0;
	}
	__builtin_memcpy(k.addr, s->h.saddr, 16);
	if (bpf_map_lookup_elem(&PEERS, &k))
		return 1;
	__builtin_memcpy(k.addr, s->h.daddr, 16);
	return bpf_map_lookup_elem(&PEERS, &k) != 0;
}

/*
 * Offset of the IP header. Ethernet-like devices (veth, physical NICs) start with a 14-byte
 * MAC header whose EtherType is skb->protocol; devices without one (tun, WireGuard) start
 * with the IP header.
 */
static __always_inline int l3_offset(struct __sk_buff *skb, __u16 proto)
{
	__u16 ethertype;
	if (bpf_skb_load_bytes(skb, 12, &ethertype, 2) == 0 && ethertype == proto)
		return ETH_HLEN;
	__u8 v;
	if (bpf_skb_load_bytes(skb, 0, &v, 1) == 0 &&
	    (v >> 4) == (proto == bpf_htons(ETH_P_IP) ? 4 : 6))
		return 0;
	return -1;
}

/*
 * Walks IPv6 extension headers (RFC 8200 §4): the offset of the TCP header, 0 when the
 * packet is not TCP, -1 for a TCP fragment or too long a chain (not parsed, counted).
 */
static __always_inline int ipv6_tcp_offset(struct __sk_buff *skb, __u8 nh, int off)
{
	for (int i = 0; i < 4; i++) {
		if (nh == IPPROTO_TCP)
			return off;
		__u8 ext[2];
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_FRAGMENT)
			return 0;
		if (bpf_skb_load_bytes(skb, off, ext, 2))
			return 0;
		if (nh == IPPROTO_FRAGMENT)
			return ext[0] == IPPROTO_TCP ? -1 : 0;
		nh = ext[0];
		off += (ext[1] + 1) * 8;
	}
	return nh == IPPROTO_TCP ? off : -1;
}

/* Fills s from the IP and TCP headers: 1 when it is a TCP segment, 0 when not TCP, -1 when
 * it is TCP we cannot parse (counted as C_UNPARSED whatever its ports: they are unknown). */
static __always_inline int parse(struct __sk_buff *skb, struct seg *s)
{
	__u16 proto = skb->protocol;
	int off;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		/* One in-band VLAN tag (IEEE 802.1Q), where the device does not offload it; an
		 * offloaded tag lives in skb metadata and the frame looks untagged. */
		__u16 tag[2]; /* TCI, inner EtherType */
		if (bpf_skb_load_bytes(skb, ETH_HLEN, tag, 4))
			return 0;
		proto = tag[1];
		off = ETH_HLEN + 4;
		if (proto != bpf_htons(ETH_P_IP) && proto != bpf_htons(ETH_P_IPV6))
			return 0;
	} else {
		if (proto != bpf_htons(ETH_P_IP) && proto != bpf_htons(ETH_P_IPV6))
			return 0;
		off = l3_offset(skb, proto);
		if (off < 0)
			return 0;
	}
	__u32 ip_payload; /* bytes after the IP header, from the IP length fields */
	if (proto == bpf_htons(ETH_P_IP)) {
		__u8 ip[20];
		if (bpf_skb_load_bytes(skb, off, ip, 20))
			return 0;
		if (ip[9] != IPPROTO_TCP)
			return 0;
		__u32 ihl = (ip[0] & 0xf) * 4;
		__u16 frag = ((__u16)ip[6] << 8 | ip[7]) & 0x3fff; /* MF | offset */
		__u32 tot = (__u32)ip[2] << 8 | ip[3];
		if (ihl < 20 || frag)
			return -1;
		s->h.family = 4;
		__builtin_memcpy(s->h.saddr, &ip[12], 4);
		__builtin_memcpy(s->h.daddr, &ip[16], 4);
		/* tot_len 0: BIG TCP IPv4 (> 64 KiB); take the skb's length. */
		ip_payload = tot ? (tot > ihl ? tot - ihl : 0) : 0xffffffff;
		off += ihl;
	} else {
		__u8 ip6[40];
		if (bpf_skb_load_bytes(skb, off, ip6, 40))
			return 0;
		s->h.family = 6;
		__builtin_memcpy(s->h.saddr, &ip6[8], 16);
		__builtin_memcpy(s->h.daddr, &ip6[24], 16);
		__u32 plen = (__u32)ip6[4] << 8 | ip6[5];
		ip_payload = plen ? plen : 0xffffffff; /* 0: BIG TCP IPv6 jumbogram */
		off += 40;
		int tcp_off = ipv6_tcp_offset(skb, ip6[6], off);
		if (tcp_off <= 0)
			return tcp_off;
		ip_payload -= tcp_off - off;
		off = tcp_off;
	}
	__u8 tcp[20];
	if (bpf_skb_load_bytes(skb, off, tcp, 20))
		return -1;
	__u32 doff = (tcp[12] >> 4) * 4;
	if (doff < 20 || doff > ip_payload)
		return -1;
	s->h.sport = (__u16)tcp[0] << 8 | tcp[1];
	s->h.dport = (__u16)tcp[2] << 8 | tcp[3];
	s->h.seq = (__u32)tcp[4] << 24 | (__u32)tcp[5] << 16 | (__u32)tcp[6] << 8 | tcp[7];
	s->h.ack = (__u32)tcp[8] << 24 | (__u32)tcp[9] << 16 | (__u32)tcp[10] << 8 | tcp[11];
	s->h.tcp_flags = tcp[13];
	s->payload_off = off + doff;
	/* The IP length excludes link-layer padding (short Ethernet frames) that skb->len has. */
	__u32 in_skb = skb->len > s->payload_off ? skb->len - s->payload_off : 0;
	__u32 from_ip = ip_payload - doff;
	s->h.payload_len = from_ip < in_skb ? from_ip : in_skb;
	return 1;
}

/* Writes the chunk of `len` bytes at payload offset `coff` into a record of the size of R;
 * 0 on success. */
#define EMIT(R, SIZE)                                                                      \
	({                                                                                 \
		int _rc = 1;                                                               \
		struct R *r = bpf_ringbuf_reserve(&EVENTS, sizeof(struct R), 0);           \
		if (!r) {                                                                  \
			count(C_RECORDS_DROPPED, 1);                                       \
		} else {                                                                   \
			__builtin_memcpy(&r->h, &s->h, sizeof(r->h));                      \
			r->h.chunk_offset = coff;                                          \
			r->h.chunk_len = len;                                              \
			r->h.rec_flags = (coff == 0 ? REC_FIRST : 0) |                     \
					 (coff + len >= captured ? REC_LAST : 0);          \
			/* n == len for 1 <= len <= SIZE (a power of two), computed in asm  \
			 * so that the verifier sees n in [1, SIZE] on the very register    \
			 * passed to the helper, whatever clang does with len. */          \
			__u32 n = len - 1;                                                 \
			asm volatile("%0 &= %1; %0 += 1" : "+r"(n) : "i"((SIZE) - 1));    \
			if (len > 0 &&                                                     \
			    bpf_skb_load_bytes(skb, s->payload_off + coff, r->data, n)) {  \
				bpf_ringbuf_discard(r, 0);                                 \
				count(C_LOAD_ERRORS, 1);                                   \
			} else {                                                           \
				bpf_ringbuf_submit(r, 0);                                  \
				count(C_RECORDS, 1);                                       \
				_rc = 0;                                                   \
			}                                                                  \
		}                                                                          \
		_rc;                                                                       \
	})

/* A segment without payload (pure ACK, SYN, FIN): the header alone, 72 bytes. */
static __always_inline int emit_empty(struct seg *s)
{
	struct bgp_rec_hdr *h = bpf_ringbuf_reserve(&EVENTS, sizeof(*h), 0);
	if (!h) {
		count(C_RECORDS_DROPPED, 1);
		return 1;
	}
	__builtin_memcpy(h, &s->h, sizeof(*h));
	h->chunk_offset = 0;
	h->chunk_len = 0;
	h->rec_flags = REC_FIRST | REC_LAST;
	bpf_ringbuf_submit(h, 0);
	count(C_RECORDS, 1);
	return 0;
}

static __always_inline int emit_chunk(struct __sk_buff *skb, struct seg *s, __u32 coff,
				      __u32 captured)
{
	__u32 len = captured - coff;
	if (len > CHUNK_BIG)
		len = CHUNK_BIG;
	/* Keep the bound visible to the verifier through the compiler's rewriting. */
	asm volatile("" : "+r"(len));
	if (len > CHUNK_BIG)
		return 1;
	if (len <= CHUNK_SMALL)
		return EMIT(rec_small, CHUNK_SMALL);
	if (len <= CHUNK_MID)
		return EMIT(rec_mid, CHUNK_MID);
	return EMIT(rec_big, CHUNK_BIG);
}

/* State of the bpf_loop over a segment's chunks (bpf_loop: Linux 5.17; its callback is
 * verified once, whatever the number of chunks). */
struct chunks {
	struct __sk_buff *skb;
	struct seg *s;
	__u32 captured;
	int lost;
};

static long emit_nth_chunk(__u64 i, void *data)
{
	struct chunks *c = data;
	__u32 coff = (__u32)i * CHUNK_BIG;
	if (coff >= c->captured)
		return 1;
	c->lost |= emit_chunk(c->skb, c->s, coff, c->captured);
	return 0;
}

static __always_inline int capture(struct __sk_buff *skb, __u8 direction)
{
	count(C_PACKETS, 1);
	count(C_BYTES, skb->len);
	struct seg s = {};
	int p = parse(skb, &s);
	if (p == 0)
		return TC_ACT_UNSPEC;
	if (p < 0) {
		count(C_UNPARSED, 1);
		return TC_ACT_UNSPEC;
	}
	if (!port_selected(s.h.sport, s.h.dport) || !peer_selected(&s))
		return TC_ACT_UNSPEC;
	s.h.ts_ns = bpf_ktime_get_ns();
	s.h.ifindex = skb->ifindex;
	s.h.direction = direction;
	count(C_SEGMENTS, 1);
	count(C_PAYLOAD_BYTES, s.h.payload_len);
	count_max(C_MAX_SEGMENT, s.h.payload_len);

	__u32 captured = s.h.payload_len;
	if (captured > MAX_CHUNKS * CHUNK_BIG) {
		count(C_TRUNCATED_SEGMENTS, 1);
		count(C_TRUNCATED_BYTES, captured - MAX_CHUNKS * CHUNK_BIG);
		captured = MAX_CHUNKS * CHUNK_BIG;
	}
	struct chunks c = {.skb = skb, .s = &s, .captured = captured};
	if (captured == 0)
		c.lost = emit_empty(&s);
	else
		bpf_loop((captured + CHUNK_BIG - 1) / CHUNK_BIG, emit_nth_chunk, &c, 0);
	int lost = c.lost;
	if (lost)
		count(C_SEGMENTS_DROPPED, 1);
	return TC_ACT_UNSPEC;
}

SEC("classifier")
int bgp_ingress(struct __sk_buff *skb)
{
	return capture(skb, DIR_INGRESS);
}

SEC("classifier")
int bgp_egress(struct __sk_buff *skb)
{
	return capture(skb, DIR_EGRESS);
}
