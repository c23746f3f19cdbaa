#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/demo.sh end to end (tests/integration/demo_lib.sh): the main demo (scripts/demo.sh runs it after installing and building)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/demo_lib.sh"

demo_run demo
said "=> fails (exit 1), as it should: networks are isolated" "site 192.0.2.2" "42"
demo_picture demo
echo ok
