// SPDX-License-Identifier: Apache-2.0
/* wire: URL escaping and query strings, the one encoder and decoder that
 * netctl and netd share. */
#include "wire/wire.h"

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_' || c == '~';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int escape_into(struct wire_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int r = wire_buf_reserve(b, strlen(s) * 3);
	if (r < 0)
		return r;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p)) {
			b->data[b->len++] = (char)*p;
		} else {
			b->data[b->len++] = '%';
			b->data[b->len++] = hex[*p >> 4];
			b->data[b->len++] = hex[*p & 15];
		}
	}
	b->data[b->len] = '\0';
	return 0;
}

char *wire_query_escape(const char *s)
{
	struct wire_buf b = { 0 };
	if (escape_into(&b, s ? s : "") < 0) {
		wire_buf_free(&b);
		return NULL;
	}
	return wire_buf_steal(&b, NULL);
}

char *wire_query_unescape(const char *s, size_t len, bool form)
{
	char *out = malloc(len + 1);
	if (!out) {
		errno = ENOMEM;
		return NULL;
	}
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= len || (hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0) {
				free(out);
				errno = EINVAL;
				return NULL;
			}
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && form) {
			c = ' ';
		}
		if (c == '\0') {
			free(out);
			errno = EINVAL;
			return NULL;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

int wire_query_append(struct wire_buf *b, const char *key, const char *value)
{
	bool first = !b->data || !memchr(b->data, '?', b->len);
	int r = wire_buf_puts(b, first ? "?" : "&");
	if (r < 0 || (r = escape_into(b, key)) < 0 || (r = wire_buf_puts(b, "=")) < 0 ||
	    (r = escape_into(b, value ? value : "")) < 0)
		return r;
	return 0;
}

/* Walks query's "k=v" pairs; calls fn for each one whose decoded key is key.
 * Stops when fn returns non-zero and returns that. */
static int each_value(const char *query, const char *key, int (*fn)(const char *v, size_t vlen, bool bare, void *u),
		      void *u)
{
	for (const char *q = query; q && *q;) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', len);
		size_t nlen = eq ? (size_t)(eq - q) : len;
		if (nlen > 0) {
			_cleanup_free_ char *name = wire_query_unescape(q, nlen, true);
			if (name && strcmp(name, key) == 0) {
				int r = eq ? fn(eq + 1, len - nlen - 1, false, u) : fn("", 0, true, u);
				if (r)
					return r;
			}
		}
		q = amp ? amp + 1 : NULL;
	}
	return 0;
}

struct first {
	char *v;
	int err;
};

static int take_first(const char *v, size_t vlen, bool bare, void *u)
{
	struct first *f = u;
	f->v = wire_query_unescape(v, vlen, true);
	f->err = f->v ? 0 : errno;
	return 1;
}

char *wire_query_get(const char *query, const char *key)
{
	struct first f = { .err = ENOENT };
	each_value(query, key, take_first, &f);
	if (!f.v)
		errno = f.err;
	return f.v;
}

struct all {
	char **v;
	size_t n;
	bool failed;
};

static int take_all(const char *v, size_t vlen, bool bare, void *u)
{
	struct all *a = u;
	char *val = wire_query_unescape(v, vlen, true);
	char **nv = val ? realloc(a->v, (a->n + 2) * sizeof(char *)) : NULL;
	if (!nv) {
		free(val);
		a->failed = true;
		return 1;
	}
	a->v = nv;
	a->v[a->n++] = val;
	a->v[a->n] = NULL;
	return 0;
}

char **wire_query_get_all(const char *query, const char *key, size_t *n)
{
	struct all a = { .v = calloc(1, sizeof(char *)) };
	if (!a.v)
		return NULL;
	each_value(query, key, take_all, &a);
	if (a.failed) {
		for (size_t i = 0; i < a.n; i++)
			free(a.v[i]);
		free(a.v);
		return NULL;
	}
	if (n)
		*n = a.n;
	return a.v;
}

bool wire_query_bool(const char *query, const char *key, bool dflt)
{
	_cleanup_free_ char *v = wire_query_get(query, key);
	if (!v)
		return dflt;
	return strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || v[0] == '\0';
}
