// SPDX-License-Identifier: Apache-2.0
/* netctl tls init DIR --host NAME [--ip IP]: a lab's certificates for netd's
 * TCP listener, made with OpenSSL's library: a CA, a server certificate whose
 * SANs name the host (and IPs), and one client certificate per role
 * (OU=read-only, operator, admin), each client's folder laid out as
 * NETD_CERT_PATH / DOCKER_CERT_PATH want it (ca.pem, cert.pem, key.pem). */
#include "cli/netctl.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>

#define TLS_MAX_NAMES 16

static const char *ssl_err(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return e ? buf : "unknown error";
}

static EVP_PKEY *key_new(void)
{
	return EVP_EC_gen("P-256");
}

static int ext_add(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -EINVAL;
	int ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -EINVAL;
}

/* A certificate for key, signed by (issuer, ikey); self-signed when issuer is NULL. */
static X509 *cert_make(EVP_PKEY *key, const char *cn, const char *ou, X509 *issuer, EVP_PKEY *ikey, long days,
		       const char *kind, const char *san)
{
	X509 *x = X509_new();
	if (!x)
		return NULL;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		goto fail;
	X509_set_version(x, X509_VERSION_3);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"netd lab", -1, -1, 0);
	if (ou)
		X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8, (const unsigned char *)ou, -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509 *signer = issuer ? issuer : x;
	X509_set_issuer_name(x, X509_get_subject_name(signer));
	if (strcmp(kind, "ca") == 0) {
		if (ext_add(x, x, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
		    ext_add(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
		    ext_add(x, x, NID_subject_key_identifier, "hash") < 0)
			goto fail;
	} else {
		if (ext_add(x, signer, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
		    ext_add(x, signer, NID_key_usage, "critical,digitalSignature,keyEncipherment") < 0 ||
		    ext_add(x, signer, NID_ext_key_usage, strcmp(kind, "server") == 0 ? "serverAuth" : "clientAuth") < 0 ||
		    ext_add(x, signer, NID_authority_key_identifier, "keyid:always") < 0)
			goto fail;
		if (san && ext_add(x, signer, NID_subject_alt_name, san) < 0)
			goto fail;
	}
	if (!X509_sign(x, issuer ? ikey : key, EVP_sha256()))
		goto fail;
	BN_free(bn);
	return x;
fail:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

static int write_pem(const char *dir, const char *file, X509 *cert, EVP_PKEY *key, struct nd_error *err)
{
	char path[PATH_MAX];
	if (nd_snprintf(path, sizeof(path), "%s/%s", dir, file) < 0)
		return nd_error_set(err, -ENAMETOOLONG, "path too long: %s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, key ? 0600 : 0644);
	if (fd < 0)
		return nd_error_set(err, -errno, "%s: %s", path, strerror(errno));
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return nd_error_set(err, -errno, "%s: %s", path, strerror(errno));
	}
	int ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, cert);
	if (fclose(f) != 0 || !ok)
		return nd_error_set(err, -EIO, "writing %s: %s", path, ssl_err());
	return 0;
}

/* DIR/NAME/{ca.pem,cert.pem,key.pem} */
static int write_set(const char *dir, const char *name, X509 *ca, X509 *cert, EVP_PKEY *key, struct nd_error *err)
{
	char sub[PATH_MAX];
	if (nd_snprintf(sub, sizeof(sub), "%s/%s", dir, name) < 0)
		return nd_error_set(err, -ENAMETOOLONG, "path too long");
	if (mkdir(sub, 0700) < 0)
		return nd_error_set(err, -errno, "mkdir %s: %s", sub, strerror(errno));
	int rc;
	if ((rc = write_pem(sub, "ca.pem", ca, NULL, err)) < 0 || (rc = write_pem(sub, "cert.pem", cert, NULL, err)) < 0 ||
	    (rc = write_pem(sub, "key.pem", NULL, key, err)) < 0)
		return rc;
	return 0;
}

static const char tls_init_help[] =
	"Usage: netctl tls init DIR --host NAME [--host NAME...] [--ip IP...] [--days N]\n"
	"\n"
	"Make a lab's certificates for netd's TCP listener (mutual TLS) in DIR (new):\n"
	"  DIR/ca.pem, DIR/ca-key.pem     the CA (keep ca-key.pem safe)\n"
	"  DIR/server/                    netd's ca.pem, cert.pem (SANs: each --host and\n"
	"                                 --ip) and key.pem: --tlscacert/--tlscert/--tlskey\n"
	"  DIR/admin/, DIR/operator/, DIR/read-only/\n"
	"                                 client certificates (CN=netctl-ROLE, OU=ROLE), each\n"
	"                                 folder usable as NETD_CERT_PATH or DOCKER_CERT_PATH\n"
	"and print the --tls-role flags that give each its role.\n"
	"\n"
	"Options:\n"
	"  --host NAME   a DNS name clients use for netd (repeatable; at least one)\n"
	"  --ip IP       an address clients use for netd (repeatable)\n"
	"  --days N      validity of every certificate (default 365)\n";

static int tls_init(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'n' },
		{ "ip", required_argument, NULL, 'i' },
		{ "days", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *hosts[TLS_MAX_NAMES], *ips[TLS_MAX_NAMES];
	size_t nh = 0, ni = 0;
	long days = 365;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (nh == TLS_MAX_NAMES)
				return cli_usage_error(cli->prog, "at most %d --host", TLS_MAX_NAMES);
			hosts[nh++] = optarg;
			break;
		case 'i': {
			unsigned char b[16];
			if (ni == TLS_MAX_NAMES)
				return cli_usage_error(cli->prog, "at most %d --ip", TLS_MAX_NAMES);
			if (inet_pton(AF_INET, optarg, b) != 1 && inet_pton(AF_INET6, optarg, b) != 1)
				return cli_usage_error(cli->prog, "--ip %s: not an IP address", optarg);
			ips[ni++] = optarg;
			break;
		}
		case 'd': {
			char *end = NULL;
			days = strtol(optarg, &end, 10);
			if (*end || days < 1 || days > 36500)
				return cli_usage_error(cli->prog, "--days %s: want 1..36500", optarg);
			break;
		}
		case 'h':
			fputs(tls_init_help, stdout);
			return 0;
		default:
			return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(cli->prog, "want one DIR (see --help)");
	if (nh == 0)
		return cli_usage_error(cli->prog, "--host NAME is required: the name clients connect to");
	const char *dir = argv[optind];
	char san[4096] = "";
	size_t off = 0;
	for (size_t i = 0; i < nh; i++) {
		for (const char *p = hosts[i]; *p; p++)
			if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.' || *p == '*'))
				return cli_usage_error(cli->prog, "--host %s: not a DNS name", hosts[i]);
		off += (size_t)snprintf(san + off, sizeof(san) - off, "%sDNS:%s", off ? "," : "", hosts[i]);
	}
	for (size_t i = 0; i < ni && off < sizeof(san); i++)
		off += (size_t)snprintf(san + off, sizeof(san) - off, "%sIP:%s", off ? "," : "", ips[i]);
	if (off >= sizeof(san))
		return cli_usage_error(cli->prog, "too many names");

	struct nd_error err = { 0 };
	int rc = 0;
	EVP_PKEY *cakey = NULL, *skey = NULL, *ckey = NULL;
	X509 *ca = NULL, *srv = NULL, *cl = NULL;
	if (mkdir(dir, 0700) < 0) {
		nd_error_set(&err, -errno, "mkdir %s: %s%s", dir, strerror(errno),
			     errno == EEXIST ? " (tls init makes a new folder; it never overwrites keys)" : "");
		return cli_fail(&err);
	}
	if (!(cakey = key_new()) || !(ca = cert_make(cakey, "netd lab CA", NULL, NULL, NULL, days, "ca", NULL))) {
		rc = nd_error_set(&err, -EIO, "making the CA: %s", ssl_err());
		goto out;
	}
	if ((rc = write_pem(dir, "ca.pem", ca, NULL, &err)) < 0 || (rc = write_pem(dir, "ca-key.pem", NULL, cakey, &err)) < 0)
		goto out;
	if (!(skey = key_new()) || !(srv = cert_make(skey, hosts[0], NULL, ca, cakey, days, "server", san))) {
		rc = nd_error_set(&err, -EIO, "making the server certificate: %s", ssl_err());
		goto out;
	}
	if ((rc = write_set(dir, "server", ca, srv, skey, &err)) < 0)
		goto out;
	static const char *const roles[] = { "admin", "operator", "read-only" };
	for (size_t i = 0; i < ARRAY_SIZE(roles); i++) {
		char cn[64];
		snprintf(cn, sizeof(cn), "netctl-%s", roles[i]);
		EVP_PKEY_free(ckey);
		X509_free(cl);
		cl = NULL;
		if (!(ckey = key_new()) || !(cl = cert_make(ckey, cn, roles[i], ca, cakey, days, "client", NULL))) {
			rc = nd_error_set(&err, -EIO, "making the %s client certificate: %s", roles[i], ssl_err());
			goto out;
		}
		if ((rc = write_set(dir, roles[i], ca, cl, ckey, &err)) < 0)
			goto out;
	}
	printf("made %s: CA, server certificate for %s, client certificates admin, operator, read-only\n\n"
	       "netd -H tcp://0.0.0.0:2376 --tlsverify --tlscacert %s/server/ca.pem --tlscert %s/server/cert.pem \\\n"
	       "     --tlskey %s/server/key.pem --tls-role role=admin,ou=admin --tls-role role=operator,ou=operator \\\n"
	       "     --tls-role role=read-only,ou=read-only\n\n"
	       "netctl -H tcp://%s:2376 --tlsverify --tlscacert %s/admin/ca.pem --tlscert %s/admin/cert.pem --tlskey %s/admin/key.pem version\n"
	       "NETD_HOST=tcp://%s:2376 NETD_TLS_VERIFY=1 NETD_CERT_PATH=%s/admin netctl version\n"
	       "DOCKER_HOST=tcp://%s:2376 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=%s/admin docker version\n",
	       dir, san, dir, dir, dir, hosts[0], dir, dir, dir, hosts[0], dir, hosts[0], dir);
out:
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(skey);
	EVP_PKEY_free(ckey);
	X509_free(ca);
	X509_free(srv);
	X509_free(cl);
	return rc < 0 ? cli_fail(&err) : 0;
}

const struct cli_cmd cli_tls_cmds[] = {
	{ "init", "Make a CA, a server certificate and client certificates per role", tls_init, NULL },
	{ NULL },
};
