// SPDX-License-Identifier: Apache-2.0
#include "cli/netctl.h"

int cli_fail(const struct nd_error *err)
{
	fprintf(stderr, "netctl: %s\n", err->msg[0] ? err->msg : strerror(-err->code));
	return 1;
}

int cli_usage_error(const char *prog, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s (see '%s --help')\n", prog, msg, prog);
	return 2;
}

int cli_parse_format(const char *s, enum cli_format *out)
{
	if (strcmp(s, "json") == 0 || strcmp(s, "{{json .}}") == 0)
		*out = CLI_FMT_JSON;
	else if (strcmp(s, "table") == 0)
		*out = CLI_FMT_TABLE;
	else
		return -EINVAL;
	return 0;
}

void cli_print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);
	if (s) {
		puts(s);
		free(s);
	}
}

struct cli_table {
	int ncols;
	size_t nrows;
	char **cells;              /* (nrows + 1) * ncols, row 0 = header */
};

struct cli_table *cli_table_new(int ncols, ...)
{
	struct cli_table *t = calloc(1, sizeof(*t));
	t->ncols = ncols;
	t->cells = calloc((size_t)ncols, sizeof(char *));
	va_list ap;
	va_start(ap, ncols);
	for (int i = 0; i < ncols; i++)
		t->cells[i] = strdup(va_arg(ap, const char *));
	va_end(ap);
	t->nrows = 1;
	return t;
}

void cli_table_row(struct cli_table *t, ...)
{
	t->cells = realloc(t->cells, (t->nrows + 1) * (size_t)t->ncols * sizeof(char *));
	va_list ap;
	va_start(ap, t);
	for (int i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);
		t->cells[t->nrows * (size_t)t->ncols + (size_t)i] = strdup(s ? s : "");
	}
	va_end(ap);
	t->nrows++;
}

void cli_table_print(struct cli_table *t)
{
	size_t *w = calloc((size_t)t->ncols, sizeof(size_t));
	for (size_t r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncols; c++) {
			size_t l = strlen(t->cells[r * (size_t)t->ncols + (size_t)c]);
			if (l > w[c])
				w[c] = l;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * (size_t)t->ncols + (size_t)c];
			if (c == t->ncols - 1)
				printf("%s\n", s);
			else
				printf("%-*s   ", (int)w[c], s);
			free((void *)s);
		}
	}
	free(w);
	free(t->cells);
	free(t);
}

char *cli_path(struct cli *cli, const char *fmt, const char *arg)
{
	_cleanup_free_ char *esc = wire_query_escape(arg);
	char *out = NULL;
	if (!esc || asprintf(&out, fmt, esc) < 0)
		return NULL;
	return out;
}
