#!/usr/bin/env python3
"""Writes the project's own contract-v2 decision vectors (tests/vectors/project/v2-*.json).

As in generate.py, every expectation is written by hand from docs/policy.md
(contract v2), never computed by the guard. Bundles that must be given verbatim
(key and algorithm confusion, non-canonical or small-order signatures, tampered
headers) are signed here: HS256 with Python's hmac, EdDSA with the RFC 8032
reference arithmetic below (no dependency), which also cross-checks the Rust
signer (a bundle signed here must load). Run it from anywhere.
"""
import base64
import copy
import hashlib
import hmac
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "k3yK3yk3yK3yk3y1"
NOW = 1795305600
DAY = 86400
SHA = "6a2d00fa6fe7fd1c560b60534644c0b1eedab8bfd7cc940351d37899e84dc80a"
OTHER_SHA = "31c0c1e8c535d73e76ca59a8f626c6d88d612de5a5efd294cd97beb5328cf4c0"

R, U, D, S, W = "request", "upload", "download", "socket", "webview"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


from ed25519_ref import (BASE, D_CURVE, L, P, SQRT_M1, _add, _compress, _expand, _h, _mul,  # noqa: F401
                         _recover_x, ed_public, ed_sign, sig_bytes)


# Two signing keys of the files: fixed seeds, so the files are stable.
SEED_A = hashlib.sha256(b"miniprogram-guard v2 key a").digest()
SEED_B = hashlib.sha256(b"miniprogram-guard v2 key b").digest()
KID_A, KID_B = "k-2026-12", "k-2027-03"


def jwk(kid, seed):
    return {"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": b64(ed_public(seed)), "d": b64(seed)}


KEYS = [jwk(KID_A, SEED_A), jwk(KID_B, SEED_B)]


def signing_input(header, payload) -> str:
    h = header if isinstance(header, str) else compact(header)
    p = payload if isinstance(payload, str) else compact(payload)
    return b64(h.encode()) + "." + b64(p.encode())


def hs256(payload, secret=SECRET, header=None, raw_header=None, key_bytes=None):
    si = signing_input(raw_header or header or {"alg": "HS256", "typ": "JWT"}, payload)
    key = key_bytes if key_bytes is not None else secret.encode()
    return si + "." + b64(hmac.new(key, si.encode(), hashlib.sha256).digest())


def eddsa(payload, seed=SEED_A, kid=KID_A, header=None, raw_header=None, tweak=None):
    si = signing_input(raw_header or header or {"alg": "EdDSA", "kid": kid}, payload)
    Rb, s = ed_sign(seed, si.encode())
    sig = tweak(Rb, s) if tweak else sig_bytes(Rb, s)
    return si + "." + b64(sig)


# ---------------------------------------------------------------- the v2 policy
FULL = {"server_domains": True, "apis": True, "webview_domains": True}
RELEASE = {"version": "1.4.2", "package_sha256": SHA}
SERVER = ["https://api.shop.example", "https://openserver.superapp.example", "wss://ws.shop.example",
          "https://*.img.shop.example", "https://*.superapp.example", "https://cdn.shop.example:8443"]


def app(app_id, **kw):
    a = {"app_id": app_id, "kind": "mini_program"}
    a.update(kw)
    return a


def shop(app_id, **kw):
    return app(app_id, control=FULL, server_domains=list(SERVER), webview_domains=["https://h5.shop.example"],
               granted_apis=["getLocation"], **kw)


def policy(version=20, mode="enforce", **extra):
    p = {
        "schema": 2,
        "superapp_id": "demo-superapp",
        "version": version,
        "issued_at": NOW - 3600,
        "expires_at": NOW + 30 * DAY,
        "mode": mode,
        "blocked_hosts": ["openserver.superapp.example", "*.internal.superapp.example", "bücher.example",
                          "*.deep.a.b.example", "Trailing.Example.", "OPS.SuperApp.Example"],
        "sensitive_apis": [
            {"name": "getLocation", "status": "restricted", "scope": "all", "type": "system"},
            {"name": "chooseImage", "status": "restricted", "scope": "all", "type": "system"},
        ],
        "apps": [
            shop("mp_shop", release=dict(RELEASE)),
            app("mp_open"),
            shop("mp_trial", mode="report"),
            shop("mp_gone", release=dict(RELEASE), removed=True),
            shop("mp_gone_report", release=dict(RELEASE), removed=True, mode="report"),
            shop("mp_strict", release=dict(RELEASE), mode="enforce"),
            app("mp_kept", removed=False, release={"version": "2.0.0-β", "package_sha256": SHA.upper()}),
        ],
    }
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


