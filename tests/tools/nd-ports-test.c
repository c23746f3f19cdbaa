// SPDX-License-Identifier: Apache-2.0
/* nd-ports-test: holds a port-publishing handle (proxy.h) while a test drives
 * it, for tests/integration/t_ports*.sh and bench/ports*.sh. Not installed.
 *
 *   nd-ports-test parse SPEC                 prints the mappings of one -p value
 *   nd-ports-test [--table T] [--cgroup DIR] [--pin DIR] [--mode auto|ebpf|userland] serve
 *     reads one command per line on stdin, answers one line on stdout:
 *     "ok [...]" or "err <errno> <message>"
 *       add SPEC IP [SPEC IP...]    publish (all or nothing); host port 0 is picked
 *       del SPEC IP [SPEC IP...]
 *       sync [SPEC IP...]           the whole published set (reconcile)
 *       fwsync [BRIDGE[,SUBNET...]...]   nd_fw_sync, as netd's reconcile does
 *       mode | count | refresh | purge | quit
 *       pick PROTO [HOSTIP]
 *       bench N FIRSTPORT IP CPORT  publish N tcp ports one call each; prints timings
 */
#include "proxy/proxy.h"

#include <signal.h>

#include <netinet/in.h>
#include <uv.h>

#define MAXMAPS 70000

struct serve {
	struct nd_fw *fw;
	struct nd_ports *ports;
	uv_loop_t loop;
	uv_pipe_t in;
	char line[1 << 16];
	size_t len;
	struct nd_port_map *maps;
};

static void reply_err(const struct nd_error *e)
{
	printf("err %d %s\n", e->code, e->msg);
	fflush(stdout);
}

