// SPDX-License-Identifier: Apache-2.0
/* netctl ui: a live web view of the topology, served on 127.0.0.1 by
 * libmicrohttpd (one thread per connection).
 *
 * Access: the URL printed at start carries a random one-time token
 * (?token=...). The first request that shows it gets a session cookie
 * (HttpOnly, SameSite=Strict) and a redirect to "/", and the token is spent;
 * from then on only the cookie opens anything. Every other request, and any
 * whose Host header is not this listener's loopback address, is refused
 * with 403 (the Host check keeps DNS-rebinding pages out).
 *
 * Live: one thread per daemon follows its GET /events (Docker-shaped JSON
 * lines) and bumps a generation counter; the page holds a Server-Sent
 * Events stream (/api/events) that says "change" on each bump, and fetches
 * the picture again. The pages (cli/ui/assets) are compiled into netctl. */
#include "cli/netctl.h"
#include "cli/topology.h"
#include "cli/ui/ui_assets.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <sys/random.h>
#include <time.h>

#define UI_COOKIE "netd_ui"
#define UI_PING_S 15

struct ui_host {
	struct client *client;       /* requests of the page threads (lock) */
	pthread_mutex_t lock;
	struct client *events;       /* the /events follower's own */
	const char *addr;
	pthread_t follower;
	bool follower_started;
};

struct ui {
	struct topo_hosts hosts;
	struct ui_host *h;
	unsigned short port;
	char host_hdr[2][64];        /* "127.0.0.1:PORT", "localhost:PORT" */
	char token[65];              /* "" once spent */
	char session[65];
	pthread_mutex_t lock;        /* token, generation, last event, stop */
	pthread_cond_t changed;
	unsigned long generation;
	char last_event[512];
	bool stop;
};

static int random_hex(char out[65])
{
	unsigned char b[32];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

static bool secret_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	return la == lb && la > 0 && CRYPTO_memcmp(a, b, la) == 0;
}

/* ---- following netd's events ------------------------------------------------------ */

struct follow {
	struct ui *ui;
	size_t host;
	char line[8192];
	size_t len;
};

static void ui_bump(struct ui *ui, const char *what)
{
	pthread_mutex_lock(&ui->lock);
	ui->generation++;
	snprintf(ui->last_event, sizeof(ui->last_event), "%s", what);
	pthread_cond_broadcast(&ui->changed);
	pthread_mutex_unlock(&ui->lock);
}

static void follow_line(struct follow *f, const char *line)
{
	json_error_t je;
	_cleanup_json_ json_t *ev = json_loads(line, 0, &je);
	if (!ev)
		return;
	json_t *actor = json_object_get(ev, "Actor");
	const char *name = nd_json_str(json_object_get(actor, "Attributes"), "name");
	char what[512];
	snprintf(what, sizeof(what), "host %zu: %s %s %s", f->host, nd_json_str(ev, "Type") ?: "?",
		 nd_json_str(ev, "Action") ?: "?", name ? name : (nd_json_str(actor, "ID") ?: ""));
	ui_bump(f->ui, what);
}

static size_t follow_data(char *p, size_t sz, size_t nm, void *ud)
{
	struct follow *f = ud;
	size_t n = sz * nm;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			f->line[f->len] = '\0';
			if (f->len)
				follow_line(f, f->line);
			f->len = 0;
		} else if (f->len + 1 < sizeof(f->line)) {
			f->line[f->len++] = p[i];
		}
	}
	return n;
}

static bool ui_stopping(struct ui *ui)
{
	pthread_mutex_lock(&ui->lock);
	bool s = ui->stop;
	pthread_mutex_unlock(&ui->lock);
	return s;
}

static int follow_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)a, (void)b, (void)c, (void)d;
	return ui_stopping(((struct follow *)ud)->ui) ? 1 : 0;
}

static void *follow_main(void *arg)
{
	struct follow *f = arg;
	struct ui *ui = f->ui;
	struct ui_host *h = &ui->h[f->host];
	bool first = true, down = false;
	while (!ui_stopping(ui)) {
		CURL *c = curl_easy_init();
		struct nd_error err = { 0 };
		if (c && client_curl_setup(h->events, c, "/events", &err) == 0) {
			curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, follow_data);
			curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
			curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
			curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, follow_progress);
			curl_easy_setopt(c, CURLOPT_XFERINFODATA, f);
			curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
			f->len = 0;
			if (!first)   /* what happened while we were away */
				ui_bump(ui, "reconnected to netd's events");
			first = false;
			CURLcode cc = curl_easy_perform(c);
			/* said once when the stream is lost, once when it is back */
			bool lost = cc != CURLE_OK && cc != CURLE_ABORTED_BY_CALLBACK && !ui_stopping(ui);
			if (lost && !down)
				fprintf(stderr, "netctl ui: %s: events: %s (trying again every second)\n", h->addr,
					curl_easy_strerror(cc));
			else if (!lost && down)
				fprintf(stderr, "netctl ui: %s: events: back\n", h->addr);
			down = lost;
		}
		if (c)
			curl_easy_cleanup(c);
		/* one second before the next try, or less when stopping */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_mutex_lock(&ui->lock);
		if (!ui->stop)
			pthread_cond_timedwait(&ui->changed, &ui->lock, &until);
		pthread_mutex_unlock(&ui->lock);
	}
	free(f);
	return NULL;
}