def launch(version, sha=SHA):
    return {"version": version, "package_sha256": sha}


def write(name, description, loads, cases, now=NOW, keys=None):
    doc = {"description": description, "secret": SECRET}
    if keys is not None:
        doc["keys"] = keys
    doc.update({"now": now, "loads": loads, "cases": cases})
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")


def ok(p=None):
    return {"policy": p or policy(), "expect": "ok"}


BLOCKED_MSG = "request:fail url in blocked domain list:"

# ---------------------------------------------------------------- blocked hosts (§3.3 rule 4a, §3.7)
blocked = []
for kind, label in [(R, "request"), (U, "uploadFile"), (D, "downloadFile"), (W, "web-view")]:
    blocked.append(deny("mp_open", kind, "https://openserver.superapp.example/x", "domain_blocked", errno=600002,
                        message=f"{label}:fail url in blocked domain list:openserver.superapp.example"))
    blocked.append(deny("mp_shop", kind, "https://a.internal.superapp.example/", "domain_blocked",
                        note="blocked whatever the list says (mp_shop has *.superapp.example)"))
blocked += [
    deny("mp_open", S, "wss://openserver.superapp.example/", "domain_blocked",
         message="connectSocket:fail url in blocked domain list:openserver.superapp.example"),
    deny("mp_shop", S, "wss://openserver.superapp.example:9443/", "domain_blocked"),
    deny("mp_open", R, "https://OpenServer.SuperApp.Example/", "domain_blocked",
         message=BLOCKED_MSG + "openserver.superapp.example"),
    deny("mp_open", R, "https://openserver.superapp.example./", "domain_blocked",
         message=BLOCKED_MSG + "openserver.superapp.example.", note="one trailing dot ignored"),
    allow("mp_open", R, "https://openserver.superapp.example../",
          note="two trailing dots are another host, not blocked (switch off)"),
    deny("mp_open", R, "https://openserver.superapp.example:8443/", "domain_blocked", note="every port"),
    deny("mp_open", R, "https://openserver.superapp.example:443/", "domain_blocked"),
    deny("mp_open", R, "https://openserver.superapp.example:1/", "domain_blocked"),
    deny("mp_open", R, "https://openserver%2Esuperapp.example/", "domain_blocked",
         note="the parser decodes %2E before the host is compared"),
    deny("mp_open", R, "https://openserver.superapp.example\\@api.shop.example/", "domain_blocked",
         note="a backslash ends the authority: the host is openserver"),
    deny("mp_open", R, "https://api.shop.example@openserver.superapp.example/", "invalid_url",
         note="userinfo: rule 3 comes before rule 4a"),
    deny("mp_open", R, "http://openserver.superapp.example/", "insecure_scheme", note="rule 4 before rule 4a"),
    deny("mp_open", R, "https://a.b.c.internal.superapp.example/", "domain_blocked", note="any depth"),
    allow("mp_open", R, "https://internal.superapp.example/", note="a wildcard never blocks its own base"),
    allow("mp_open", R, "https://xinternal.superapp.example/", note="suffix at a label boundary only"),
    allow("mp_shop", R, "https://internal.superapp.example/", note="mp_shop's *.superapp.example allows it"),
    deny("mp_shop", R, "https://openserver.superapp.example/", "domain_blocked",
         note="listed exactly by the app, still blocked"),
    allow("mp_shop", R, "https://pay.superapp.example/"),
    deny("mp_open", R, "https://bücher.example/", "domain_blocked", message=BLOCKED_MSG + "xn--bcher-kva.example"),
    deny("mp_open", R, "https://BÜCHER.example/", "domain_blocked"),
    deny("mp_open", R, "https://xn--bcher-kva.example/", "domain_blocked", note="punycode of a unicode pattern"),
    allow("mp_open", R, "https://sub.bücher.example/", note="an exact pattern does not cover subdomains"),
    allow("mp_open", R, "https://deep.a.b.example/"),
    deny("mp_open", R, "https://x.deep.a.b.example/", "domain_blocked"),
    deny("mp_open", R, "https://y.x.deep.a.b.example/", "domain_blocked"),
    allow("mp_open", R, "https://a.b.example/"),
    deny("mp_open", R, "https://trailing.example/", "domain_blocked", note="pattern written with a trailing dot"),
    deny("mp_open", R, "https://ops.superapp.example/", "domain_blocked", note="pattern written in upper case"),
    allow("mp_open", R, "https://10.0.0.1/", note="an IP address never matches a pattern"),
    deny("mp_trial", R, "https://openserver.superapp.example/", "domain_blocked", reported=False,
         note="report mode never lets a blocked host through"),
    report("mp_trial", R, "https://evil.example/", "domain_not_whitelisted"),
    deny("mp_gone", R, "https://openserver.superapp.example/", "app_removed", note="rule 2a before rule 4a"),
    deny("mp_open", "tcp", "openserver.superapp.example:443", "domain_blocked", errno=600002,
         message="createTCPSocket:fail url in blocked domain list:openserver.superapp.example"),
    deny("mp_open", "tcp", "OpenServer.SuperApp.Example.:1", "domain_blocked"),
    deny("mp_open", "udp", "x.internal.superapp.example:53", "domain_blocked",
         message="createUDPSocket:fail url in blocked domain list:x.internal.superapp.example"),
    deny("mp_trial", "udp", "bücher.example:53", "domain_blocked", reported=False),
    allow("mp_open", "tcp", "internal.superapp.example:443"),
]
write("v2-blocked-hosts-hostile.json", "v2 blocked hosts: case, trailing dots, IDN, wildcard depth, every kind and port, "
      "rule order, report mode", [ok()], blocked, keys=KEYS)

