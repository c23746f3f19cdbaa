// SPDX-License-Identifier: Apache-2.0
/* DOT to SVG with Graphviz's own library: agmemread() parses, gvLayout()
 * places ("dot"), gvRenderData() writes SVG. libgvc keeps global state
 * (its plugin registry, cgraph's error hooks), so one call at a time. */
#include "cli/topology.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <pthread.h>

static pthread_mutex_t gv_lock = PTHREAD_MUTEX_INITIALIZER;

int topo_svg(const char *dot, char **out, size_t *len, struct nd_error *err)
{
	*out = NULL;
	*len = 0;
	int rc = 0;
	pthread_mutex_lock(&gv_lock);
	agseterr(AGMAX);    /* cgraph keeps its messages for aglasterr() instead of printing them */
	GVC_t *gvc = gvContext();
	Agraph_t *g = gvc ? agmemread(dot) : NULL;
	char *data = NULL;
	unsigned int n = 0;
	if (!gvc) {
		rc = nd_error_set(err, -ENOMEM, "graphviz: no context");
	} else if (!g) {
		rc = nd_error_set(err, -EINVAL, "graphviz: the DOT text does not parse: %s", aglasterr() ?: "?");
	} else if (gvLayout(gvc, g, "dot") != 0) {
		rc = nd_error_set(err, -EIO, "graphviz: the \"dot\" layout failed (is the graphviz plugin "
				  "package, libgvc6, installed?)");
	} else {
		if (gvRenderData(gvc, g, "svg", &data, &n) != 0 || !data)
			rc = nd_error_set(err, -EIO, "graphviz: SVG rendering failed");
		else if (!(*out = malloc((size_t)n + 1)))
			rc = nd_error_set(err, -ENOMEM, "out of memory");
		else {
			memcpy(*out, data, n);
			(*out)[n] = '\0';
			*len = n;
		}
		if (data)
			gvFreeRenderData(data);
		gvFreeLayout(gvc, g);
	}
	if (g)
		agclose(g);
	if (gvc)
		gvFreeContext(gvc);
	pthread_mutex_unlock(&gv_lock);
	return rc;
}
