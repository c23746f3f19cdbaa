#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The etcd client over TLS with client certificates (etcd --client-cert-auth),
# from a test CA made here with the openssl CLI: works with the right CA and
# certificate; refused, with a TLS error, without a client certificate, with
# a certificate of another CA, or when etcd's certificate is not trusted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd_lib.sh"
etcd_need
command -v openssl >/dev/null || skip "openssl missing"

ip addr add 10.97.0.1/32 dev lo
P=$T/pki; mkdir -p "$P"
mkca() {   # NAME
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=$1" -keyout "$P/$1.key" -out "$P/$1.crt" 2>/dev/null
}
mkcert() { # NAME CA EXT
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" \
    -keyout "$P/$1.key" -out "$P/$1.csr" 2>/dev/null
  printf '%s\n' "$3" > "$P/$1.ext"
  openssl x509 -req -in "$P/$1.csr" -CA "$P/$2.crt" -CAkey "$P/$2.key" -CAcreateserial -days 2 \
    -extfile "$P/$1.ext" -out "$P/$1.crt" 2>/dev/null
}
mkca ca
mkca otherca
mkcert server ca "subjectAltName=IP:10.97.0.1
extendedKeyUsage=serverAuth,clientAuth"  # etcd's gateway dials etcd with it
mkcert client ca "extendedKeyUsage=clientAuth"
mkcert rogue otherca "extendedKeyUsage=clientAuth"

etcd_start e1 10.97.0.1 --cert-file "$P/server.crt" --key-file "$P/server.key" \
  --client-cert-auth --trusted-ca-file "$P/ca.crt"
E="$ETCD_TOOL -e 10.97.0.1:2379 --cacert $P/ca.crt"
poll 20 $E --cert "$P/client.crt" --key "$P/client.key" put /tls/up 1 || { tail "$T/etcd-e1/log" >&2; fail "TLS etcd did not answer"; }

$E --cert "$P/client.crt" --key "$P/client.key" put /tls/a secret
assert_eq "$($E --cert "$P/client.crt" --key "$P/client.key" get /tls/a 2>/dev/null)" secret "put/get over mutual TLS"
# the watch over TLS too
$E --cert "$P/client.crt" --key "$P/client.key" watch /tls/ > "$T/w.out" &
W=$!; on_exit "kill -KILL $W"
poll 5 grep -q '^resync 2 ' "$T/w.out" || fail "no resync over TLS: $(cat "$T/w.out")"
$E --cert "$P/client.crt" --key "$P/client.key" put /tls/b 1
poll 5 grep -q '^put /tls/b 1' "$T/w.out" || fail "no event over TLS"
kill -TERM $W; wait $W || true

refused() {  # WHAT ARGS...
  local what=$1; shift
  set +e; out=$("$@" get /tls/a 2>&1); rc=$?; set -e
  [ $rc -ne 0 ] || fail "$what: accepted"
  grep -q "cluster store etcd://10.97.0.1:2379" <<<"$out" || fail "$what: the store is not named: $out"
  log "$what: exit $rc: $out"
}
refused "no client certificate" $E
refused "a client certificate of another CA" $E --cert "$P/rogue.crt" --key "$P/rogue.key"
refused "etcd's certificate not trusted" $ETCD_TOOL -e 10.97.0.1:2379 --cacert "$P/otherca.crt" --cert "$P/client.crt" --key "$P/client.key"
refused "plain HTTP to a TLS etcd" $ETCD_TOOL -e 10.97.0.1:2379
set +e; out=$($ETCD_TOOL -e 10.97.0.1:2379 --cacert "$P/ca.crt" --cert "$P/client.crt" get /tls/a 2>&1); rc=$?; set -e
assert_eq $rc 22 "a certificate without its key: EINVAL"
echo ok
