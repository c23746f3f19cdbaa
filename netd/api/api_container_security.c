// SPDX-License-Identifier: Apache-2.0
/* /containers/create: HostConfig's security options (--privileged,
 * --cap-add/--cap-drop, --security-opt, --device, --group-add, --ulimit,
 * --sysctl). Checked by the container service's one decoder
 * (ctr_security_build: a refusal is a 400 naming the option, and nothing is
 * recorded), then kept in the stored HostConfig under Docker's names, which
 * inspect shows and the start turns into the runtime's spec. */
#include "netd/api/api.h"
#include "netd/ctr/ctr.h"

static const char *const fields[] = {
	"Privileged", "CapAdd", "CapDrop", "SecurityOpt", "Devices", "GroupAdd", "Ulimits", "Sysctls",
};

int api_container_security(const json_t *hc_in, const char *network_mode, json_t *hc_out, struct nd_error *err)
{
	struct rt_security sec;
	int r = ctr_security_build(hc_in, network_mode, &sec, err);
	if (r < 0)
		return r;
	rt_security_clear(&sec);
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		json_t *v = json_object_get(hc_in, fields[i]);
		if (v && !api_json_zeroish(v))
			json_object_set(hc_out, fields[i], v);
	}
	return 0;
}