# ---------------------------------------------------------------- removed apps, releases (§3.1 rule 2a, §3.5)
rel = [
    allow("mp_shop", "launch", launch("1.4.2"), message="launch:ok"),
    allow("mp_shop", "launch", launch("1.4.2", SHA.upper()), note="digest case does not matter"),
    allow("mp_shop", "launch", launch("1.4.2", SHA[:32].upper() + SHA[32:])),
    deny("mp_shop", "launch", launch("1.4.2", SHA[:-1]), "version_not_released", errno=1,
         message="launch:fail version not released", note="63 digits"),
    deny("mp_shop", "launch", launch("1.4.2", SHA + "0"), "version_not_released", note="65 digits"),
    deny("mp_shop", "launch", launch("1.4.2", "0x" + SHA[2:]), "version_not_released"),
    deny("mp_shop", "launch", launch("1.4.2", " " + SHA), "version_not_released"),
    deny("mp_shop", "launch", launch("1.4.2", SHA + "\n"), "version_not_released"),
    deny("mp_shop", "launch", launch("1.4.2", SHA[:-1] + "g"), "version_not_released"),
    deny("mp_shop", "launch", launch("1.4.2", ""), "version_not_released"),
    deny("mp_shop", "launch", launch("1.4.2", OTHER_SHA), "version_not_released"),
    deny("mp_shop", "launch", launch(" 1.4.2"), "version_not_released", note="versions compare exactly"),
    deny("mp_shop", "launch", launch("1.4.2 "), "version_not_released"),
    deny("mp_shop", "launch", launch("1.4.2\n"), "version_not_released"),
    deny("mp_shop", "launch", launch("1.4.2\t"), "version_not_released"),
    deny("mp_shop", "launch", launch("v1.4.2"), "version_not_released"),
    deny("mp_shop", "launch", launch("1.4.02"), "version_not_released"),
    deny("mp_shop", "launch", launch("1.4.2.0"), "version_not_released"),
    deny("mp_shop", "launch", launch("1.4.1", OTHER_SHA), "version_not_released"),
    deny("mp_shop", "launch", launch(""), "version_not_released"),
    allow("mp_kept", "launch", launch("2.0.0-β", SHA), note="released digest written in upper case"),
    deny("mp_kept", "launch", launch("2.0.0-Β", SHA), "version_not_released", note="case-sensitive versions"),
    deny("mp_open", "launch", launch("1.0.0"), "version_not_released", note="no release: nothing launches"),
    report("mp_trial", "launch", launch("1.4.2"), "version_not_released",
           note="report mode reports an unreleased launch"),
    deny("mp_nobody", "launch", launch("1.4.2"), "unknown_app", message="launch:fail unknown app"),
    deny("mp_gone", "launch", launch("1.4.2"), "app_removed", errno=1, message="launch:fail app removed"),
    deny("mp_gone", "api", "showToast", "app_removed", message="showToast:fail app removed"),
    deny("mp_gone", "api", "getLocation", "app_removed", note="even a granted API"),
    deny("mp_gone", R, "https://api.shop.example/", "app_removed", message="request:fail app removed"),
    deny("mp_gone", U, "https://api.shop.example/", "app_removed", message="uploadFile:fail app removed"),
    deny("mp_gone", D, "https://api.shop.example/", "app_removed"),
    deny("mp_gone", S, "wss://ws.shop.example/", "app_removed", message="connectSocket:fail app removed"),
    deny("mp_gone", W, "https://h5.shop.example/", "app_removed", message="web-view:fail app removed"),
    deny("mp_gone", R, "not a url", "app_removed", note="rule 2a before the URL rules"),
    deny("mp_gone", "tcp", "printer.lan.example:9100", "app_removed", message="createTCPSocket:fail app removed"),
    deny("mp_gone", "udp", "evil.example:0", "app_removed", note="rule 2a before the target is judged"),
    deny("mp_gone_report", "api", "showToast", "app_removed", reported=False),
    deny("mp_gone_report", R, "https://evil.example/", "app_removed", reported=False),
    deny("mp_gone_report", "launch", launch("1.4.2"), "app_removed"),
    allow("mp_kept", "api", "showToast", note="removed: false is the default"),
    deny("mp_shop", "launch", launch("1.4.2"), "no_policy", now=NOW + 31 * DAY,
         message="launch:fail no valid permission policy"),
]
write("v2-releases-hostile.json", "v2 releases and removal: exact versions, digests in other case or length, "
      "removed apps deny every kind in every mode", [ok()], rel, keys=KEYS)