static void reply_ok(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ok", stdout);
	if (fmt && *fmt) {
		fputc(' ', stdout);
		vprintf(fmt, ap);
	}
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

/* SPEC IP pairs into s->maps; picks host ports that are 0 (when pick) */
static int parse_pairs(struct serve *s, char **tok, int ntok, size_t *n, bool pick, struct nd_error *err)
{
	*n = 0;
	if (ntok % 2)
		return nd_error_set(err, -EINVAL, "expected SPEC IP pairs");
	for (int i = 0; i < ntok; i += 2) {
		size_t k;
		int r = nd_ports_parse(tok[i], s->maps + *n, MAXMAPS - *n, &k, err);
		if (r < 0)
			return r;
		for (size_t j = 0; j < k; j++) {
			struct nd_port_map *m = &s->maps[*n + j];
			snprintf(m->container_ip, sizeof(m->container_ip), "%s", tok[i + 1]);
			if (!m->host_port && pick) {
				const char *hip = m->host_ip[0] ? m->host_ip : strchr(tok[i + 1], ':') ? "::" : "";
				if ((r = nd_ports_pick_free(s->ports, m->proto, hip, &m->host_port, err)) < 0)
					return r;
			}
		}
		*n += k;
	}
	return 0;
}

static void print_maps(const struct nd_port_map *m, size_t n)
{
	fputs("ok", stdout);
	for (size_t i = 0; i < n && i < 64; i++) {
		char b[160];
		printf(" %s", nd_port_map_str(&m[i], b, sizeof(b)));
	}
	fputc('\n', stdout);
	fflush(stdout);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void bench(struct serve *s, int n, int first, const char *ip, int cport)
{
	uint64_t *t = calloc((size_t)n, sizeof(*t));
	struct nd_error err = { 0 };
	for (int i = 0; i < n; i++) {
		struct nd_port_map m = { .proto = IPPROTO_TCP, .host_port = (uint16_t)(first + i),
					 .container_port = (uint16_t)cport };
		snprintf(m.container_ip, sizeof(m.container_ip), "%s", ip);
		uint64_t t0 = nd_now_ns();
		if (nd_ports_add(s->ports, &m, 1, &err) < 0) {
			free(t);
			reply_err(&err);
			return;
		}
		t[i] = nd_now_ns() - t0;
	}
	double first_ms = (double)t[0] / 1e6, last_ms = (double)t[n - 1] / 1e6;
	double first100 = 0, last100 = 0;
	int k = n < 100 ? n : 100;
	for (int i = 0; i < k; i++) {
		first100 += (double)t[i] / 1e6 / k;
		last100 += (double)t[n - 1 - i] / 1e6 / k;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_u64);
	reply_ok("n=%d first=%.3fms last=%.3fms mean_first100=%.3fms mean_last100=%.3fms median=%.3fms p99=%.3fms", n,
		 first_ms, last_ms, first100, last100, (double)t[n / 2] / 1e6, (double)t[(size_t)n * 99 / 100] / 1e6);
	free(t);
}

static void command(struct serve *s, char *line)
{
	char *tok[4096];
	int nt = 0;
	char *save = NULL;
	for (char *w = strtok_r(line, " \t", &save); w && nt < (int)ARRAY_SIZE(tok); w = strtok_r(NULL, " \t", &save))
		tok[nt++] = w;
	if (nt == 0)
		return;
	struct nd_error err = { 0 };
	size_t n;
	const char *c = tok[0];
	if (!strcmp(c, "add") || !strcmp(c, "del") || !strcmp(c, "sync")) {
		if (parse_pairs(s, tok + 1, nt - 1, &n, !strcmp(c, "add"), &err) < 0)
			return reply_err(&err);
		int r = !strcmp(c, "add") ? nd_ports_add(s->ports, s->maps, n, &err)
			: !strcmp(c, "del") ? nd_ports_del(s->ports, s->maps, n, &err)
					    : nd_ports_sync(s->ports, s->maps, n, &err);
		if (r < 0)
			return reply_err(&err);
		return print_maps(s->maps, n);
	}
	if (!strcmp(c, "fwsync")) {
		struct nd_fw_network nets[64];
		int nn = 0;
		for (int i = 1; i < nt && nn < 64; i++) {
			char *sv = NULL, *br = strtok_r(tok[i], ",", &sv);
			nets[nn] = (struct nd_fw_network){ .bridge = br, .icc = true, .masquerade = true };
			for (char *x = strtok_r(NULL, ",", &sv); x && nets[nn].nsubnets < ND_FW_MAX_SUBNETS;
			     x = strtok_r(NULL, ",", &sv))
				nets[nn].subnets[nets[nn].nsubnets++] = x;
			nn++;
		}
		if (nd_fw_sync(s->fw, nets, (size_t)nn, &err) < 0)
			return reply_err(&err);
		return reply_ok(NULL);
	}
	if (!strcmp(c, "mode"))
		return reply_ok("%s", nd_ports_mode(s->ports));
	if (!strcmp(c, "count"))
		return reply_ok("%zu", nd_ports_count(s->ports));
	if (!strcmp(c, "refresh")) {
		if (nd_ports_refresh_addrs(s->ports, &err) < 0)
			return reply_err(&err);
		return reply_ok(NULL);
	}
	if (!strcmp(c, "pick") && nt >= 2) {
		int proto = !strcmp(tok[1], "udp") ? IPPROTO_UDP : !strcmp(tok[1], "sctp") ? IPPROTO_SCTP : IPPROTO_TCP;
		uint16_t port;
		if (nd_ports_pick_free(s->ports, proto, nt > 2 ? tok[2] : "", &port, &err) < 0)
			return reply_err(&err);
		return reply_ok("%u", port);
	}
	if (!strcmp(c, "bench") && nt == 5)
		return bench(s, atoi(tok[1]), atoi(tok[2]), tok[3], atoi(tok[4]));
	if (!strcmp(c, "purge")) {
		if (nd_ports_purge(s->ports, &err) < 0)
			return reply_err(&err);
		return reply_ok(NULL);
	}
	if (!strcmp(c, "quit")) {
		uv_read_stop((uv_stream_t *)&s->in);
		uv_close((uv_handle_t *)&s->in, NULL);
		return reply_ok(NULL);
	}
	nd_error_set(&err, -EINVAL, "unknown command %s", c);
	reply_err(&err);
}

static void in_alloc(uv_handle_t *h, size_t sugg, uv_buf_t *buf)
{
	static char b[65536];
	buf->base = b;
	buf->len = sizeof(b);
}

static void in_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct serve *s = st->data;
	if (nread < 0) {
		if (!uv_is_closing((uv_handle_t *)st))
			uv_close((uv_handle_t *)st, NULL);
		return;
	}
	for (ssize_t i = 0; i < nread; i++) {
		char ch = buf->base[i];
		if (ch == '\n') {
			s->line[s->len] = '\0';
			command(s, s->line);
			s->len = 0;
			if (uv_is_closing((uv_handle_t *)st))
				return;
		} else if (s->len + 1 < sizeof(s->line)) {
			s->line[s->len++] = ch;
		}
	}
}

static void close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);   /* as netd: a peer gone mid-write is EPIPE, not death */
	const char *table = NULL;
	struct nd_ports_config cfg = { 0 };
	int i = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--table"))
			table = argv[i + 1];
		else if (!strcmp(argv[i], "--cgroup"))
			cfg.cgroup_path = argv[i + 1];
		else if (!strcmp(argv[i], "--pin"))
			cfg.pin_dir = argv[i + 1];
		else if (!strcmp(argv[i], "--mode"))
			cfg.mode = !strcmp(argv[i + 1], "ebpf") ? ND_PORTS_EBPF
				   : !strcmp(argv[i + 1], "userland") ? ND_PORTS_USERLAND : ND_PORTS_AUTO;
		else if (!strcmp(argv[i], "--log-level")) {
			enum nd_log_level l;
			if (nd_log_parse_level(argv[i + 1], &l) == 0)
				nd_log_set_level(l);
		} else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: nd-ports-test parse SPEC | [--table T] [--cgroup DIR] [--pin DIR] "
				"[--mode auto|ebpf|userland] serve\n");
		return 2;
	}
	struct nd_error err = { 0 };
	if (!strcmp(argv[i], "parse") && i + 1 < argc) {
		struct nd_port_map m[1024];
		size_t n;
		if (nd_ports_parse(argv[i + 1], m, ARRAY_SIZE(m), &n, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		for (size_t k = 0; k < n; k++) {
			char b[160];
			printf("%s\n", nd_port_map_str(&m[k], b, sizeof(b)));
		}
		return 0;
	}
	if (strcmp(argv[i], "serve"))
		return 2;
	static struct serve s;
	s.maps = calloc(MAXMAPS, sizeof(*s.maps));
	uv_loop_init(&s.loop);
	cfg.loop = &s.loop;
	if (nd_fw_open(table, &s.fw, &err) < 0 || nd_fw_ensure(s.fw, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	cfg.fw = s.fw;
	if (nd_ports_open(&cfg, &s.ports, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	uv_pipe_init(&s.loop, &s.in, 0);
	s.in.data = &s;
	if (uv_pipe_open(&s.in, 0) < 0) {
		fprintf(stderr, "stdin must be a pipe or fifo\n");
		return 1;
	}
	reply_ok("ready mode=%s", nd_ports_mode(s.ports));
	uv_read_start((uv_stream_t *)&s.in, in_alloc, in_read);
	uv_run(&s.loop, UV_RUN_DEFAULT);
	nd_ports_free(s.ports);
	uv_walk(&s.loop, close_walk, NULL);
	uv_run(&s.loop, UV_RUN_DEFAULT);
	uv_loop_close(&s.loop);
	nd_fw_free(s.fw);
	free(s.maps);
	return 0;
}
