#!/usr/bin/env bash
# The README's release walkthrough, runnable: start `guard serve` on a fresh
# data directory and walk a mini program version from upload → submit →
# approve (released) → the bundle's launch check allows that package and
# refuses another → QR code → remove → every check of the app fails with
# `app_removed`. Prints each command and its output.
# Usage: host-runtime/server/bench/release-walkthrough.sh [path/to/guard-server]
set -euo pipefail
BIN=${1:-target/debug/guard-server}
GUARD=${GUARD:-target/debug/guard}
DATA=$(mktemp -d /tmp/guard-release.XXXXXX)
PORT=${PORT:-18081}
S=http://127.0.0.1:$PORT
"$BIN" --listen 127.0.0.1:$PORT --data-dir "$DATA/server" > "$DATA/stdout" 2> "$DATA/stderr" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$DATA/stdout" 2>/dev/null && break; sleep 0.1; done
ADMIN=$(sed -n 's/^bootstrap admin token (shown once): //p' "$DATA/stdout")

run() { echo "\$ $*" | sed -e "s/$ADMIN/\$ADMIN/g" -e "s#$DATA/##g"; "$@"; echo; echo; }
j() { curl -sS -H "authorization: Bearer $1" -H 'content-type: application/json' "${@:2}"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# Set-up as in the permission walkthrough: a superapp, a team, three people,
# a mini program whose binding the superapp approved.
j "$ADMIN" -X POST $S/api/v1/superapps -d '{"id":"demo","name":"Demo","secret_key":"k3yK3yk3yK3yk3y1","backend_domain":"https://api.demo.example"}' >/dev/null
j "$ADMIN" -X POST $S/api/v1/teams -d '{"id":"shop-team","name":"Shop team"}' >/dev/null
DEV=$(j "$ADMIN" -X POST $S/api/v1/accounts -d '{"id":"dev1","name":"Dev","role":"developer","team_id":"shop-team"}' | field '["token"]')
REVIEW=$(j "$ADMIN" -X POST $S/api/v1/accounts -d '{"id":"rev1","name":"Reviewer","role":"review_staff","superapp_id":"demo"}' | field '["token"]')
SAADMIN=$(j "$ADMIN" -X POST $S/api/v1/accounts -d '{"id":"boss","name":"Admin","role":"superapp_admin","superapp_id":"demo"}' | field '["token"]')
BID=$(j "$DEV" -X POST $S/api/v1/superapps/demo/apps -d '{"id":"mp_shop","name":"Shop","kind":"mini_program","team_id":"shop-team"}' | field '["binding"]["id"]')
j "$SAADMIN" -X POST $S/api/v1/bindings/$BID/decision -d '{"decision":"approve"}' >/dev/null
# What devices verify bundles with: the superapp's public key set.
curl -sS $S/api/v1/superapps/demo/keys.json -o "$DATA/keys.json"
echo "(superapp demo, team shop-team, dev1 / rev1 / boss, mp_shop bound; keys.json fetched)"; echo

echo "## developer: upload a code package (a zip) as version 1.0.0, submit it for release"
mkdir -p "$DATA/pkg" && echo 'Page({})' > "$DATA/pkg/app.js" && (cd "$DATA/pkg" && python3 -m zipfile -c ../v1.zip app.js)
run curl -sS -H "authorization: Bearer $DEV" -H 'content-type: application/zip' --data-binary @"$DATA/v1.zip" "$S/api/v1/apps/mp_shop/versions?app_version=1.0.0&description=first"
REL=$(j "$DEV" -X POST $S/api/v1/apps/mp_shop/releases -d '{"app_version":"1.0.0"}')
echo "$REL"; echo
RID=$(echo "$REL" | field '["id"]')

echo "## review staff: the pending list, then approve: version 1.0.0 is released"
run j "$REVIEW" "$S/api/v1/superapps/demo/releases?status=pending"
run j "$REVIEW" -X POST $S/api/v1/releases/$RID/decision -d '{"decision":"approve","note":"looks good"}'
run j "$REVIEW" $S/api/v1/superapps/demo/released

echo "## the base library: the released package, its SHA-256, and the launch check"
run curl -sS -D - -o "$DATA/released.zip" $S/api/v1/apps/mp_shop/package
run curl -sS $S/api/v1/apps/mp_shop/bundle -o "$DATA/b1.jws"
run "$GUARD" check --keys "$DATA/keys.json" --bundle "$DATA/b1.jws" --app mp_shop --launch 1.0.0 --package "$DATA/released.zip" || true
echo 'Page({ steal() {} })' > "$DATA/pkg/app.js" && (cd "$DATA/pkg" && python3 -m zipfile -c ../tampered.zip app.js)
run "$GUARD" check --keys "$DATA/keys.json" --bundle "$DATA/b1.jws" --app mp_shop --launch 1.0.0 --package "$DATA/tampered.zip" || true

echo "## the QR code of the released version (PNG and SVG)"
run curl -sS -o "$DATA/qr.png" -w '%{http_code} %{content_type} %{size_download} bytes\n' $S/api/v1/apps/mp_shop/qrcode.png
run curl -sS -o "$DATA/qr.svg" -w '%{http_code} %{content_type} %{size_download} bytes\n' $S/api/v1/apps/mp_shop/qrcode.svg

echo "## review staff: remove the mini program; every check of it now fails"
run j "$REVIEW" -X DELETE $S/api/v1/apps/mp_shop/release
run curl -sS $S/api/v1/apps/mp_shop/bundle -o "$DATA/b2.jws"
run "$GUARD" check --keys "$DATA/keys.json" --bundle "$DATA/b2.jws" --app mp_shop --launch 1.0.0 --package "$DATA/released.zip" || true
run "$GUARD" check --keys "$DATA/keys.json" --bundle "$DATA/b2.jws" --app mp_shop --api showToast || true
run "$GUARD" check --keys "$DATA/keys.json" --bundle "$DATA/b2.jws" --app mp_shop --request https://api.shop.example/ || true
