#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# t_ports.sh on the userland fallback (libuv proxy instead of eBPF).
PORTS_MODE=userland exec bash "$(dirname "$0")/t_ports.sh"
