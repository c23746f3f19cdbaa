// SPDX-License-Identifier: Apache-2.0
/* netctl image import|load|save|ls|inspect|history|tag|rm|prune, and `netctl images`.
 * Archives travel as request/response bodies over our own small libcurl
 * transfers (the JSON client in client.c keeps bodies in memory). */
#include "cli/netctl.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

/* ---- archive transfers ------------------------------------------------------- */

struct xfer {
	CURL *h;
	FILE *out;              /* 2xx body goes here when set */
	long status;
	struct wire_buf body;   /* otherwise (and for errors) kept in memory */
	bool write_failed;
};

static size_t xfer_on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb;
	if (!x->status)
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->out && x->status >= 200 && x->status < 300) {
		if (fwrite(ptr, 1, n, x->out) != n) {
			x->write_failed = true;
			return 0;
		}
		return n;
	}
	return wire_buf_append(&x->body, ptr, n) < 0 ? 0 : n;
}

/* One request with an optional file body (in) and an optional file
 * destination for a 2xx answer (out). A >= 400 answer becomes an error with
 * netd's message; otherwise *body (may be NULL) gets what was not written to out. */
static int xfer(struct cli *cli, const char *method, const char *path, FILE *in, FILE *out, char **body,
		struct nd_error *err)
{
	struct xfer x = { .out = out };
	struct curl_slist *hdrs = NULL;
	x.h = curl_easy_init();
	if (!x.h)
		return nd_error_set(err, -ENOMEM, "cannot initialise libcurl");
	int rc0 = client_curl_setup(cli->client, x.h, path, err);
	if (rc0 < 0) {
		curl_easy_cleanup(x.h);
		return rc0;
	}
	curl_easy_setopt(x.h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x.h, CURLOPT_WRITEFUNCTION, xfer_on_data);
	curl_easy_setopt(x.h, CURLOPT_WRITEDATA, &x);
	if (in) {
		struct stat st;
		curl_easy_setopt(x.h, CURLOPT_POST, 1L);
		curl_easy_setopt(x.h, CURLOPT_READDATA, in);   /* the default read function freads */
		hdrs = curl_slist_append(hdrs, "Content-Type: application/x-tar");
		hdrs = curl_slist_append(hdrs, "Expect:");     /* netd does not answer 100-continue */
		if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode))
			curl_easy_setopt(x.h, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)(st.st_size - ftello(in)));
		else
			hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
		curl_easy_setopt(x.h, CURLOPT_HTTPHEADER, hdrs);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(x.h, CURLOPT_CUSTOMREQUEST, method);
		if (strcmp(method, "POST") == 0)
			curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, "");
	}
	CURLcode cc = curl_easy_perform(x.h);
	if (!x.status)
		curl_easy_getinfo(x.h, CURLINFO_RESPONSE_CODE, &x.status);
	curl_easy_cleanup(x.h);
	curl_slist_free_all(hdrs);
	int rc = 0;
	if (x.status >= 400) {
		json_error_t je;
		json_t *j = x.body.data ? json_loadb(x.body.data, x.body.len, 0, &je) : NULL;
		const char *msg = nd_json_str(j, "message");
		if (msg)
			rc = nd_error_set(err, nd_error_from_http_status((int)x.status), "%s", msg);
		else
			rc = nd_error_set(err, nd_error_from_http_status((int)x.status), "netd answered HTTP %ld",
					  x.status);
		json_decref(j);
	} else if (x.write_failed) {
		rc = nd_error_set(err, -EIO, "write: %s", strerror(errno));
	} else if (cc != CURLE_OK) {
		rc = client_curl_fail(cli->client, cc, err);
	}
	if (rc == 0 && body)
		*body = TAKE_PTR(x.body.data);
	wire_buf_free(&x.body);
	return rc;
}

/* ---- formatting as Docker prints it -------------------------------------------- */

