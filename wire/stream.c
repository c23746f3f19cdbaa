// SPDX-License-Identifier: Apache-2.0
/* Docker's multiplexed stream: an 8-byte header per frame, both directions
 * of it (netd encodes, netctl decodes; the tests do both). */
#include "wire/wire.h"

void wire_stream_header(unsigned char hdr[WIRE_STREAM_HDR_LEN], enum wire_stream_kind kind, uint32_t len)
{
	hdr[0] = (unsigned char)kind;
	hdr[1] = hdr[2] = hdr[3] = 0;
	hdr[4] = (unsigned char)(len >> 24);
	hdr[5] = (unsigned char)(len >> 16);
	hdr[6] = (unsigned char)(len >> 8);
	hdr[7] = (unsigned char)len;
}

void wire_stream_decoder_init(struct wire_stream_decoder *d)
{
	memset(d, 0, sizeof(*d));
}

int wire_stream_feed(struct wire_stream_decoder *d, const void *data, size_t len, wire_stream_fn fn, void *ctx)
{
	const unsigned char *p = data;
	if (d->failed)
		return -EPROTO;
	while (len) {
		if (d->left == 0 && d->hlen < WIRE_STREAM_HDR_LEN) {
			size_t k = WIRE_STREAM_HDR_LEN - d->hlen;
			if (k > len)
				k = len;
			memcpy(d->hdr + d->hlen, p, k);
			d->hlen += k;
			p += k;
			len -= k;
			if (d->hlen < WIRE_STREAM_HDR_LEN)
				break;
			if (d->hdr[0] > WIRE_STREAM_STDERR || d->hdr[1] || d->hdr[2] || d->hdr[3]) {
				d->failed = true;
				return -EPROTO;
			}
			d->kind = (enum wire_stream_kind)d->hdr[0];
			d->left = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 | (uint32_t)d->hdr[6] << 8 |
				  d->hdr[7];
			d->hlen = 0;
			continue;   /* an empty frame is legal: next header */
		}
		size_t k = d->left < len ? d->left : len;
		d->left -= (uint32_t)k;
		int r = fn(d->kind, p, k, ctx);
		if (r < 0)
			return r;
		p += k;
		len -= k;
	}
	return 0;
}

bool wire_stream_at_boundary(const struct wire_stream_decoder *d)
{
	return !d->failed && d->left == 0 && d->hlen == 0;
}
