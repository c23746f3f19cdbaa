// SPDX-License-Identifier: Apache-2.0
/* A deliberate back-edge for tests/layering/check.sh: net-layer code that
 * calls into the ctr layer without its header (declaring the symbol by
 * hand). It compiles; the net layer's link check must fail on it. */
struct ctr;
typedef void (*probe_cb)(void *data, const void *result);
void ctr_start(struct ctr *c, probe_cb cb, void *data);

void layer_probe_link(struct ctr *c) { ctr_start(c, 0, 0); }
