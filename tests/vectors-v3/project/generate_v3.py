#!/usr/bin/env python3
"""Writes the project's own contract-v3 decision vectors (tests/vectors-v3/project/v3-*.json).

As in generate.py and generate_v2.py, every expectation is written by hand from
the contract (../shared/spec/policy.md, contract v3), never computed by the
guard; each hostile case says in its note which sentence decides it. Key sets
and bundles whose outcome depends on identical bytes, or whose header is not
the one a runner writes, are signed here (Ed25519 with the RFC 8032 reference
arithmetic of ed25519_ref.py, HS256 with Python's hmac) and committed as
`keyset_jws` / `bundle`; the others are `keyset` / `policy` loads a runner
signs itself. Run it from anywhere: it rewrites the files byte for byte.
"""
import base64
import copy
import hashlib
import hmac
import json
import os

import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "vectors", "project"))
from ed25519_ref import L, ed_public, ed_sign, sig_bytes

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "k3yK3yk3yK3yk3y1"
NOW = 1795305600
DAY = 86400
SUPERAPP = "demo-superapp"
KEYSET_TYP = "guard-keyset+jws"
MIB2 = 2 * 1024 * 1024

R, U, D, S, W, M, T, UDP = "request", "upload", "download", "socket", "webview", "media", "tcp", "udp"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def seed(name: str) -> bytes:
    return hashlib.sha256(f"miniprogram-guard v3 {name}".encode()).digest()


# ---------------------------------------------------------------- keys
ROOT1, ROOT2, K1, K2, K3, ROGUE = (seed(n) for n in ["root 1", "root 2", "key 1", "key 2", "key 3", "rogue"])
ROOT1_KID, ROOT2_KID = "root-1", "root-2"
K1_KID, K2_KID, K3_KID, ROGUE_KID = "k-2026-12", "k-2027-03", "k-2027-06", "rogue"


def pub(kid, s):
    return {"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": b64(ed_public(s))}


def private(kid, s):
    return dict(pub(kid, s), d=b64(s))


ROOTS = [private(ROOT1_KID, ROOT1), private(ROOT2_KID, ROOT2)]
KEYS = [private(K1_KID, K1), private(K2_KID, K2), private(K3_KID, K3)]
PUB_K1, PUB_K2, PUB_K3, PUB_ROGUE = pub(K1_KID, K1), pub(K2_KID, K2), pub(K3_KID, K3), pub(ROGUE_KID, ROGUE)


def signing_input(header, payload) -> str:
    h = header if isinstance(header, str) else compact(header)
    p = payload if isinstance(payload, str) else compact(payload)
    return b64(h.encode()) + "." + b64(p.encode())


def ed(payload, s, header, tweak=None) -> str:
    """EdDSA JWS of `payload` under `header` (a dict, or raw text), signed by seed `s`."""
    si = signing_input(header, payload)
    Rb, sig_s = ed_sign(s, si.encode())
    sig = tweak(Rb, sig_s) if tweak else sig_bytes(Rb, sig_s)
    return si + "." + b64(sig)


def hs256(payload, key_bytes=SECRET.encode(), header=None) -> str:
    si = signing_input(header or {"alg": "HS256", "typ": "JWT"}, payload)
    return si + "." + b64(hmac.new(key_bytes, si.encode(), hashlib.sha256).digest())


def ks_header(kid=ROOT1_KID, **extra):
    h = {"alg": "EdDSA", "kid": kid, "typ": KEYSET_TYP}
    h.update(extra)
    return h


def keyset(version, keys, superapp=SUPERAPP, issued=NOW - 3600, expires=NOW + 90 * DAY, **extra):
    p = {"superapp_id": superapp, "version": version, "issued_at": issued, "expires_at": expires,
         "keys": copy.deepcopy(keys)}
    p.update(extra)
    return p


def ks_jws(payload, s=ROOT1, header=None, tweak=None) -> str:
    return ed(payload, s, header or ks_header(), tweak)


def bundle(policy_doc, s=K1, kid=K1_KID, header=None) -> str:
    return ed(policy_doc, s, header or {"alg": "EdDSA", "kid": kid})


# ---------------------------------------------------------------- policies
FULL = {"server_domains": True, "apis": True, "webview_domains": True}
BLOCKED = ["openserver.superapp.example", "*.internal.superapp.example"]


def app(app_id, **kw):
    a = {"app_id": app_id, "kind": "mini_program"}
    a.update(kw)
    return a


def policy(version, apps=None, schema=3, mode="enforce", superapp=SUPERAPP, **extra):
    """A policy whose app `mp_v<version>` shows which version is in force."""
    p = {
        "schema": schema,
        "superapp_id": superapp,
        "version": version,
        "issued_at": NOW - 3600,
        "expires_at": NOW + 30 * DAY,
        "mode": mode,
        "blocked_hosts": list(BLOCKED),
        "sensitive_apis": [{"name": "getLocation", "status": "restricted", "scope": "all", "type": "system"}],
        "apps": (apps if apps is not None else []) + [app(f"mp_v{version}")],
    }
    if schema == 1:
        del p["blocked_hosts"]
    p.update(extra)
    return p


def case(app_id, kind, subject, expect, code=None, **kw):
    c = {"app": app_id, kind: subject, "expect": expect}
    if code:
        c["code"] = code
    c.update(kw)
    return c


def allow(app_id, kind, subject, **kw):
    return case(app_id, kind, subject, "allow", **kw)


def deny(app_id, kind, subject, code, **kw):
    return case(app_id, kind, subject, "deny", code, **kw)


def report(app_id, kind, subject, code, **kw):
    return case(app_id, kind, subject, "report", code, reported=True, **kw)


def in_force(version, **kw):
    return allow(f"mp_v{version}", "api", "showToast", note=f"version {version} is in force", **kw)


def not_in_force(version, **kw):
    return deny(f"mp_v{version}", "api", "showToast", "unknown_app", note=f"version {version} never loaded", **kw)


def load(expect, note=None, **kw):
    out = dict(kw)
    out["expect"] = expect
    if note:
        out["note"] = note
    return out


WRITTEN = []


def write(name, description, loads, cases, roots=False, keys=True, local_prefixes=None, now=NOW):
    doc = {"description": description, "secret": SECRET}
    if keys:
        doc["keys"] = KEYS
    if roots:
        doc["roots"] = ROOTS
        doc["superapp_id"] = SUPERAPP
    if local_prefixes is not None:
        doc["local_prefixes"] = local_prefixes
    doc.update({"now": now, "loads": loads, "cases": cases})
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    WRITTEN.append((name, len(loads) + len(cases)))


# ================================================================ key sets (§2.1)
KS1 = ks_jws(keyset(1, [PUB_K1]))

# ---------------------------------------------------------------- confusion between key sets, bundles and roots
P40, P41 = policy(40), policy(41)
confusion = [
    load("unknown_key", policy=P40, sign_with=K1_KID,
         note="§2.1: with roots, signing keys come only from the key set in force, and none is"),
    load("unknown_key", policy=P40, note="§2.1: a guard created with roots answers unknown_key to every HS256 bundle"),
    load("unknown_key", bundle=KS1, note="a key set loaded as a bundle, before any key set: no key set in force"),
    load("ok", keyset_jws=KS1),
    load("unknown_key", bundle=KS1,
         note="a key set loaded as a bundle: its kid names a root, and a bundle signed by a root is unknown_key"),
    load("unknown_key", keyset_jws=bundle(P40),
         note="a bundle loaded as a key set: step 3, its kid names no root"),
    load("unknown_key", keyset_jws=ed(P40, K1, ks_header(K1_KID)),
         note="a signing key used as a root: step 3, kid `k-2026-12` is no root"),
    load("unknown_key", keyset_jws=ks_jws(keyset(2, [PUB_K2]), s=K1, header=ks_header(K1_KID)),
         note="a well-formed key set signed by a signing key: no root has its kid"),
    load("unknown_key", bundle=bundle(P40, s=ROOT1, kid=ROOT1_KID),
         note="a root used as a signing key: a bundle signed by a root is unknown_key"),
    load("unknown_key", bundle=bundle(P40, s=ROOT2, kid=ROOT2_KID), note="the other root too"),
    load("bad_signature", bundle=bundle(P40, s=ROOT1, kid=K1_KID),
         note="signed by a root, naming the signing key: the key set's key does not verify it"),
    load("unknown_key", bundle=hs256(P40, key_bytes=unb64(ROOTS[0]["x"]), header={"alg": "HS256", "kid": ROOT1_KID}),
         note="HS256 keyed by a root's public bytes: unknown_key before any MAC (no SecretKey with roots)"),
    load("unknown_key", bundle=hs256(P40, key_bytes=unb64(PUB_K1["x"]), header={"alg": "HS256", "kid": K1_KID}),
         note="HS256 keyed by the signing key's public bytes"),
    load("invalid_keyset", keyset_jws=ks_jws(P40),
         note="a policy signed by a root with the key-set header: steps 1-5 pass, the payload is no key set"),
    load("invalid_policy", bundle=ed(P40, K1, {"alg": "EdDSA", "kid": K1_KID, "typ": KEYSET_TYP}),
         note="§2.1: after the signature, a bundle whose typ is guard-keyset+jws is invalid_policy"),
    load("invalid_policy", bundle=ed(keyset(2, [PUB_K2]), K1, {"alg": "EdDSA", "kid": K1_KID}),
         note="a key set payload signed by the signing key as a bundle: not a policy document"),
    load("ok", policy=P40, sign_with=K1_KID),
    load("unknown_key", policy=P41, note="HS256 with the file's secret, after a key set: still unknown_key"),
    load("unknown_key", policy=P41, sign_with=K2_KID, note="k-2027-03 is in no key set in force"),
    load("invalid_keyset", keyset=keyset(2, [PUB_K2], superapp="other-superapp"), sign_with=ROOT2_KID,
         note="step 7: a key set of another superapp, signed by a root of this guard"),
    load("unknown_key", keyset_jws=ks_jws(keyset(2, [PUB_K2], superapp="other-superapp"), s=ROGUE,
                                          header=ks_header("other-root")),
         note="another superapp's key set signed by its own root: step 3"),
    load("unknown_key", policy=P41, sign_with=K2_KID, note="the refused key sets changed nothing"),
    load("ok", bundle=bundle(policy(41, schema=2)), note="a schema 2 bundle signed by a key of the key set in force"),
]
write("v3-keysets-confusion.json",
      "v3 key sets: key sets loaded as bundles and the reverse, roots used as signing keys and signing keys as roots, "
      "HS256 into a guard with roots, another superapp's key set",
      confusion, [
          in_force(41),
          deny("mp_v40", "api", "showToast", "unknown_app", note="version 41 replaced version 40"),
          deny("mp_v41", "api", "getLocation", "permission_not_granted", errno=102,
               message="getLocation:fail jsapi has no permission"),
      ], roots=True)

