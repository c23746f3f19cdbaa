#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What a mutual-TLS netd refuses, each with a clear error on the client's
# side and on netd's, and nothing changed (containers and networks counted
# over the unix socket before and after): no client certificate, one from
# another CA, an expired one, a server name that does not match, plain HTTP
# to the TLS port, a read-only subject's run (403) while its ps works, an
# operator's --privileged, host bind mount, --net host and --device (403)
# while its plain run works, a subject no tls-roles entry matches. The
# expired and other-CA certificates are made by the openssl tool, a witness
# independent of netd's own `tls init`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctr_lib.sh"
. "$(dirname "$0")/tls_lib.sh"

tls_pki
tls_clis
ctr_setup
tls_flags 0.0.0.0
nd_start "${TLS_FLAGS[@]}"
D=${CLIS[0]:-}
dk() { timeout -s KILL 60 "$D" "$@"; }
nc() { timeout -s KILL 60 "$NETCTL_BIN" "$@"; }

# witness certificates
mkdir -p "$T/other"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other/ca-key.pem" \
  -out "$T/other/ca.pem" -subj "/CN=another CA" -days 30 2>/dev/null
ossl_sign "$T/other/ca.pem" "$T/other/ca-key.pem" "/OU=admin/CN=intruder" "$T/c-other"
ossl_sign "$P/ca.pem" "$P/ca-key.pem" "/OU=admin/CN=old-admin" "$T/c-expired" 20200101000000Z 20200102000000Z
ossl_sign "$P/ca.pem" "$P/ca-key.pem" "/OU=guests/CN=guest" "$T/c-guest"
openssl x509 -in "$T/c-expired/cert.pem" -noout -checkend 0 >/dev/null && fail "witness: the expired certificate is not"
mkdir -p "$T/c-none" && cp "$P/ca.pem" "$T/c-none/ca.pem"

tls_env admin
before=$(counts)
unchanged() { assert_eq "$(counts)" "$before" "$1: something changed"; }
# refused WHO TAG EXPECT CMD...: CMD fails and its stderr has EXPECT
refused() {
  local tag=$1 want=$2; shift 2
  local rc=0
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  [ $rc -ne 0 ] || fail "$tag: accepted ($(cat "$T/out"))"
  grep -qiE -- "$want" "$T/err" || fail "$tag: unclear error (want /$want/): $(cat "$T/err")"
  log "$tag: $(head -c 300 "$T/err" | tr '\n' ' ')"
}

log "no client certificate"
NETD_CERT_PATH=$T/c-none refused "netctl, no cert" "wants a client certificate and got none" nc network create x1
[ -z "$D" ] || DOCKER_CERT_PATH=$T/c-none refused "docker, no cert" "certificate required|bad certificate" dk network create x1
refused "curl, no cert" "alert certificate required" curl -sS --cacert "$P/ca.pem" -X POST -H 'Content-Type: application/json' \
  -d '{"Name":"x1"}' https://127.0.0.1:$TLS_PORT/networks/create
grep -q "the client sent no certificate" "$ND_LOG" || fail "netd did not log the missing certificate"
unchanged "no client certificate"

log "a certificate from another CA"
NETD_CERT_PATH=$T/c-other refused "netctl, other CA" "unknown CA" nc network create x2
[ -z "$D" ] || DOCKER_CERT_PATH=$T/c-other refused "docker, other CA" "unknown certificate authority|bad certificate" dk network create x2
grep -q "client certificate: unable to get local issuer certificate" "$ND_LOG" || fail "netd did not log the unknown CA"
unchanged "other CA"

log "an expired certificate"
NETD_CERT_PATH=$T/c-expired refused "netctl, expired" "it has expired" nc run --rm bb true
[ -z "$D" ] || DOCKER_CERT_PATH=$T/c-expired refused "docker, expired" "expired certificate|bad certificate" dk run --rm bb true
grep -q "client certificate: certificate has expired" "$ND_LOG" || fail "netd did not log the expired certificate"
unchanged "expired"

log "a server name that does not match (127.0.0.2 is not in the SANs)"
NETD_HOST=tcp://127.0.0.2:$TLS_PORT refused "netctl, name" 'does not name "127.0.0.2"' nc network create x3
[ -z "$D" ] || DOCKER_HOST=tcp://127.0.0.2:$TLS_PORT refused "docker, name" "valid for 127.0.0.1, not 127.0.0.2" dk network create x3
unchanged "name mismatch"

