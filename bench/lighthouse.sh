#!/usr/bin/env bash
# Lighthouse on the sample site: builds it under a sub-path, serves it on loopback and runs
# Lighthouse (performance, accessibility, best practices, SEO; its default mobile profile) on the
# home page, a tag page, a weekly edition and a brief page; prints a table of the four scores per
# page and the ids of the audits that fail.
#   bash bench/lighthouse.sh                  (LIGHTHOUSE_PRESET=desktop for the desktop profile)
# Lighthouse itself is installed with npm into $LIGHTHOUSE_DIR (default /tmp/digest-lighthouse),
# never into the repository; Chromium is $CHROME_PATH (default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VERSION=12.2.3
LH_DIR="${LIGHTHOUSE_DIR:-/tmp/digest-lighthouse}"
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
PYTHON=.venv/bin/python
[ -x "$PYTHON" ] || PYTHON=python3
CHROME_FLAGS="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"

LH="$LH_DIR/node_modules/.bin/lighthouse"
if [ ! -x "$LH" ] || [ "$("$LH" --version)" != "$VERSION" ]; then
    echo "installing lighthouse@$VERSION into $LH_DIR" >&2
    mkdir -p "$LH_DIR"
    npm install --prefix "$LH_DIR" --no-audit --no-fund --loglevel=error "lighthouse@$VERSION" >&2
fi

WORK="$(mktemp -d /tmp/digest-lighthouse-run.XXXXXX)"
PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ORIGIN="http://127.0.0.1:$PORT"
# the site lives under /digest/, as on a project page of a static host
"$PYTHON" -m digest build --quiet --base-url "$ORIGIN/digest/" --out "$WORK/root/digest"
"$PYTHON" -m http.server "$PORT" --bind 127.0.0.1 --directory "$WORK/root" >/dev/null 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do
    "$PYTHON" -c "import urllib.request; urllib.request.urlopen('$ORIGIN/digest/')" 2>/dev/null && break
    sleep 0.1
done

SITE="$WORK/root/digest"
week="$(cd "$SITE/weeks" && ls -d 2*/ | sort | tail -1)"
brief="$(cd "$SITE/briefs" && ls -d */ | sort | head -1)"
PAGES=("/digest/" "/digest/tags/china/" "/digest/weeks/$week" "/digest/briefs/$brief")

preset=()
[ -n "${LIGHTHOUSE_PRESET:-}" ] && preset=(--preset="$LIGHTHOUSE_PRESET")
reports=()
for page in "${PAGES[@]}"; do
    report="$WORK/$(echo "$page" | tr '/' '_').json"
    "$LH" "$ORIGIN$page" --quiet --output=json --output-path="$report" \
        --only-categories=performance,accessibility,best-practices,seo \
        --chrome-flags="$CHROME_FLAGS" "${preset[@]}" >&2
    reports+=("$page=$report")
done

"$PYTHON" - "${reports[@]}" <<'EOF'
import json
import sys

CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
print(f"lighthouse {json.load(open(sys.argv[1].split('=', 1)[1]))['lighthouseVersion']}")
print(f"{'page':<40}" + "".join(f"{c:>16}" for c in CATEGORIES))
failing = {}
for arg in sys.argv[1:]:
    page, path = arg.split("=", 1)
    report = json.load(open(path))
    scores = [report["categories"][c]["score"] for c in CATEGORIES]
    print(f"{page:<40}" + "".join(f"{round(s * 100) if s is not None else '-':>16}" for s in scores))
    ids, notes = set(), set()
    for category in CATEGORIES:
        for ref in report["categories"][category]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if audit["scoreDisplayMode"] in ("binary", "numeric", "metricSavings") and (audit["score"] or 0) < 1:
                if ref.get("weight", 0) > 0 or audit["scoreDisplayMode"] == "binary":
                    ids.add(ref["id"])
                else:  # unscored diagnostics (e.g. compression and cache headers: the host's settings)
                    notes.add(ref["id"])
    failing[page] = (sorted(ids), sorted(notes))
print()
for page, (ids, notes) in failing.items():
    print(f"{page}: failing audits: {', '.join(ids) if ids else 'none'}; unscored diagnostics: {', '.join(notes) or 'none'}")
EOF