# ---------------------------------------------------------------- headers: typ, alg, kid, crit, jwk/jku
P50 = policy(50)
rogue_sig = ks_jws(keyset(1, [PUB_K1]), s=ROGUE)
headers = [
    load("invalid_keyset", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(typ="guard-keyset+JWS")),
         note="step 5: typ compared exactly"),
    load("invalid_keyset", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header={"alg": "EdDSA", "kid": ROOT1_KID}),
         note="step 5: typ missing"),
    load("invalid_keyset", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(typ=1)), note="typ a number"),
    load("invalid_keyset", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(typ=None)), note="typ null"),
    load("invalid_keyset", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(typ="JWT"))),
    load("invalid_keyset", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(typ="application/guard-keyset+jws")),
         note="exactly guard-keyset+jws, not the media type RFC 7515 would also accept"),
    load("invalid_keyset", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(typ="guard-keyset+jws "))),
    load("invalid_keyset", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(typ=[KEYSET_TYP]))),
    load("bad_signature", keyset_jws=ks_jws(keyset(1, [PUB_K1]), s=ROGUE, header=ks_header(typ="JWT")),
         note="step 4 before step 5: a bad signature is reported before the typ"),
    load("unknown_key", keyset_jws=ks_jws(keyset(1, [PUB_K1]), s=ROGUE, header=ks_header("rogue", typ="JWT")),
         note="step 3 before step 5"),
    load("unsupported_alg", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(alg="eddsa")),
         note="step 2: alg compared exactly"),
    load("unsupported_alg", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(alg="Ed25519"))),
    load("unsupported_alg", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(alg="none"))),
    load("unsupported_alg", keyset_jws=hs256(keyset(1, [PUB_K1]), key_bytes=unb64(ROOTS[0]["x"]),
                                              header=ks_header(alg="HS256")),
         note="a key set MACed with the root's public bytes: a key set is EdDSA only"),
    load("unsupported_alg", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header={"kid": ROOT1_KID, "typ": KEYSET_TYP}),
         note="alg missing"),
    load("unsupported_alg", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(alg=1)),
         note="step 2: a header that is a JSON object whose alg is not exactly EdDSA"),
    load("unknown_key", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header("ROOT-1")),
         note="step 3: kid compared exactly"),
    load("unknown_key", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header("root-1 "))),
    load("unknown_key", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(""))),
    load("unknown_key", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(1))),
    load("unknown_key", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(None))),
    load("unknown_key", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header={"alg": "EdDSA", "typ": KEYSET_TYP}),
         note="kid missing"),
    load("bad_signature", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(ROOT2_KID)),
         note="signed by root-1, naming root-2"),
    load("bad_signature", keyset_jws=rogue_sig, note="signed by a key no root has"),
    load("bad_signature", keyset_jws=ks_jws(keyset(1, [PUB_K1]), tweak=lambda Rb, s: sig_bytes(Rb, s + L)),
         note="non-canonical S (S + L): strict verification"),
    load("bad_signature", keyset_jws=ks_jws(keyset(1, [PUB_K1]), tweak=lambda Rb, s: b"")),
    load("bad_signature", keyset_jws=ks_jws(keyset(1, [PUB_K1]), tweak=lambda Rb, s: sig_bytes(Rb, s)[:63])),
    load("bad_signature", keyset_jws=KS1.rsplit(".", 2)[0] + "." + b64(compact(keyset(1, [PUB_K2])).encode()) + "."
         + KS1.rsplit(".", 1)[1], note="another payload under KS1's signature"),
    load("malformed_bundle", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(crit=["exp"], exp=1)),
         note="a crit member is malformed_bundle in every header"),
    load("malformed_bundle", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(crit=[]))),
    load("malformed_bundle", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(crit=None)),
         note="a crit member, whatever its value"),
    load("malformed_bundle",
         keyset_jws=ks_jws(keyset(1, [PUB_K1]), header='{"alg":"EdDSA","kid":"rogue","kid":"root-1","typ":"%s"}'
                           % KEYSET_TYP),
         note="duplicate header members (decision 2)"),
    load("malformed_bundle", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header="[]"), note="step 1: header not an object"),
    load("malformed_bundle", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header="null")),
    load("malformed_bundle", keyset_jws=KS1.rsplit(".", 1)[0], note="two segments"),
    load("malformed_bundle", keyset_jws=KS1 + ".", note="four segments"),
    load("malformed_bundle", keyset_jws=KS1 + "==", note="padding"),
    load("malformed_bundle", keyset_jws=" " + KS1),
    load("malformed_bundle", keyset_jws=""),
    load("bad_signature", keyset_jws=ks_jws(keyset(1, [PUB_ROGUE]), s=ROGUE, header=ks_header(jwk=PUB_ROGUE)),
         note="a jwk header is ignored: the key set verifies with the root its kid names"),
    load("bad_signature", keyset_jws=ks_jws(keyset(1, [PUB_ROGUE]), s=ROGUE,
                                            header=ks_header(jku="https://evil.example/keys.json"))),
    load("unknown_key", policy=P50, sign_with=K1_KID, note="every refused key set changed nothing"),
    load("ok", keyset_jws=ks_jws(keyset(1, [PUB_K1]), header=ks_header(
        jku="https://evil.example/keys.json", jwk=PUB_ROGUE, x5u="https://evil.example/x5u",
        x5c=["MIIB"], cty="json", extra="ignored")),
         note="jwk, jku, x5u and x5c are ignored, as other unknown header members"),
    load("unknown_key", bundle=bundle(P50, s=ROGUE, header={"alg": "EdDSA", "kid": ROGUE_KID, "jwk": PUB_ROGUE}),
         note="a bundle carrying its own key: ignored, and no key of the set has the kid"),
    load("bad_signature", bundle=bundle(P50, s=ROGUE, header={"alg": "EdDSA", "kid": K1_KID, "jwk": PUB_ROGUE})),
    load("malformed_bundle", bundle=bundle(P50, header={"alg": "EdDSA", "kid": K1_KID, "crit": ["b64"], "b64": False}),
         note="a crit member is malformed_bundle in a bundle's header too"),
    load("ok", bundle=bundle(P50, header={"alg": "EdDSA", "kid": K1_KID, "typ": "guard-keyset+JWS"}),
         note="only exactly guard-keyset+jws makes a bundle invalid_policy"),
]
write("v3-keysets-headers.json",
      "v3 key-set headers in the order of §2.1: shape, alg, root kid, signature, then typ; crit refused, "
      "jwk/jku/x5u/x5c ignored", headers, [in_force(50)], roots=True)

# ---------------------------------------------------------------- payloads (step 6 and 7)
SMALL_ORDER_X = b64(b"\x01" + bytes(31))
NON_CANONICAL_POINT_X = b64(b"\xee" + b"\xff" * 30 + b"\x7f")
X2 = PUB_K2["x"]
assert "_" in X2 or "-" in X2
LAST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
X2_TRAILING = X2[:-1] + LAST[LAST.index(X2[-1]) | 1]
assert unb64(X2_TRAILING) == unb64(X2) and X2_TRAILING != X2


def with_key(**changes):
    k = dict(PUB_K2)
    for name, value in changes.items():
        if value is None:
            k.pop(name, None)
        else:
            k[name] = value
    return k


