// SPDX-License-Identifier: Apache-2.0
/* DOT to SVG with Graphviz's own library: agmemread() parses, gvLayout()
 * places ("dot"), gvRenderData() writes SVG. libgvc keeps global state
 * (cgraph's error hooks, the text layout plugin's font cache), so one call
 * at a time, and one context for the life of the process: graphviz 2.42's
 * pango plugin keeps a font name freed with the first context and reads
 * it in the next one (a use-after-free AddressSanitizer shows at the
 * second render when each call makes and frees its own). */
#include "cli/topology.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <pthread.h>

static pthread_mutex_t gv_lock = PTHREAD_MUTEX_INITIALIZER;
static GVC_t *gv_context;     /* under gv_lock; lives until exit */

int topo_svg(const char *dot, char **out, size_t *len, struct nd_error *err)
{
	*out = NULL;
	*len = 0;
	int rc = 0;
	pthread_mutex_lock(&gv_lock);
	agseterr(AGMAX);    /* cgraph keeps its messages for aglasterr() instead of printing them */
	if (!gv_context)
		gv_context = gvContext();
	GVC_t *gvc = gv_context;
	Agraph_t *g = gvc ? agmemread(dot) : NULL;
	char *data = NULL;
	unsigned int n = 0;
	if (!gvc) {
		rc = nd_error_set(err, -ENOMEM, "graphviz: no context");
	} else if (!g) {
		char *why = aglasterr();   /* a copy, ours to free */
		rc = nd_error_set(err, -EINVAL, "graphviz: the DOT text does not parse: %s", why ? why : "?");
		free(why);
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
	pthread_mutex_unlock(&gv_lock);
	return rc;
}
