// SPDX-License-Identifier: Apache-2.0
/* wire: pure code both sides of the API need — netd and netctl link it.
 * The one public header of the wire module; each section is one file.
 * Nothing here touches the kernel or the daemon's state. */
#pragma once

#include "common/common.h"

#include <stdarg.h>

/* ---- the API version (version.c) ------------------------------------------ */

/* The Docker Engine API version netd speaks (and the lowest it accepts).
 * The one place: 1.44 is the lowest the newest Docker clients (29) accept
 * from a server; 1.47 is Docker 27's. Handlers answer each request in the
 * shape of the version it asked for (http_req_api_version()) where
 * Docker's shapes differ between MIN and this one. */
#define WIRE_API_VERSION "1.47"
#define WIRE_API_VERSION_MIN "1.24"
/* This build's architecture as Go names it (what images, Docker's API and
 * seccomp profiles say): "amd64", "arm64", ...; "" when unknown. */
const char *wire_go_arch(void);

/* true when v ("1.41") is a version netd answers: MIN <= v <= current. */
bool wire_api_version_ok(const char *v);
/* "1.41" -> 1041 (major * 1000 + minor); 0 when v is not MAJOR.MINOR. */
unsigned wire_api_version_num(const char *v);
#define WIRE_API(maj, min) ((maj) * 1000u + (min))

/* ---- growable byte buffer (buf.c) -----------------------------------------
 * One heap buffer that grows by doubling. After any successful append the
 * bytes are NUL-terminated (data[len] == '\0'), so text can be read in place;
 * binary data is fine too. A zeroed struct is an empty buffer. On -ENOMEM the
 * buffer is left as it was. */

struct wire_buf {
	char *data;                /* NULL until the first append */
	size_t len, cap;           /* cap counts the terminating NUL's byte too */
};