MANY = [pub(f"k-{i:02}", seed(f"many {i}")) for i in range(16)]
bad_payloads = [
    (keyset(2, [with_key(d=b64(K2))]), "a `d` member: a key set carries public keys only"),
    (keyset(2, [with_key(alg="EdDSA")]), "`alg` in a key"),
    (keyset(2, [with_key(use="sig")]), "`use` in a key"),
    (keyset(2, [with_key(kty="EC")]), None),
    (keyset(2, [with_key(crv="X25519")]), None),
    (keyset(2, [with_key(kty=None)]), "kty missing"),
    (keyset(2, [with_key(kid=None)]), "kid missing"),
    (keyset(2, [with_key(kid="")]), "kid empty"),
    (keyset(2, [with_key(kid=7)]), "kid a number"),
    (keyset(2, [with_key(x=None)]), "x missing"),
    (keyset(2, MANY + [PUB_K2]), "17 keys: 1 to 16"),
    (keyset(2, []), "0 keys"),
    (keyset(2, [PUB_K2, with_key(x=PUB_K3["x"])]), "duplicate kids"),
    (keyset(2, [PUB_K2, with_key(kid=ROOT1_KID, x=PUB_K3["x"])]), "a key whose kid equals a root's"),
    (keyset(2, [with_key(kid=ROOT2_KID)]), "a key whose kid equals the other root's"),
    (keyset(2, [with_key(x=ROOTS[0]["x"])]), "a key whose x equals the signing root's"),
    (keyset(2, [PUB_K2, with_key(kid="k-root-2", x=ROOTS[1]["x"])]), "a key whose x equals another root's"),
    (keyset(2, [with_key(x=X2.replace("_", "/").replace("-", "+"))]), "x in the standard alphabet"),
    (keyset(2, [with_key(x=X2 + "=")]), "x padded"),
    (keyset(2, [with_key(x=X2_TRAILING)]), "x with non-zero trailing bits: not canonical base64url"),
    (keyset(2, [with_key(x=X2[:-2])]), "x of 31 bytes"),
    (keyset(2, [with_key(x=b64(unb64(X2) + b"\x00"))]), "x of 33 bytes"),
    (keyset(2, [with_key(x=SMALL_ORDER_X)]), "a small-order x (the identity)"),
    (keyset(2, [with_key(x=NON_CANONICAL_POINT_X)]), "a non-canonical point encoding"),
    (keyset(2, [PUB_K2], superapp="other-superapp"), "step 7: another superapp"),
    (keyset(2, [PUB_K2], superapp=""), "superapp_id empty"),
    (keyset(2, [PUB_K2], superapp=None), "superapp_id null"),
    (keyset(2**53, [PUB_K2]), "version 2^53: above 2^53-1"),
    (keyset(-1, [PUB_K2]), "version negative"),
    (keyset(2.5, [PUB_K2]), "version not an integer"),
    (keyset("2", [PUB_K2]), "version a string"),
    (keyset(2, [PUB_K2], expires=NOW - 3600), "expires_at equal to issued_at"),
    (keyset(2, [PUB_K2], expires=NOW - 7200), "expires_at before issued_at"),
    (keyset(2, [PUB_K2], iat=NOW), "a JWT claim"),
    (keyset(2, [PUB_K2], exp=NOW + DAY), "a JWT claim"),
    (keyset(2, [PUB_K2], comment="rotation"), "any other member"),
    (keyset(2, PUB_K2), "keys not an array"),
]
payloads = [load("ok", keyset=keyset(1, [PUB_K1]), sign_with=ROOT1_KID)]
for p, why in bad_payloads:
    payloads.append(load("invalid_keyset", note=why, keyset=p, sign_with=ROOT1_KID))
for field in ["superapp_id", "version", "issued_at", "expires_at", "keys"]:
    p = keyset(2, [PUB_K2])
    del p[field]
    payloads.append(load("invalid_keyset", note=f"{field} missing: every member is required",
                         keyset=p, sign_with=ROOT1_KID))
payloads += [
    load("invalid_keyset", keyset_jws=ks_jws('{"superapp_id":"demo-superapp","version":9,"version":2,'
                                             '"issued_at":%d,"expires_at":%d,"keys":[%s]}'
                                             % (NOW - 3600, NOW + DAY, compact(PUB_K2))),
         note="a duplicate member: exactly these members"),
    load("invalid_keyset", keyset_jws=ks_jws("[]"), note="a payload that is not an object"),
    load("invalid_keyset", keyset_jws=ks_jws("not json")),
    load("unknown_key", policy=policy(60), sign_with=K2_KID, note="no refused key set put k-2027-03 in force"),
    load("ok", policy=policy(60), sign_with=K1_KID),
    load("ok", keyset=keyset(2, MANY[:15] + [PUB_K2]), sign_with=ROOT2_KID, note="16 keys"),
    load("ok", policy=policy(61), sign_with=K2_KID),
    load("ok", keyset=keyset(3, [PUB_K3], issued=NOW + DAY, expires=NOW + 2 * DAY),
         sign_with=ROOT1_KID, note="issued_at in the future: only expires_at is a bound"),
    load("ok", policy=policy(62), sign_with=K3_KID),
    load("ok", keyset_jws=ks_jws(keyset(2**53 - 1, [PUB_K3, PUB_K1])), note="version 2^53-1"),
    load("ok", keyset_jws=ks_jws(keyset(2**53 - 1, [PUB_K3, PUB_K1])), note="the same bytes again"),
    load("stale_version", keyset=keyset(2**53 - 1, [PUB_K3]), sign_with=ROOT1_KID),
    load("stale_version", policy=policy(1), sign_with=K1_KID,
         note="the bundle floor (62) is apart from the key-set floor"),
    load("ok", policy=policy(63), sign_with=K1_KID, note="a key set's floor does not limit bundle versions"),
]
write("v3-keysets-payloads.json",
      "v3 key-set payloads (step 6 and 7): exactly five members, 1 to 16 public Ed25519 keys with distinct kids, "
      "none a root's, canonical x, the guard's superapp, versions up to 2^53-1", payloads,
      [in_force(63), not_in_force(1)], roots=True)

# ---------------------------------------------------------------- floors and rotation
KS1_OTHER_HEADER = ks_jws(keyset(1, [PUB_K1]), header='{"typ":"%s","kid":"root-1","alg":"EdDSA"}' % KEYSET_TYP)
rotation = [
    load("ok", keyset_jws=KS1),
    load("ok", policy=policy(10), sign_with=K1_KID),
    load("ok", keyset_jws=KS1, note="step 8: the same signed bytes again"),
    load("stale_version", keyset_jws=ks_jws(keyset(1, [PUB_K1], issued=NOW - 7200)),
         note="step 8: the same version with another payload"),
    load("stale_version", keyset_jws=KS1_OTHER_HEADER,
         note="the same payload under another header: other signed bytes"),
    load("stale_version", keyset_jws=ks_jws(keyset(1, [PUB_K1]), s=ROOT2, header=ks_header(ROOT2_KID)),
         note="the same payload signed by the other root"),
    load("stale_version", keyset=keyset(0, [PUB_K2]), sign_with=ROOT1_KID, note="below the key-set floor"),
    load("stale_version", keyset=keyset(0, [PUB_K2], expires=NOW - 1), sign_with=ROOT1_KID,
         note="step 8 before step 9"),
    load("unknown_key", policy=policy(11), sign_with=K2_KID,
         note="rotation order: a new key signs only after a key set carrying it is in force"),
    load("ok", keyset=keyset(2, [PUB_K1, PUB_K2]), sign_with=ROOT1_KID),
    load("ok", policy=policy(11), sign_with=K2_KID),
    load("ok", policy=policy(12), sign_with=K1_KID, note="the old key stays valid while the set carries it"),
    load("ok", keyset=keyset(3, [PUB_K2]), sign_with=ROOT2_KID, note="any root signs key sets"),
    load("unknown_key", policy=policy(13), sign_with=K1_KID, note="k-2026-12 retired by key set 3"),
    load("ok", policy=policy(13), sign_with=K2_KID),
    load("stale_version", keyset=keyset(2, [PUB_K1, PUB_K2]), sign_with=ROOT1_KID,
         note="replaying the retired key set"),
    load("invalid_keyset", keyset=keyset(9, [PUB_K1], superapp="other-superapp"), sign_with=ROOT1_KID),
    load("expired", keyset=keyset(8, [PUB_K1], issued=NOW - 2 * DAY, expires=NOW), sign_with=ROOT1_KID,
         note="step 9: expired at expires_at"),
    load("ok", keyset=keyset(4, [PUB_K2, PUB_K3]), sign_with=ROOT1_KID,
         note="neither refused key set (9, 8) raised the floor"),
    load("ok", policy=policy(14), sign_with=K3_KID),
    load("unknown_key", policy=policy(15, superapp="other-superapp"), sign_with=K3_KID,
         note="§2.1: a bundle for another superapp than the guard's is unknown_key"),
    load("invalid_policy", bundle=ed(policy(15), K3, {"alg": "EdDSA", "kid": K3_KID, "typ": KEYSET_TYP})),
    load("stale_version", policy=policy(13), sign_with=K2_KID, note="the bundle floor is 14"),
    load("invalid_keyset", keyset=keyset(0, [PUB_K1], superapp="other-superapp"), sign_with=ROOT1_KID,
         note="step 7 before step 8: another superapp's key set below the floor"),
    load("invalid_keyset", keyset=keyset(1, [with_key(d=b64(K2))]), sign_with=ROOT1_KID,
         note="step 6 before step 8"),
    load("invalid_keyset", keyset=keyset(10, [PUB_K2], superapp="", expires=NOW - 1), sign_with=ROOT1_KID,
         note="step 6 before step 9"),
    load("invalid_policy", policy=policy(15, superapp="other-superapp", schema=4), sign_with=K2_KID,
         note="§2.1: the payload is validated before its superapp is compared"),
    load("unknown_key", policy=policy(1, superapp="other-superapp"), sign_with=K2_KID,
         note="§2.1: the superapp before the version floor"),
    load("ok", policy=policy(15), sign_with=K2_KID),
]
write("v3-keysets-rotation.json",
      "v3 key-set floor and rotation: the same bytes again, another document at the floor, lower versions, "
      "a key signs only once a key set carries it, failed loads leave the floor", rotation,
      [in_force(15), not_in_force(16), deny("mp_v14", "api", "showToast", "unknown_app")], roots=True)

