// SPDX-License-Identifier: Apache-2.0
/* Docker's detach keys: parsing "ctrl-p,ctrl-q" and finding the sequence in
 * a client's input, holding back a partial match as Docker's proxy does. */
#include "wire/wire.h"

#include <ctype.h>
#include <strings.h>

int wire_detach_keys_parse(const char *spec, struct wire_detach *out)
{
	memset(out, 0, sizeof(*out));
	if (!spec || !*spec)
		return 0;
	const char *p = spec;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		unsigned char k;
		if (len == 1) {
			k = (unsigned char)p[0];
		} else if (len == 6 && strncasecmp(p, "ctrl-", 5) == 0) {
			char x = (char)tolower((unsigned char)p[5]);
			if (x >= 'a' && x <= 'z')
				k = (unsigned char)(x - 'a' + 1);
			else if (x == '@' || x == '[' || x == '\\' || x == ']' || x == '^' || x == '_')
				k = (unsigned char)(x == '@' ? 0 : x - '[' + 27);
			else
				return -EINVAL;
		} else {
			return -EINVAL;
		}
		if (out->n == WIRE_DETACH_MAX)
			return -EINVAL;
		out->keys[out->n++] = k;
		if (!comma)
			break;
		p = comma + 1;
		if (!*p)
			return -EINVAL;
	}
	return 0;
}

size_t wire_detach_filter(struct wire_detach *d, const char *buf, size_t len, char *out, bool *detached)
{
	size_t o = 0;
	*detached = false;
	if (d->n == 0) {
		memcpy(out, buf, len);
		return len;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)buf[i];
		if (b == d->keys[d->matched]) {
			if (++d->matched == d->n) {
				d->matched = 0;
				*detached = true;
				return o;
			}
			continue;
		}
		/* the held-back prefix was not the sequence after all */
		memcpy(out + o, d->keys, d->matched);
		o += d->matched;
		d->matched = 0;
		if (b == d->keys[0]) {
			d->matched = 1;
			if (d->n == 1) {
				d->matched = 0;
				*detached = true;
				return o;
			}
			continue;
		}
		out[o++] = (char)b;
	}
	return o;
}