/* ---- replies ------------------------------------------------------------------------ */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type, const void *body,
			     size_t len, bool copy)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								 copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return reply(conn, status, "text/plain; charset=utf-8", msg, strlen(msg), true);
}

static enum MHD_Result reply_json(struct MHD_Connection *conn, unsigned status, json_t *j /* stolen */)
{
	_cleanup_free_ char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s)
		return reply_text(conn, 500, "out of memory");
	return reply(conn, status, "application/json", s, strlen(s), true);
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status, const struct nd_error *err)
{
	return reply_json(conn, status, json_pack("{s:s}", "message", err->msg[0] ? err->msg : "failed"));
}

/* ---- access ----------------------------------------------------------------------- */

enum access { ACCESS_NO, ACCESS_COOKIE, ACCESS_TOKEN };

static enum access ui_access(struct ui *ui, struct MHD_Connection *conn)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	if (!host || (strcmp(host, ui->host_hdr[0]) != 0 && strcmp(host, ui->host_hdr[1]) != 0))
		return ACCESS_NO;
	const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, UI_COOKIE);
	if (cookie && secret_eq(cookie, ui->session))
		return ACCESS_COOKIE;
	const char *tok = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
	enum access a = ACCESS_NO;
	pthread_mutex_lock(&ui->lock);
	if (tok && secret_eq(tok, ui->token)) {
		ui->token[0] = '\0';     /* spent */
		a = ACCESS_TOKEN;
	}
	pthread_mutex_unlock(&ui->lock);
	return a;
}

static enum MHD_Result ui_grant(struct ui *ui, struct MHD_Connection *conn)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	char cookie[160];
	snprintf(cookie, sizeof(cookie), UI_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict", ui->session);
	MHD_add_response_header(r, "Set-Cookie", cookie);
	MHD_add_response_header(r, "Location", "/");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_SEE_OTHER, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- the API the page uses -------------------------------------------------------- */

static struct ui_host *host_arg(struct ui *ui, struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "host");
	char *end = NULL;
	unsigned long i = h && *h ? strtoul(h, &end, 10) : 0;
	if (h && *h && (*end || i >= ui->hosts.n))
		return NULL;
	return &ui->h[i];
}

static int ui_topology(struct ui *ui, json_t **out, struct nd_error *err)
{
	_cleanup_json_ json_t *hosts = json_array();
	for (size_t i = 0; i < ui->hosts.n; i++) {
		json_t *t = NULL;
		pthread_mutex_lock(&ui->h[i].lock);
		int rc = client_call(ui->h[i].client, "GET", "/topology", NULL, &t, err);
		pthread_mutex_unlock(&ui->h[i].lock);
		if (rc < 0)
			return ui->hosts.n > 1 ? (nd_error_wrap(err, "%s", ui->h[i].addr), rc) : rc;
		json_object_set_new(t, "Address", json_string(ui->h[i].addr));
		json_array_append_new(hosts, t);
	}
	pthread_mutex_lock(&ui->lock);
	*out = json_pack("{s:O, s:I}", "Hosts", hosts, "Generation", (json_int_t)ui->generation);
	pthread_mutex_unlock(&ui->lock);
	return 0;
}

static enum MHD_Result api_topology(struct ui *ui, struct MHD_Connection *conn, bool svg)
{
	struct nd_error err = { 0 };
	json_t *t = NULL;
	if (ui_topology(ui, &t, &err) < 0)
		return reply_error(conn, 502, &err);
	if (!svg)
		return reply_json(conn, 200, t);
	_cleanup_free_ char *dot = topo_dot(t);
	json_decref(t);
	char *s = NULL;
	size_t len = 0;
	if (!dot || topo_svg(dot, &s, &len, &err) < 0)
		return reply_error(conn, 500, &err);
	enum MHD_Result r = reply(conn, 200, "image/svg+xml", s, len, true);
	free(s);
	return r;
}