# ---------------------------------------------------------------- a replaced key set
replaced = [
    load("ok", keyset_jws=KS1),
    load("ok", policy=policy(16), sign_with=K1_KID),
    load("ok", keyset=keyset(2, [PUB_K2]), sign_with=ROOT1_KID,
         note="§2.1: a newer key set replaces the one in force; the bundle in force stays in force"),
    load("unknown_key", policy=policy(16), sign_with=K1_KID,
         note="the bundle in force, loaded again: its key is no longer in the key set in force"),
    load("unknown_key", policy=policy(17), sign_with=K1_KID),
]
write("v3-keysets-replaced.json",
      "v3: a newer key set replaces the one in force, and the bundle in force stays in force until its own expiry",
      replaced, [in_force(16), not_in_force(17),
                 deny("mp_v16", "api", "showToast", "no_policy", now=NOW + 30 * DAY)], roots=True)

# ---------------------------------------------------------------- an expired key set in force
KS_SHORT = ks_jws(keyset(1, [PUB_K1], expires=NOW + 100))
expiring = [
    load("ok", keyset_jws=KS_SHORT),
    load("ok", policy=policy(20), sign_with=K1_KID),
    load("ok", policy=policy(21), sign_with=K1_KID, now=NOW + 99, note="one second before the key set expires"),
    load("unknown_key", policy=policy(22), sign_with=K1_KID, now=NOW + 100,
         note="§2.1: the key set in force expired, so no key signs new bundles"),
    load("expired", keyset_jws=KS_SHORT, note="the same bytes again: step 9"),
    load("stale_version", keyset=keyset(1, [PUB_K1], expires=NOW + DAY), sign_with=ROOT1_KID,
         note="another document at the floor, fresh or not"),
    load("expired", keyset=keyset(2, [PUB_K1], expires=NOW + 100), sign_with=ROOT1_KID),
    load("unknown_key", policy=policy(21), sign_with=K1_KID, note="even the bundle in force, loaded again"),
]
write("v3-keysets-expired-in-force.json",
      "v3: once the key set in force expires, new bundles are unknown_key while the bundle in force stays in force "
      "until its own expiry", expiring, [
          in_force(21, now=NOW + 100),
          deny("mp_v22", "api", "showToast", "unknown_app"),
          deny("mp_v21", "api", "getLocation", "permission_not_granted", now=NOW + 29 * DAY),
          deny("mp_v21", "api", "showToast", "no_policy", now=NOW + 30 * DAY, errno=1,
               message="showToast:fail no valid permission policy", note="the bundle's own expires_at"),
      ], roots=True)

renewed = expiring[:4] + [
    load("ok", keyset=keyset(2, [PUB_K2], expires=NOW + DAY), sign_with=ROOT2_KID, note="a fresh key set"),
    load("unknown_key", policy=policy(22), sign_with=K1_KID, note="k-2026-12 is not in the new set"),
    load("ok", policy=policy(22), sign_with=K2_KID),
]
write("v3-keysets-renewed.json", "v3: a fresh key set after the one in force expired admits new bundles again",
      renewed, [in_force(22), deny("mp_v21", "api", "showToast", "unknown_app")], roots=True)

# ---------------------------------------------------------------- a guard without roots
no_roots = [
    load("ok", policy=policy(30, schema=2)),
    load("unknown_key", keyset_jws=KS1, note="§2.1: a key set loaded into a guard created without roots"),
    load("unknown_key", keyset_jws=ks_jws(keyset(2, [PUB_K2]), s=K1, header=ks_header(K1_KID)),
         note="even one signed by a key the guard has"),
    load("invalid_policy", bundle=ks_jws(keyset(2, [PUB_K2]), s=K1, header=ks_header(K1_KID)),
         note="as a bundle it verifies, and its payload is no policy"),
    load("unknown_key", bundle=KS1, note="as a bundle, signed by a root the guard does not know"),
    load("ok", bundle=ed(policy(31, schema=2), K1, {"alg": "EdDSA", "kid": K1_KID, "typ": KEYSET_TYP}),
         note="§2.1: a guard created with signing keys works as before (v2 ignores typ, decision 2); "
              "only a guard created with roots refuses a bundle whose typ is a key set's"),
    load("ok", policy=policy(32), note="HS256 and a schema 3 document"),
    load("malformed_bundle", bundle=hs256(policy(33), header={"alg": "HS256", "crit": ["exp"], "exp": 1}),
         note="v3 in every guard: a crit member is malformed_bundle"),
]
write("v3-keysets-without-roots.json",
      "v3 key sets against a guard created with a SecretKey and signing keys (no roots)", no_roots,
      [in_force(32), deny("mp_v33", "api", "showToast", "unknown_app")])

# ================================================================ permission groups (§1, §3.2)
SENSITIVE3 = [
    {"name": "startLocationUpdate", "status": "restricted", "scope": "all", "type": "system"},
    {"name": "group.chooseMedia", "status": "restricted", "scope": "all", "type": "system"},
    {"name": "scope.record", "status": "restricted", "scope": "mini_game", "type": "system"},
    {"name": "getFuzzyLocation", "status": "restricted", "scope": "mini_program", "type": "system"},
    {"name": "scope.camera", "status": "public", "scope": "all", "type": "system"},
    {"name": "getPhoneNumber", "status": "restricted", "scope": "all", "type": "system",
     "description": "the phone number"},
    {"name": "group.phoneNumber", "status": "restricted", "scope": "all", "type": "system",
     "description": "another description: it may differ"},
    {"name": "openWallet", "status": "restricted", "scope": "all", "type": "custom"},
]
groups_policy = {
    "schema": 3, "superapp_id": SUPERAPP, "version": 70, "issued_at": NOW - 3600, "expires_at": NOW + 30 * DAY,
    "mode": "enforce", "sensitive_apis": SENSITIVE3,
    "apps": [
        app("mp_none"),
        app("mp_by_group", granted_apis=["scope.userLocation", "group.chooseMedia"]),
        app("mp_by_member", granted_apis=["onLocationChangeError", "chooseVideo", "getPhoneNumber"]),
        app("mp_game", kind="mini_game"),
        app("mp_game_granted", kind="mini_game", granted_apis=["getRecorderManager"]),
        app("mp_apis", control={"apis": True}, api_whitelist=["openWallet"]),
        app("mp_report", mode="report"),
    ],
}
PNG = "permission_not_granted"
groups = [
    deny("mp_none", "api", "getLocation", PNG, errno=102, message="getLocation:fail jsapi has no permission",
         note="restricted through startLocationUpdate, its group's other API"),
    deny("mp_none", "api", "startLocationUpdate", PNG),
    deny("mp_none", "api", "onLocationChange", PNG, message="onLocationChange:fail jsapi has no permission"),
    deny("mp_none", "api", "onLocationChangeError", PNG),
    allow("mp_none", "api", "stopLocationUpdate", note="not in the group: gives no data"),
    allow("mp_none", "api", "offLocationChange"),
    allow("mp_none", "api", "startLocationUpdateBackground", note="a group of its own, not restricted"),
    deny("mp_none", "api", "getFuzzyLocation", PNG, note="scope mini_program"),
    deny("mp_none", "api", "chooseImage", PNG, note="restricted by the group's name"),
    deny("mp_none", "api", "chooseMedia", PNG),
    deny("mp_none", "api", "chooseVideo", PNG),
    allow("mp_none", "api", "previewImage"),
    allow("mp_none", "api", "startRecord", note="scope.record is restricted for mini games only"),
    allow("mp_none", "api", "createCameraContext", note="a public group"),
    deny("mp_none", "api", "getPhoneNumber", PNG, note="two entries of one permission that agree"),
    deny("mp_none", "api", "openWallet", PNG, note="a custom API is a permission of its own"),
    allow("mp_none", "api", "scope.userLocation",
          note="a group name is a permission, not an API: rule 4 never applies to it"),
    allow("mp_none", "api", "group.chooseMedia"),
    allow("mp_none", "api", "wx.getLocation", note="names compared exactly, no namespace prefix"),
    allow("mp_none", "api", "GetLocation"),
    allow("mp_by_group", "api", "getLocation", message="getLocation:ok", note="granted by the group's name"),
    allow("mp_by_group", "api", "onLocationChangeError"),
    allow("mp_by_group", "api", "chooseVideo"),
    deny("mp_by_group", "api", "getFuzzyLocation", PNG, note="another group"),
    deny("mp_by_group", "api", "getPhoneNumber", PNG),
    allow("mp_by_member", "api", "getLocation", note="granted by any API of the group"),
    allow("mp_by_member", "api", "startLocationUpdate"),
    allow("mp_by_member", "api", "chooseImage"),
    allow("mp_by_member", "api", "chooseMedia"),
    allow("mp_by_member", "api", "getPhoneNumber"),
    deny("mp_by_member", "api", "openWallet", PNG),
    deny("mp_game", "api", "startRecord", PNG, note="scope mini_game"),
    deny("mp_game", "api", "getRecorderManager", PNG),
    deny("mp_game", "api", "joinVoIPChat", PNG),
    allow("mp_game", "api", "getFuzzyLocation", note="restricted for mini programs only"),
    deny("mp_game", "api", "getLocation", PNG, note="scope all"),
    allow("mp_game_granted", "api", "startRecord", note="granted by getRecorderManager"),
    allow("mp_game_granted", "api", "joinVoIPChat"),
    deny("mp_apis", "api", "scope.userLocation", "api_not_whitelisted", errno=102,
         message="scope.userLocation:fail api not in whitelist",
         note="with control.apis on, a group name decides as a name outside the catalogue"),
    deny("mp_apis", "api", "group.clipboard", "api_not_whitelisted"),
    deny("mp_apis", "api", "openWallet", PNG, errno=102, message="openWallet:fail jsapi has no permission",
         note="whitelisted, and restricted"),
    deny("mp_apis", "api", "chooseMedia", PNG),
    allow("mp_apis", "api", "getClipboardData", note="group.clipboard is not restricted"),
    report("mp_report", "api", "getLocation", PNG, errno=102, message="getLocation:fail jsapi has no permission"),
    report("mp_report", "api", "chooseMedia", PNG),
    allow("mp_report", "api", "scope.userLocation"),
]
write("v3-groups-every-side.json",
      "v3 permission groups from every side: restricted by the group's name or any API of it, granted by either, "
      "scopes per app kind, group names as API names, report mode", [load("ok", policy=groups_policy)], groups)