log "plain HTTP to the TLS port"
NETD_TLS_VERIFY= refused "netctl, plain" "HTTP request to a TLS port" nc network create x4
[ -z "$D" ] || DOCKER_TLS_VERIFY= DOCKER_CERT_PATH= refused "docker, plain" "HTTP request to a TLS port" dk network create x4
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$TLS_PORT/_ping)" 400 "plain HTTP status"
unchanged "plain HTTP"

log "read-only: ps works, run is refused (403)"
NETD_CERT_PATH=$P/read-only nc ps >/dev/null || fail "read-only netctl ps"
NETD_CERT_PATH=$P/read-only refused "netctl, read-only run" "role read-only: POST /containers/create is not allowed" nc run --rm bb true
NETD_CERT_PATH=$P/read-only refused "netctl, read-only network create" "role read-only" nc network create x5
if [ -n "$D" ]; then
  DOCKER_CERT_PATH=$P/read-only dk ps >/dev/null || fail "read-only docker ps"
  DOCKER_CERT_PATH=$P/read-only refused "docker, read-only run" "role read-only" dk run --rm bb true
fi
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$P/ca.pem" --cert "$P/read-only/cert.pem" --key "$P/read-only/key.pem" \
  -X POST -H 'Content-Type: application/json' -d '{"Image":"bb"}' https://127.0.0.1:$TLS_PORT/containers/create)" 403 "read-only create status"
grep -q 'api refused subject="/O=netd lab/OU=read-only/CN=netctl-read-only" role=read-only method=POST path=/containers/create' "$ND_LOG" ||
  fail "the refusal is not logged with its subject"
unchanged "read-only"

log "operator: run works; privileged, host paths, host network, devices are refused (403)"
assert_eq "$(NETD_CERT_PATH=$P/operator nc run --rm bb echo op)" op "operator netctl run"
op_create() { # the raw body, as any client would send it
  curl -s -o "$T/op" -w '%{http_code}' --cacert "$P/ca.pem" --cert "$P/operator/cert.pem" --key "$P/operator/key.pem" \
    -X POST -H 'Content-Type: application/json' -d "$1" https://127.0.0.1:$TLS_PORT/containers/create
}
for hc in '{"Privileged":true}' '{"Binds":["/etc:/h"]}' '{"Mounts":[{"Type":"bind","Source":"/","Target":"/h"}]}' \
          '{"NetworkMode":"host"}' '{"Devices":[{"PathOnHost":"/dev/null","PathInContainer":"/dev/x","CgroupPermissions":"rwm"}]}'; do
  assert_eq "$(op_create "{\"Image\":\"bb\",\"HostConfig\":$hc}")" 403 "operator create $hc"
  grep -q "reserved to admin" "$T/op" || fail "operator $hc: $(cat "$T/op")"
done
if [ -n "$D" ]; then
  assert_eq "$(DOCKER_CERT_PATH=$P/operator dk run --rm bb echo op)" op "operator docker run"
  DOCKER_CERT_PATH=$P/operator refused "docker, operator --privileged" "Privileged.*reserved to admin" dk run --rm --privileged bb true
  DOCKER_CERT_PATH=$P/operator refused "docker, operator -v /etc:/h" "host path.*reserved to admin" dk run --rm -v /etc:/h bb true
  DOCKER_CERT_PATH=$P/operator refused "docker, operator --net host" "host.*reserved to admin" dk run --rm --net host bb true
  # (docker's --device wants an OSType header from /_ping that netd does not send: the raw body above covers Devices)
  DOCKER_CERT_PATH=$P/operator dk run -d --name op1 bb sleep 60 >/dev/null || fail "operator docker run -d"
  DOCKER_CERT_PATH=$P/operator refused "docker, operator exec --privileged" "privileged exec" dk exec --privileged op1 true
  DOCKER_CERT_PATH=$P/operator dk rm -f op1 >/dev/null
fi
unchanged "operator"

log "a subject no tls-roles entry matches"
NETD_CERT_PATH=$T/c-guest refused "netctl, unmatched" "matches no tls-roles entry" nc ps
NETD_CERT_PATH=$T/c-guest refused "netctl, unmatched run" "matches no tls-roles entry" nc run --rm bb true
unchanged "unmatched"

# admin may do what the operator may not (the refusals above were roles, not breakage)
NETD_CERT_PATH=$P/admin nc network create ok1 >/dev/null || fail "admin network create"
nc network rm ok1 >/dev/null
[ -n "$D" ] || skip "netctl and curl refusals passed; no docker CLI to check"
