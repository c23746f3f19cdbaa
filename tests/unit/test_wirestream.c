// SPDX-License-Identifier: Apache-2.0
/* wire/stream.c: Docker's 8-byte frame header, encoded then decoded back in
 * every split of the byte stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wire/wire.h"

struct sink {
	char out[2][256];
	size_t len[2];
	int calls;
};

static int collect(enum wire_stream_kind kind, const void *data, size_t len, void *ctx)
{
	struct sink *s = ctx;
	assert_true(kind == WIRE_STREAM_STDOUT || kind == WIRE_STREAM_STDERR);
	int i = kind == WIRE_STREAM_STDERR;
	assert_true(s->len[i] + len <= sizeof(s->out[i]));
	memcpy(s->out[i] + s->len[i], data, len);
	s->len[i] += len;
	s->calls++;
	return 0;
}

static size_t frame(unsigned char *buf, enum wire_stream_kind k, const char *payload)
{
	size_t n = strlen(payload);
	wire_stream_header(buf, k, (uint32_t)n);
	memcpy(buf + WIRE_STREAM_HDR_LEN, payload, n);
	return WIRE_STREAM_HDR_LEN + n;
}

static void test_header_layout(void **state)
{
	(void)state;
	unsigned char h[8];
	wire_stream_header(h, WIRE_STREAM_STDERR, 0x01020304);
	static const unsigned char want[8] = { 2, 0, 0, 0, 1, 2, 3, 4 };
	assert_memory_equal(h, want, 8);
	wire_stream_header(h, WIRE_STREAM_STDOUT, 5);
	static const unsigned char want2[8] = { 1, 0, 0, 0, 0, 0, 0, 5 };
	assert_memory_equal(h, want2, 8);
}

/* stdout "hello\n", an empty frame, stderr "oops", stdout "!" - fed in every
 * possible pair of pieces and one byte at a time */
static void test_roundtrip_any_split(void **state)
{
	(void)state;
	unsigned char buf[128];
	size_t n = 0;
	n += frame(buf + n, WIRE_STREAM_STDOUT, "hello\n");
	n += frame(buf + n, WIRE_STREAM_STDOUT, "");
	n += frame(buf + n, WIRE_STREAM_STDERR, "oops");
	n += frame(buf + n, WIRE_STREAM_STDOUT, "!");
	for (size_t cut = 0; cut <= n; cut++) {
		struct wire_stream_decoder d;
		struct sink s = { 0 };
		wire_stream_decoder_init(&d);
		assert_int_equal(wire_stream_feed(&d, buf, cut, collect, &s), 0);
		assert_int_equal(wire_stream_feed(&d, buf + cut, n - cut, collect, &s), 0);
		assert_true(wire_stream_at_boundary(&d));
		assert_int_equal(s.len[0], 7);
		assert_memory_equal(s.out[0], "hello\n!", 7);
		assert_int_equal(s.len[1], 4);
		assert_memory_equal(s.out[1], "oops", 4);
	}
	struct wire_stream_decoder d;
	struct sink s = { 0 };
	wire_stream_decoder_init(&d);
	int boundaries = 0;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(wire_stream_feed(&d, buf + i, 1, collect, &s), 0);
		boundaries += wire_stream_at_boundary(&d);
	}
	assert_int_equal(boundaries, 4);   /* after each of the four frames */
	assert_true(wire_stream_at_boundary(&d));
	assert_memory_equal(s.out[0], "hello\n!", 7);
}

static void test_truncated_is_not_boundary(void **state)
{
	(void)state;
	unsigned char buf[32];
	size_t n = frame(buf, WIRE_STREAM_STDOUT, "abc");
	struct wire_stream_decoder d;
	struct sink s = { 0 };
	wire_stream_decoder_init(&d);
	assert_int_equal(wire_stream_feed(&d, buf, n - 1, collect, &s), 0);
	assert_false(wire_stream_at_boundary(&d));
	assert_int_equal(s.len[0], 2);
}

