// SPDX-License-Identifier: Apache-2.0
/* A deliberate back-edge for tests/layering/check.sh: the net layer
 * including the ctr layer's header. It must not compile. */
#include "netd/ctr/ctr.h"

int layer_probe_include(void) { return CTR_RUNNING; }