# ---------------------------------------------------------------- raw sockets (§3.7)
T, UDP = "tcp", "udp"
sock = [
    allow("mp_open", T, "printer.lan.example:9100", message="createTCPSocket:ok"),
    allow("mp_open", UDP, "printer.lan.example:9100", message="createUDPSocket:ok"),
    allow("mp_open", T, "Printer.LAN.Example:9100"),
    allow("mp_open", UDP, "192.168.1.20:5353"),
    allow("mp_open", T, "[::1]:53", note="IPv6 in brackets"),
    allow("mp_open", UDP, "[2001:db8::1]:443"),
    allow("mp_open", T, "localhost:8080", note="a valid host; only the lists refuse localhost"),
    allow("mp_open", T, "0x7f.1:80", note="an IPv4 form the parser normalises"),
    allow("mp_open", T, "bücher.example.org:1", note="IDN host"),
    allow("mp_open", T, "evil.example:1"),
    allow("mp_open", T, "evil.example:65535"),
    deny("mp_open", T, "evil.example:0", "invalid_url", errno=600009, message="createTCPSocket:fail invalid url"),
    deny("mp_open", UDP, "evil.example:0", "invalid_url", message="createUDPSocket:fail invalid url"),
    deny("mp_open", T, "evil.example:65536", "invalid_url"),
    deny("mp_open", T, "evil.example:70000", "invalid_url"),
    deny("mp_open", T, "evil.example:4294967296", "invalid_url"),
    deny("mp_open", T, "evil.example", "invalid_url", note="no port"),
    deny("mp_open", T, "evil.example:", "invalid_url"),
    deny("mp_open", T, "evil.example:-1", "invalid_url"),
    deny("mp_open", T, "evil.example:+80", "invalid_url"),
    deny("mp_open", T, "evil.example:80x", "invalid_url"),
    deny("mp_open", T, "evil.example: 80", "invalid_url"),
    deny("mp_open", T, "::1:53", "invalid_url", note="IPv6 without brackets is not a host"),
    deny("mp_open", T, "[::1]", "invalid_url", note="no port"),
    deny("mp_open", T, "[::1:53", "invalid_url"),
    deny("mp_open", T, ":80", "invalid_url", note="empty host"),
    deny("mp_open", T, "exa mple.example:80", "invalid_url"),
    deny("mp_open", T, "evil.example/x:80", "invalid_url", note="a path is not part of a host"),
    deny("mp_open", T, "user@evil.example:80", "invalid_url"),
    deny("mp_open", T, "https://evil.example:443", "invalid_url", note="a URL is not a host"),
    deny("mp_open", UDP, "1.2.3.256:53", "invalid_url", note="an invalid IPv4 address"),
    deny("mp_shop", T, "api.shop.example:443", "domain_not_whitelisted", errno=600002,
         message="createTCPSocket:fail url not in domain list:api.shop.example",
         note="no list carries raw sockets"),
    deny("mp_shop", UDP, "API.Shop.Example:53", "domain_not_whitelisted",
         message="createUDPSocket:fail url not in domain list:api.shop.example"),
    deny("mp_shop", T, "10.0.0.1:22", "domain_not_whitelisted", message="createTCPSocket:fail url not in domain list:10.0.0.1"),
    deny("mp_shop", UDP, "[::1]:53", "domain_not_whitelisted", message="createUDPSocket:fail url not in domain list:[::1]"),
    deny("mp_shop", T, "api.shop.example:0", "invalid_url", note="the target is judged before the switch"),
    report("mp_trial", T, "evil.example:443", "domain_not_whitelisted"),
    deny("mp_trial", T, "evil.example:0", "invalid_url", reported=False,
         note="Contract v3: invalid_url is denied in every mode, report mode included."),
    deny("mp_nobody", T, "evil.example:443", "unknown_app", message="createTCPSocket:fail unknown app"),
]
write("v2-raw-sockets-hostile.json", "v2 raw sockets: hosts that are IPs or invalid, ports 0 and 65536, "
      "the switch, report mode", [ok()], sock, keys=KEYS)

