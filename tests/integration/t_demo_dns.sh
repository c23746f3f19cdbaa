#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/dns.sh end to end (tests/integration/demo_lib.sh): names and aliases, a later container at once, names per network
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/demo_lib.sh"

demo_run dns
said "=> web reached db by name (10.50.0.2)" "=> web reached db by its alias 'database'" \
  "=> NAME.NETWORK resolves too" "=> web resolved cache (10.50.0.4), started after it, at once" \
  "=> fails (exit 1), as it should: monitor is not a name on app"
demo_picture dns
echo ok