static void test_bad_header(void **state)
{
	(void)state;
	static const unsigned char bad_kind[8] = { 3, 0, 0, 0, 0, 0, 0, 1 };
	static const unsigned char bad_pad[8] = { 1, 0, 1, 0, 0, 0, 0, 1 };
	/* what a raw (tty) stream looks like to a demuxer: text */
	static const char text[] = "HTTP/1.1 200 OK\r\n";
	const void *cases[] = { bad_kind, bad_pad, text };
	for (size_t i = 0; i < 3; i++) {
		struct wire_stream_decoder d;
		struct sink s = { 0 };
		wire_stream_decoder_init(&d);
		assert_int_equal(wire_stream_feed(&d, cases[i], 8, collect, &s), -EPROTO);
		assert_int_equal(s.calls, 0);
		/* stays failed */
		unsigned char ok[16];
		size_t n = frame(ok, WIRE_STREAM_STDOUT, "x");
		assert_int_equal(wire_stream_feed(&d, ok, n, collect, &s), -EPROTO);
		assert_false(wire_stream_at_boundary(&d));
	}
}

static int stop_at_stderr(enum wire_stream_kind kind, const void *data, size_t len, void *ctx)
{
	(void)data;
	(void)len;
	(void)ctx;
	return kind == WIRE_STREAM_STDERR ? -ECANCELED : 0;
}

static void test_callback_error_propagates(void **state)
{
	(void)state;
	unsigned char buf[64];
	size_t n = frame(buf, WIRE_STREAM_STDOUT, "a");
	n += frame(buf + n, WIRE_STREAM_STDERR, "b");
	struct wire_stream_decoder d;
	wire_stream_decoder_init(&d);
	assert_int_equal(wire_stream_feed(&d, buf, n, stop_at_stderr, NULL), -ECANCELED);
}

static void test_detach_keys_parse(void **state)
{
	(void)state;
	struct wire_detach d;
	assert_int_equal(wire_detach_keys_parse("ctrl-p,ctrl-q", &d), 0);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.keys[0], 16);
	assert_int_equal(d.keys[1], 17);
	assert_int_equal(wire_detach_keys_parse("a,ctrl-[,ctrl-_", &d), 0);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.keys[0], 'a');
	assert_int_equal(d.keys[1], 27);
	assert_int_equal(d.keys[2], 31);
	assert_int_equal(wire_detach_keys_parse("", &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(wire_detach_keys_parse("ctrl-1", &d), -EINVAL);
	assert_int_equal(wire_detach_keys_parse("ab", &d), -EINVAL);
	assert_int_equal(wire_detach_keys_parse("a,", &d), -EINVAL);
}

static void test_detach_keys_filter(void **state)
{
	(void)state;
	struct wire_detach d;
	char out[64];
	bool det;
	assert_int_equal(wire_detach_keys_parse("ctrl-p,ctrl-q", &d), 0);
	/* a lone ctrl-p is held back, then given on when the next byte is not ctrl-q */
	assert_int_equal(wire_detach_filter(&d, "ab\x10", 3, out, &det), 2);
	assert_false(det);
	assert_memory_equal(out, "ab", 2);
	assert_int_equal(wire_detach_filter(&d, "c", 1, out, &det), 2);
	assert_memory_equal(out, "\x10" "c", 2);
	/* the sequence split across two reads detaches; what follows is dropped */
	assert_int_equal(wire_detach_filter(&d, "x\x10", 2, out, &det), 1);
	assert_false(det);
	assert_int_equal(wire_detach_filter(&d, "\x11rest", 5, out, &det), 0);
	assert_true(det);
	/* disabled: everything passes */
	assert_int_equal(wire_detach_keys_parse(NULL, &d), 0);
	assert_int_equal(wire_detach_filter(&d, "\x10\x11", 2, out, &det), 2);
	assert_false(det);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_layout),
		cmocka_unit_test(test_roundtrip_any_split),
		cmocka_unit_test(test_truncated_is_not_boundary),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_callback_error_propagates),
		cmocka_unit_test(test_detach_keys_parse),
		cmocka_unit_test(test_detach_keys_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