/* GET path on the chosen daemon, its JSON passed through with its status */
static enum MHD_Result api_pass(struct ui *ui, struct MHD_Connection *conn, const char *path)
{
	struct ui_host *h = host_arg(ui, conn);
	if (!h)
		return reply_text(conn, 400, "bad host index");
	struct nd_error err = { 0 };
	_cleanup_free_ char *body = NULL;
	size_t len = 0;
	long status = 0;
	pthread_mutex_lock(&h->lock);
	int rc = client_call_raw(h->client, "GET", path, NULL, &body, &len, &status, &err);
	pthread_mutex_unlock(&h->lock);
	if (rc < 0)
		return reply_error(conn, 502, &err);
	return reply(conn, status >= 100 && status < 600 ? (unsigned)status : 502, "application/json", body ? body : "",
		     body ? len : 0, true);
}

static enum MHD_Result api_container(struct ui *ui, struct MHD_Connection *conn)
{
	const char *id = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "id");
	if (!id || !*id)
		return reply_text(conn, 400, "id missing");
	_cleanup_free_ char *esc = wire_query_escape(id);
	char path[512];
	if (!esc || nd_snprintf(path, sizeof(path), "/containers/%s/json", esc) < 0)
		return reply_text(conn, 400, "bad id");
	return api_pass(ui, conn, path);
}

static enum MHD_Result api_explain(struct ui *ui, struct MHD_Connection *conn)
{
	static const char *const keys[] = { "src", "dst", "port", "proto" };
	char path[2048] = "/explain";
	size_t o = strlen(path);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, keys[i]);
		if (!v || !*v)
			continue;
		_cleanup_free_ char *esc = wire_query_escape(v);
		if (!esc)
			return reply_text(conn, 500, "out of memory");
		int n = snprintf(path + o, sizeof(path) - o, "%c%s=%s", o == 8 ? '?' : '&', keys[i], esc);
		if (n < 0 || (size_t)n >= sizeof(path) - o)
			return reply_text(conn, 400, "query too long");
		o += (size_t)n;
	}
	return api_pass(ui, conn, path);
}

/* Server-Sent Events: "change" at each generation, a comment as keep-alive */
struct sse {
	struct ui *ui;
	unsigned long seen;
	bool hello;
};

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct sse *s = cls;
	struct ui *ui = s->ui;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += UI_PING_S;
	pthread_mutex_lock(&ui->lock);
	if (s->hello) {
		while (!ui->stop && ui->generation == s->seen)
			if (pthread_cond_timedwait(&ui->changed, &ui->lock, &until) == ETIMEDOUT)
				break;
	}
	bool stop = ui->stop;
	bool change = ui->generation != s->seen || !s->hello;
	s->hello = true;
	s->seen = ui->generation;
	_cleanup_json_ json_t *data = json_pack("{s:I, s:s}", "generation", (json_int_t)ui->generation, "event",
					      ui->last_event);
	pthread_mutex_unlock(&ui->lock);
	if (stop)
		return MHD_CONTENT_READER_END_OF_STREAM;
	_cleanup_free_ char *txt = data ? json_dumps(data, JSON_COMPACT) : NULL;
	int n = change && txt ? snprintf(buf, max, "event: change\ndata: %s\n\n", txt) : snprintf(buf, max, ": ping\n\n");
	return n < 0 || (size_t)n >= max ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static enum MHD_Result api_events(struct ui *ui, struct MHD_Connection *conn)
{
	struct sse *s = calloc(1, sizeof(*s));
	if (!s)
		return reply_text(conn, 500, "out of memory");
	s->ui = ui;
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, s, free);
	if (!r) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result ui_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	(void)version, (void)upload, (void)con_cls;
	struct ui *ui = cls;
	if (*upload_size)
		return reply_text(conn, 413, "no bodies here");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply_text(conn, 405, "GET only");
	enum access a = ui_access(ui, conn);
	if (a == ACCESS_NO)
		return reply_text(conn, 403, "forbidden: open the URL netctl ui printed (its token is good once)\n");
	if (a == ACCESS_TOKEN)
		return ui_grant(ui, conn);
	if (strcmp(url, "/api/topology") == 0)
		return api_topology(ui, conn, false);
	if (strcmp(url, "/api/topology.svg") == 0)
		return api_topology(ui, conn, true);
	if (strcmp(url, "/api/container") == 0)
		return api_container(ui, conn);
	if (strcmp(url, "/api/explain") == 0)
		return api_explain(ui, conn);
	if (strcmp(url, "/api/events") == 0)
		return api_events(ui, conn);
	const char *path = strcmp(url, "/") == 0 ? "/index.html" : url;
	for (const struct ui_asset *as = ui_assets; as->path; as++)
		if (strcmp(as->path, path) == 0)
			return reply(conn, 200, as->type, as->data, as->len, false);
	return reply_text(conn, 404, "not found");
}

/* ---- the command ------------------------------------------------------------------ */