/* Room for `more` bytes past len (plus the NUL); 0 or -ENOMEM. */
int wire_buf_reserve(struct wire_buf *b, size_t more);
int wire_buf_append(struct wire_buf *b, const void *p, size_t n);
int wire_buf_puts(struct wire_buf *b, const char *s);
int wire_buf_printf(struct wire_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes (a consumer that has handed them on). */
void wire_buf_consume(struct wire_buf *b, size_t n);
/* Hands the bytes to the caller (free() them; never NULL on success: an
 * empty buffer gives ""), leaving b empty. NULL on -ENOMEM. */
char *wire_buf_steal(struct wire_buf *b, size_t *len);
void wire_buf_reset(struct wire_buf *b);     /* len = 0, keeps the memory */
void wire_buf_free(struct wire_buf *b);      /* frees, leaves a zeroed struct */
static inline void wire_buf_freep(struct wire_buf *b) { wire_buf_free(b); }
#define _cleanup_wire_buf_ _cleanup_(wire_buf_freep)

/* ---- query strings and URL escaping (query.c) ------------------------------
 * One encoder and one decoder, used by netctl to build URLs and by netd to
 * read them. The encoder escapes every byte but RFC 3986's unreserved ones
 * (A-Z a-z 0-9 - . _ ~), so its output is valid both as a path segment and
 * as a query value ('+' is sent as %2B, a space as %20). The decoder, for
 * query strings, also reads '+' as a space, as Go's net/url does for
 * application/x-www-form-urlencoded values (what Docker's CLI sends); path
 * segments decode without that rule. */

/* Escaped copy of s (malloc'ed); NULL on ENOMEM. */
char *wire_query_escape(const char *s);
/* Decodes len bytes of s; form = true turns '+' into ' '. NULL when a '%'
 * is not followed by two hex digits, when the result would hold a NUL byte,
 * or on ENOMEM. */
char *wire_query_unescape(const char *s, size_t len, bool form);
/* Appends "?key=value" (first parameter) or "&key=value" to b, the value
 * escaped; b holds a path or "" before the first call. */
int wire_query_append(struct wire_buf *b, const char *key, const char *value);
/* The first value of key in query ("a=1&b=x+y", no leading '?'), decoded;
 * "" for a bare "key" or "key=". NULL when absent or undecodable (errno is
 * then ENOENT, EINVAL or ENOMEM). Caller frees. */
char *wire_query_get(const char *query, const char *key);
/* Every value of a repeated key (?names=a&names=b), decoded, as a
 * NULL-terminated array (free each, then the array); *n gets the count.
 * An empty array when absent; NULL on ENOMEM or an undecodable value. */
char **wire_query_get_all(const char *query, const char *key, size_t *n);
/* Docker's boolean query values: "1", "true" (any case) and "" (a bare key)
 * are true; absent gives dflt. */
bool wire_query_bool(const char *query, const char *key, bool dflt);

/* ---- published ports: the -p syntax (ports.c) ------------------------------
 *   [HOSTIP:][HOSTPORT[-END]]:CPORT[-END][/tcp|udp|sctp]   or   CPORT[-END][/proto]
 * HOSTIP may be an IPv6 address in brackets ([::1]:8080:80). An absent or
 * empty HOSTPORT means "pick a free port" (host_lo = host_hi = 0). A host
 * range must have the container range's length. */

struct wire_port_spec {
	int proto;                 /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
	char host_ip[46];          /* "" = all addresses; v6 without brackets */
	uint16_t host_lo, host_hi; /* 0-0: pick one */
	uint16_t container_lo, container_hi;
};

int wire_ports_parse(const char *spec, struct wire_port_spec *out, struct nd_error *err);
/* Ports in the spec's range (container_hi - container_lo + 1). */
static inline size_t wire_ports_count(const struct wire_port_spec *s)
{
	return (size_t)(s->container_hi - s->container_lo) + 1;
}
/* "tcp", "udp", "sctp"; "?" for anything else. */
const char *wire_ports_proto_name(int proto);
/* "tcp" -> IPPROTO_TCP ...; -EINVAL when unknown. */
int wire_ports_proto_from_name(const char *name, int *proto);

/* ---- capability names (caps.c) --------------------------------------------- */

/* "NET_RAW", "net_raw" or "CAP_NET_RAW" -> 13; -EINVAL when unknown. */
int wire_cap_from_name(const char *name);
/* 13 -> "CAP_NET_RAW"; NULL when unknown. */
const char *wire_cap_name(int cap);
/* The highest capability number this table knows. */
int wire_cap_last(void);
/* Docker's default set for a container's processes, as a bit mask. */
uint64_t wire_cap_default_mask(void);
/* ---- stream framing (Docker's multiplexed attach/exec/logs stream) -------- */

/* Without a TTY every chunk of a stream is one frame: an 8-byte header
 * [stream, 0, 0, 0, length as big-endian uint32] and then length bytes. */
enum wire_stream_kind {
	WIRE_STREAM_STDIN = 0,
	WIRE_STREAM_STDOUT = 1,
	WIRE_STREAM_STDERR = 2,
};
#define WIRE_STREAM_HDR_LEN 8
#define WIRE_STREAM_FRAME_MAX 0xffffffffu

/* Writes the header of a frame of len bytes of stream kind into hdr. */
void wire_stream_header(unsigned char hdr[WIRE_STREAM_HDR_LEN], enum wire_stream_kind kind, uint32_t len);

/* The incremental decoder: feed it whatever the socket gave, in any pieces;
 * it calls fn for each run of payload bytes with their stream (a frame may
 * come in several calls). A header whose stream is not 0, 1 or 2 or whose
 * padding is not zero makes wire_stream_feed return -EPROTO; the decoder
 * then stays failed. */
struct wire_stream_decoder {
	unsigned char hdr[WIRE_STREAM_HDR_LEN];
	size_t hlen;          /* header bytes gathered */
	uint32_t left;        /* payload bytes left in the current frame */
	enum wire_stream_kind kind;
	bool failed;
};
typedef int (*wire_stream_fn)(enum wire_stream_kind kind, const void *data, size_t len, void *ctx);

void wire_stream_decoder_init(struct wire_stream_decoder *d);
/* 0, -EPROTO on a bad header, or the first negative value fn returned. */
int wire_stream_feed(struct wire_stream_decoder *d, const void *data, size_t len, wire_stream_fn fn, void *ctx);
/* true between frames (nothing of a frame pending): a clean end of stream. */
bool wire_stream_at_boundary(const struct wire_stream_decoder *d);

/* ---- detach keys (Docker's "ctrl-p,ctrl-q") ------------------------------- */

#define WIRE_DETACH_MAX 16
struct wire_detach {
	unsigned char keys[WIRE_DETACH_MAX];
	size_t n;             /* 0: detaching disabled */
	size_t matched;       /* keys[0..matched) seen and held back */
};
/* Parses Docker's format: comma-separated single characters or "ctrl-X"
 * (X one of a-z @ [ \ ] ^ _). NULL or "" disables detaching. -EINVAL names
 * nothing: the caller says which field was wrong. */
int wire_detach_keys_parse(const char *spec, struct wire_detach *out);
/* Filters client input: copies to out (room for len + WIRE_DETACH_MAX bytes)
 * what the process should get, holding back a partial match until it is
 * decided; returns the bytes in out. *detached becomes true when the whole
 * sequence came (what followed it in buf is dropped). */
size_t wire_detach_filter(struct wire_detach *d, const char *buf, size_t len, char *out, bool *detached);