# ---------------------------------------------------------------- per-app mode
mode_cases = [
    report("mp_trial", "api", "chooseImage", "permission_not_granted"),
    report("mp_trial", W, "https://evil.example/", "domain_not_whitelisted"),
    deny("mp_trial", R, "not a url", "invalid_url", reported=False,
         note="Contract v3: invalid_url is denied in every mode, report mode included."),
    report("mp_trial", R, "https://cdn.shop.example/", "port_not_allowed"),
    deny("mp_strict", "api", "chooseImage", "permission_not_granted", reported=False),
    deny("mp_shop", "api", "chooseImage", "permission_not_granted", note="the policy's mode: enforce"),
    deny("mp_nobody", "api", "showToast", "unknown_app", note="an unknown app has only the policy's mode"),
    report("mp_trial", "api", "chooseImage", "permission_not_granted", now=NOW + 1),
]
mode_report = policy(version=21, mode="report")
mode_cases2 = [
    report("mp_shop", "api", "chooseImage", "permission_not_granted", note="the policy's mode: report"),
    deny("mp_strict", "api", "chooseImage", "permission_not_granted", reported=False,
         note="an app's enforce overrides the policy's report"),
    deny("mp_strict", R, "https://evil.example/", "domain_not_whitelisted"),
    report("mp_nobody", "api", "showToast", "unknown_app", errno=1),
    deny("mp_gone", "api", "showToast", "app_removed"),
    deny("mp_shop", R, "https://openserver.superapp.example/", "domain_blocked"),
    report("mp_open", "launch", launch("1.0.0"), "version_not_released"),
]
write("v2-app-mode-enforce-policy.json", "v2 per-app mode under an enforcing policy", [ok()], mode_cases, keys=KEYS)
write("v2-app-mode-report-policy.json", "v2 per-app mode under a report-mode policy", [ok(mode_report)], mode_cases2,
      keys=KEYS)

# ---------------------------------------------------------------- invalid v2 policies (§1)
def with_apps(*apps, **top):
    p = policy(version=30)
    p["apps"] = list(apps)
    p.update(top)
    return p


def v1(**top):
    p = policy(version=30)
    p["schema"] = 1
    del p["blocked_hosts"]
    p["apps"] = [app("mp_x")]
    p.update(top)
    return p


