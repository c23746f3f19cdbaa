// SPDX-License-Identifier: Apache-2.0
/* netctl's own connections to netd (the hijacked streams of attach and
 * exec, which libcurl cannot carry): a unix socket, or TCP with mutual TLS
 * through OpenSSL, verified as libcurl verifies (the CA, the host name or
 * IP against the certificate's SANs); and TLS failures said in words. */
#include "cli/stream.h"
#include "cli/client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>

void cli_tls_explain(const char *raw, const char *host, char *out, size_t len)
{
	static const struct { const char *needle, *say; } known[] = {
		{ "certificate required", "netd wants a client certificate and got none (give --tlscert/--tlskey or NETD_CERT_PATH)" },
		{ "alert unknown ca", "netd refused our client certificate: it is not signed by a CA netd trusts (unknown CA)" },
		{ "alert certificate expired", "netd refused our client certificate: it has expired" },
		{ "alert bad certificate", "netd refused our client certificate (bad certificate)" },
		{ "alert certificate unknown", "netd refused our client certificate (certificate unknown)" },
		{ "alert handshake failure", "netd refused the TLS handshake (handshake failure)" },
		{ "certificate has expired", "netd's server certificate has expired" },
		{ "certificate is not yet valid", "netd's server certificate is not valid yet (check the clocks)" },
		{ "unable to get local issuer", "netd's server certificate is not signed by our CA (unknown CA: check --tlscacert)" },
		{ "self-signed certificate", "netd's server certificate is not signed by our CA (unknown CA: check --tlscacert)" },
		{ "self signed certificate", "netd's server certificate is not signed by our CA (unknown CA: check --tlscacert)" },
		{ "unable to get issuer", "netd's server certificate is not signed by our CA (unknown CA: check --tlscacert)" },
		{ "no alternative certificate subject name", NULL },
		{ "does not match target host", NULL },
		{ "hostname mismatch", NULL },
		{ "IP address mismatch", NULL },
		{ "wrong version number", "the server does not speak TLS there (a plain HTTP port? a netd without --tlsverify?)" },
		{ "packet length too long", "the server does not speak TLS there (a plain HTTP port? a netd without --tlsverify?)" },
		{ "record layer failure", "the server does not speak TLS there (a plain HTTP port? a netd without --tlsverify?)" },
		{ "could not load PEM client certificate", "cannot load our client certificate (check --tlscert)" },
		{ "unable to set private key", "cannot load our client key, or it does not match the certificate (check --tlskey)" },
		{ "error setting certificate file", "cannot load the CA certificate (check --tlscacert)" },
	};
	out[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
		if (!strcasestr(raw, known[i].needle))
			continue;
		if (known[i].say)
			snprintf(out, len, "%s [%s]", known[i].say, raw);
		else
			snprintf(out, len, "netd's server certificate does not name \"%s\" (name mismatch: "
				 "connect with a name or IP of its SANs) [%s]", host, raw);
		return;
	}
}

static int tcp_connect(const char *host, const char *port, struct nd_error *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC }, *res = NULL;
	int r = getaddrinfo(host, port, &hints, &res);
	if (r != 0)
		return nd_error_set(err, -EHOSTUNREACH, "cannot resolve %s: %s", host, gai_strerror(r));
	int fd = -1, e = ECONNREFUSED;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return nd_error_set(err, -e, "cannot connect to netd at tcp://%s:%s: %s", host, port, strerror(e));
	return fd;
}

static int tls_fail(const char *host, SSL *ssl, const char *what, struct nd_error *err)
{
	char raw[512];
	long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
	unsigned long e = ERR_peek_last_error();
	if (vr != X509_V_OK)
		snprintf(raw, sizeof(raw), "%s", X509_verify_cert_error_string(vr));
	else if (e)
		snprintf(raw, sizeof(raw), "%s", ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "TLS error");
	else
		snprintf(raw, sizeof(raw), "%s", what);
	ERR_clear_error();
	char why[768];
	cli_tls_explain(raw, host, why, sizeof(why));
	return nd_error_set(err, -EACCES, "netd at %s: %s", host, why[0] ? why : raw);
}

