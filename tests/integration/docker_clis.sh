# SPDX-License-Identifier: Apache-2.0
# Sourced by the docker compatibility tests after lib.sh: fills clis[] with
# every docker CLI that can be had — Debian's docker.io client (fetched into
# a cache, never installed: scripts/fetch-docker-cli.sh) and any docker on
# PATH of another version — and skips (77) when there is none.
clis=() _dk_notes=()
if _deb=$("$NETD_SRC/scripts/fetch-docker-cli.sh" 2>"$T/fetch.err"); then
  clis+=("$_deb")
else
  _dk_notes+=("Debian's docker.io client: $(cat "$T/fetch.err")")
fi
mkdir -p "$T/docker-config"
cli_version() { DOCKER_CONFIG=$T/docker-config "$1" version --format '{{.Client.Version}}' 2>/dev/null || true; }
if _other=$(command -v docker); then
  if [ ${#clis[@]} -eq 0 ] || [ "$(cli_version "$_other")" != "$(cli_version "${clis[0]}")" ]; then
    clis+=("$_other")
  fi
fi
[ ${#clis[@]} -gt 0 ] || skip "no docker CLI: ${_dk_notes[*]:-none on PATH}"
for _n in "${_dk_notes[@]}"; do log "note: $_n"; done
# a hang is a failure, never a blocked suite
dk() { timeout -s KILL 60 "$D" "$@"; }
# api GET|POST|HEAD PATH: curl on netd's socket; prints the body
api() { curl -sS --max-time 30 --unix-socket "$ND_SOCK" -X "$1" "http://netd$2"; }
api_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 30 --unix-socket "$ND_SOCK" -X "$1" "http://netd$2"; }
