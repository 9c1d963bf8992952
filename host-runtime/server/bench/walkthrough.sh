#!/usr/bin/env bash
# The README walkthrough, runnable: start `guard serve` on a fresh data
# directory and walk a permission request from request → approval → a bundle
# the guard enforces → revocation. Prints each command and its output.
# Usage: host-runtime/server/bench/walkthrough.sh [path/to/guard-server]
set -euo pipefail
BIN=${1:-target/debug/guard-server}
GUARD=${GUARD:-target/debug/guard}
DATA=$(mktemp -d /tmp/guard-walk.XXXXXX)
PORT=${PORT:-18080}
S=http://127.0.0.1:$PORT
"$BIN" --listen 127.0.0.1:$PORT --data-dir "$DATA" > "$DATA/stdout" 2> "$DATA/stderr" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$DATA/stdout" 2>/dev/null && break; sleep 0.1; done
cat "$DATA/stdout"
ADMIN=$(sed -n 's/^bootstrap admin token (shown once): //p' "$DATA/stdout")

run() { echo "\$ $*" | sed "s/$ADMIN/\$ADMIN/g"; "$@"; echo; echo; }
j() { curl -sS -H "authorization: Bearer $1" -H 'content-type: application/json' "${@:2}"; }

echo "## platform: a superapp, a team, accounts"
run j "$ADMIN" -X POST $S/api/v1/superapps -d '{"id":"demo","name":"Demo","secret_key":"k3yK3yk3yK3yk3y1","backend_domain":"https://api.demo.example"}'
run j "$ADMIN" -X POST $S/api/v1/teams -d '{"id":"shop-team","name":"Shop team"}'
DEV=$(j "$ADMIN" -X POST $S/api/v1/accounts -d '{"id":"dev1","name":"Dev","role":"developer","team_id":"shop-team"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
REVIEW=$(j "$ADMIN" -X POST $S/api/v1/accounts -d '{"id":"rev1","name":"Reviewer","role":"review_staff","superapp_id":"demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
SAADMIN=$(j "$ADMIN" -X POST $S/api/v1/accounts -d '{"id":"boss","name":"Admin","role":"superapp_admin","superapp_id":"demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
echo "(accounts dev1, rev1, boss created; tokens in \$DEV, \$REVIEW, \$SAADMIN)"; echo

echo "## developer: a mini program bound to the superapp, then a permission request"
APP=$(j "$DEV" -X POST $S/api/v1/superapps/demo/apps -d '{"id":"mp_shop","name":"Shop","kind":"mini_program","team_id":"shop-team"}')
echo "$APP"; echo
APPSECRET=$(echo "$APP" | python3 -c 'import json,sys; print(json.load(sys.stdin)["app_secret"])')
BID=$(echo "$APP" | python3 -c 'import json,sys; print(json.load(sys.stdin)["binding"]["id"])')
echo "## superapp admin: approve the binding; devices verify EdDSA bundles with the public key set"
run j "$SAADMIN" -X POST $S/api/v1/bindings/$BID/decision -d '{"decision":"approve"}'
run curl -sS $S/api/v1/superapps/demo/keys.json -o "$DATA/keys.json" -D -
cat "$DATA/keys.json"; echo; echo
run curl -sS $S/api/v1/apps/mp_shop/bundle -o "$DATA/b0.jws" -D -
run "$GUARD" check --keys "$DATA/keys.json" --bundle "$DATA/b0.jws" --app mp_shop --api getLocation || true
REQ=$(j "$DEV" -X POST $S/api/v1/apps/mp_shop/requests -d '{"api":"getLocation","reason":"show the nearest store"}')
echo "$REQ"; echo
RID=$(echo "$REQ" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

echo "## reviewer: approve"
run j "$REVIEW" -X POST $S/api/v1/requests/$RID/decision -d '{"decision":"approve","note":"ok for store finder"}'
run j "$DEV" -X POST $S/api/v1/requests/$RID/decision -d '{"decision":"approve"}'
run curl -sS $S/api/v1/apps/mp_shop/bundle -o "$DATA/b1.jws" -D -
ETAG=$(curl -sS -D - -o /dev/null $S/api/v1/apps/mp_shop/bundle | sed -n 's/^etag: //Ip' | tr -d '\r')
run curl -sS -o /dev/null -w '%{http_code}\n' -H "if-none-match: $ETAG" $S/api/v1/apps/mp_shop/bundle
run "$GUARD" check --keys "$DATA/keys.json" --bundle "$DATA/b1.jws" --app mp_shop --api getLocation || true

echo "## superapp admin: revoke"
run j "$SAADMIN" -X DELETE $S/api/v1/apps/mp_shop/grants/getLocation
run curl -sS $S/api/v1/apps/mp_shop/bundle -o "$DATA/b2.jws"
run "$GUARD" check --keys "$DATA/keys.json" --bundle "$DATA/b2.jws" --app mp_shop --api getLocation || true
run j "$SAADMIN" "$S/api/v1/superapps/demo/audit?after=2"

echo "## login: the superapp backend (bearer: its SecretKey) signs a user in and mints codes"
K=k3yK3yk3yK3yk3y1
run j $K -X POST $S/api/v1/superapps/demo/users -d '{"user_id":"alice","phone":"+8613800000000"}'
CODE=$(j $K -X POST $S/api/v1/superapps/demo/codes -d '{"kind":"login","app_id":"mp_shop","user_id":"alice"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
run curl -sS "$S/openserver/sns/jscode2session?appid=mp_shop&secret=$APPSECRET&js_code=$CODE&grant_type=authorization_code"
run curl -sS "$S/openserver/sns/jscode2session?appid=mp_shop&secret=$APPSECRET&js_code=$CODE&grant_type=authorization_code"
SESSION=$(j $K -X POST $S/api/v1/superapps/demo/codes -d '{"kind":"login","app_id":"mp_shop","user_id":"alice"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
OPENID=$(curl -sS "$S/openserver/sns/jscode2session?appid=mp_shop&secret=$APPSECRET&js_code=$SESSION&grant_type=authorization_code" | python3 -c 'import json,sys; print(json.load(sys.stdin)["openid"])')
TOKEN=$(curl -sS "$S/openserver/cgi-bin/token?appid=mp_shop&secret=$APPSECRET&grant_type=client_credential" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
PCODE=$(j $K -X POST $S/api/v1/superapps/demo/codes -d '{"kind":"phone","app_id":"mp_shop","user_id":"alice"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
run curl -sS -X POST $S/openserver/wxa/business/getuserphonenumber -d "{\"access_token\":\"$TOKEN\",\"openid\":\"$OPENID\",\"code\":\"$PCODE\"}"
R2=$(j "$DEV" -X POST $S/api/v1/apps/mp_shop/requests -d '{"api":"getPhoneNumber","reason":"one-tap login"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
j "$REVIEW" -X POST $S/api/v1/requests/$R2/decision -d '{"decision":"approve"}' >/dev/null
echo "(getPhoneNumber requested and approved)"; echo
PCODE=$(j $K -X POST $S/api/v1/superapps/demo/codes -d '{"kind":"phone","app_id":"mp_shop","user_id":"alice"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
run curl -sS -X POST $S/openserver/wxa/business/getuserphonenumber -d "{\"access_token\":\"$TOKEN\",\"openid\":\"$OPENID\",\"code\":\"$PCODE\"}"

echo "## superapp admin: rotate the signing key (published first), then promote it"
run j "$SAADMIN" -X POST $S/api/v1/superapps/demo/signing-keys/rotate
run curl -sS $S/api/v1/superapps/demo/keys.json -o "$DATA/keys2.json"
cat "$DATA/keys2.json"; echo; echo
run j "$SAADMIN" -X POST $S/api/v1/superapps/demo/signing-keys/promote
run curl -sS $S/api/v1/apps/mp_shop/bundle -o "$DATA/b3.jws"
python3 -c 'import base64,sys; h=open(sys.argv[1]).read().split(".")[0]; print(base64.urlsafe_b64decode(h+"="*(-len(h)%4)).decode())' "$DATA/b3.jws"
# The new bundle verifies with the refreshed key set; the bundle before with the old key, still published as retired.
run "$GUARD" verify --keys "$DATA/keys2.json" "$DATA/b3.jws" || true
run "$GUARD" verify --keys "$DATA/keys2.json" "$DATA/b2.jws" || true
