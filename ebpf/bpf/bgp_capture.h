/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bgp_capture.h — the records and counters shared by bgp_capture.bpf.c and the user side
 * (bgpstorm-ebpf's src/lib.rs mirrors every constant and offset here; keep them in step).
 */
#ifndef BGPSTORM_BGP_CAPTURE_H
#define BGPSTORM_BGP_CAPTURE_H

/* Payload bytes per ring buffer record. bpf_ringbuf_reserve needs a constant size, so a
 * segment's payload goes out in chunks of CHUNK_BIG bytes, each in a record of one of three
 * fixed sizes (powers of two): small for KEEPALIVEs and short UPDATEs, mid for one MSS of an
 * Ethernet link, big for the rest. A segment without payload is a header-only record. */
#define CHUNK_SMALL 512
#define CHUNK_MID 2048
#define CHUNK_BIG 4096
/* 128 big chunks hold 512 KiB: the largest GSO/GRO super-packet, BIG TCP included
 * (GSO_MAX_SIZE; 64 KiB without BIG TCP). Bytes beyond are counted as truncated. */
#define MAX_CHUNKS 128

#define DIR_INGRESS 0
#define DIR_EGRESS 1

#define REC_FIRST 0x01 /* the chunk at payload offset 0 (or the only record of a segment) */
#define REC_LAST 0x02  /* the chunk that ends the captured payload */

/* One ring buffer record: a chunk of one TCP segment. Native byte order, except the
 * addresses (network order; IPv4 in the first 4 bytes). 72 bytes, then the data. */
struct bgp_rec_hdr {
	__u64 ts_ns;        /* bpf_ktime_get_ns (CLOCK_MONOTONIC), once per segment */
	__u32 ifindex;      /* skb->ifindex */
	__u32 payload_len;  /* TCP payload length of the whole segment */
	__u32 seq;          /* TCP sequence number of the segment, host order */
	__u32 ack;          /* TCP acknowledgment number, host order */
	__u32 chunk_offset; /* offset of this chunk's first byte in the segment's payload */
	__u16 chunk_len;    /* bytes of data in this record */
	__u16 sport;        /* host order */
	__u16 dport;        /* host order */
	__u8 direction;     /* DIR_INGRESS or DIR_EGRESS */
	__u8 family;        /* 4 or 6 */
	__u8 tcp_flags;     /* the TCP flags octet (RFC 9293 §3.1) */
	__u8 rec_flags;     /* REC_FIRST | REC_LAST */
	__u16 pad;
	__u8 saddr[16];
	__u8 daddr[16];
};

/* The offsets bgpstorm-ebpf's `record` module uses. */
#define BGP_OFF(f, n) _Static_assert(__builtin_offsetof(struct bgp_rec_hdr, f) == n, #f)
BGP_OFF(ts_ns, 0);
BGP_OFF(ifindex, 8);
BGP_OFF(payload_len, 12);
BGP_OFF(seq, 16);
BGP_OFF(ack, 20);
BGP_OFF(chunk_offset, 24);
BGP_OFF(chunk_len, 28);
BGP_OFF(sport, 30);
BGP_OFF(dport, 32);
BGP_OFF(direction, 34);
BGP_OFF(family, 35);
BGP_OFF(tcp_flags, 36);
BGP_OFF(rec_flags, 37);
BGP_OFF(saddr, 40);
BGP_OFF(daddr, 56);
_Static_assert(sizeof(struct bgp_rec_hdr) == 72, "header size");

/* Indices of the per-CPU counters (PERCPU_ARRAY "COUNTERS"). */
enum counter {
	C_PACKETS = 0,        /* packets the program ran on */
	C_BYTES,              /* their skb->len */
	C_SEGMENTS,           /* TCP segments selected (port set and peer filter) */
	C_PAYLOAD_BYTES,      /* payload bytes of those segments */
	C_RECORDS,            /* records written to the ring buffer */
	C_SEGMENTS_DROPPED,   /* selected segments of which at least one record was lost */
	C_RECORDS_DROPPED,    /* records lost: ring buffer full */
	C_LOAD_ERRORS,        /* records lost: bpf_skb_load_bytes failed */
	C_TRUNCATED_SEGMENTS, /* segments longer than MAX_CHUNKS * CHUNK_BIG */
	C_TRUNCATED_BYTES,    /* payload bytes beyond that limit, not captured */
	C_UNPARSED,           /* TCP not parsed, any port: IP fragments, long IPv6 header chains, cut headers */
	C_MAX_SEGMENT,        /* largest payload of a selected segment (a maximum, not a sum) */
	C_NUM
};

/* Key of the peer filter (LPM_TRIE "PEERS"): IPv6, or IPv4 as ::ffff:a.b.c.d with
 * prefixlen 96 + the IPv4 prefix length. */
struct peer_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* CONFIG[0]: non-zero when the peer filter is active (PEERS must match src or dst). */
struct config {
	__u32 peer_filter;
};

#endif