# ---------------------------------------------------------------- invalid group documents
G_BASE = copy.deepcopy(groups_policy)
G_BASE["version"] = 71


def g_with(sensitive=None, apps=None, schema=3, version=72):
    p = copy.deepcopy(G_BASE)
    p["version"] = version
    p["schema"] = schema
    if sensitive is not None:
        p["sensitive_apis"] = sensitive
    if apps is not None:
        p["apps"] = apps
    return p


def sens(name, status="restricted", scope="all", type_="system", **kw):
    e = {"name": name, "status": status, "scope": scope, "type": type_}
    e.update(kw)
    return e


group_loads = [
    load("ok", policy=G_BASE),
    load("invalid_policy", policy=g_with([sens("getLocation"), sens("startLocationUpdate", "public")]),
         message="getLocation", note="one permission, restricted and public: invalid, naming both"),
    load("invalid_policy", policy=g_with([sens("getLocation"), sens("startLocationUpdate", "public")]),
         message="startLocationUpdate"),
    load("invalid_policy", policy=g_with([sens("scope.userLocation"), sens("getLocation", scope="mini_program")]),
         message="sensitive_apis[1]", note="scopes disagree"),
    load("invalid_policy", policy=g_with([sens("chooseImage"), sens("chooseMedia", type_="custom")]),
         note="types disagree"),
    load("invalid_policy", policy=g_with([sens("getLocation"), sens("getLocation")]),
         message="getLocation", note="the same name twice, even agreeing"),
    load("invalid_policy", policy=g_with([sens("getLocation"), sens("getLocation")], schema=2),
         note="the same name twice is invalid in every schema"),
    load("invalid_policy", policy=g_with([sens("scope.typo")]), message="sensitive_apis[0]",
         note="a scope. name that is no group would restrict nothing"),
    load("invalid_policy", policy=g_with([sens("group.typo")])),
    load("invalid_policy", policy=g_with([sens("scope.UserLocation")]), note="group names compared exactly"),
    load("invalid_policy", policy=g_with([sens("scope.")])),
    load("invalid_policy", policy=g_with(apps=[app("mp_x", granted_apis=["scope.typo"])]),
         message="apps[0].granted_apis[0]"),
    load("invalid_policy", policy=g_with(apps=[app("mp_x", granted_apis=["getLocation", "group.chooseMedias"])]),
         message="apps[0].granted_apis[1]"),
    load("invalid_policy", policy=g_with(apps=[app("mp_x", control={"apis": True},
                                                   api_whitelist=["scope.userLocation"])]),
         message="apps[0].api_whitelist[0]", note="a group in api_whitelist: a permission is not an API"),
    load("invalid_policy", policy=g_with(apps=[app("mp_x", api_whitelist=["openWallet", "group.clipboard"])]),
         message="apps[0].api_whitelist[1]"),
    load("invalid_policy", policy=g_with(apps=[app("mp_x", api_whitelist=["scope.typo"])])),
    load("ok", policy=g_with([sens("getLocation"), sens("startLocationUpdate", "public"), sens("scope.typo")],
                             apps=[app("mp_s2", granted_apis=["group.typo"], api_whitelist=["scope.userLocation"])],
                             schema=2, version=73),
         note="schema 2 keeps one name, one permission: no group rules"),
]
write("v3-groups-invalid.json",
      "v3 permission groups at load: entries of one permission must agree, unknown scope./group. names and groups "
      "in api_whitelist are invalid_policy; schema 2 keeps one name one permission", group_loads, [
          deny("mp_s2", "api", "getLocation", PNG, note="schema 2: only the name restricted"),
          allow("mp_s2", "api", "startLocationUpdate", note="schema 2: public, whatever its group"),
          allow("mp_s2", "api", "onLocationChange", note="schema 2: not named, not restricted"),
          deny("mp_s2", "api", "scope.typo", PNG, note="schema 2: just a name"),
          deny("mp_none", "api", "showToast", "unknown_app", note="version 73 is in force"),
      ])

# ---------------------------------------------------------------- scope mini_game vs mini_program
scope_policy = {
    "schema": 3, "superapp_id": SUPERAPP, "version": 74, "issued_at": NOW - 3600, "expires_at": NOW + 30 * DAY,
    "sensitive_apis": [
        sens("scope.werun", scope="mini_game"),
        sens("getWeRunData", scope="mini_game", description="agrees with the group's entry"),
        sens("saveImageToPhotosAlbum", scope="mini_program"),
        sens("addPhoneCalendar", scope="all"),
    ],
    "apps": [app("mp_prog"), app("mp_game", kind="mini_game"),
             app("mp_game_cal", kind="mini_game", granted_apis=["addPhoneRepeatCalendar"])],
}
write("v3-groups-scopes.json", "v3 permission groups: a restriction's scope covers mini programs, mini games or both",
      [load("ok", policy=scope_policy)], [
          allow("mp_prog", "api", "getWeRunData"),
          deny("mp_game", "api", "getWeRunData", PNG),
          deny("mp_prog", "api", "saveVideoToPhotosAlbum", PNG, note="the group of saveImageToPhotosAlbum"),
          allow("mp_game", "api", "saveVideoToPhotosAlbum"),
          deny("mp_prog", "api", "addPhoneRepeatCalendar", PNG),
          deny("mp_game", "api", "addPhoneRepeatCalendar", PNG),
          allow("mp_game_cal", "api", "addPhoneCalendar", note="granted by the group's other API"),
      ])

