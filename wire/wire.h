/* wire: pure code both sides of the API need — netd and netctl link it.
 * The one public header of the wire module; each section is one file. */
#pragma once

#include "common/common.h"

/* ---- the API version ------------------------------------------------------ */

/* The Docker Engine API version netd speaks (and the lowest it accepts). */
#define WIRE_API_VERSION "1.43"
#define WIRE_API_VERSION_MIN "1.24"
/* true when v ("1.41") is a version netd answers: MIN <= v <= current. */
bool wire_api_version_ok(const char *v);

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
