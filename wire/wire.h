/* wire: pure code both sides of the API need — netd and netctl link it.
 * The one public header of the wire module; each section is one file. */
#pragma once

#include "common/common.h"

/* ---- the API version ------------------------------------------------------ */

/* The Docker Engine API version netd speaks (and the lowest it accepts). */
#define WIRE_API_VERSION "1.43"
#define WIRE_API_VERSION_MIN "1.24"
/* true when v ("1.41") is a version netd answers: MIN <= v <= current. */
bool wire_api_version_ok(const char *v);
