// SPDX-License-Identifier: Apache-2.0
/* The web view's files (cli/ui/assets/), compiled into netctl by
 * cli/ui/embed.cmake: nothing is looked up on disk or fetched at run time. */
#pragma once

#include <stddef.h>

struct ui_asset {
	const char *path;            /* "/index.html", "/app.js", ... */
	const char *type;            /* Content-Type */
	const unsigned char *data;
	size_t len;
};
extern const struct ui_asset ui_assets[];   /* ends with a NULL path */
