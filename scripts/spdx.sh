#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks that every source file of ours names its licence in an SPDX line
# (`SPDX-License-Identifier: ...`) within its first three lines, not counting
# a shebang; prints the ones that do not and exits 1. With --fix, adds the
# line where it is missing instead (and still reports a wrong identifier,
# which it never rewrites):
#   C (*.c, *.h)                    // SPDX-License-Identifier: Apache-2.0
#   C under proxy/bpf/ (eBPF)       // SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#   shell, CMakeLists.txt, python   # SPDX-License-Identifier: Apache-2.0
#                                   (after the shebang, and after a python
#                                   coding line, which must stay in line 1-2)
# Usage: scripts/spdx.sh [--fix] [ROOT]   (ROOT: the source tree, default
# the one this script is in). Files are the *.c *.h *.sh *.py and
# CMakeLists.txt under the project's folders: git's list of tracked and
# not-ignored files when ROOT is a git work tree, else every such file
# outside build*/ folders.
set -euo pipefail

fix=0
if [ "${1-}" = "--fix" ]; then fix=1; shift; fi
case "${1-}" in -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; -*) echo "spdx.sh: unknown option $1" >&2; exit 2 ;; esac
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

dirs=(common wire ipam proxy drivers images runtime netd cli tests scripts bench examples)
APACHE="Apache-2.0"
BPF="GPL-2.0-only OR BSD-2-Clause"

list_files() {
	local present=()
	for d in "${dirs[@]}"; do [ -d "$d" ] && present+=("$d"); done
	[ ${#present[@]} -gt 0 ] || return 0
	if git -C . rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
	   [ "$(git rev-parse --show-toplevel)" = "$(pwd -P)" ]; then
		git ls-files -z --cached --others --exclude-standard -- "${present[@]}" |
			while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done
	else
		find "${present[@]}" -type d -name 'build*' -prune -o -type f -print0
	fi | while IFS= read -r -d '' f; do
		case "$f" in
		*.c|*.h|*.sh|*.py|CMakeLists.txt|*/CMakeLists.txt) printf '%s\n' "$f" ;;
		esac
	done | sort -u
}

# the identifier a file must carry, and the comment that introduces it
want_id() { case "$1" in proxy/bpf/*.c|proxy/bpf/*.h) echo "$BPF" ;; *) echo "$APACHE" ;; esac; }
comment_of() { case "$1" in *.c|*.h) echo "//" ;; *) echo "#" ;; esac; }

# The identifier found in the first three lines after an optional shebang;
# empty when there is none.
found_id() {
	awk 'NR == 1 && /^#!/ { next }
	     { n++ } n > 3 { exit }
	     match($0, /SPDX-License-Identifier:[ \t]*/) {
	         s = substr($0, RSTART + RLENGTH); sub(/[ \t]*(\*\/)?[ \t]*$/, "", s); print s; exit
	     }' "$1"
}

add_line() {   # file line: insert after a shebang (and a python coding line)
	local f=$1 line=$2 tmp
	tmp=$(mktemp "$f.spdx.XXXXXX")
	awk -v line="$line" '
		function put() { if (!done) { print line; done = 1 } }
		NR == 1 && /^#!/ { print; next }
		!done && /^#.*coding[:=]/ && NR <= 2 { print; next }
		{ put(); print }
		END { put() }' "$f" >"$tmp"
	chmod --reference="$f" "$tmp"
	mv "$tmp" "$f"
}

missing=() wrong=() fixed=()
while IFS= read -r f; do
	want=$(want_id "$f")
	have=$(found_id "$f")
	if [ -z "$have" ]; then
		if [ $fix = 1 ]; then
			add_line "$f" "$(comment_of "$f") SPDX-License-Identifier: $want"
			fixed+=("$f")
		else
			missing+=("$f")
		fi
	elif [ "$have" != "$want" ]; then
		wrong+=("$f: has \"$have\", want \"$want\"")
	fi
done < <(list_files)

for f in "${fixed[@]}"; do echo "spdx: added to $f"; done
for f in "${missing[@]}"; do echo "spdx: no SPDX-License-Identifier in the first 3 lines: $f"; done
for f in "${wrong[@]}"; do echo "spdx: wrong licence: $f"; done
if [ ${#missing[@]} -gt 0 ] || [ ${#wrong[@]} -gt 0 ]; then
	echo "spdx: ${#missing[@]} file(s) without an SPDX line, ${#wrong[@]} with a wrong one" >&2
	if [ ${#missing[@]} -gt 0 ]; then echo "spdx: scripts/spdx.sh --fix adds the missing ones" >&2; fi
	exit 1
fi
exit 0