static void human_size(int64_t n, char *buf, size_t size)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	double v = (double)n;
	size_t u = 0;
	while (v >= 1000.0 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1000.0;
		u++;
	}
	snprintf(buf, size, "%.3g%s", v, units[u]);
}

static void human_ago(int64_t unix_time, char *buf, size_t size)
{
	int64_t s = (int64_t)time(NULL) - unix_time;
	int64_t m = s / 60, h = s / 3600;
	if (s < 1)
		snprintf(buf, size, "Less than a second ago");
	else if (s == 1)
		snprintf(buf, size, "1 second ago");
	else if (s < 60)
		snprintf(buf, size, "%lld seconds ago", (long long)s);
	else if (m == 1)
		snprintf(buf, size, "About a minute ago");
	else if (m < 60)
		snprintf(buf, size, "%lld minutes ago", (long long)m);
	else if (h == 1)
		snprintf(buf, size, "About an hour ago");
	else if (h < 48)
		snprintf(buf, size, "%lld hours ago", (long long)h);
	else if (h < 24 * 7 * 2)
		snprintf(buf, size, "%lld days ago", (long long)(h / 24));
	else if (h < 24 * 30 * 2)
		snprintf(buf, size, "%lld weeks ago", (long long)(h / 24 / 7));
	else if (h < 24 * 365 * 2)
		snprintf(buf, size, "%lld months ago", (long long)(h / 24 / 30));
	else
		snprintf(buf, size, "%lld years ago", (long long)(h / 24 / 365));
}

/* "sha256:abc..." -> "abc..." cut to 12 unless full */
static void short_id(const char *id, bool full, char *buf, size_t size)
{
	if (!id)
		id = "";
	if (nd_str_has_prefix(id, "sha256:") && !full)
		id += 7;
	snprintf(buf, size, "%.*s", full ? (int)strlen(id) : 12, id);
}

/* "repo[:tag]" -> repo and tag (tag "" when absent); a ':' before the last '/' is a port */
static void split_ref(const char *ref, char *repo, size_t rsize, char *tag, size_t tsize)
{
	const char *colon = strrchr(ref, ':');
	const char *slash = strrchr(ref, '/');
	if (colon && (!slash || colon > slash)) {
		snprintf(repo, rsize, "%.*s", (int)(colon - ref), ref);
		snprintf(tag, tsize, "%s", colon + 1);
	} else {
		snprintf(repo, rsize, "%s", ref);
		tag[0] = '\0';
	}
}

static bool want_help(int argc, char **argv, const char *help)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return true;
		}
	}
	return false;
}

/* ---- import / load / save ------------------------------------------------------- */

static const char import_help[] =
	"Usage: netctl image import [-m MESSAGE] FILE|- [REPOSITORY[:TAG]]\n\n"
	"Import a root filesystem tar (plain, gzip, zstd, xz, bzip2) as a one-layer image.\n"
	"'-' reads the tar from standard input.\n";

static int cmd_img_import(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "message", required_argument, NULL, 'm' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *message = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': message = optarg; break;
		case 'h': fputs(import_help, stdout); return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind >= argc || argc - optind > 2)
		return cli_usage_error(cli->prog, "expects FILE|- and an optional REPOSITORY[:TAG]");
	const char *file = argv[optind];
	const char *ref = optind + 1 < argc ? argv[optind + 1] : NULL;
	struct nd_error err = { 0 };
	_cleanup_fclose_ FILE *in = NULL;
	if (strcmp(file, "-") == 0) {
		if (isatty(STDIN_FILENO))
			return cli_usage_error(cli->prog, "refusing to read a tar from a terminal: give FILE or pipe it in");
	} else if (!(in = fopen(file, "rbe"))) {
		nd_error_set(&err, -errno, "open %s: %s", file, strerror(errno));
		return cli_fail(&err);
	}
	char path[4096] = "/images/create?fromSrc=-";
	if (ref) {
		char repo[1024], tag[256];
		split_ref(ref, repo, sizeof(repo), tag, sizeof(tag));
		_cleanup_free_ char *er = wire_query_escape(repo);
		_cleanup_free_ char *et = wire_query_escape(tag);
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "&repo=%s%s%s", er ? er : "",
			 tag[0] ? "&tag=" : "", tag[0] && et ? et : "");
	}
	if (message) {
		_cleanup_free_ char *em = wire_query_escape(message);
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "&message=%s", em ? em : "");
	}
	_cleanup_free_ char *body = NULL;
	if (xfer(cli, "POST", path, in ? in : stdin, NULL, &body, &err) < 0)
		return cli_fail(&err);
	json_error_t je;
	_cleanup_json_ json_t *j = body ? json_loads(body, JSON_DISABLE_EOF_CHECK, &je) : NULL;
	const char *id = nd_json_str(j, "status");
	if (!id) {
		nd_error_set(&err, -EBADMSG, "netd sent a malformed answer to the import");
		return cli_fail(&err);
	}
	printf("%s\n", id);
	return 0;
}

