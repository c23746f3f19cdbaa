// SPDX-License-Identifier: Apache-2.0
/* wire: a growable byte buffer, NUL-terminated after each append. */
#include "wire/wire.h"

#include <stdio.h>

#define WIRE_BUF_MIN 256

int wire_buf_reserve(struct wire_buf *b, size_t more)
{
	if (more > SIZE_MAX / 2 - b->len - 1)
		return -ENOMEM;
	size_t need = b->len + more + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : WIRE_BUF_MIN;
	while (cap < need)
		cap *= 2;
	char *d = realloc(b->data, cap);
	if (!d)
		return -ENOMEM;
	b->data = d;
	b->cap = cap;
	return 0;
}

int wire_buf_append(struct wire_buf *b, const void *p, size_t n)
{
	int r = wire_buf_reserve(b, n);
	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int wire_buf_puts(struct wire_buf *b, const char *s)
{
	return wire_buf_append(b, s, strlen(s));
}

int wire_buf_printf(struct wire_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	int r = wire_buf_reserve(b, (size_t)n);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void wire_buf_consume(struct wire_buf *b, size_t n)
{
	if (n >= b->len) {
		wire_buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

char *wire_buf_steal(struct wire_buf *b, size_t *len)
{
	if (!b->data && wire_buf_reserve(b, 0) < 0)
		return NULL;
	b->data[b->len] = '\0';
	if (len)
		*len = b->len;
	char *d = b->data;
	*b = (struct wire_buf){ 0 };
	return d;
}

void wire_buf_reset(struct wire_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void wire_buf_free(struct wire_buf *b)
{
	free(b->data);
	*b = (struct wire_buf){ 0 };
}
