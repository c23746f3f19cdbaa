// SPDX-License-Identifier: Apache-2.0
/* netctl pull | push | login | logout: registries through netd.
 *
 * pull and push read Docker's JSON progress stream as it arrives. On a
 * terminal each layer has one line, redrawn in place: its status, a bar,
 * bytes and the rate; elsewhere each status change is one plain line.
 * Both end with a summary (digest, size, time). */
#include "cli/netctl.h"

#include <curl/curl.h>
#include <termios.h>
#include <time.h>

struct row {
	char id[80];
	int line;               /* terminal line it is drawn on */
	char status[64];
	int64_t cur, total, first_cur;
	uint64_t first_ns;
};

struct prog {
	CURL *h;
	long status;
	bool tty, quiet;
	struct wire_buf line;   /* partial line */
	struct wire_buf errbody;
	struct row *rows;
	size_t nrows;
	int lines;              /* lines printed so far (tty mode) */
	int64_t bytes;          /* sum of layer totals seen */
	char error[1024];
	char digest[80];
};

static void human(int64_t n, char *buf, size_t size)
{
	static const char *const u[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	size_t i = 0;
	while (v >= 1000.0 && i + 1 < ARRAY_SIZE(u)) {
		v /= 1000.0;
		i++;
	}
	snprintf(buf, size, i ? "%.1f%s" : "%.0f%s", v, u[i]);
}

static struct row *row_get(struct prog *p, const char *id, bool *fresh)
{
	*fresh = false;
	for (size_t i = 0; i < p->nrows; i++)
		if (!strcmp(p->rows[i].id, id))
			return &p->rows[i];
	struct row *n = realloc(p->rows, (p->nrows + 1) * sizeof(*n));
	if (!n)
		return NULL;
	p->rows = n;
	struct row *r = &p->rows[p->nrows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->line = -1;
	*fresh = true;
	return r;
}

static void row_text(const struct row *r, char *buf, size_t size)
{
	if (r->total <= 0) {
		snprintf(buf, size, "%s: %s", r->id, r->status);
		return;
	}
	char a[32], b[32], rate[32] = "";
	human(r->cur, a, sizeof(a));
	human(r->total, b, sizeof(b));
	int width = 30, fill = (int)(r->total ? (r->cur * width) / r->total : 0);
	char bar[64];
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
	bar[width] = '\0';
	double secs = (double)(nd_now_ns() - r->first_ns) / 1e9;
	if (secs > 0.2 && r->cur > r->first_cur) {
		char rr[32];
		human((int64_t)((double)(r->cur - r->first_cur) / secs), rr, sizeof(rr));
		snprintf(rate, sizeof(rate), "  %s/s", rr);
	}
	snprintf(buf, size, "%s: %-11s [%s] %8s/%-8s%s", r->id, r->status, bar, a, b, rate);
}

static void on_message(struct prog *p, json_t *m)
{
	const char *err = nd_json_str(m, "error");
	if (err) {
		snprintf(p->error, sizeof(p->error), "%s", err);
		return;
	}
	const char *status = nd_json_str(m, "status"), *id = nd_json_str(m, "id");
	if (!status)
		return;
	if (nd_str_has_prefix(status, "Digest: "))
		snprintf(p->digest, sizeof(p->digest), "%s", status + 8);
	json_t *pd = json_object_get(m, "progressDetail");
	int64_t cur = json_integer_value(json_object_get(pd, "current"));
	int64_t total = json_integer_value(json_object_get(pd, "total"));
	if (p->quiet)
		return;
	if (!id || !strcmp(status, "Pulling from") || nd_str_has_prefix(status, "Pulling from ")) {
		if (id)
			printf("%s: %s\n", id, status);
		else
			printf("%s\n", status);
		p->lines++;
		fflush(stdout);
		return;
	}
	bool fresh;
	struct row *r = row_get(p, id, &fresh);
	if (!r)
		return;
	bool changed = strcmp(r->status, status) != 0;
	if (total > 0 && (fresh || changed || r->total != total)) {
		r->first_cur = cur;
		r->first_ns = nd_now_ns();
		if (r->total != total)
			p->bytes += total;
	}
	snprintf(r->status, sizeof(r->status), "%s", status);
	r->cur = cur;
	r->total = total;
	char text[512];
	row_text(r, text, sizeof(text));
	if (!p->tty) {
		if (changed && total <= 0)   /* plain: status changes, no byte counts */
			printf("%s\n", text);
		else if (changed)
			printf("%s: %s\n", r->id, r->status);
		fflush(stdout);
		return;
	}
	if (r->line < 0) {
		r->line = p->lines++;
		printf("%s\x1b[K\n", text);
	} else {
		int up = p->lines - r->line;
		printf("\x1b[%dA\r%s\x1b[K\x1b[%dB\r", up, text, up);
	}
	fflush(stdout);
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct prog *p = ud;
	size_t n = size * nmemb;
	if (!p->status)
		curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &p->status);
	if (p->status >= 300)
		return wire_buf_append(&p->errbody, ptr, n) < 0 ? 0 : n;
	if (wire_buf_append(&p->line, ptr, n) < 0)
		return 0;
	for (;;) {
		char *nl = p->line.data ? memchr(p->line.data, '\n', p->line.len) : NULL;
		if (!nl)
			break;
		size_t l = (size_t)(nl - p->line.data);
		json_error_t je;
		json_t *m = json_loadb(p->line.data, l, 0, &je);
		if (m) {
			on_message(p, m);
			json_decref(m);
		}
		memmove(p->line.data, nl + 1, p->line.len - l - 1);
		p->line.len -= l + 1;
	}
	return n;
}

/* POST path, rendering the progress stream; 0 when it ended without an error. */
static int stream(struct cli *cli, const char *path, bool quiet, struct prog *p, struct nd_error *err)
{
	const char *host = client_host(cli->client);
	char url[8192];
	if (nd_snprintf(url, sizeof(url), "http://netd%s", path) < 0)
		return nd_error_set(err, -ENAMETOOLONG, "request path too long");
	memset(p, 0, sizeof(*p));
	p->tty = isatty(1);
	p->quiet = quiet;
	p->h = curl_easy_init();
	if (!p->h)
		return nd_error_set(err, -ENOMEM, "cannot initialise libcurl");
	curl_easy_setopt(p->h, CURLOPT_UNIX_SOCKET_PATH, host + strlen("unix://"));
	curl_easy_setopt(p->h, CURLOPT_URL, url);
	curl_easy_setopt(p->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(p->h, CURLOPT_POST, 1L);
	curl_easy_setopt(p->h, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(p->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(p->h, CURLOPT_WRITEDATA, p);
	CURLcode cc = curl_easy_perform(p->h);
	if (!p->status)
		curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &p->status);
	curl_easy_cleanup(p->h);
	int rc = 0;
	if (p->status >= 400) {
		json_t *j = p->errbody.data ? json_loadb(p->errbody.data, p->errbody.len, 0, NULL) : NULL;
		const char *msg = nd_json_str(j, "message");
		rc = nd_error_set(err, nd_error_from_http_status((int)p->status), "%s",
				  msg ? msg : "netd answered an error");
		json_decref(j);
	} else if (p->error[0]) {
		rc = nd_error_set(err, -EIO, "%s", p->error);
	} else if (cc != CURLE_OK) {
		rc = nd_error_set(err, cc == CURLE_COULDNT_CONNECT ? -ECONNREFUSED : -EIO, "%s netd at %s: %s",
				  p->status ? "stream from" : "cannot connect to", host, curl_easy_strerror(cc));
	}
	wire_buf_free(&p->line);
	wire_buf_free(&p->errbody);
	free(p->rows);
	p->rows = NULL;
	return rc;
}

static void summary(const struct prog *p, const char *verb, const char *name, uint64_t t0)
{
	char sz[32];
	human(p->bytes, sz, sizeof(sz));
	printf("%s %s in %.1fs (%s of layers)%s%s\n", verb, name, (double)(nd_now_ns() - t0) / 1e9, sz,
	       p->digest[0] ? ", digest " : "", p->digest);
}

static int pull_one(struct cli *cli, const char *name, bool quiet, struct nd_error *err)
{
	_cleanup_free_ char *e = wire_query_escape(name);
	char path[4096];
	snprintf(path, sizeof(path), "/images/create?fromImage=%s", e ? e : "");
	struct prog p;
	uint64_t t0 = nd_now_ns();
	int rc = stream(cli, path, quiet, &p, err);
	if (rc == 0 && !quiet)
		summary(&p, "pulled", name, t0);
	return rc;
}

static const char pull_help[] =
	"Usage: netctl pull [-q] NAME[:TAG|@DIGEST]\n\n"
	"Pull an image from a registry (docker.io when NAME names none). Layers download\n"
	"in parallel, are verified and unpacked as they arrive; an interrupted pull resumes.\n"
	"Credentials: netctl login.\n\n"
	"  -q, --quiet   print only errors\n";

int cmd_pull(struct cli *cli, int argc, char **argv)
{
	static const struct option lo[] = { { "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' }, { 0 } };
	bool quiet = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'h': fputs(pull_help, stdout); return 0;
		default: return cli_usage_error(cli->prog, "see '%s --help'", cli->prog);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(cli->prog, "give exactly one image name");
	struct nd_error err = { 0 };
	if (pull_one(cli, argv[optind], quiet, &err) < 0)
		return cli_fail(&err);
	return 0;
}

int cli_pull_missing(struct cli *cli, const char *image, struct nd_error *err)
{
	fprintf(stderr, "Unable to find image '%s' locally\n", image);
	fflush(stderr);
	/* progress goes to stderr here: stdout is the container's */
	fflush(stdout);
	int saved = dup(1);
	if (saved >= 0)
		dup2(2, 1);
	int rc = pull_one(cli, image, false, err);
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, 1);
		close(saved);
	}
	if (rc < 0) { /* the create's own answer first, then why the pull did not help */
		char msg[ND_ERROR_MSG_MAX];
		snprintf(msg, sizeof(msg), "No such image: %s (pull: %s)", image, err->msg);
		nd_error_set(err, -ENOENT, "%s", msg);
	}
	return rc;
}

static const char push_help[] =
	"Usage: netctl push [-q] NAME[:TAG]\n\n"
	"Push an image to a registry: layers the registry has are skipped, layers it has\n"
	"in another repository are mounted, the manifest goes last.\n\n"
	"  -q, --quiet   print only errors\n";

int cmd_push(struct cli *cli, int argc, char **argv)
{
	static const struct option lo[] = { { "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' }, { 0 } };
	bool quiet = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'h': fputs(push_help, stdout); return 0;
		default: return cli_usage_error(cli->prog, "see '%s --help'", cli->prog);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(cli->prog, "give exactly one image name");
	const char *name = argv[optind];
	_cleanup_free_ char *e = wire_query_escape(name);
	char path[4096];
	snprintf(path, sizeof(path), "/images/%s/push", e ? e : "");
	struct prog p;
	struct nd_error err = { 0 };
	uint64_t t0 = nd_now_ns();
	if (stream(cli, path, quiet, &p, &err) < 0)
		return cli_fail(&err);
	if (!quiet) {
		char sz[32];
		human(p.bytes, sz, sizeof(sz));
		printf("pushed %s in %.1fs (%s uploaded)\n", name, (double)(nd_now_ns() - t0) / 1e9, sz);
	}
	return 0;
}

/* ---- login / logout ------------------------------------------------------------------------ */

static char *read_line(FILE *f, bool echo)
{
	struct termios old, quiet;
	bool tty = !echo && isatty(fileno(f)) && tcgetattr(fileno(f), &old) == 0;
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(f), TCSAFLUSH, &quiet);
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	if (tty) {
		tcsetattr(fileno(f), TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

static const char login_help[] =
	"Usage: netctl login [-u USER] [-p PASSWORD | --password-stdin] [SERVER]\n\n"
	"Log netd in to a registry (docker.io when SERVER is not given): the credentials\n"
	"are checked against the registry (token flow or Basic) and kept by netd in\n"
	"<root>/config.json (Docker's format, mode 0600) for its pulls and pushes.\n\n"
	"  -u, --username USER    user name (asked for on a terminal when missing)\n"
	"  -p, --password PASS    password (visible to other users: prefer --password-stdin)\n"
	"      --password-stdin   read the password from stdin\n";

int cmd_login(struct cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "username", required_argument, NULL, 'u' }, { "password", required_argument, NULL, 'p' },
		{ "password-stdin", no_argument, NULL, 'S' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	_cleanup_free_ char *user = NULL, *pass = NULL;
	bool from_stdin = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "u:p:h", lo, NULL)) != -1) {
		switch (c) {
		case 'u': free(user); user = strdup(optarg); break;
		case 'p': free(pass); pass = strdup(optarg); break;
		case 'S': from_stdin = true; break;
		case 'h': fputs(login_help, stdout); return 0;
		default: return cli_usage_error(cli->prog, "see '%s --help'", cli->prog);
		}
	}
	if (optind + 1 < argc)
		return cli_usage_error(cli->prog, "give at most one server");
	const char *server = optind < argc ? argv[optind] : "";
	if (from_stdin && pass)
		return cli_usage_error(cli->prog, "--password and --password-stdin exclude each other");
	if (from_stdin && !user)
		return cli_usage_error(cli->prog, "--password-stdin needs --username");
	if (!user) {
		if (!isatty(0))
			return cli_usage_error(cli->prog, "no username: give -u USER");
		fprintf(stderr, "Username: ");
		user = read_line(stdin, true);
	}
	if (!pass) {
		if (!from_stdin && !isatty(0))
			return cli_usage_error(cli->prog, "no password: give --password-stdin");
		if (!from_stdin)
			fprintf(stderr, "Password: ");
		pass = read_line(stdin, from_stdin);
	}
	if (!user || !*user || !pass)
		return cli_usage_error(cli->prog, "username and password are required");
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *body = json_pack("{s:s, s:s, s:s}", "username", user, "password", pass, "serveraddress", server);
	explicit_bzero(pass, strlen(pass));
	_cleanup_json_ json_t *resp = NULL;
	if (client_call(cli->client, "POST", "/auth", body, &resp, &err) < 0)
		return cli_fail(&err);
	printf("%s\n", nd_json_str(resp, "Status") ?: "Login Succeeded");
	return 0;
}

int cmd_logout(struct cli *cli, int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))) {
		fputs("Usage: netctl logout [SERVER]\n\nForget netd's credentials for a registry (docker.io by default).\n",
		      argc > 2 ? stderr : stdout);
		return argc > 2 ? 2 : 0;
	}
	const char *server = argc == 2 ? argv[1] : "";
	_cleanup_free_ char *e = wire_query_escape(server);
	char path[1024];
	snprintf(path, sizeof(path), "/auth?serveraddress=%s", e ? e : "");
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *resp = NULL;
	if (client_call(cli->client, "DELETE", path, NULL, &resp, &err) < 0)
		return cli_fail(&err);
	printf("Removing login credentials for %s\n", *server ? server : "https://index.docker.io/v1/");
	return 0;
}
