// SPDX-License-Identifier: Apache-2.0
/* nd-images-test: drives the images library directly for integration tests
 * and benchmarks.
 *   nd-images-test --root DIR [--driver overlay2|vfs] COMMAND ARGS...
 * Commands: import TAR [REF] | load ARCHIVE | save OUT NAME... | ls | inspect NAME |
 *   history NAME | tag SRC DST | untag REF | rm [-f] NAME [IN-USE-ID...] |
 *   prune [-a] | gc | resolve NAME | mount CID NAME | umount CID |
 *   commit DIR BASE [REF] | commit-container CID [REF] | ref-parse REF |
 *   stress THREADS TAR (concurrent imports + reads on one handle) */
#include "images/images.h"

#include <getopt.h>
#include <pthread.h>

static int usage(void)
{
	fprintf(stderr, "usage: nd-images-test --root DIR [--driver overlay2|vfs] COMMAND ARGS...\n"
			"commands: import TAR [REF] | load ARCHIVE | save OUT NAME... | ls | inspect NAME |\n"
			"  history NAME | tag SRC DST | untag REF | rm [-f] NAME [IN-USE-ID...] | prune [-a] | gc |\n"
			"  resolve NAME | mount CID NAME | umount CID | commit DIR BASE [REF] |\n"
			"  commit-container CID [REF] | ref-parse REF\n");
	return 2;
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));
	puts(s);
	free(s);
	json_decref(j);
}

struct stress {
	struct images *h;
	const char *tar;
	int i;
	int rc;
	char id[IMAGES_DIGEST_LEN + 1];
	char msg[ND_ERROR_MSG_MAX];
};

/* one thread: import the tar under its own tag, then read the store a little */
static void *stress_thread(void *arg)
{
	struct stress *s = arg;
	struct nd_error err = {0};
	char tag[64];
	snprintf(tag, sizeof(tag), "stress:%d", s->i);
	struct images_import_opts o = { .ref = tag };
	s->rc = images_import(s->h, s->tar, &o, s->id, &err);
	for (int k = 0; s->rc == 0 && k < 20; k++) {
		json_t *j = NULL;
		if ((s->rc = images_list(s->h, &j, &err)) == 0)
			json_decref(j);
		if (s->rc == 0 && (s->rc = images_inspect(s->h, tag, &j, &err)) == 0)
			json_decref(j);
	}
	snprintf(s->msg, sizeof(s->msg), "%s", err.msg);
	return NULL;
}

static int stress(struct images *h, int n, const char *tar, struct nd_error *err)
{
	struct stress s[64];
	pthread_t t[64];
	if (n < 1 || n > 64)
		return nd_error_set(err, -EINVAL, "1..64 threads");
	for (int i = 0; i < n; i++) {
		s[i] = (struct stress){ .h = h, .tar = tar, .i = i };
		pthread_create(&t[i], NULL, stress_thread, &s[i]);
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < n; i++) {
		if (s[i].rc < 0)
			return nd_error_set(err, s[i].rc, "thread %d: %s", i, s[i].msg);
	}
	printf("%d threads imported %s ...\n", n, s[0].id); /* IDs differ: "created" is now */
	return 0;
}