static const char load_help[] =
	"Usage: netctl image load [-i FILE] [-q]\n\n"
	"Load images from a `docker save` archive or an OCI image-layout archive\n"
	"(plain or gzip), from FILE or standard input.\n";

static int cmd_img_load(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' }, { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *file = NULL;
	bool quiet = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+i:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'i': file = optarg; break;
		case 'q': quiet = true; break;
		case 'h': fputs(load_help, stdout); return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(cli->prog, "unexpected argument \"%s\" (use -i FILE)", argv[optind]);
	struct nd_error err = { 0 };
	_cleanup_fclose_ FILE *in = NULL;
	if (!file || strcmp(file, "-") == 0) {
		if (isatty(STDIN_FILENO))
			return cli_usage_error(cli->prog, "requested load from stdin, but stdin is a terminal: use -i FILE");
	} else if (!(in = fopen(file, "rbe"))) {
		nd_error_set(&err, -errno, "open %s: %s", file, strerror(errno));
		return cli_fail(&err);
	}
	_cleanup_free_ char *body = NULL;
	if (xfer(cli, "POST", quiet ? "/images/load?quiet=1" : "/images/load", in ? in : stdin, NULL, &body,
		 &err) < 0)
		return cli_fail(&err);
	/* a JSON stream: {"stream": "..."} lines, or {"error": "..."} */
	int status = 0;
	for (char *line = body, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		json_error_t je;
		_cleanup_json_ json_t *j = json_loads(line, 0, &je);
		if (!j)
			continue;
		const char *e = nd_json_str(j, "error");
		const char *s = nd_json_str(j, "stream");
		if (e) {
			nd_error_set(&err, -EIO, "%s", e);
			status = cli_fail(&err);
		} else if (s) {
			fputs(s, stdout);
		}
	}
	return status;
}

static const char save_help[] =
	"Usage: netctl image save [-o FILE] IMAGE...\n\n"
	"Save images (with their tags) to an OCI image-layout tar that `docker load`\n"
	"also reads; to standard output unless -o is given.\n";