/* A connected fd (and an SSL session over it when the client uses TLS). */
int cli_conn_open(struct client *c, int *fd_out, void **ssl_out, struct nd_error *err)
{
	*ssl_out = NULL;
	if (!client_is_tcp(c)) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		const char *path = client_socket(c);
		if (nd_snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path) < 0)
			return nd_error_set(err, -ENAMETOOLONG, "socket path %s is too long", path);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			return nd_error_set(err, -e, "cannot connect to netd at %s: %s", path, strerror(e));
		}
		*fd_out = fd;
		return 0;
	}
	const char *host = client_tcp_host(c);
	int fd = tcp_connect(host, client_tcp_port(c), err);
	if (fd < 0)
		return fd;
	if (!client_tls(c)) {
		*fd_out = fd;
		return 0;
	}
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	int rc = 0;
	if (!ctx) {
		rc = tls_fail(host, NULL, "cannot make a TLS context", err);
		goto fail;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* SSL_read returns rather than blocks on records that carry no data:
	 * the relay polls */
	SSL_CTX_clear_mode(ctx, SSL_MODE_AUTO_RETRY);
	if (SSL_CTX_load_verify_locations(ctx, client_tls_file(c, 0), NULL) != 1) {
		rc = tls_fail(host, NULL, "error setting certificate file", err);
		goto fail;
	}
	if (client_tls_file(c, 1) && SSL_CTX_use_certificate_chain_file(ctx, client_tls_file(c, 1)) != 1) {
		ERR_clear_error();
		rc = tls_fail(host, NULL, "could not load PEM client certificate", err);
		goto fail;
	}
	if (client_tls_file(c, 2) && (SSL_CTX_use_PrivateKey_file(ctx, client_tls_file(c, 2), SSL_FILETYPE_PEM) != 1 ||
				       SSL_CTX_check_private_key(ctx) != 1)) {
		ERR_clear_error();
		rc = tls_fail(host, NULL, "unable to set private key", err);
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ssl = SSL_new(ctx);
	if (!ssl) {
		rc = tls_fail(host, NULL, "cannot make a TLS session", err);
		goto fail;
	}
	unsigned char ipb[16];
	X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
	if (inet_pton(AF_INET, host, ipb) == 1 || inet_pton(AF_INET6, host, ipb) == 1) {
		X509_VERIFY_PARAM_set1_ip_asc(vp, host);
	} else {
		SSL_set_tlsext_host_name(ssl, host);
		SSL_set1_host(ssl, host);
	}
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1) {
		rc = tls_fail(host, ssl, "TLS handshake failed", err);
		goto fail;
	}
	SSL_CTX_free(ctx);           /* the session holds its own reference */
	*fd_out = fd;
	*ssl_out = ssl;
	return 0;
fail:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return rc;
}

/* I/O over either; the TLS errors that come late (TLS 1.3 sends a refusal
 * of our certificate after the handshake) are said in words through err. */
ssize_t cli_conn_read(int fd, void *ssl, void *buf, size_t len, const char *host, struct nd_error *err)
{
	if (!ssl) {
		ssize_t n;
		do
			n = read(fd, buf, len);
		while (n < 0 && errno == EINTR);
		return n < 0 ? -errno : n;
	}
	for (;;) {
		int r = SSL_read(ssl, buf, (int)len);
		if (r > 0)
			return r;
		int e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		if (e == SSL_ERROR_WANT_READ)
			return -EAGAIN;      /* a record without data: poll again */
		if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
			return errno ? -errno : 0;  /* EOF without close_notify: the end */
		if (err)
			tls_fail(host, ssl, "TLS read failed", err);
		else
			ERR_clear_error();
		return -EPROTO;
	}
}

int cli_conn_write(int fd, void *ssl, const void *buf, size_t len)
{
	if (!ssl)
		return nd_write_all(fd, buf, len);
	size_t off = 0;
	while (off < len) {
		int r = SSL_write(ssl, (const char *)buf + off, (int)(len - off));
		if (r <= 0) {
			ERR_clear_error();
			return -EPIPE;
		}
		off += (size_t)r;
	}
	return 0;
}

void cli_conn_shutdown_write(int fd, void *ssl)
{
	if (ssl)
		SSL_shutdown(ssl);   /* close_notify: netd hears the end of our input */
	else
		shutdown(fd, SHUT_WR);
}

bool cli_conn_pending(void *ssl)
{
	return ssl && SSL_pending(ssl) > 0;
}

void cli_conn_close(int fd, void *ssl)
{
	if (ssl)
		SSL_free(ssl);
	if (fd >= 0)
		close(fd);
}