static const char ui_help[] =
	"Usage: netctl ui [--port N] [-H HOST]...\n"
	"\n"
	"Serves a live view of the topology on http://127.0.0.1:PORT/ and prints its URL\n"
	"with a one-time token (the first visit trades it for a session cookie). The page\n"
	"redraws when netd reports containers or networks coming and going; a click on a\n"
	"container shows its endpoints, ports and DNS names; the explain form draws a path.\n"
	"Stop it with Ctrl-C.\n"
	"\n"
	"  -p, --port N    listen on 127.0.0.1:N (default: a free port)\n"
	"  -H, --host URL  a daemon (repeatable); default the global -H, $NETD_HOST\n";

static int ui_opt(struct cli *cli, int c, char *arg, void *ctx)
{
	unsigned long *port = ctx;
	char *end;
	if (c == 'p') {
		*port = strtoul(arg, &end, 10);
		if (!*arg || *end || *port > 65535)
			return cli_usage_error(cli->prog, "bad port \"%s\"", arg);
	}
	return -1;
}

int cmd_ui(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' }, { "host", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	struct cli_topo_hosts hosts;
	unsigned long port = 0;
	int rc = cli_topo_args(cli, argc, argv, "+p:H:h", opts, ui_help, ui_opt, &port, &hosts);
	if (rc >= 0)
		return rc;

	struct nd_error err = { 0 };
	struct ui ui = { .generation = 1 };
	rc = 1;
	pthread_mutex_init(&ui.lock, NULL);
	pthread_cond_init(&ui.changed, NULL);
	snprintf(ui.last_event, sizeof(ui.last_event), "watching netd's events");
	if (random_hex(ui.token) < 0 || random_hex(ui.session) < 0) {
		nd_error_set(&err, -EIO, "no randomness for the token");
		return cli_fail(&err);
	}
	if (topo_hosts_open(cli->opts, hosts.v, hosts.n, &ui.hosts, &err) < 0)
		return cli_fail(&err);
	if (!(ui.h = calloc(ui.hosts.n, sizeof(*ui.h)))) {
		topo_hosts_close(&ui.hosts);
		nd_error_set(&err, -ENOMEM, "out of memory");
		return cli_fail(&err);
	}
	for (size_t i = 0; i < ui.hosts.n; i++) {
		struct client_opts o = cli->opts ? *cli->opts : (struct client_opts){ 0 };
		o.host = ui.hosts.addrs[i];
		ui.h[i].client = ui.hosts.clients[i];
		ui.h[i].addr = ui.hosts.addrs[i];
		pthread_mutex_init(&ui.h[i].lock, NULL);
		if (client_new(&o, &ui.h[i].events, &err) < 0)
			goto out;
	}
	/* the daemons answer before anything is served */
	json_t *probe = NULL;
	if (ui_topology(&ui, &probe, &err) < 0)
		goto out;
	json_decref(probe);

	/* Ctrl-C and TERM are waited for below, in this thread only */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *mhd = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0, NULL, NULL,
		ui_request, &ui, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
	if (!mhd) {
		nd_error_set(&err, -EADDRINUSE, "cannot listen on 127.0.0.1:%lu", port);
		goto out;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_BIND_PORT);
	ui.port = info ? info->port : (unsigned short)port;
	snprintf(ui.host_hdr[0], sizeof(ui.host_hdr[0]), "127.0.0.1:%u", ui.port);
	snprintf(ui.host_hdr[1], sizeof(ui.host_hdr[1]), "localhost:%u", ui.port);
	for (size_t i = 0; i < ui.hosts.n; i++) {
		struct follow *f = calloc(1, sizeof(*f));
		if (!f)
			continue;
		*f = (struct follow){ .ui = &ui, .host = i };
		if (pthread_create(&ui.h[i].follower, NULL, follow_main, f) == 0)
			ui.h[i].follower_started = true;
		else
			free(f);
	}
	printf("netctl ui: serving the topology of %zu host%s at\n    http://127.0.0.1:%u/?token=%s\n"
	       "(the token is good for one visit; Ctrl-C stops)\n",
	       ui.hosts.n, ui.hosts.n == 1 ? "" : "s", ui.port, ui.token);
	fflush(stdout);
	int sig = 0;
	sigwait(&sigs, &sig);
	pthread_mutex_lock(&ui.lock);
	ui.stop = true;
	pthread_cond_broadcast(&ui.changed);
	pthread_mutex_unlock(&ui.lock);
	MHD_stop_daemon(mhd);
	rc = 0;
out:
	for (size_t i = 0; i < ui.hosts.n; i++) {
		if (ui.h[i].follower_started)
			pthread_join(ui.h[i].follower, NULL);
		client_free(ui.h[i].events);
		pthread_mutex_destroy(&ui.h[i].lock);
	}
	free(ui.h);
	topo_hosts_close(&ui.hosts);
	if (rc)
		return cli_fail(&err);
	return 0;
}
