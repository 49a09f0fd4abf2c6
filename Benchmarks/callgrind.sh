#!/usr/bin/env bash
# Counts the instructions `herald validate` takes on a generated campaign, with Valgrind's
# callgrind (repeatable, unlike wall time on a shared machine), and prints the top functions.
#
#   Benchmarks/callgrind.sh HERALD_BINARY [ROWS] [OUT_DIR]
#
#   ROWS     recipients in the generated campaign (default 1000; ~4 min under callgrind)
#   OUT_DIR  where the campaign, the profile (callgrind.out) and the report go (default .build-bench/callgrind)
#
# Two workarounds for Debian 12's Valgrind 3.19, neither changing what runs:
# - a copy of the binary without DWARF debug info (3.19 cannot read Swift's DWARF 5 and gives
#   up); its symbol table stays, so functions keep their names;
# - Benchmarks/sigsuspend_copy.c, preloaded: without it Valgrind dies as soon as the
#   Swift concurrency runtime parks the main thread (see the file).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=${1:?usage: Benchmarks/callgrind.sh HERALD_BINARY [ROWS] [OUT_DIR]}
rows=${2:-1000}
out=${3:-.build-bench/callgrind}
python=${PYTHON:-python3}
mkdir -p "$out"
out=$(cd "$out" && pwd)

cc -O2 -Wall -shared -fPIC -o "$out/sigsuspend_copy.so" "$here/sigsuspend_copy.c"
objcopy --strip-debug "$binary" "$out/herald"
"$python" "$here/make_campaign.py" --rows "$rows" --out "$out/campaign" >/dev/null
rm -f "$out/callgrind.out"
LD_PRELOAD="$out/sigsuspend_copy.so" valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" \
    "$out/herald" validate "$out/campaign/campaign.toml" >"$out/validate.txt" 2>"$out/valgrind.txt"
grep -q ": ok: " "$out/validate.txt" || { cat "$out/validate.txt" "$out/valgrind.txt"; exit 1; }

demangle() { if command -v swift >/dev/null; then swift demangle --simplified; else cat; fi; }
total=$(grep -o 'refs: *[0-9,]*' "$out/valgrind.txt" | tr -dc '0-9')
echo "instructions (Ir) for $rows letters: $total ($((total / rows)) per letter)"
callgrind_annotate "$out/callgrind.out" >"$out/self.txt" 2>/dev/null
callgrind_annotate --inclusive=yes "$out/callgrind.out" >"$out/inclusive.txt" 2>/dev/null
echo "top functions, self (exclusive):"
grep -E '^ *[0-9,]+ \(' "$out/self.txt" | grep -v 'PROGRAM TOTALS' | awk 'NR <= 12' | demangle | cut -c1-200
echo "Herald's own functions, inclusive (with their callees), from PreparedCampaign.compose down:"
grep -E '^ *[0-9,]+ \(' "$out/inclusive.txt" | grep -E '/herald\]$' | demangle \
    | awk '/PreparedCampaign.compose/ { on = 1 } on && shown < 20 { print substr($0, 1, 200); shown++ }'
echo "profile: $out/callgrind.out (callgrind_annotate, or kcachegrind)"
