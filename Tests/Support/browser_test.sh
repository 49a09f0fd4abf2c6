#!/usr/bin/env bash
# The review page in a real headless browser (`make test-browser`): previews a campaign, opens
# its index.html in Debian's Chromium and checks that the page loads without a console message
# (it has no script, so any message is an error: a blocked or missing resource, a parse
# problem), that the DOM Chromium built shows every letter, the message count and the manifest
# hash the preview printed, and writes a screenshot.
#
#   browser_test.sh HERALD CAMPAIGN LETTERS SCREENSHOT
#
# First it proves its console check works: a probe page that logs to the console must be seen.
# Chromium runs as root with --no-sandbox; the D-Bus errors it prints are harmless.
set -euo pipefail
herald=$1 campaign=$2 expected=$3 shot=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chrome=(chromium --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars --enable-logging=stderr --v=0)
fail() { echo "test-browser: FAILED: $*" >&2; exit 1; }

printf '<!DOCTYPE html><html><body><script>console.error("herald-probe")</script></body></html>' >"$work/probe.html"
"${chrome[@]}" --dump-dom "file://$work/probe.html" >/dev/null 2>"$work/probe.err"
grep -q 'INFO:CONSOLE.*herald-probe' "$work/probe.err" || fail "Chromium did not report the probe page's console message, so the console check could not see an error"

"$herald" preview "$campaign" --out "$work/preview" >"$work/preview.out"
hash=$(sed -n 's/^manifest hash: //p' "$work/preview.out")
[ ${#hash} -eq 64 ] || fail "herald preview printed no manifest hash"
page="file://$work/preview/index.html"

"${chrome[@]}" --dump-dom "$page" >"$work/dom.html" 2>"$work/dom.err"
if grep -q 'INFO:CONSOLE' "$work/dom.err"; then
    grep 'INFO:CONSOLE' "$work/dom.err" >&2
    fail "the page logged to the console"
fi
letters=$(grep -o '<article class="letter"' "$work/dom.html" | wc -l)
[ "$letters" -eq "$expected" ] || fail "the DOM shows $letters letters, not $expected"
grep -q "<strong id=\"count\">$expected messages</strong>" "$work/dom.html" || fail "the DOM does not open with \"$expected messages\""
grep -q "<code id=\"manifest-hash\">$hash</code>" "$work/dom.html" || fail "the DOM does not show the manifest hash $hash"
marks=$(grep -o '<mark ' "$work/dom.html" | wc -l)
[ "$marks" -ge "$expected" ] || fail "only $marks personalised values are marked"

mkdir -p "$(dirname "$shot")"
"${chrome[@]}" --window-size=1280,2200 --screenshot="$shot" "$page" 2>"$work/shot.err" >/dev/null
if grep -q 'INFO:CONSOLE' "$work/shot.err"; then grep 'INFO:CONSOLE' "$work/shot.err" >&2; fail "the page logged to the console"; fi
python3 - "$shot" <<'PY' || fail "no screenshot of 1280x2200 was written"
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1280, 2200), "not a 1280x2200 PNG"
PY
echo "test-browser: Chromium $(chromium --version 2>/dev/null | awk '{print $2}') loaded the review page without console messages; the DOM shows $letters letters, $marks marked values, manifest hash $hash; screenshot $shot"
