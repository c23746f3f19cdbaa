// SPDX-License-Identifier: Apache-2.0
#include "wire/wire.h"

#include <stdio.h>

static bool parse(const char *v, unsigned *maj, unsigned *min)
{
	int n = 0;
	return v && sscanf(v, "%u.%u%n", maj, min, &n) == 2 && v[n] == '\0';
}

unsigned wire_api_version_num(const char *v)
{
	unsigned a, b;
	if (!parse(v, &a, &b) || a > 1000 || b > 999)
		return 0;
	return a * 1000 + b;
}

bool wire_api_version_ok(const char *v)
{
	unsigned a, b, lo_a, lo_b, hi_a, hi_b;
	if (!parse(v, &a, &b) || !parse(WIRE_API_VERSION_MIN, &lo_a, &lo_b) || !parse(WIRE_API_VERSION, &hi_a, &hi_b))
		return false;
	unsigned x = a * 1000 + b;
	return x >= lo_a * 1000 + lo_b && x <= hi_a * 1000 + hi_b;
}