# ================================================================ media (§3.7)
PREFIXES = ["http://tmp/", "http://127.0.0.1:9974/local/"]
media_policy = policy(80, apps=[
    app("mp_media", control={"server_domains": True, "media_domains": True},
        server_domains=["https://api.shop.example"],
        domains={"media": ["https://cdn.shop.example", "https://*.img.shop.example", "https://tmp"]}),
    app("mp_off", control={"server_domains": True}, server_domains=["https://api.shop.example"]),
    app("mp_nolist", control={"server_domains": True, "media_domains": True},
        server_domains=["https://cdn.shop.example"], domains={"download": ["https://cdn.shop.example"]}),
    app("mp_empty", control={"media_domains": True}, domains={"media": []}),
    app("mp_report", mode="report", control={"media_domains": True}, domains={"media": ["https://cdn.shop.example"]}),
])
IU, IS, DNW = "invalid_url", "insecure_scheme", "domain_not_whitelisted"
media = [
    # Paths that name another host (§3.7: first two code points each / or \).
    deny("mp_media", M, "//evil.example/a.png", IU, errno=600009),
    deny("mp_media", M, "\\\\evil.example\\a.png", IU),
    deny("mp_media", M, "/\\evil.example/a.png", IU),
    deny("mp_media", M, "\\/evil.example/a.png", IU),
    deny("mp_media", M, "/\t/evil.example/a.png", IU, note="tabs are removed before classifying"),
    deny("mp_media", M, "/\n/evil.example/a.png", IU),
    deny("mp_media", M, "/\r\n\\evil.example/a.png", IU),
    deny("mp_media", M, "\t//evil.example/a.png", IU, note="leading tab removed"),
    deny("mp_media", M, "\u0001\u001f//evil.example/a.png", IU, note="leading C0 controls removed"),
    deny("mp_media", M, " //evil.example/a.png", IU, note="leading space removed"),
    deny("mp_media", M, "", IU, note="empty"),
    deny("mp_media", M, " \u0000\t", IU, note="empty once preprocessed"),
    allow("mp_media", M, "\u0000/images/a.png", note="a leading C0 control removed: a path in the package"),
    allow("mp_media", M, "/images/a.png\u0000 ", note="trailing C0 control and space removed"),
    allow("mp_media", M, "/"),
    allow("mp_media", M, "./a.png"),
    allow("mp_media", M, "..\\a.png"),
    allow("mp_media", M, "a//evil.example/a.png", note="a relative path: its first two code points are a, /"),
    allow("mp_media", M, "%2F%2Fevil.example/a.png", note="no scheme, and not two slashes: a package path"),
    allow("mp_media", M, "\uff0f\uff0fevil.example/a.png", note="fullwidth solidus is not /"),
    allow("mp_media", M, "1a:b.png", note="a scheme starts with an ASCII letter"),
    allow("mp_media", M, "data", note="no colon, no scheme"),
    # Inline and platform files.
    allow("mp_media", M, "wxfile://tmp_3a9c.jpg"),
    allow("mp_media", M, "WXFILE://tmp_3a9c.jpg", note="schemes compare ASCII case-insensitively"),
    allow("mp_media", M, "WxFile:tmp_3a9c.jpg"),
    allow("mp_media", M, "data:image/png;base64,iVBORw0KGgo="),
    allow("mp_media", M, "DATA:,x"),
    allow("mp_media", M, "\u0001 data:,x", note="leading controls removed before the scheme is read"),
    allow("mp_media", M, "da\tta:,x", note="a tab inside the scheme is removed"),
    deny("mp_media", M, "blob:https://cdn.shop.example/5f1c", IS, note="blob: reaches what another page made"),
    deny("mp_media", M, "cloud://env-1.616e/a.png", IS),
    deny("mp_media", M, "c:\\images\\a.png", IS, note="a drive letter is a scheme"),
    deny("mp_media", M, "java\tscript:alert(1)", IS),
    deny("mp_media", M, "wxfile2://x", IS),
    # Local prefixes: the serialisation decides.
    allow("mp_media", M, "http://tmp/3a9c.png"),
    allow("mp_media", M, "HTTP://TMP/3a9c.png", note="serialises to http://tmp/3a9c.png"),
    allow("mp_media", M, "http://TMP:80/3a9c.png"),
    allow("mp_media", M, "http:tmp/3a9c.png", note="a special URL without slashes still has the host tmp"),
    allow("mp_media", M, "http:\\\\tmp\\3a9c.png"),
    allow("mp_media", M, "http://t\nmp/3a9c.png", note="the newline is removed: http://tmp/"),
    allow("mp_media", M, "http://127.0.0.1:9974/local/a.png"),
    allow("mp_media", M, "http://0x7f.1:9974/local/a.png", note="serialises to 127.0.0.1"),
    deny("mp_media", M, "http://127.0.0.1:9974/local/../secret.png", IS, note="dot segments resolved: /secret.png"),
    deny("mp_media", M, "http://127.0.0.1:9974/local/%2e%2e/secret.png", IS),
    deny("mp_media", M, "http://127.0.0.1:9974/localx/a.png", IS),
    deny("mp_media", M, "http://127.0.0.1:9975/local/a.png", IS),
    deny("mp_media", M, "http://tmp.evil/a.png", IS, note="not under http://tmp/"),
    deny("mp_media", M, "http://tmp.evil.example/a.png", IS),
    deny("mp_media", M, "http://tmp./a.png", IS, note="a trailing dot is another serialisation"),
    deny("mp_media", M, "http://tmp:8080/a.png", IS),
    deny("mp_media", M, "http://user@tmp/a.png", IU, note="userinfo: not under the prefix, then rule 3"),
    deny("mp_media", M, "http://tmp@evil.example/a.png", IU),
    deny("mp_media", M, "ws://tmp/a.png", IS),
    allow("mp_media", M, "https://tmp/a.png", note="https://tmp is in the media list"),
    # The media list.
    allow("mp_media", M, "https://cdn.shop.example/a.png"),
    allow("mp_media", M, "https://CDN.Shop.Example./a.png"),
    allow("mp_media", M, "https://x.img.shop.example/a.png"),
    allow("mp_media", M, "https://cdn.shop.exa\tmple/a.png", note="the preprocessed target is checked"),
    deny("mp_media", M, "https://img.shop.example/a.png", DNW, errno=600002),
    deny("mp_media", M, "https://cdn.shop.example:8443/a.png", "port_not_allowed", errno=600002),
    deny("mp_media", M, "https://api.shop.example/a.png", DNW, note="server_domains is not the media list"),
    deny("mp_media", M, "https://10.0.0.1/a.png", DNW),
    deny("mp_media", M, "https://openserver.superapp.example/a.png", "domain_blocked", errno=600002),
    deny("mp_media", M, "https://u@cdn.shop.example/a.png", IU),
    deny("mp_media", M, "http://cdn.shop.example/a.png", IS, errno=600009),
    allow("mp_media", R, "https://api.shop.example/", note="request keeps server_domains"),
    deny("mp_media", R, "https://cdn.shop.example/", DNW),
    deny("mp_media", R, "data:text/plain,hi", IS, note="local forms are media's only"),
    deny("mp_media", D, "wxfile://tmp_3a9c.jpg", IS),
    deny("mp_media", D, "/images/a.png", IU),
    # The switch, and media never falling back.
    allow("mp_off", M, "https://anything.example/a.png", note="control.media_domains absent: off"),
    deny("mp_off", M, "http://anything.example/a.png", IS, note="rule 4 whatever the switches"),
    deny("mp_off", M, "//anything.example/a.png", IU),
    deny("mp_off", M, "https://a.internal.superapp.example/a.png", "domain_blocked"),
    deny("mp_nolist", M, "https://cdn.shop.example/a.png", DNW,
         note="an absent media list is empty: media never falls back to server_domains or download"),
    allow("mp_nolist", D, "https://cdn.shop.example/a.png"),
    allow("mp_nolist", M, "/images/a.png"),
    deny("mp_empty", M, "https://cdn.shop.example/a.png", DNW),
    report("mp_report", M, "https://evil.example/a.png", DNW),
    report("mp_report", M, "http://evil.example/a.png", IS),
    deny("mp_report", M, "//evil.example/a.png", IU, reported=False),
    deny("mp_report", M, "https://u@evil.example/a.png", IU, reported=False),
    deny("mp_report", M, "http://openserver.superapp.example/a.png", "domain_blocked", reported=False,
         note="insecure_scheme in report mode, and a blocked host"),
    allow("mp_report", M, "data:,x"),
    deny("mp_nobody", M, "https://cdn.shop.example/a.png", "unknown_app"),
]
write("v3-media-lookalikes.json",
      "v3 media: local-looking targets that are not local (//host, \\\\host, /\\host, controls, tabs), inline and "
      "platform forms in any case, local prefixes by serialisation, the media list and switch", [
          load("ok", policy=media_policy)], media, local_prefixes=PREFIXES)

# ---------------------------------------------------------------- media under schema 1 and 2: checked as download
s2 = policy(81, schema=2, apps=[
    app("mp_dl", control={"server_domains": True},
        server_domains=["https://cdn.shop.example", "https://api.shop.example"]),
    app("mp_off"),
    app("mp_trial", mode="report", control={"server_domains": True}, server_domains=["https://cdn.shop.example"]),
])
s2_cases = [
    allow("mp_dl", M, "https://cdn.shop.example/a.png"),
    allow("mp_dl", M, "https://api.shop.example/a.png", note="as download: server_domains"),
    deny("mp_dl", M, "https://evil.example/a.png", DNW, errno=600002),
    deny("mp_dl", M, "https://cdn.shop.example:8443/a.png", "port_not_allowed"),
    deny("mp_dl", M, "http://cdn.shop.example/a.png", IS),
    deny("mp_dl", M, "https://openserver.superapp.example/a.png", "domain_blocked"),
    allow("mp_dl", M, "wxfile://tmp_3a9c.jpg", note="local and inline forms are allowed under every schema"),
    allow("mp_dl", M, "data:image/png;base64,iVBORw0KGgo="),
    allow("mp_dl", M, "/images/a.png"),
    allow("mp_dl", M, "http://tmp/a.png", note="the prefix HTTP://TMP:80/ serialises to http://tmp/"),
    deny("mp_dl", M, "//evil.example/a.png", IU),
    deny("mp_dl", M, "\\\\evil.example/a.png", IU),
    deny("mp_dl", M, "http://tmp.evil/a.png", IS),
    allow("mp_off", M, "https://evil.example/a.png"),
    report("mp_trial", M, "https://evil.example/a.png", DNW),
    deny("mp_trial", M, "/\\evil.example/a.png", IU, reported=False),
]
write("v3-media-schema2.json", "v3 media under a schema 2 document: checked as download after classification",
      [load("ok", policy=s2)], s2_cases, local_prefixes=["HTTP://TMP:80/"])