invalid = [
    {"policy": v1(blocked_hosts=["a.example"]), "expect": "invalid_policy", "message": "blocked_hosts"},
    {"policy": v1(blocked_hosts=[]), "expect": "invalid_policy", "message": "blocked_hosts"},
    {"policy": v1(apps=[app("mp_x", mode="report")]), "expect": "invalid_policy", "message": "apps[0].mode"},
    {"policy": v1(apps=[app("mp_x", release=dict(RELEASE))]), "expect": "invalid_policy",
     "message": "apps[0].release"},
    {"policy": v1(apps=[app("mp_x", removed=False)]), "expect": "invalid_policy", "message": "apps[0].removed"},
    {"policy": with_apps(app("mp_x"), schema=4), "expect": "invalid_policy", "message": "schema"},
    {"policy": with_apps(app("mp_x"), schema=0), "expect": "invalid_policy", "message": "schema"},
    {"policy": with_apps(app("mp_x"), schema=2.0), "expect": "invalid_policy", "message": "schema"},
    {"policy": with_apps(app("mp_x"), schema="2"), "expect": "invalid_policy", "message": "schema"},
]
bad_patterns = ["https://a.example", "a.example:443", "a.example/", "a.example/x", "a.example?q", "a.example#f",
                "u@a.example", "10.0.0.1", "0x7f.1", "[::1]", "localhost", "LOCALHOST.", "api.localhost",
                "*.localhost", "*.com", "*", "a.*.example", "*a.example", "*.*.example", "", " a.example",
                "a .example", "a..example", "a.example..", "a.example\\x", "*."]
for pattern in bad_patterns:
    invalid.append({"policy": with_apps(app("mp_x"), blocked_hosts=["ok.example", pattern]),
                    "expect": "invalid_policy", "message": "blocked_hosts[1]"})
invalid += [
    {"policy": with_apps(app("mp_x"), blocked_hosts="a.example"), "expect": "invalid_policy",
     "message": "blocked_hosts"},
    {"policy": with_apps(app("mp_x"), blocked_hosts=["a%zz.example"]), "expect": "invalid_policy",
     "message": "blocked_hosts[0]"},
]
bad_releases = [
    ({"version": "1.0", "package_sha256": SHA[:-1]}, "package_sha256"),
    ({"version": "1.0", "package_sha256": SHA + "a"}, "package_sha256"),
    ({"version": "1.0", "package_sha256": SHA[:-1] + "g"}, "package_sha256"),
    ({"version": "1.0", "package_sha256": " " + SHA[1:]}, "package_sha256"),
    ({"version": "1.0", "package_sha256": ""}, "package_sha256"),
    ({"version": "1.0", "package_sha256": base64.b64encode(bytes.fromhex(SHA)).decode()}, "package_sha256"),
    ({"version": "", "package_sha256": SHA}, "version"),
    ({"version": "1.0 beta", "package_sha256": SHA}, "version"),
    ({"version": " 1.0", "package_sha256": SHA}, "version"),
    ({"version": "1.0\t", "package_sha256": SHA}, "version"),
    ({"version": "1.0\u00a0", "package_sha256": SHA}, "version"),
    ({"version": "1.0\u0000", "package_sha256": SHA}, "version"),
    ({"version": "1" * 65, "package_sha256": SHA}, "version"),
    ({"version": "1.0"}, "missing field `package_sha256`"),
    ({"package_sha256": SHA}, "missing field `version`"),
    ({"version": "1.0", "package_sha256": SHA, "channel": "beta"}, "channel"),
    ({"version": 1, "package_sha256": SHA}, "version"),
]
for release, field in bad_releases:
    invalid.append({"policy": with_apps(app("mp_x", release=release)), "expect": "invalid_policy",
                    "message": field if " " in field or field == "channel" else f"apps[0].release.{field}"})
