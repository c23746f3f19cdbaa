// SPDX-License-Identifier: Apache-2.0
/* The topology of one or more netd hosts: the daemons a picture covers
 * and their GET /topology, gathered (the drawing is topology_draw.c). */
#include "cli/topology.h"
#include "wire/wire.h"


int topo_hosts_open(const struct client_opts *base, char **hosts, size_t nhosts, struct topo_hosts *out,
		    struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_free_ char *envcopy = NULL;
	char *list[64];
	size_t n = 0;
	for (size_t i = 0; i < nhosts && n < ARRAY_SIZE(list); i++)
		list[n++] = hosts[i];
	if (!n && base && base->host && *base->host) {
		list[n++] = (char *)base->host;
	} else if (!n) {
		const char *env = getenv("NETD_HOST");
		if (env && *env && (envcopy = strdup(env))) {
			char *save = NULL;
			for (char *tok = strtok_r(envcopy, ", ", &save); tok && n < ARRAY_SIZE(list);
			     tok = strtok_r(NULL, ", ", &save))
				list[n++] = tok;
		}
		if (!n)
			list[n++] = "unix:///run/netd/netd.sock";
	}
	out->clients = calloc(n, sizeof(*out->clients));
	out->addrs = calloc(n, sizeof(*out->addrs));
	if (!out->clients || !out->addrs) {
		topo_hosts_close(out);
		return nd_error_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct client_opts o = base ? *base : (struct client_opts){ 0 };
		o.host = list[i];
		int rc = client_new(&o, &out->clients[i], err);
		if (rc < 0 || !(out->addrs[i] = strdup(list[i]))) {
			if (rc >= 0) {
				client_free(out->clients[i]);
				rc = nd_error_set(err, -ENOMEM, "out of memory");
			}
			out->n = i;
			topo_hosts_close(out);
			return rc;
		}
		out->n = i + 1;
	}
	return 0;
}

void topo_hosts_close(struct topo_hosts *h)
{
	for (size_t i = 0; i < h->n; i++) {
		client_free(h->clients[i]);
		free(h->addrs[i]);
	}
	free(h->clients);
	free(h->addrs);
	memset(h, 0, sizeof(*h));
}

int topo_fetch(struct topo_hosts *h, json_t **out, struct nd_error *err)
{
	_cleanup_json_ json_t *hosts = json_array();
	if (!hosts)
		return nd_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < h->n; i++) {
		json_t *t = NULL;
		int rc = client_call(h->clients[i], "GET", "/topology", NULL, &t, err);
		if (rc < 0)   /* which daemon, when there are several (the message names a socket's) */
			return h->n > 1 ? (nd_error_wrap(err, "%s", h->addrs[i]), rc) : rc;
		if (!json_is_object(t)) {
			json_decref(t);
			return nd_error_set(err, -EBADMSG, "%s: /topology is not a JSON object", h->addrs[i]);
		}
		json_object_set_new(t, "Address", json_string(h->addrs[i]));
		json_array_append_new(hosts, t);
	}
	*out = json_pack("{s:O}", "Hosts", hosts);
	return *out ? 0 : nd_error_set(err, -ENOMEM, "out of memory");
}

