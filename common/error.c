// SPDX-License-Identifier: Apache-2.0
#include "common/common.h"

int nd_error_set(struct nd_error *err, int code, const char *fmt, ...)
{
	if (code >= 0)
		code = -EIO;
	if (!err)
		return code;
	err->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int nd_error_wrap(struct nd_error *err, const char *fmt, ...)
{
	if (!err)
		return -EIO;
	char prefix[ND_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);

	char old[ND_ERROR_MSG_MAX];
	memcpy(old, err->msg, sizeof(old));
	if (old[0])
		snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	else
		snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, strerror(-err->code));
	if (err->code >= 0)
		err->code = -EIO;
	return err->code;
}

void nd_error_clear(struct nd_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

int nd_error_http_status(const struct nd_error *err)
{
	switch (-err->code) {
	case 0:
		return 200;
	case EINVAL: case ERANGE: case EDOM: case EBADMSG: case EILSEQ: case ENOTSUP:
	case ENAMETOOLONG: case EDESTADDRREQ: case ENOEXEC:
		return 400;
	case EPERM: case EACCES:
		return 403;
	case ENOENT: case ENXIO: case ESRCH: case ENODEV:
		return 404;
	case EEXIST: case EBUSY: case EADDRINUSE: case ENOTEMPTY: case EALREADY:
	case ENOSPC: case EADDRNOTAVAIL: case ENOTUNIQ: case EISCONN: case ENOTCONN:
		return 409;
	case E2BIG: case EMSGSIZE: case EFBIG:
		return 413;
	case ENOSYS:
		return 501;
	default:
		return 500;
	}
}

int nd_error_from_http_status(int status)
{
	switch (status) {
	case 400: return -EINVAL;
	case 403: return -EPERM;
	case 404: return -ENOENT;
	case 405: return -EOPNOTSUPP;
	case 409: return -EEXIST;
	case 413: return -E2BIG;
	case 501: return -ENOSYS;
	default: return status >= 400 ? -EIO : 0;
	}
}
