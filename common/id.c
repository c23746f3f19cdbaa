// SPDX-License-Identifier: Apache-2.0
#include "common/common.h"

#include <sys/random.h>

int nd_id_new(char out[ND_ID_LEN + 1])
{
	unsigned char raw[ND_ID_LEN / 2];
	size_t got = 0;
	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[ND_ID_LEN] = '\0';
	return 0;
}

static bool all_hex(const char *s, size_t *len)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	*len = n;
	return true;
}

bool nd_id_valid(const char *s)
{
	size_t n;
	return s && all_hex(s, &n) && n == ND_ID_LEN;
}

bool nd_id_prefix_valid(const char *s)
{
	size_t n;
	return s && all_hex(s, &n) && n >= ND_ID_SHORT && n <= ND_ID_LEN;
}

bool nd_name_valid(const char *s)
{
	if (!s || !s[0] || strlen(s) > ND_NAME_MAX)
		return false;
	for (size_t i = 0; s[i]; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (i == 0 ? !alnum : !(alnum || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}