s1 = policy(82, schema=1, apps=[app("mp_dl", control={"server_domains": True},
                                    server_domains=["https://cdn.shop.example"])])
write("v3-media-schema1.json", "v3 media under a schema 1 document: checked as download after classification",
      [load("ok", policy=s1)], [
          allow("mp_dl", M, "https://cdn.shop.example/a.png"),
          deny("mp_dl", M, "https://evil.example/a.png", DNW),
          allow("mp_dl", M, "data:,x"),
          deny("mp_dl", M, "//evil.example/a.png", IU),
          deny("mp_dl", M, "http://tmp/a.png", IS, note="no local prefix configured"),
      ])

# ---------------------------------------------------------------- the 2 MiB bound on media data: URLs
big = policy(83, mode="report", apps=[app("mp_report", mode="report", control={"media_domains": True})])
BIG_DATA = "data:," + "a" * (MIB2 + 1 - len("data:,"))
assert len(BIG_DATA.encode()) == MIB2 + 1
write("v3-media-over-2mib.json",
      "v3: every URL target over 2 MiB is invalid_url, a media data: URL included, in report mode too",
      [load("ok", policy=big)], [
          deny("mp_report", M, BIG_DATA, IU, reported=False, errno=600009,
               note="2,097,153 bytes: over the bound, in every mode"),
          allow("mp_report", M, "data:,a"),
      ])

# ================================================================ a domain list per kind (§1, §3.3, §3.7)
SERVER = ["https://api.shop.example", "wss://ws.shop.example", "https://both.shop.example"]
ON = {"server_domains": True}
kinds_policy = policy(90, apps=[
    app("mp_split", control=ON, server_domains=SERVER, domains={"upload": ["https://up.shop.example"], "socket": []}),
    app("mp_empty", control=ON, server_domains=SERVER, domains={"request": [], "upload": [], "download": []}),
    app("mp_absent", control=ON, server_domains=SERVER, domains={}),
    app("mp_scheme", control=ON, server_domains=["wss://api.shop.example"], domains={"socket": ["wss://s.example"]}),
    app("mp_ports", control=ON, domains={"request": ["https://p.shop.example:8443", "https://q.shop.example",
                                                     "https://*.w.shop.example:9443"]}),
    app("mp_off", control={"server_domains": False, "webview_domains": True}, domains={"request": ["https://r.example"]},
        webview_domains=["https://h5.shop.example"]),
    app("mp_sockets", control=ON, server_domains=["https://printer.lan.example"], domains={
        "tcp": ["printer.lan.example:9100", "*.iot.example", "bücher.example:7000", "Upper.Example:22",
                "trailing.example.:23"],
        "udp": ["dns.example:53", "*.mdns.example:5353"]}),
    app("mp_sockets_nolist", control=ON, server_domains=["https://printer.lan.example"]),
    app("mp_sockets_empty", control=ON, domains={"tcp": [], "udp": []}),
    app("mp_sockets_off", domains={"tcp": ["a.example:1"]}),
    app("mp_sockets_report", mode="report", control=ON, domains={"tcp": ["printer.lan.example:9100"]}),
])
kinds = [
    allow("mp_split", R, "https://api.shop.example/", note="no request list: server_domains"),
    deny("mp_split", R, "https://up.shop.example/", DNW),
    allow("mp_split", U, "https://up.shop.example/", note="upload's own list replaces server_domains"),
    deny("mp_split", U, "https://api.shop.example/", DNW, message="uploadFile:fail url not in domain list:api.shop.example"),
    allow("mp_split", D, "https://both.shop.example/"),
    deny("mp_split", S, "wss://ws.shop.example/", DNW, note="a present, empty socket list allows nothing",
         message="connectSocket:fail url not in domain list:ws.shop.example"),
    deny("mp_empty", R, "https://api.shop.example/", DNW, note="present and empty"),
    deny("mp_empty", U, "https://api.shop.example/", DNW),
    deny("mp_empty", D, "https://both.shop.example/", DNW),
    allow("mp_empty", S, "wss://ws.shop.example/", note="no socket list: server_domains' wss entries"),
    allow("mp_absent", R, "https://api.shop.example/", note="domains {}: every kind on server_domains"),
    allow("mp_absent", U, "https://both.shop.example/"),
    allow("mp_absent", S, "wss://ws.shop.example/"),
    deny("mp_absent", S, "wss://api.shop.example/", DNW, note="entries of the kind's scheme only"),
    allow("mp_absent", M, "https://api.shop.example/", note="media switch off: allowed"),
    deny("mp_scheme", R, "https://api.shop.example/", DNW, note="server_domains has only wss for that host"),
    allow("mp_scheme", S, "wss://s.example/"),
    deny("mp_scheme", S, "wss://api.shop.example/", DNW, note="the socket list replaces server_domains"),
    allow("mp_ports", R, "https://p.shop.example:8443/"),
    deny("mp_ports", R, "https://p.shop.example/", "port_not_allowed",
         message="request:fail url not in domain list:p.shop.example:443"),
    allow("mp_ports", R, "https://q.shop.example:443/"),
    deny("mp_ports", R, "https://q.shop.example:8443/", "port_not_allowed"),
    allow("mp_ports", R, "https://a.b.w.shop.example:9443/"),
    deny("mp_ports", R, "https://w.shop.example:9443/", DNW),
    deny("mp_ports", U, "https://q.shop.example/", DNW, note="no server_domains: nothing for upload"),
    allow("mp_off", R, "https://anything.example/", note="the switch off: lists do not matter"),
    allow("mp_off", W, "https://h5.shop.example/"),
    deny("mp_off", W, "https://r.example/", DNW, note="webview keeps webview_domains"),
    allow("mp_off", T, "anything.example:22"),
    # Raw sockets against their lists.
    allow("mp_sockets", T, "printer.lan.example:9100", message="createTCPSocket:ok"),
    deny("mp_sockets", T, "printer.lan.example:9101", DNW, errno=600002,
         message="createTCPSocket:fail url not in domain list:printer.lan.example"),
    allow("mp_sockets", T, "PRINTER.lan.example.:9100", note="case and one trailing dot"),
    allow("mp_sockets", T, "a.iot.example:1", note="an entry without a port allows every port"),
    allow("mp_sockets", T, "a.iot.example:65535"),
    allow("mp_sockets", T, "b.a.iot.example:80"),
    deny("mp_sockets", T, "iot.example:80", DNW, note="a wildcard never matches its base"),
    allow("mp_sockets", T, "xn--bcher-kva.example:7000"),
    allow("mp_sockets", T, "bücher.example:7000"),
    deny("mp_sockets", T, "bücher.example:7001", DNW),
    allow("mp_sockets", T, "upper.example:22"),
    allow("mp_sockets", T, "trailing.example:23"),
    allow("mp_sockets", UDP, "dns.example:53", message="createUDPSocket:ok"),
    deny("mp_sockets", T, "dns.example:53", DNW, note="tcp and udp lists are apart"),
    deny("mp_sockets", UDP, "printer.lan.example:9100", DNW),
    allow("mp_sockets", UDP, "x.mdns.example:5353"),
    deny("mp_sockets", UDP, "x.mdns.example:5354", DNW),
    deny("mp_sockets", T, "10.0.0.1:9100", DNW, note="an IP address never matches"),
    deny("mp_sockets", T, "[::1]:9100", DNW),
    deny("mp_sockets", T, "printer.lan.example:0", IU),
    deny("mp_sockets", T, "printer.lan.example:65536", IU),
    deny("mp_sockets", T, "a.internal.superapp.example:9100", "domain_blocked"),
    deny("mp_sockets_nolist", T, "printer.lan.example:443", DNW, note="server_domains does not carry raw sockets"),
    deny("mp_sockets_empty", UDP, "dns.example:53", DNW),
    allow("mp_sockets_off", T, "evil.example:22"),
    deny("mp_sockets_off", T, "openserver.superapp.example:22", "domain_blocked"),
    report("mp_sockets_report", T, "printer.lan.example:22", DNW),
    allow("mp_sockets_report", T, "printer.lan.example:9100"),
    deny("mp_sockets_report", T, "printer.lan.example:0", IU, reported=False),
]
write("v3-domains-per-kind.json",
      "v3 domain lists per kind: own list vs server_domains (absent, empty, {}), schemes, ports, switches, "
      "raw sockets against tcp/udp lists", [load("ok", policy=kinds_policy)], kinds)

# ---------------------------------------------------------------- invalid per-kind lists
D_OK = policy(91, apps=[app("mp_ok", control=ON, domains={
    "tcp": ["*.iot.example", "a.example:65535", "b.example:1", "bücher.example:80", "c.example.:22"],
    "udp": ["dns.example"], "media": ["https://cdn.example:8443"], "socket": ["wss://ws.example"]})])


def d_with(domains, version=92, schema=3, **control):
    return policy(version, schema=schema, apps=[app("mp_x", control=dict(ON, **control), domains=domains)])


