# SPDX-License-Identifier: Apache-2.0
# Shared by t_tls*.sh: certificates made by `netctl tls init` in $P, a netd
# with a mutual-TLS listener on 127.0.0.1:2376 (and the test's unix socket),
# roles by OU; the docker CLIs to drive it with.
command -v openssl >/dev/null || skip "openssl (the tool, a witness) missing"
P=$T/pki
TLS_PORT=2376
tls_pki() {
  netctl tls init "$P" --host localhost --ip 127.0.0.1 >/dev/null || fail "netctl tls init"
  for f in ca.pem ca-key.pem server/cert.pem server/key.pem admin/cert.pem operator/key.pem read-only/ca.pem; do
    [ -s "$P/$f" ] || fail "tls init made no $f"
  done
  # the server certificate names what clients dial, as a witness reads it
  openssl x509 -in "$P/server/cert.pem" -noout -ext subjectAltName | grep -q 'DNS:localhost, IP Address:127.0.0.1' ||
    fail "server SANs: $(openssl x509 -in "$P/server/cert.pem" -noout -ext subjectAltName)"
  openssl verify -CAfile "$P/ca.pem" "$P/server/cert.pem" "$P/admin/cert.pem" >/dev/null || fail "tls init chain"
}
TLS_FLAGS=()
tls_flags() {
  TLS_FLAGS=(-H "tcp://${1:-127.0.0.1}:$TLS_PORT" --tlsverify --tlscacert "$P/server/ca.pem"
    --tlscert "$P/server/cert.pem" --tlskey "$P/server/key.pem"
    --tls-role role=admin,ou=admin --tls-role role=operator,ou=operator --tls-role role=read-only,ou=read-only)
}
# tls_env ROLE: netctl and docker over TLS as that role's certificate
tls_env() {
  export NETD_HOST=tcp://127.0.0.1:$TLS_PORT NETD_TLS_VERIFY=1 NETD_CERT_PATH=$P/$1
  export DOCKER_HOST=tcp://127.0.0.1:$TLS_PORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$P/$1
}
# over the local unix socket, whatever the environment says
local_api() { curl -sS --unix-socket "$ND_SOCK" "http://netd$1"; }
counts() { echo "ctr=$(local_api '/containers/json?all=1' | jq length) net=$(local_api /networks | jq length)"; }
# an openssl CA config for certificates tls init does not make (expired, other CA, other OU)
ossl_sign() { # ossl_sign CA_CERT CA_KEY SUBJ OUT_DIR [start end]
  local d=$4; mkdir -p "$d"; : > "$d/index.txt"; echo 01 > "$d/serial"
  cat > "$d/ca.cnf" <<CNF
[ ca ]
default_ca = x
[ x ]
database = $d/index.txt
new_certs_dir = $d
serial = $d/serial
default_md = sha256
policy = p
unique_subject = no
x509_extensions = ext
[ p ]
commonName = supplied
organizationalUnitName = optional
organizationName = optional
[ ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
CNF
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/key.pem" -subj "$3" -out "$d/req.csr" 2>/dev/null
  local dates=(-days 30)
  [ $# -ge 6 ] && dates=(-startdate "$5" -enddate "$6")
  openssl ca -batch -notext -config "$d/ca.cnf" -cert "$1" -keyfile "$2" -in "$d/req.csr" -out "$d/cert.pem" "${dates[@]}" 2>"$d/err" ||
    fail "openssl ca: $(cat "$d/err")"
  cp "$P/ca.pem" "$d/ca.pem"       # the client trusts netd's CA
}
tls_clis() {
  CLIS=()
  local deb other
  mkdir -p "$T/docker-config"
  export DOCKER_CONFIG=$T/docker-config
  if deb=$("$NETD_SRC/scripts/fetch-docker-cli.sh" 2>/dev/null); then CLIS+=("$deb"); fi
  if other=$(command -v docker) && [ "$other" != "${CLIS[0]:-}" ]; then
    if [ ${#CLIS[@]} -eq 0 ] || [ "$("$other" --version)" != "$("${CLIS[0]}" --version)" ]; then CLIS+=("$other"); fi
  fi
}