static char **in_use_ids;
static bool in_use(const char *id, void *ud)
{
	for (char **p = in_use_ids; p && *p; p++)
		if (!strcmp(*p, id) || (strlen(*p) >= 12 && strstr(id, *p)))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *root = NULL, *driver = NULL;
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "driver", required_argument, NULL, 'd' },
		{ "debug", no_argument, NULL, 'D' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "+r:d:D", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 'd': driver = optarg; break;
		case 'D': nd_log_set_level(ND_LOG_DEBUG); break;
		default: return usage();
		}
	}
	if (optind >= argc)
		return usage();
	const char *cmd = argv[optind];
	char **args = argv + optind + 1;
	int nargs = argc - optind - 1;
	struct nd_error err = {0};
	int r = 0;

	if (!strcmp(cmd, "ref-parse")) {
		struct images_ref ref;
		char buf[IMAGES_REF_MAX];
		if (nargs != 1)
			return usage();
		if ((r = images_ref_parse(args[0], &ref, &err)) == 0) {
			images_ref_format(&ref, buf, sizeof(buf));
			puts(buf);
		}
		goto done;
	}
	if (!root)
		return usage();
	struct images *h;
	struct images_config cfg = { .root = root, .driver = driver };
	if ((r = images_open(&cfg, &h, &err)) < 0)
		goto done;
	char id[IMAGES_DIGEST_LEN + 1];
	if (!strcmp(cmd, "import") && (nargs == 1 || nargs == 2)) {
		struct images_import_opts o = { .ref = nargs == 2 ? args[1] : NULL };
		if ((r = images_import(h, args[0], &o, id, &err)) == 0)
			puts(id);
	} else if (!strcmp(cmd, "load") && nargs == 1) {
		char **loaded = NULL;
		if ((r = images_load(h, args[0], &loaded, &err)) == 0)
			for (char **p = loaded; *p; p++)
				printf("Loaded image: %s\n", *p);
		images_strv_free(loaded);
	} else if (!strcmp(cmd, "save") && nargs >= 2) {
		r = images_save(h, (const char *const *)args + 1, (size_t)nargs - 1, args[0], &err);
	} else if (!strcmp(cmd, "ls") && nargs == 0) {
		json_t *j;
		if ((r = images_list(h, &j, &err)) == 0)
			print_json(j);
	} else if (!strcmp(cmd, "inspect") && nargs == 1) {
		json_t *j;
		if ((r = images_inspect(h, args[0], &j, &err)) == 0)
			print_json(j);
	} else if (!strcmp(cmd, "history") && nargs == 1) {
		json_t *j;
		if ((r = images_history(h, args[0], &j, &err)) == 0)
			print_json(j);
	} else if (!strcmp(cmd, "tag") && nargs == 2) {
		r = images_tag(h, args[0], args[1], &err);
	} else if (!strcmp(cmd, "untag") && nargs == 1) {
		r = images_untag(h, args[0], &err);
	} else if (!strcmp(cmd, "rm") && nargs >= 1) {
		bool force = !strcmp(args[0], "-f");
		if (force) {
			args++;
			nargs--;
		}
		if (nargs < 1) {
			images_close(h);
			return usage();
		}
		in_use_ids = args + 1;
		json_t *j;
		if ((r = images_remove(h, args[0], force, in_use, NULL, &j, &err)) == 0)
			print_json(j);
	} else if (!strcmp(cmd, "prune") && nargs <= 1) {
		struct images_prune_report rep;
		if ((r = images_prune(h, nargs == 1 && !strcmp(args[0], "-a"), NULL, NULL, &rep, &err)) == 0)
			printf("images=%zu layers=%zu blobs=%zu reclaimed=%llu\n", rep.images_deleted, rep.layers_deleted,
			       rep.blobs_deleted, (unsigned long long)rep.space_reclaimed);
	} else if (!strcmp(cmd, "gc") && nargs == 0) {
		struct images_prune_report rep;
		if ((r = images_gc(h, &rep, &err)) == 0)
			printf("layers=%zu blobs=%zu reclaimed=%llu\n", rep.layers_deleted, rep.blobs_deleted,
			       (unsigned long long)rep.space_reclaimed);
	} else if (!strcmp(cmd, "stress") && nargs == 2) {
		r = stress(h, atoi(args[0]), args[1], &err);
	} else if (!strcmp(cmd, "resolve") && nargs == 1) {
		if ((r = images_resolve(h, args[0], id, &err)) == 0)
			puts(id);
	} else if (!strcmp(cmd, "mount") && nargs == 2) {
		char path[4096];
		if ((r = images_rootfs_mount(h, args[0], args[1], path, sizeof(path), &err)) == 0)
			puts(path);
	} else if (!strcmp(cmd, "umount") && nargs == 1) {
		r = images_rootfs_remove(h, args[0], &err);
	} else if (!strcmp(cmd, "commit") && (nargs == 2 || nargs == 3)) {
		struct images_commit_opts o = { .ref = nargs == 3 ? args[2] : NULL };
		if ((r = images_commit(h, args[0], args[1], &o, id, &err)) == 0)
			puts(id);
	} else if (!strcmp(cmd, "commit-container") && (nargs == 1 || nargs == 2)) {
		struct images_commit_opts o = { .ref = nargs == 2 ? args[1] : NULL };
		if ((r = images_commit_container(h, args[0], &o, id, &err)) == 0)
			puts(id);
	} else {
		images_close(h);
		return usage();
	}
	images_close(h);
done:
	if (r < 0) {
		fprintf(stderr, "error: %s\n", err.msg);
		return 1;
	}
	return 0;
}