dom_loads = [load("ok", policy=D_OK)]
for kind_name, entry in [
    ("socket", "https://ws.example"), ("request", "wss://api.example"), ("upload", "http://api.example"),
    ("download", "https://api.example/files"), ("media", "wss://cdn.example"), ("media", "http://cdn.example"),
    ("media", "https://u@cdn.example"), ("media", "https://10.0.0.1"), ("media", "https://localhost"),
    ("media", "https://*.com"), ("request", "https://a.*.example"), ("request", "https://a.example:0"),
    ("request", "https://a.example:65536"), ("media", "https://cdn.example?x"), ("media", ""),
]:
    dom_loads.append(load("invalid_policy", policy=d_with({kind_name: ["https://ok.example" if kind_name != "socket"
                                                                         else "wss://ok.example", entry]}),
                          message=f"apps[0].domains.{kind_name}[1]"))
for entry in ["a.example:0", "a.example:080", "a.example:+80", "a.example:-1", "a.example:65536", "a.example:",
              "a.example: 80", "a.example:8 0", "[::1]:53", "[::1]", "10.0.0.1:53", "10.0.0.1", "0x7f.1:80",
              "localhost:80", "LOCALHOST", "api.localhost:1", "a%2eexample:80", "%61.example",
              "https://a.example", "a.example/x", "u@a.example:80", "*.com:80", "*:80", "a.*.example", "",
              " a.example", "a.example:80:81", "*.localhost", "a.example:８０"]:
    dom_loads.append(load("invalid_policy", policy=d_with({"tcp": ["ok.example", entry]}),
                          message="apps[0].domains.tcp[1]"))
dom_loads += [
    load("invalid_policy", policy=policy(92, apps=[app("mp_x", server_domains=["https://a.example:0"])]),
         message="apps[0].server_domains[0]", note="in every list an explicit port is 1-65535"),
    load("invalid_policy", policy=policy(92, apps=[app("mp_x", webview_domains=["https://a.example:0"])]),
         message="apps[0].webview_domains[0]"),
    load("invalid_policy", policy=d_with({"udp": ["dns.example:053"]}), message="apps[0].domains.udp[0]"),
    load("invalid_policy", policy=d_with({"udp": [53]}), message="domains"),
    load("invalid_policy", policy=d_with({"webview": ["https://h5.example"]}), message="domains",
         note="webview has no list in domains"),
    load("invalid_policy", policy=d_with({"ftp": []}), message="domains"),
    load("invalid_policy", policy=d_with({"tcp": "a.example:80"}), message="domains"),
    load("invalid_policy", policy=d_with(["https://a.example"]), message="domains"),
    load("invalid_policy", policy=d_with({"media": ["https://cdn.example"]}, schema=2), message="domains",
         note="a v3 field in a schema 2 document"),
    load("invalid_policy", policy=policy(92, schema=2, apps=[app("mp_x", control={"media_domains": True})]),
         message="media_domains"),
    load("invalid_policy", policy=d_with({}, media_domains="yes"), message="media_domains"),
]
write("v3-domains-invalid.json",
      "v3 per-kind lists at load: schemes per kind, ports 1-65535, raw-socket entries as host patterns with a "
      "canonical decimal port, and nothing else", dom_loads, [
          allow("mp_ok", T, "x.iot.example:7"),
          allow("mp_ok", T, "c.example:22"),
          allow("mp_ok", UDP, "dns.example:5353"),
          deny("mp_x", T, "a.example:1", "unknown_app", note="no refused document was put in force"),
      ])

# ================================================================ report mode hardening (§3)
rep_policy = policy(100, mode="report", apps=[
    app("mp_app", control=FULL, server_domains=["https://api.shop.example", "wss://ws.shop.example"],
        domains={"tcp": ["printer.lan.example:9100"]}),
    app("mp_gone", removed=True),
])
DB = "domain_blocked"
rep = [
    # An unknown app: reportable, so still parsed and compared with blocked_hosts.
    report("mp_nobody", R, "https://evil.example/", "unknown_app", errno=1, message="request:fail unknown app"),
    deny("mp_nobody", R, "https://openserver.superapp.example/", DB, reported=False, errno=600002,
         message="request:fail url in blocked domain list:openserver.superapp.example"),
    deny("mp_nobody", R, "https://x.internal.superapp.example:8443/", DB),
    deny("mp_nobody", R, "https://a%2Einternal.superapp.example/", DB, note="the parser decodes %2E"),
    deny("mp_nobody", R, "https://OPENSERVER.superapp.example./", DB),
    deny("mp_nobody", R, "http://openserver.superapp.example/", DB, note="blocked whatever the scheme"),
    deny("mp_nobody", R, "not a url", IU, reported=False, errno=600009, message="request:fail invalid url"),
    deny("mp_nobody", R, "https://exa mple.example/", IU),
    deny("mp_nobody", R, "https://u:p@evil.example/", IU, note="rule 3: userinfo is invalid_url"),
    deny("mp_nobody", R, "https://evil.example@openserver.superapp.example/", IU),
    deny("mp_nobody", U, "https://[::1/", IU),
    deny("mp_nobody", W, "https://x.internal.superapp.example/", DB),
    deny("mp_nobody", S, "wss://openserver.superapp.example/", DB),
    report("mp_nobody", S, "wss://evil.example/", "unknown_app"),
    deny("mp_nobody", D, "https://％６１dmin.internal.superapp.example/", IU),
    deny("mp_nobody", T, "openserver.superapp.example:443", DB),
    deny("mp_nobody", UDP, "evil.example:0", IU),
    deny("mp_nobody", T, "exa mple.example:80", IU),
    report("mp_nobody", T, "evil.example:443", "unknown_app", message="createTCPSocket:fail unknown app"),
    deny("mp_nobody", M, "//evil.example/a.png", IU),
    deny("mp_nobody", M, "https://openserver.superapp.example/a.png", DB),
    deny("mp_nobody", M, "http://u@evil.example/a.png", IU),
    report("mp_nobody", M, "/images/a.png", "unknown_app", note="local: not parsed as a URL"),
    report("mp_nobody", M, "data:,x", "unknown_app"),
    report("mp_nobody", M, "https://evil.example/a.png", "unknown_app"),
    report("mp_nobody", "api", "getLocation", "unknown_app", errno=1),
    # A known app in report mode: insecure_scheme is reportable, blocked hosts are not.
    report("mp_app", R, "http://evil.example/", IS, errno=600009, message="request:fail url scheme not allowed"),
    report("mp_app", R, "javascript:alert(1)", IS),
    deny("mp_app", R, "http://openserver.superapp.example/", DB, reported=False),
    deny("mp_app", R, "ws://openserver.superapp.example/", DB),
    deny("mp_app", S, "https://openserver.superapp.example/", DB, note="the wrong scheme for a socket, and blocked"),
    deny("mp_app", W, "http://a.internal.superapp.example/", DB),
    report("mp_app", R, "http://10.0.0.1/", IS),
    deny("mp_app", R, "https://u@api.shop.example/", IU, reported=False),
    deny("mp_app", R, "https://exa mple.example/", IU),
    report("mp_app", R, "https://evil.example/", DNW),
    report("mp_app", T, "evil.example:22", DNW),
    deny("mp_app", T, "printer.lan.example:0", IU),
    deny("mp_app", T, "x.internal.superapp.example:9100", DB),
    deny("mp_gone", R, "https://api.shop.example/", "app_removed", reported=False),
    deny("mp_gone", M, "data:,x", "app_removed"),
    deny("mp_app", R, "https://evil.example/", "no_policy", now=NOW + 30 * DAY, note="no policy, no mode"),
]
write("v3-report-hardening.json",
      "v3 report mode: invalid_url denied in every mode, and a reportable first denial (unknown_app, "
      "insecure_scheme) still parses the target and checks blocked hosts", [load("ok", policy=rep_policy)], rep)

# ================================================================ errno 102 and the exact messages (§3.4)
msg_policy = policy(110, schema=2, apps=[
    app("mp_a", control={"apis": True}, api_whitelist=["openWallet"], granted_apis=[]),
], sensitive_apis=[{"name": "getLocation", "status": "restricted", "scope": "all", "type": "system"},
                   {"name": "openWallet", "status": "restricted", "scope": "all", "type": "custom"}],
    builtin_apis=["getLocation", "showToast"])
write("v3-errno-102.json", "v3 (every schema): both permission denials carry errno 102 and WeChat's messages",
      [load("ok", policy=msg_policy)], [
          deny("mp_a", "api", "getLocation", PNG, errno=102, message="getLocation:fail jsapi has no permission"),
          deny("mp_a", "api", "openWallet", PNG, errno=102, message="openWallet:fail jsapi has no permission"),
          deny("mp_a", "api", "chooseImage", "api_not_whitelisted", errno=102,
               message="chooseImage:fail api not in whitelist"),
          deny("mp_a", "api", "", "api_not_whitelisted", errno=102, message=":fail api not in whitelist"),
          allow("mp_a", "api", "showToast", message="showToast:ok"),
          deny("mp_b", "api", "getLocation", "unknown_app", errno=1, message="getLocation:fail unknown app"),
      ])

total = sum(n for _, n in WRITTEN)
print(f"wrote {len(WRITTEN)} v3 files, {total} loads and cases, to", HERE)
