#!/usr/bin/env bash
# Contract v3 key sets with the `guard` CLI, offline (policy.md §2.1): a root
# signs a key set, the key set admits the bundles its key signs, a rotation is
# a new key set (higher version) published before the new key signs, and a
# tampered key set, another superapp's key set and a bundle from a key no key
# set lists are refused. Every step checks its answer, so the script fails
# when the guard answers otherwise (the wasm-host part of scripts/test.sh runs
# it). The README's "Key sets" section walks through the same steps.
#
#   scripts/demo-keysets.sh [GUARD_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
guard=${1:-${CARGO_TARGET_DIR:-target}/debug/guard}
[ -x "$guard" ] || cargo build --locked -q -p guard-cli
# Absolute: the walk-through runs in a temp directory.
guard=$(cd "$(dirname "$guard")" && pwd)/$(basename "$guard")
work=$(mktemp -d /tmp/guard-keysets.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
now=$(date +%s)
step() { printf '\n== %s\n' "$*"; }
# expect CODE COMMAND...: runs COMMAND, prints its output, and fails unless
# the output names CODE (a load code such as bad_signature, or "allow":true).
expect() {
  local want=$1 out
  shift
  out=$("$@" 2>&1 || true)
  printf '%s\n' "$out"
  grep -q -- "$want" <<<"$out" || { echo "expected $want" >&2; exit 1; }
}
# keyset VERSION KID...: a key-set payload listing the public keys KID...
keyset() {
  local version=$1
  shift
  python3 - "$version" "$now" "$@" <<'EOF'
import json, sys
version, now, kids = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
# A key set's JWKs carry exactly kty, crv, kid and x (policy.md §2.1).
keys = [{f: json.load(open(f"{k}.public.jwk"))[f] for f in ("kty", "crv", "kid", "x")} for k in kids]
print(json.dumps({"superapp_id": "demo", "version": version, "issued_at": now,
                  "expires_at": now + 28 * 86400, "keys": keys}))
EOF
}
check() { "$guard" check --roots root.root.public.jwk --superapp-id demo "$@"; }

step "a root key (kept offline) and a signing key"
"$guard" keygen --root --kid root >/dev/null
"$guard" keygen --kid key-2026-12 >/dev/null
ls

step "key set 1, signed by the root, lists key-2026-12"
keyset 1 key-2026-12 >keyset-1.json
"$guard" sign-keys --root root.root.private.jwk keyset-1.json >keyset-1.jws
expect '"version": 1' "$guard" verify-keys --roots root.root.public.jwk --superapp-id demo keyset-1.jws

step "a bundle signed by key-2026-12: getLocation is restricted, so is its group"
cat >policy.json <<EOF
{"schema":3,"superapp_id":"demo","version":1,"issued_at":$now,"expires_at":$((now + 86400)),
 "mode":"enforce","builtin_apis":null,
 "sensitive_apis":[{"name":"getLocation","status":"restricted","scope":"all","type":"system"}],
 "apps":[{"app_id":"mp_shop","kind":"mini_program",
  "control":{"server_domains":true,"apis":true,"webview_domains":true},
  "server_domains":["https://api.shop.example"],"webview_domains":[],
  "api_whitelist":[],"granted_apis":[]}]}
EOF
"$guard" sign --key key-2026-12.private.jwk policy.json >bundle-1.jws
expect '"allow":true' check --keyset keyset-1.jws --bundle bundle-1.jws --app mp_shop --request https://api.shop.example/cart
expect 'permission_not_granted' check --keyset keyset-1.jws --bundle bundle-1.jws --app mp_shop --api startLocationUpdate

step "tampered: key set 1 with its version raised, the root's signature kept"
python3 - <<'EOF'
import base64, json
h, p, s = open("keyset-1.jws").read().strip().split(".")
payload = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
payload["version"] = 99
p = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
open("tampered.jws", "w").write(".".join([h, p, s]))
EOF
expect bad_signature "$guard" verify-keys --roots root.root.public.jwk --superapp-id demo tampered.jws
expect bad_signature check --keyset tampered.jws --bundle bundle-1.jws --app mp_shop --api getLocation

step "another superapp's key set is refused by this superapp's devices"
expect invalid_keyset "$guard" verify-keys --roots root.root.public.jwk --superapp-id other keyset-1.jws

step "rotation: key-2027-01 signs only once a key set lists it"
"$guard" keygen --kid key-2027-01 >/dev/null
"$guard" sign --key key-2027-01.private.jwk policy.json >bundle-2.jws
expect unknown_key check --keyset keyset-1.jws --bundle bundle-2.jws --app mp_shop --api getLocation
keyset 2 key-2026-12 key-2027-01 >keyset-2.json
"$guard" sign-keys --root root.root.private.jwk keyset-2.json >keyset-2.jws
expect '"version": 2' "$guard" verify-keys --roots root.root.public.jwk --superapp-id demo keyset-2.jws
expect '"allow":true' check --keyset keyset-2.jws --bundle bundle-2.jws --app mp_shop --request https://api.shop.example/cart

step "a key set signed by a signing key, not a root, is refused"
"$guard" sign-keys --root key-2026-12.private.jwk keyset-2.json >not-root.jws 2>/dev/null || true
if [ -s not-root.jws ]; then
  expect unknown_key "$guard" verify-keys --roots root.root.public.jwk --superapp-id demo not-root.jws
else
  echo "sign-keys refused to sign with a key that is not a root"
fi
echo
echo "key sets: signed by the root, rotated, tampered and foreign ones refused"