static int cmd_img_save(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *file = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': file = optarg; break;
		case 'h': fputs(save_help, stdout); return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error(cli->prog, "expects at least one image");
	if (!file && isatty(STDOUT_FILENO))
		return cli_usage_error(cli->prog, "refusing to write an archive to a terminal: use -o FILE or redirect");
	char path[8192] = "/images/get";
	for (int i = optind; i < argc; i++) {
		_cleanup_free_ char *e = wire_query_escape(argv[i]);
		if (nd_snprintf(path + strlen(path), sizeof(path) - strlen(path), "%cnames=%s", i == optind ? '?' : '&',
				e ? e : "") < 0)
			return cli_usage_error(cli->prog, "too many images for one request");
	}
	struct nd_error err = { 0 };
	if (!file) {
		if (xfer(cli, "GET", path, NULL, stdout, NULL, &err) < 0 || fflush(stdout) != 0) {
			if (!err.code)
				nd_error_set(&err, -EIO, "write standard output: %s", strerror(errno));
			return cli_fail(&err);
		}
		return 0;
	}
	/* a temp file next to FILE, renamed into place when complete */
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp-XXXXXX", file) < 0)
		return cli_fail(&(struct nd_error){ .code = -ENOMEM, .msg = "out of memory" });
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		nd_error_set(&err, -errno, "create %s: %s", tmp, strerror(errno));
		return cli_fail(&err);
	}
	fchmod(fd, 0644);
	FILE *out = fdopen(fd, "wb");
	if (!out) {
		close(fd);
		unlink(tmp);
		nd_error_set(&err, -ENOMEM, "out of memory");
		return cli_fail(&err);
	}
	int rc = xfer(cli, "GET", path, NULL, out, NULL, &err);
	if (fclose(out) != 0 && rc == 0)
		rc = nd_error_set(&err, -errno, "write %s: %s", file, strerror(errno));
	if (rc == 0 && rename(tmp, file) < 0)
		rc = nd_error_set(&err, -errno, "rename to %s: %s", file, strerror(errno));
	if (rc < 0) {
		unlink(tmp);
		return cli_fail(&err);
	}
	return 0;
}

/* ---- ls / inspect / history ------------------------------------------------------ */

static const char ls_help[] =
	"Usage: netctl image ls [-a] [-q] [--no-trunc] [--filter KEY=VALUE]... [--format table|json]\n"
	"       netctl images ...\n\n"
	"List images. Filters: dangling=true|false, reference=GLOB.\n";