invalid += [
    {"policy": with_apps(app("mp_x", mode="audit")), "expect": "invalid_policy", "message": "apps[0].mode"},
    {"policy": with_apps(app("mp_x", mode="Report")), "expect": "invalid_policy", "message": "apps[0].mode"},
    {"policy": with_apps(app("mp_x", removed="yes")), "expect": "invalid_policy", "message": "apps[0].removed"},
    {"policy": with_apps(app("mp_x", removed=1)), "expect": "invalid_policy", "message": "apps[0].removed"},
    {"policy": with_apps(app("mp_x", release=None)), "expect": "ok", "note": "null: no release"},
]
write("v2-invalid-policies.json", "v2 load-time validation: v2 fields in schema 1, schemas, blocked host patterns, "
      "releases, modes", [ok()] + invalid, [
          deny("mp_shop", "launch", launch("1.4.2"), "unknown_app", note="the last load (version 30) is in force"),
          deny("mp_x", "launch", launch("1.4.2"), "version_not_released"),
          deny("mp_x", "api", "getLocation", "permission_not_granted"),
      ], keys=KEYS)

# ---------------------------------------------------------------- EdDSA, keys and algorithm confusion (§2)
X_A = unb64(KEYS[0]["x"])
p21, p22 = policy(version=21), policy(version=22)
p21["apps"][1]["control"] = {"apis": True}
eddsa_loads = [
    {"policy": policy(version=20), "sign_with": KID_A, "expect": "ok"},
    {"bundle": eddsa(p21), "expect": "ok", "note": "signed by this generator: Python and Rust agree"},
    {"bundle": eddsa(p21), "expect": "ok", "note": "the same bytes again"},
    {"bundle": eddsa(p21, seed=SEED_B, kid=KID_B), "expect": "stale_version",
     "note": "the same version signed by another key: other bytes"},
    # Key confusion: the Ed25519 public key used as an HMAC secret.
    {"bundle": hs256(p22, header={"alg": "HS256", "kid": KID_A}, key_bytes=X_A), "expect": "bad_signature",
     "note": "HS256 keyed by the public key's bytes, kid naming it"},
    {"bundle": hs256(p22, header={"alg": "HS256", "kid": KID_A}, key_bytes=KEYS[0]["x"].encode()),
     "expect": "bad_signature", "note": "HS256 keyed by the JWK's x text"},
    {"bundle": hs256(p22, header={"alg": "HS256"}, key_bytes=X_A), "expect": "bad_signature"},
    {"bundle": hs256(p22, header={"alg": "HS256", "kid": KID_A}, key_bytes=json.dumps(KEYS[0]).encode()),
     "expect": "bad_signature", "note": "keyed by the whole JWK"},
    # Algorithm names compared exactly.
    {"bundle": eddsa(p22, header={"alg": "eddsa", "kid": KID_A}), "expect": "unsupported_alg"},
    {"bundle": eddsa(p22, header={"alg": "EDDSA", "kid": KID_A}), "expect": "unsupported_alg"},
    {"bundle": eddsa(p22, header={"alg": "ED25519", "kid": KID_A}), "expect": "unsupported_alg"},
    {"bundle": eddsa(p22, header={"alg": "Ed25519", "kid": KID_A}), "expect": "unsupported_alg"},
    {"bundle": eddsa(p22, header={"alg": "EdDSA ", "kid": KID_A}), "expect": "unsupported_alg"},
    {"bundle": eddsa(p22, header={"alg": "ES256", "kid": KID_A}), "expect": "unsupported_alg"},
    {"bundle": eddsa(p22, header={"alg": "none", "kid": KID_A}), "expect": "unsupported_alg"},
    {"bundle": eddsa(p22, header={"kid": KID_A}), "expect": "unsupported_alg"},
    # Key ids compared exactly; missing or unknown is unknown_key.
    {"bundle": eddsa(p22, header={"alg": "EdDSA", "kid": KID_A.upper()}), "expect": "unknown_key"},
    {"bundle": eddsa(p22, header={"alg": "EdDSA", "kid": " " + KID_A}), "expect": "unknown_key"},
    {"bundle": eddsa(p22, header={"alg": "EdDSA", "kid": KID_A + "\u0000"}), "expect": "unknown_key"},
    {"bundle": eddsa(p22, header={"alg": "EdDSA", "kid": ""}), "expect": "unknown_key"},
    {"bundle": eddsa(p22, header={"alg": "EdDSA", "kid": None}), "expect": "unknown_key"},
    {"bundle": eddsa(p22, header={"alg": "EdDSA", "kid": 5}), "expect": "unknown_key"},
    {"bundle": eddsa(p22, header={"alg": "EdDSA", "kid": [KID_A]}), "expect": "unknown_key"},
    {"bundle": eddsa(p22, header={"alg": "EdDSA"}), "expect": "unknown_key", "message": "kid"},
    {"bundle": eddsa(p22, header={"alg": "EdDSA", "kid": "rogue"}), "expect": "unknown_key", "message": "rogue"},
    {"bundle": eddsa(p22, header={"alg": "EdDSA", "kid": KID_B}), "expect": "bad_signature",
     "note": "signed by key a, naming key b"},
    {"bundle": eddsa(p22, raw_header='{"alg":"EdDSA","kid":"rogue","kid":"%s"}' % KID_A),
     "expect": "malformed_bundle", "note": "duplicate kid"},
    {"bundle": eddsa(p22, header={"alg": "EdDSA", "kid": KID_A, "crit": ["b64"], "b64": False}),
     "expect": "malformed_bundle"},
    # Signatures: strict verification.
    {"bundle": eddsa(p22, tweak=lambda Rb, s: sig_bytes(Rb, s + L)), "expect": "bad_signature",
     "note": "non-canonical S (S + L), accepted by lax verifiers"},
    {"bundle": eddsa(p22, tweak=lambda Rb, s: sig_bytes(Rb, s + 2 * L)), "expect": "bad_signature"},
    {"bundle": eddsa(p22, tweak=lambda Rb, s: int.to_bytes(1, 32, "little") + bytes(32)), "expect": "bad_signature",
     "note": "small-order R (the identity) and S = 0"},
    {"bundle": eddsa(p22, tweak=lambda Rb, s: bytes(64)), "expect": "bad_signature"},
    {"bundle": eddsa(p22, tweak=lambda Rb, s: sig_bytes(Rb, s)[:63]), "expect": "bad_signature",
     "note": "63 bytes"},
    {"bundle": eddsa(p22, tweak=lambda Rb, s: sig_bytes(Rb, s) + b"\x00"), "expect": "bad_signature",
     "note": "65 bytes"},
    {"bundle": eddsa(p22, tweak=lambda Rb, s: b""), "expect": "bad_signature"},
    {"bundle": eddsa(p22, tweak=lambda Rb, s: sig_bytes(Rb, (s + 1) % L)), "expect": "bad_signature"},
    {"bundle": eddsa(p22).rsplit(".", 1)[0] + "." + eddsa(p21).rsplit(".", 1)[1], "expect": "bad_signature",
     "note": "another payload's signature"},
    # Rotation: a later version signed by the new key, then HS256 still works.
    {"policy": p22, "sign_with": KID_B, "expect": "ok"},
    {"policy": policy(version=21), "sign_with": KID_B, "expect": "stale_version"},
    {"policy": policy(version=23), "expect": "ok", "note": "HS256 with the SecretKey, beside EdDSA"},
    {"bundle": hs256(policy(version=24), header={"alg": "HS256", "kid": KID_A}), "expect": "ok",
     "note": "an HS256 bundle's kid is ignored: it verifies with the SecretKey alone"},
    {"policy": policy(version=25), "sign_with": KID_A, "expect": "ok"},
]
write("v2-eddsa-hostile.json", "v2 EdDSA: key and algorithm confusion, exact kid and alg, strict signatures, "
      "rotation", eddsa_loads, [
          allow("mp_shop", "launch", launch("1.4.2"), note="version 25 is in force"),
          deny("mp_open", R, "https://openserver.superapp.example/", "domain_blocked"),
      ], keys=KEYS)

# ---------------------------------------------------------------- v2 checks against a schema 1 policy
v1_policy = v1(version=40, apps=[app("mp_x"), app("mp_y", control={"server_domains": True})])
write("v2-checks-on-schema-1.json", "v2 checks against a schema 1 policy: no releases, no blocked hosts",
      [ok(v1_policy)], [
          deny("mp_x", "launch", launch("1.4.2"), "version_not_released"),
          allow("mp_x", R, "https://openserver.superapp.example/"),
          allow("mp_x", "tcp", "openserver.superapp.example:443"),
          deny("mp_y", "tcp", "openserver.superapp.example:443", "domain_not_whitelisted"),
          deny("mp_y", "udp", "a.example:0", "invalid_url"),
          deny("mp_z", "udp", "a.example:53", "unknown_app"),
      ], keys=KEYS)

print("wrote v2 vectors to", HERE)
