// SPDX-License-Identifier: Apache-2.0
/* Answers in the shape of the API version a request asked for (its /vX.YY
 * prefix), where Docker's shapes differ between WIRE_API_VERSION_MIN and
 * WIRE_API_VERSION. Views are built in the current shape; these adjust
 * them for older clients, in place. One function per view.
 *
 *   1.44  image summaries and inspect lose VirtualSize (Size is the same);
 *         container inspect's EndpointSettings gain DNSNames
 *   1.45  image inspect loses Container and ContainerConfig (netd never
 *         had them: nothing to do)
 *   1.52  events lose status/id/from (api_events.c: netd is below 1.52) */
#include "netd/api/api.h"

void api_shape_image(const struct http_req *req, json_t *img)
{
	unsigned v = http_req_api_version(req);
	json_t *size = json_object_get(img, "Size");
	if (v < WIRE_API(1, 44) && size)
		json_object_set(img, "VirtualSize", size);
	else
		json_object_del(img, "VirtualSize");
}

void api_shape_container_inspect(const struct http_req *req, json_t *v)
{
	/* members Docker always has, which clients index without looking
	 * (the Python SDK reads HostConfig.LogConfig.Type after every run) */
	json_t *hc = json_object_get(v, "HostConfig");
	if (json_is_object(hc) && !json_is_object(json_object_get(hc, "LogConfig")))
		json_object_set_new(hc, "LogConfig", json_pack("{s:s, s:{}}", "Type", "json-file", "Config"));
	const char *k;
	json_t *ep;
	if (http_req_api_version(req) < WIRE_API(1, 44)) {
		json_object_foreach(json_object_get(json_object_get(v, "NetworkSettings"), "Networks"), k, ep)
			json_object_del(ep, "DNSNames");
		return;
	}
	/* DNSNames: the names the container answers to on that network: its
	 * name, its short id, its aliases and its hostname (Docker's order).
	 * The resolver's own table where it has the endpoint (the view put it
	 * there), else derived from the record. */
	const char *name = nd_json_str(v, "Name");
	const char *id = nd_json_str(v, "Id");
	const char *host = nd_json_str(json_object_get(v, "Config"), "Hostname");
	json_object_foreach(json_object_get(json_object_get(v, "NetworkSettings"), "Networks"), k, ep) {
		if (json_array_size(json_object_get(ep, "DNSNames")) > 0)
			continue;
		json_t *names = json_array();
		char shortid[13] = "";
		if (id)
			snprintf(shortid, sizeof(shortid), "%.12s", id);
		const char *cands[3] = { name && name[0] == '/' ? name + 1 : name, shortid, NULL };
		for (size_t i = 0; i < 2; i++)
			if (cands[i] && *cands[i])
				json_array_append_new(names, json_string(cands[i]));
		size_t i;
		json_t *a;
		json_array_foreach(json_object_get(ep, "Aliases"), i, a) {
			bool dup = false;
			size_t j;
			json_t *b;
			json_array_foreach(names, j, b) dup = dup || json_equal(a, b);
			if (!dup)
				json_array_append(names, a);
		}
		if (host && *host && strcmp(host, shortid) != 0)
			json_array_append_new(names, json_string(host));
		json_object_set_new(ep, "DNSNames", names);
	}
}