static int cmd_img_ls(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' }, { "quiet", no_argument, NULL, 'q' },
		{ "no-trunc", no_argument, NULL, 'T' }, { "digests", no_argument, NULL, 'D' },
		{ "filter", required_argument, NULL, 'F' }, { "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	enum cli_format fmt = CLI_FMT_TABLE;
	bool quiet = false, notrunc = false;
	_cleanup_json_ json_t *filters = json_object();
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+aqf:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': case 'D': break;   /* no intermediate images; digests are in --format json */
		case 'q': quiet = true; break;
		case 'T': notrunc = true; break;
		case 'f':
			if (cli_parse_format(optarg, &fmt) < 0)
				return cli_usage_error(cli->prog, "unknown format \"%s\": use table or json", optarg);
			break;
		case 'F': {
			const char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				return cli_usage_error(cli->prog, "invalid filter \"%s\": want KEY=VALUE", optarg);
			char key[64];
			snprintf(key, sizeof(key), "%.*s", (int)(eq - optarg), optarg);
			json_t *arr = json_object_get(filters, key);
			if (!arr)
				json_object_set_new(filters, key, arr = json_array());
			json_array_append_new(arr, json_string(eq + 1));
			break;
		}
		case 'h': fputs(ls_help, stdout); return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		/* `docker images busybox` = reference filter */
		json_t *arr = json_object_get(filters, "reference");
		if (!arr)
			json_object_set_new(filters, "reference", arr = json_array());
		json_array_append_new(arr, json_string(argv[optind]));
		if (optind + 1 < argc)
			return cli_usage_error(cli->prog, "unexpected argument \"%s\"", argv[optind + 1]);
	}
	_cleanup_free_ char *path = NULL;
	if (json_object_size(filters)) {
		_cleanup_free_ char *fs = nd_json_dump(filters);
		path = cli_path(cli, "/images/json?filters=%s", fs ? fs : "{}");
	} else {
		path = strdup("/images/json");
	}
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *imgs = NULL;
	if (!path)
		return cli_fail(&(struct nd_error){ .code = -ENOMEM, .msg = "out of memory" });
	if (client_call(cli->client, "GET", path, NULL, &imgs, &err) < 0)
		return cli_fail(&err);
	if (fmt == CLI_FMT_JSON) {
		cli_print_json(imgs);
		return 0;
	}
	size_t i;
	json_t *img;
	if (quiet) {
		_cleanup_json_ json_t *seen = json_object();
		json_array_foreach(imgs, i, img) {
			char id[80];
			short_id(nd_json_str(img, "Id"), notrunc, id, sizeof(id));
			if (json_object_get(seen, id))
				continue;
			json_object_set_new(seen, id, json_true());
			printf("%s\n", id);
		}
		return 0;
	}
	struct cli_table *t = cli_table_new(5, "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
	json_array_foreach(imgs, i, img) {
		char id[80], created[64], size[32];
		short_id(nd_json_str(img, "Id"), notrunc, id, sizeof(id));
		human_ago(json_integer_value(json_object_get(img, "Created")), created, sizeof(created));
		human_size(json_integer_value(json_object_get(img, "Size")), size, sizeof(size));
		json_t *tags = json_object_get(img, "RepoTags");
		if (json_array_size(tags) == 0) {
			cli_table_row(t, "<none>", "<none>", id, created, size);
			continue;
		}
		size_t k;
		json_t *tg;
		json_array_foreach(tags, k, tg) {
			char repo[1024], tag[256];
			split_ref(json_string_value(tg), repo, sizeof(repo), tag, sizeof(tag));
			cli_table_row(t, repo, tag[0] ? tag : "<none>", id, created, size);
		}
	}
	cli_table_print(t);
	return 0;
}

int cmd_images(struct cli *cli, int argc, char **argv)
{
	return cmd_img_ls(cli, argc, argv);
}

static int cmd_img_inspect(struct cli *cli, int argc, char **argv)
{
	return cli_each_arg(cli, argc, argv, "Usage: netctl image inspect IMAGE...\n\nShow images as JSON.\n",
			    "GET", "/images/%s/json", true, false);
}

static const char history_help[] =
	"Usage: netctl image history [-q] [--no-trunc] [--format table|json] IMAGE\n\n"
	"Show how an image was built, newest layer first.\n";

static int cmd_img_history(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' }, { "no-trunc", no_argument, NULL, 'T' },
		{ "human", required_argument, NULL, 'H' }, { "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	enum cli_format fmt = CLI_FMT_TABLE;
	bool quiet = false, notrunc = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+qH:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'T': notrunc = true; break;
		case 'H': break;
		case 'f':
			if (cli_parse_format(optarg, &fmt) < 0)
				return cli_usage_error(cli->prog, "unknown format \"%s\": use table or json", optarg);
			break;
		case 'h': fputs(history_help, stdout); return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(cli->prog, "expects exactly one image");
	_cleanup_free_ char *path = cli_path(cli, "/images/%s/history", argv[optind]);
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *hist = NULL;
	if (!path)
		return cli_fail(&(struct nd_error){ .code = -ENOMEM, .msg = "out of memory" });
	if (client_call(cli->client, "GET", path, NULL, &hist, &err) < 0)
		return cli_fail(&err);
	if (fmt == CLI_FMT_JSON) {
		cli_print_json(hist);
		return 0;
	}
	size_t i;
	json_t *h;
	struct cli_table *t = quiet ? NULL : cli_table_new(5, "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
	json_array_foreach(hist, i, h) {
		const char *hid = nd_json_str(h, "Id");
		char id[80], created[64], size[32], by[64];
		if (hid && strcmp(hid, "<missing>") == 0)
			snprintf(id, sizeof(id), "<missing>");
		else
			short_id(hid, notrunc, id, sizeof(id));
		if (quiet) {
			printf("%s\n", id);
			continue;
		}
		human_ago(json_integer_value(json_object_get(h, "Created")), created, sizeof(created));
		human_size(json_integer_value(json_object_get(h, "Size")), size, sizeof(size));
		const char *cb = nd_json_str(h, "CreatedBy") ?: "";
		if (!notrunc && strlen(cb) > 45)
			snprintf(by, sizeof(by), "%.44s…", cb);
		else
			snprintf(by, sizeof(by), "%s", cb);
		cli_table_row(t, id, created, notrunc ? cb : by, size, nd_json_str(h, "Comment"));
	}
	if (t)
		cli_table_print(t);
	return 0;
}

/* ---- tag / rm / prune ----------------------------------------------------------- */

static int cmd_img_tag(struct cli *cli, int argc, char **argv)
{
	if (want_help(argc, argv, "Usage: netctl image tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\n"
				  "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.\n"))
		return 0;
	if (argc != 3)
		return cli_usage_error(cli->prog, "expects SOURCE_IMAGE and TARGET_IMAGE");
	if (strchr(argv[2], '@'))
		return cli_usage_error(cli->prog, "refusing to create a tag with a digest reference");
	char repo[1024], tag[256];
	split_ref(argv[2], repo, sizeof(repo), tag, sizeof(tag));
	_cleanup_free_ char *base = cli_path(cli, "/images/%s/tag", argv[1]);
	_cleanup_free_ char *er = wire_query_escape(repo);
	_cleanup_free_ char *et = wire_query_escape(tag);
	_cleanup_free_ char *path = NULL;
	struct nd_error err = { 0 };
	if (!base || !er || !et || asprintf(&path, "%s?repo=%s&tag=%s", base, er, et) < 0)
		return cli_fail(&(struct nd_error){ .code = -ENOMEM, .msg = "out of memory" });
	if (client_call(cli->client, "POST", path, NULL, NULL, &err) < 0)
		return cli_fail(&err);
	return 0;
}

static int cmd_img_rm(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' }, { "no-prune", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	bool force = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': force = true; break;
		case 'P': break;
		case 'h':
			fputs("Usage: netctl image rm [-f] IMAGE...\n\n"
			      "Remove images: a tag is untagged (the image goes with its last tag);\n"
			      "an ID removes the image with all its tags (-f when it has several,\n"
			      "or when a container uses it).\n", stdout);
			return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error(cli->prog, "expects at least one image");
	int status = 0;
	for (int i = optind; i < argc; i++) {
		_cleanup_free_ char *base = cli_path(cli, "/images/%s", argv[i]);
		_cleanup_free_ char *path = NULL;
		struct nd_error err = { 0 };
		_cleanup_json_ json_t *resp = NULL;
		if (!base || asprintf(&path, "%s%s", base, force ? "?force=1" : "") < 0) {
			status = cli_fail(&(struct nd_error){ .code = -ENOMEM, .msg = "out of memory" });
			continue;
		}
		if (client_call(cli->client, "DELETE", path, NULL, &resp, &err) < 0) {
			status = cli_fail(&err);
			continue;
		}
		size_t k;
		json_t *e;
		json_array_foreach(resp, k, e) {
			if (nd_json_str(e, "Untagged"))
				printf("Untagged: %s\n", nd_json_str(e, "Untagged"));
			if (nd_json_str(e, "Deleted"))
				printf("Deleted: %s\n", nd_json_str(e, "Deleted"));
		}
	}
	return status;
}

static int cmd_img_prune(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' }, { "force", no_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'F' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	enum cli_format fmt = CLI_FMT_TABLE;
	bool all = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+afh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'f': break;    /* accepted for Docker compatibility: netctl never prompts */
		case 'F':
			if (cli_parse_format(optarg, &fmt) < 0)
				return cli_usage_error(cli->prog, "unknown format \"%s\": use table or json", optarg);
			break;
		case 'h':
			fputs("Usage: netctl image prune [-a] [-f] [--format table|json]\n\n"
			      "Remove dangling images (no tag); with -a every image no container uses.\n", stdout);
			return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(cli->prog, "unexpected argument \"%s\"", argv[optind]);
	_cleanup_free_ char *path = all ? cli_path(cli, "/images/prune?filters=%s", "{\"dangling\":[\"false\"]}")
					: strdup("/images/prune");
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *resp = NULL;
	if (!path)
		return cli_fail(&(struct nd_error){ .code = -ENOMEM, .msg = "out of memory" });
	if (client_call(cli->client, "POST", path, NULL, &resp, &err) < 0)
		return cli_fail(&err);
	if (fmt == CLI_FMT_JSON) {
		cli_print_json(resp);
		return 0;
	}
	json_t *del = json_object_get(resp, "ImagesDeleted");
	size_t i;
	json_t *e;
	if (json_array_size(del))
		printf("Deleted Images:\n");
	json_array_foreach(del, i, e) {
		if (nd_json_str(e, "Untagged"))
			printf("untagged: %s\n", nd_json_str(e, "Untagged"));
		if (nd_json_str(e, "Deleted"))
			printf("deleted: %s\n", nd_json_str(e, "Deleted"));
	}
	char size[32];
	human_size(json_integer_value(json_object_get(resp, "SpaceReclaimed")), size, sizeof(size));
	printf("%sTotal reclaimed space: %s\n", json_array_size(del) ? "\n" : "", size);
	return 0;
}

const struct cli_cmd cli_image_cmds[] = {
	{ "import", "Import a root filesystem tar as an image", cmd_img_import, NULL },
	{ "load", "Load images from a docker-save or OCI archive", cmd_img_load, NULL },
	{ "save", "Save images to an OCI archive", cmd_img_save, NULL },
	{ "ls", "List images", cmd_img_ls, NULL },
	{ "inspect", "Show images in detail (JSON)", cmd_img_inspect, NULL },
	{ "history", "Show the history of an image", cmd_img_history, NULL },
	{ "tag", "Tag an image", cmd_img_tag, NULL },
	{ "rm", "Remove images", cmd_img_rm, NULL },
	{ "prune", "Remove unused images", cmd_img_prune, NULL },
	{ NULL },
};

/* netctl commit [-m MSG] [-a AUTHOR] CONTAINER [REPO[:TAG]] */
int cmd_commit(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "message", required_argument, NULL, 'm' }, { "author", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *msg = NULL, *author = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+m:a:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': msg = optarg; break;
		case 'a': author = optarg; break;
		case 'h':
			fputs("Usage: netctl commit [-m MESSAGE] [-a AUTHOR] CONTAINER [REPOSITORY[:TAG]]\n\n"
			      "Make a new image from a container's changes: its upper dir becomes one new\n"
			      "layer (deletions included) on top of the container's image. The container\n"
			      "keeps running; changes it makes during the commit may or may not be in it.\n",
			      stdout);
			return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind != argc - 1 && optind != argc - 2)
		return cli_usage_error(cli->prog, "expects CONTAINER [REPOSITORY[:TAG]]");
	char repo[512] = "", tag[256] = "";
	if (optind == argc - 2) {
		snprintf(repo, sizeof(repo), "%s", argv[optind + 1]);
		char *colon = strrchr(repo, ':');
		if (colon && !strchr(colon, '/')) {
			*colon = '\0';
			snprintf(tag, sizeof(tag), "%s", colon + 1);
		}
	}
	_cleanup_free_ char *ec = wire_query_escape(argv[optind]);
	_cleanup_free_ char *er = wire_query_escape(repo);
	_cleanup_free_ char *et = wire_query_escape(tag);
	_cleanup_free_ char *em = wire_query_escape(msg ? msg : "");
	_cleanup_free_ char *ea = wire_query_escape(author ? author : "");
	char path[4096];
	snprintf(path, sizeof(path), "/commit?container=%s&repo=%s&tag=%s&comment=%s&author=%s", ec ? ec : "",
		 er ? er : "", et ? et : "", em ? em : "", ea ? ea : "");
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *resp = NULL;
	if (client_call(cli->client, "POST", path, NULL, &resp, &err) < 0)
		return cli_fail(&err);
	printf("%s\n", nd_json_str(resp, "Id"));
	return 0;
}
