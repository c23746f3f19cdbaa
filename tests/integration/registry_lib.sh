# SPDX-License-Identifier: Apache-2.0
# Registries for tests: Debian's docker-registry (distribution 2.8), run
# directly with a config of the test's own on loopback (never as a service),
# and a token issuer of the test's own. Source after lib.sh.
#
#   reg_need                          skip unless docker-registry, python3-jwt, skopeo, umoci
#   reg_start NAME PORT MODE [TLS]    MODE: anon | htpasswd | token; TLS=tls serves HTTPS
#                                     with a CA of the test's (in $T/ca.crt)
#   reg_stop NAME / reg_restart NAME  (the data dir stays)
#   reg_blob_bytes NAME               bytes the registry served for blob GETs so far
#   mkimage DIR TAG ARGS...           an OCI layout (registry/mkimage.py)
REG_BIN=${NETD_REGISTRY:-${XDG_CACHE_HOME:-/var/cache}/netd-test/docker-registry}
REG_PY=/usr/bin/python3
REG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/registry
REG_USER=netd-user
REG_PASS='s3cret pass'
declare -A _reg_pid

reg_need() {
  [ -x "$REG_BIN" ] || skip "docker-registry not at $REG_BIN: run scripts/fetch-registry.sh (it unpacks Debian's package into a cache, never installs it)"
  "$REG_PY" -c 'import jwt, cryptography' 2>/dev/null || skip "python3-jwt / python3-cryptography missing (scripts/deps/images.txt)"
  command -v skopeo >/dev/null || skip "skopeo missing"
  command -v umoci >/dev/null || skip "umoci missing"
  command -v openssl >/dev/null || skip "openssl missing"
}

_reg_ca() {
  [ -f "$T/ca.crt" ] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=netd test CA" \
    -keyout "$T/ca.key" -out "$T/ca.crt" 2>/dev/null
  # the token signer: self-signed, trusted through the registry's rootcertbundle
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=netd test token issuer" \
    -keyout "$T/tok.key" -out "$T/tok.crt" 2>/dev/null
}

_reg_server_cert() { # NAME: a cert for 127.0.0.1 signed by the test CA
  local d=$T/reg-$1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/tls.key" -out "$d/tls.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\n' > "$d/ext.cnf"
  openssl x509 -req -in "$d/tls.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/ext.cnf" -out "$d/tls.crt" 2>/dev/null
}

reg_start() {
  local name=$1 port=$2 mode=$3 tls=${4:-}
  local d=$T/reg-$name
  mkdir -p "$d/data"
  _reg_ca
  {
    echo "version: 0.1"
    echo "log: {level: info, accesslog: {disabled: false}}"
    echo "storage: {filesystem: {rootdirectory: $d/data}, delete: {enabled: true}, cache: {}}"
    echo "http:"
    echo "  addr: 127.0.0.1:$port"
    echo "  secret: netd-test-secret"
    if [ "$tls" = tls ]; then
      _reg_server_cert "$name"
      echo "  tls: {certificate: $d/tls.crt, key: $d/tls.key}"
    fi
    case $mode in
      htpasswd)
        "$REG_PY" -W ignore -c 'import crypt,sys; print("%s:%s" % (sys.argv[1], crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH))))' \
          "$REG_USER" "$REG_PASS" > "$d/htpasswd"
        echo "auth: {htpasswd: {realm: netd-test, path: $d/htpasswd}}";;
      token)
        local tport=$((port + 1000))
        echo "auth: {token: {realm: \"http://127.0.0.1:$tport/token\", service: netd-test, issuer: netd-test-issuer, rootcertbundle: $T/tok.crt}}"
        "$REG_PY" "$REG_DIR/token_issuer.py" --port "$tport" --key "$T/tok.key" --cert "$T/tok.crt" \
          --issuer netd-test-issuer --service netd-test --user "$REG_USER" --password "$REG_PASS" \
          --ttl "${REG_TOKEN_TTL:-10}" --log "$d/tokens.log" > "$d/issuer.out" 2>&1 &
        _reg_pid[$name-issuer]=$!
        on_exit "kill ${_reg_pid[$name-issuer]}"
        poll 10 curl -sf "http://127.0.0.1:$tport/token?service=netd-test" || fail "token issuer did not start: $(cat "$d/issuer.out")";;
      anon) ;;
      *) fail "reg_start: unknown mode $mode";;
    esac
  } > "$d/config.yml"
  _reg_run "$name"
}

_reg_run() {
  local name=$1 d=$T/reg-$1
  "$REG_BIN" serve "$d/config.yml" >> "$d/registry.log" 2>&1 &
  _reg_pid[$name]=$!
  on_exit "kill ${_reg_pid[$name]}"
  local port; port=$(sed -n 's/^  addr: 127.0.0.1://p' "$d/config.yml")
  local scheme=http; grep -q '^  tls:' "$d/config.yml" && scheme=https
  poll 10 curl -s -o /dev/null --cacert "$T/ca.crt" "$scheme://127.0.0.1:$port/v2/" || fail "registry $name did not start: $(tail -5 "$d/registry.log")"
}

reg_stop() { kill "${_reg_pid[$1]}" 2>/dev/null; wait "${_reg_pid[$1]}" 2>/dev/null || true; }
reg_restart() { _reg_run "$1"; }

# sum of response sizes of blob GETs in the access log (combined log format)
reg_blob_bytes() {
  awk '/"GET \/v2\/[^ ]*\/blobs\/sha256:/ { for (i = 1; i <= NF; i++) if ($i ~ /^HTTP\/1/) { s += $(i+2); break } } END { print s + 0 }' \
    "$T/reg-$1/registry.log"
}

mkimage() { "$REG_PY" "$REG_DIR/mkimage.py" "$@"; }
