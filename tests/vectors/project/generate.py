#!/usr/bin/env python3
"""Writes the project's own decision vectors (tests/vectors/project/*.json).

Every expectation below is written by hand from docs/policy.md, never computed
by the guard. Bundles that must be given verbatim (hostile headers, tampered
payloads, same-version reloads) are signed here with Python's own hmac, which
also cross-checks the Rust signer. Run it from anywhere; it rewrites the files.
"""
import base64
import copy
import hashlib
import hmac
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "k3yK3yk3yK3yk3y1"
OTHER_SECRET = "0therK3y0therK3y"
NOW = 1795305600
DAY = 86400


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jws(payload, secret=SECRET, header=None, raw_header=None):
    h = raw_header if raw_header is not None else json.dumps(
        header or {"alg": "HS256", "typ": "JWT"}, separators=(",", ":"))
    p = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    signing_input = b64(h.encode()) + "." + b64(p.encode())
    sig = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(sig)


SENSITIVE = [
    {"name": "getLocation", "status": "restricted", "scope": "all", "type": "system"},
    {"name": "chooseImage", "status": "restricted", "scope": "all", "type": "system"},
    {"name": "getPhoneNumber", "status": "restricted", "scope": "mini_program", "type": "system"},
    {"name": "getEmailAddress", "status": "restricted", "scope": "mini_program", "type": "system"},
    {"name": "startSoterAuthentication", "status": "restricted", "scope": "mini_game", "type": "system"},
    {"name": "getFuzzyLocation", "status": "public", "scope": "all", "type": "system"},
    {"name": "scanCode", "status": "public", "scope": "mini_program", "type": "system"},
    {"name": "openWallet", "status": "restricted", "scope": "all", "type": "custom",
     "description": "pay from the superapp wallet"},
    {"name": "scanIdCard", "status": "restricted", "scope": "mini_program", "type": "custom"},
    {"name": "shareToFeed", "status": "public", "scope": "all", "type": "custom"},
    {"name": "vibrateBoss", "status": "restricted", "scope": "mini_game", "type": "custom"},
]

FULL = {"server_domains": True, "apis": True, "webview_domains": True}


def base_policy(version=7, mode="enforce", **extra):
    p = {
        "schema": 1,
        "superapp_id": "demo-superapp",
        "version": version,
        "issued_at": NOW - 3600,
        "expires_at": NOW + 30 * DAY,
        "mode": mode,
        "sensitive_apis": copy.deepcopy(SENSITIVE),
        "apps": [
            {
                "app_id": "mp_shop",
                "kind": "mini_program",
                "control": FULL,
                "server_domains": [
                    "https://api.shop.example",
                    "https://cdn.shop.example:8443",
                    "https://multi.shop.example",
                    "https://multi.shop.example:8443",
                    "wss://ws.shop.example",
                    "wss://live.shop.example:9443",
                    "https://*.img.shop.example",
                    "https://*.dl.shop.example:8443",
                    "https://bücher.example",
                    "https://xn--caf-dma.example",
                    "https://trailing.shop.example.",
                    "https://Upper.Shop.Example",
                    "https://exact.wild.example",
                    "https://*.wild.example:8443",
                ],
                "webview_domains": ["https://h5.shop.example", "https://*.pages.shop.example",
                                    "https://h5.shop.example:8443"],
                "api_whitelist": ["openWallet", "scanIdCard", "shareToFeed", "notInCatalogue"],
                "granted_apis": ["getLocation", "scanIdCard", "getFuzzyLocation"],
            },
            {
                "app_id": "mg_race",
                "kind": "mini_game",
                "control": {"server_domains": True, "apis": False, "webview_domains": False},
                "server_domains": ["https://api.race.example", "wss://ws.race.example:9443"],
                "webview_domains": [],
                "api_whitelist": [],
                "granted_apis": ["vibrateBoss"],
            },
            {
                "app_id": "mp_open",
                "kind": "mini_program",
                "server_domains": [],
                "webview_domains": [],
                "api_whitelist": [],
                "granted_apis": [],
            },
            {
                "app_id": "mp_locked",
                "kind": "mini_program",
                "control": FULL,
            },
            {
                "app_id": "mg_locked",
                "kind": "mini_game",
                "control": {"apis": True},
                "granted_apis": ["getLocation", "startSoterAuthentication"],
            },
        ],
    }
    p.update(extra)
    return p


def case(app, kind, subject, expect, code=None, message=None, note=None, now=None):
    c = {"app": app, kind: subject, "expect": expect}
    if code:
        c["code"] = code
    if message:
        c["message"] = message
    if note:
        c["note"] = note
    if now is not None:
        c["now"] = now
    return c


def allow(app, kind, subject, **kw):
    return case(app, kind, subject, "allow", **kw)


def deny(app, kind, subject, code, **kw):
    return case(app, kind, subject, "deny", code, **kw)


def write(name, description, loads, cases, now=NOW):
    doc = {"description": description, "secret": SECRET, "now": now, "loads": loads, "cases": cases}
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")


def ok_load(policy=None):
    return {"policy": policy or base_policy(), "expect": "ok"}


# ---------------------------------------------------------------- API rules
api = [
    # rule 5: built-in, not sensitive
    allow("mp_shop", "api", "showToast", message="showToast:ok"),
    allow("mp_shop", "api", "request"),
    allow("mp_locked", "api", "navigateTo"),
    # rule 3: control.apis on, not built in, not whitelisted
    deny("mp_locked", "api", "openWallet", "api_not_whitelisted",
         message="openWallet:fail api not in whitelist"),
    deny("mp_locked", "api", "someUnknownApi", "api_not_whitelisted"),
    deny("mp_shop", "api", "someUnknownApi", "api_not_whitelisted"),
    deny("mp_shop", "api", "wx.showToast", "api_not_whitelisted", note="no namespace prefix"),
    deny("mp_shop", "api", "ShowToast", "api_not_whitelisted", note="names are case-sensitive"),
    deny("mp_shop", "api", "showtoast", "api_not_whitelisted"),
    deny("mp_shop", "api", "showToast ", "api_not_whitelisted", note="no trimming"),
    deny("mp_shop", "api", "", "api_not_whitelisted"),
    deny("mp_shop", "api", "__proto__", "api_not_whitelisted"),
    deny("mp_shop", "api", "constructor", "api_not_whitelisted"),
    deny("mp_shop", "api", "vibrateBoss", "api_not_whitelisted",
         note="custom, not in whitelist: rule 3 before rule 4"),
    # whitelisted custom APIs
    allow("mp_shop", "api", "shareToFeed", note="public custom, whitelisted"),
    allow("mp_shop", "api", "notInCatalogue", note="whitelisted though not sensitive"),
    deny("mp_shop", "api", "openWallet", "permission_not_granted",
         message="openWallet:fail jsapi has no permission"),
    allow("mp_shop", "api", "scanIdCard", note="restricted custom, whitelisted and granted"),
    # rule 4: restricted system APIs
    allow("mp_shop", "api", "getLocation"),
    deny("mp_shop", "api", "chooseImage", "permission_not_granted"),
    deny("mp_shop", "api", "getPhoneNumber", "permission_not_granted",
         message="getPhoneNumber:fail jsapi has no permission"),
    deny("mp_shop", "api", "getEmailAddress", "permission_not_granted"),
    allow("mp_shop", "api", "startSoterAuthentication", note="scope mini_game does not cover a mini program"),
    allow("mp_shop", "api", "getFuzzyLocation", note="public sensitive"),
    allow("mp_shop", "api", "scanCode", note="public sensitive, scoped"),
    # mini game
    deny("mg_race", "api", "startSoterAuthentication", "permission_not_granted"),
    allow("mg_race", "api", "getPhoneNumber", note="scope mini_program does not cover a mini game"),
    allow("mg_race", "api", "getEmailAddress"),
    deny("mg_race", "api", "getLocation", "permission_not_granted"),
    deny("mg_race", "api", "openWallet", "permission_not_granted", note="control.apis off: rule 4 only"),
    allow("mg_race", "api", "scanIdCard", note="custom scoped to mini programs"),
    allow("mg_race", "api", "vibrateBoss", note="granted"),
    allow("mg_race", "api", "someUnknownApi", note="control.apis off"),
    allow("mg_race", "api", "shareToFeed"),
    # control.apis on for a mini game with grants
    allow("mg_locked", "api", "getLocation"),
    allow("mg_locked", "api", "startSoterAuthentication"),
    deny("mg_locked", "api", "chooseImage", "permission_not_granted"),
    deny("mg_locked", "api", "vibrateBoss", "api_not_whitelisted"),
    deny("mg_locked", "api", "shareToFeed", "api_not_whitelisted"),
    allow("mg_locked", "api", "getPhoneNumber"),
    # all switches absent
    deny("mp_open", "api", "scanIdCard", "permission_not_granted"),
    deny("mp_open", "api", "getLocation", "permission_not_granted"),
    allow("mp_open", "api", "anything"),
    allow("mp_open", "api", "getFuzzyLocation"),
    # unknown apps
    deny("mp_nobody", "api", "showToast", "unknown_app", message="showToast:fail unknown app"),
    deny("MP_SHOP", "api", "showToast", "unknown_app", note="app ids are case-sensitive"),
    deny("mp_shop ", "api", "showToast", "unknown_app"),
    deny("", "api", "showToast", "unknown_app"),
]
write("api-rules.json", "every API rule of §3.2 with scopes, switches, whitelists and grants",
      [ok_load()], api)

# A policy with its own builtin_apis list instead of the catalogue.
custom_builtin = base_policy(builtin_apis=["showToast", "request", "getLocation"])
write("api-builtin-list.json", "an explicit builtin_apis list replaces the shipped catalogue", [ok_load(custom_builtin)], [
    allow("mp_shop", "api", "showToast"),
    deny("mp_shop", "api", "navigateTo", "api_not_whitelisted", note="in the catalogue, not in this list"),
    allow("mp_shop", "api", "getLocation"),
    deny("mp_shop", "api", "chooseImage", "api_not_whitelisted"),
    allow("mg_race", "api", "navigateTo", note="control.apis off"),
    deny("mp_locked", "api", "openWallet", "api_not_whitelisted"),
    allow("mp_shop", "api", "shareToFeed"),
])

empty_builtin = base_policy(builtin_apis=[])
write("api-builtin-empty.json", "an empty builtin_apis list: only whitelisted names pass control.apis", [ok_load(empty_builtin)], [
    deny("mp_shop", "api", "showToast", "api_not_whitelisted"),
    deny("mp_locked", "api", "showToast", "api_not_whitelisted"),
    allow("mp_shop", "api", "shareToFeed"),
    allow("mp_open", "api", "showToast"),
])

# ---------------------------------------------------------------- server domains
R = "request"
srv = [
    allow("mp_shop", R, "https://api.shop.example"),
    allow("mp_shop", R, "https://api.shop.example/"),
    allow("mp_shop", R, "https://api.shop.example/v1/items?id=3#frag"),
    allow("mp_shop", R, "HTTPS://API.SHOP.EXAMPLE/v1", note="scheme and host are case-insensitive"),
    allow("mp_shop", R, "https://api.shop.example./v1", note="one trailing dot ignored"),
    deny("mp_shop", R, "https://api.shop.example../v1", "domain_not_whitelisted"),
    allow("mp_shop", R, "https://api.shop.example:443/v1"),
    allow("mp_shop", R, "https://api.shop.example:0443/v1", note="leading zeros in the port"),
    allow("mp_shop", R, "https://api.shop.example:/v1", note="empty port is the default port"),
    deny("mp_shop", R, "https://api.shop.example:8443/", "port_not_allowed",
         message="request:fail url not in domain list:api.shop.example:8443"),
    deny("mp_shop", R, "https://api.shop.example:80/", "port_not_allowed"),
    deny("mp_shop", R, "https://api.shop.example:65535/", "port_not_allowed"),
    deny("mp_shop", R, "https://api.shop.example:65536/", "invalid_url"),
    deny("mp_shop", R, "https://api.shop.example:-1/", "invalid_url"),
    allow("mp_shop", R, "https://cdn.shop.example:8443/a.js"),
    deny("mp_shop", R, "https://cdn.shop.example/a.js", "port_not_allowed",
         message="request:fail url not in domain list:cdn.shop.example:443"),
    deny("mp_shop", R, "https://cdn.shop.example:443/a.js", "port_not_allowed"),
    allow("mp_shop", R, "https://multi.shop.example/"),
    allow("mp_shop", R, "https://multi.shop.example:8443/"),
    deny("mp_shop", R, "https://multi.shop.example:9443/", "port_not_allowed"),
    # look-alikes
    deny("mp_shop", R, "https://api.shop.example.evil.example/", "domain_not_whitelisted"),
    deny("mp_shop", R, "https://evil.example/api.shop.example", "domain_not_whitelisted"),
    deny("mp_shop", R, "https://evil.example/?u=https://api.shop.example", "domain_not_whitelisted"),
    deny("mp_shop", R, "https://evil.example#@api.shop.example", "domain_not_whitelisted"),
    deny("mp_shop", R, "https://evil.example\\@api.shop.example", "domain_not_whitelisted",
         note="backslash ends the authority in special URLs"),
    deny("mp_shop", R, "https://api.shop.example@evil.example/", "invalid_url", note="userinfo"),
    deny("mp_shop", R, "https://user@api.shop.example/", "invalid_url"),
    deny("mp_shop", R, "https://:pw@api.shop.example/", "invalid_url"),
    allow("mp_shop", R, "https://@api.shop.example/",
          note="an empty userinfo: the parser gives neither username nor password"),
    deny("mp_shop", R, "https://xapi.shop.example/", "domain_not_whitelisted"),
    deny("mp_shop", R, "https://shop.example/", "domain_not_whitelisted"),
    deny("mp_shop", R, "https://api.shop.example%2eevil.example/", "domain_not_whitelisted"),
    allow("mp_shop", R, "https://api.shop%2Eexample/", note="percent-encoded dot decodes in the host"),
    allow("mp_shop", R, "https://%61pi.shop.example/", note="percent-encoded letter decodes"),
    allow("mp_shop", R, "https://api。shop。example/", note="ideographic full stops are dots"),
    allow("mp_shop", R, "https://ａｐｉ.shop.example/", note="fullwidth letters fold to ASCII"),
    allow("mp_shop", R, "https://api.sh\u00adop.example/", note="IDNA maps a soft hyphen to nothing"),
    deny("mp_shop", R, "https://api.shop.example%2F@evil.example/", "invalid_url",
         note="an encoded slash stays in the userinfo; the host is evil.example"),
    deny("mp_shop", R, "https://api.shop.example:443@evil.example/", "invalid_url",
         note="what looks like a port is a password"),
    allow("mp_shop", R, "https://*.img.shop.example/",
          note="`*` is a valid host code point; the literal host ends in .img.shop.example, so the wildcard covers it"),
    allow("mp_shop", R, "  https://api.shop.example/  ", note="the parser strips surrounding spaces"),
    allow("mp_shop", R, "https://api.sh\top.example/", note="the parser drops tabs"),
    allow("mp_shop", R, "https://api.shop.ex\nample/", note="the parser drops newlines"),
    allow("mp_shop", R, "https:api.shop.example/v1", note="a special URL without slashes still has that host"),
    allow("mp_shop", R, "https:\\\\api.shop.example\\v1", note="backslashes are slashes in special URLs"),
    allow("mp_shop", R, "https:///api.shop.example/", note="extra slashes are skipped"),
    deny("mp_shop", R, "https://api.shop.example\u0000/", "invalid_url"),
    deny("mp_shop", R, "https://exa mple.com/", "invalid_url"),
    deny("mp_shop", R, "https://", "invalid_url"),
    deny("mp_shop", R, "https:///", "invalid_url"),
    deny("mp_shop", R, "//api.shop.example/v1", "invalid_url", note="no base URL"),
    deny("mp_shop", R, "/v1/items", "invalid_url"),
    deny("mp_shop", R, "api.shop.example", "invalid_url"),
    deny("mp_shop", R, "", "invalid_url"),
    deny("mp_shop", R, "https://[::1/", "invalid_url"),
    deny("mp_shop", R, "https://a b/", "invalid_url"),
    deny("mp_shop", R, "https://xn--/", "invalid_url"),
    # IP addresses never match
    deny("mp_shop", R, "https://127.0.0.1/", "domain_not_whitelisted",
         message="request:fail url not in domain list:127.0.0.1"),
    deny("mp_shop", R, "https://2130706433/", "domain_not_whitelisted", message="request:fail url not in domain list:127.0.0.1"),
    deny("mp_shop", R, "https://0x7f.1/", "domain_not_whitelisted"),
    deny("mp_shop", R, "https://0177.0.0.1/", "domain_not_whitelisted"),
    deny("mp_shop", R, "https://[::1]/", "domain_not_whitelisted", message="request:fail url not in domain list:[::1]"),
    deny("mp_shop", R, "https://[::ffff:127.0.0.1]/", "domain_not_whitelisted"),
    deny("mp_shop", R, "https://169.254.169.254/latest/meta-data", "domain_not_whitelisted"),
    deny("mp_shop", R, "https://1.2.3.4.5/", "invalid_url", note="a number-ending host must be IPv4"),
    deny("mp_shop", R, "https://localhost/", "domain_not_whitelisted"),
    # schemes
    deny("mp_shop", R, "http://api.shop.example/", "insecure_scheme",
         message="request:fail url scheme not allowed"),
    deny("mp_shop", R, "HTTP://api.shop.example/", "insecure_scheme"),
    deny("mp_shop", R, "wss://api.shop.example/", "insecure_scheme"),
    deny("mp_shop", R, "ws://api.shop.example/", "insecure_scheme"),
    deny("mp_shop", R, "ftp://api.shop.example/", "insecure_scheme"),
    deny("mp_shop", R, "file:///etc/passwd", "insecure_scheme"),
    deny("mp_shop", R, "data:text/plain,hi", "insecure_scheme"),
    deny("mp_shop", R, "blob:https://api.shop.example/1234", "insecure_scheme"),
    deny("mp_shop", R, "javascript:alert(1)", "insecure_scheme"),
    deny("mp_shop", R, "about:blank", "insecure_scheme"),
    deny("mp_shop", R, "httpss://api.shop.example/", "insecure_scheme"),
    deny("mp_shop", R, "https+x://api.shop.example/", "insecure_scheme"),
    # IDN
    allow("mp_shop", R, "https://bücher.example/"),
    allow("mp_shop", R, "https://BÜCHER.example/", note="case-folded before punycode"),
    allow("mp_shop", R, "https://xn--bcher-kva.example/", note="punycode URL matches a Unicode entry"),
    allow("mp_shop", R, "https://café.example/", note="Unicode URL matches a punycode entry"),
    deny("mp_shop", R, "https://bucher.example/", "domain_not_whitelisted"),
    deny("mp_shop", R, "https://bü.cher.example/", "domain_not_whitelisted"),
    deny("mp_shop", R, "https://bücher.example:8443/", "port_not_allowed",
         message="request:fail url not in domain list:xn--bcher-kva.example:8443"),
    deny("mp_shop", R, "https://аpi.shop.example/", "domain_not_whitelisted", note="Cyrillic a"),
    # entries normalised at load
    allow("mp_shop", R, "https://trailing.shop.example/", note="entry with a trailing dot"),
    allow("mp_shop", R, "https://trailing.shop.example./"),
    allow("mp_shop", R, "https://upper.shop.example/", note="entry in upper case"),
    # wildcards
    allow("mp_shop", R, "https://a.img.shop.example/x.png"),
    allow("mp_shop", R, "https://a.b.c.img.shop.example/x.png", note="any depth"),
    allow("mp_shop", R, "https://A.IMG.shop.example./x.png"),
    deny("mp_shop", R, "https://img.shop.example/x.png", "domain_not_whitelisted", note="never the apex"),
    deny("mp_shop", R, "https://img.shop.example./x.png", "domain_not_whitelisted"),
    deny("mp_shop", R, "https://aimg.shop.example/x.png", "domain_not_whitelisted"),
    deny("mp_shop", R, "https://a.img.shop.example.evil.example/", "domain_not_whitelisted"),
    deny("mp_shop", R, "https://a.img.shop.example:8443/", "port_not_allowed"),
    allow("mp_shop", R, "https://x.dl.shop.example:8443/f"),
    deny("mp_shop", R, "https://x.dl.shop.example/f", "port_not_allowed"),
    deny("mp_shop", R, "https://dl.shop.example:8443/f", "domain_not_whitelisted"),
    allow("mp_shop", R, "https://exact.wild.example/", note="exact entry, default port"),
    allow("mp_shop", R, "https://a.exact.wild.example:8443/", note="wildcard entry, its port"),
    deny("mp_shop", R, "https://a.exact.wild.example/", "port_not_allowed"),
    allow("mp_shop", R, "https://exact.wild.example:8443/",
          note="the exact entry lacks the port, but `*.wild.example:8443` covers this subdomain"),
    deny("mp_shop", R, "https://wild.example:8443/", "domain_not_whitelisted"),
    # the other URL kinds use the same list
    allow("mp_shop", "upload", "https://api.shop.example/upload"),
    allow("mp_shop", "download", "https://a.img.shop.example/x.png"),
    deny("mp_shop", "upload", "https://evil.example/", "domain_not_whitelisted",
         message="uploadFile:fail url not in domain list:evil.example"),
    deny("mp_shop", "download", "http://api.shop.example/", "insecure_scheme",
         message="downloadFile:fail url scheme not allowed"),
    deny("mp_shop", "download", "https://cdn.shop.example/", "port_not_allowed",
         message="downloadFile:fail url not in domain list:cdn.shop.example:443"),
    deny("mp_shop", "upload", "https://user:pw@api.shop.example/", "invalid_url",
         message="uploadFile:fail invalid url"),
    deny("mp_shop", R, "https://h5.shop.example/", "domain_not_whitelisted", note="web-view list is separate"),
    deny("mp_shop", R, "https://ws.shop.example/", "domain_not_whitelisted", note="wss entry does not cover https"),
    # switches off and absent
    allow("mp_open", R, "https://anything.example/"),
    allow("mp_open", R, "https://127.0.0.1:8080/", note="switch off: no host rules, only the scheme"),
    deny("mp_open", R, "http://anything.example/", "insecure_scheme"),
    deny("mp_open", R, "https://u@anything.example/", "invalid_url"),
    deny("mp_open", R, "not a url", "invalid_url"),
    deny("mp_locked", R, "https://api.shop.example/", "domain_not_whitelisted", note="switch on, empty list"),
    deny("mg_race", R, "https://api.shop.example/", "domain_not_whitelisted"),
    allow("mg_race", R, "https://api.race.example/"),
    deny("mp_nobody", R, "https://api.shop.example/", "unknown_app", message="request:fail unknown app"),
    deny("mp_nobody", R, "not a url", "unknown_app", note="unknown_app comes before URL rules"),
]
write("server-domains-hostile.json", "server domain whitelist against hostile URLs, IDN, ports and wildcards",
      [ok_load()], srv)

# ---------------------------------------------------------------- sockets
S = "socket"
sock = [
    allow("mp_shop", S, "wss://ws.shop.example/live"),
    allow("mp_shop", S, "WSS://WS.SHOP.EXAMPLE./live"),
    allow("mp_shop", S, "wss://ws.shop.example:443/live"),
    deny("mp_shop", S, "wss://ws.shop.example:9443/live", "port_not_allowed",
         message="connectSocket:fail url not in domain list:ws.shop.example:9443"),
    allow("mp_shop", S, "wss://live.shop.example:9443/"),
    deny("mp_shop", S, "wss://live.shop.example/", "port_not_allowed"),
    deny("mp_shop", S, "ws://ws.shop.example/live", "insecure_scheme",
         message="connectSocket:fail url scheme not allowed"),
    deny("mp_shop", S, "https://ws.shop.example/live", "insecure_scheme"),
    deny("mp_shop", S, "wss://api.shop.example/", "domain_not_whitelisted",
         message="connectSocket:fail url not in domain list:api.shop.example"),
    deny("mp_shop", S, "wss://a.img.shop.example/", "domain_not_whitelisted", note="https wildcard does not cover wss"),
    deny("mp_shop", S, "wss://u:p@ws.shop.example/", "invalid_url"),
    deny("mp_shop", S, "wss://[::1]:9443/", "domain_not_whitelisted"),
    allow("mg_race", S, "wss://ws.race.example:9443/"),
    deny("mg_race", S, "wss://ws.race.example/", "port_not_allowed"),
    allow("mp_open", S, "wss://anything.example:1234/"),
    deny("mp_open", S, "ws://anything.example/", "insecure_scheme"),
]
write("sockets.json", "connectSocket takes only wss and its own entries", [ok_load()], sock)

# ---------------------------------------------------------------- web-view
W = "webview"
wv = [
    allow("mp_shop", W, "https://h5.shop.example/promo?x=1"),
    allow("mp_shop", W, "https://h5.shop.example:8443/promo"),
    deny("mp_shop", W, "https://h5.shop.example:9443/promo", "port_not_allowed",
         message="web-view:fail url not in domain list:h5.shop.example:9443"),
    allow("mp_shop", W, "https://a.pages.shop.example/"),
    deny("mp_shop", W, "https://pages.shop.example/", "domain_not_whitelisted"),
    deny("mp_shop", W, "https://api.shop.example/", "domain_not_whitelisted",
         message="web-view:fail url not in domain list:api.shop.example"),
    deny("mp_shop", W, "javascript:alert(document.cookie)", "insecure_scheme",
         message="web-view:fail url scheme not allowed"),
    deny("mp_shop", W, "JaVaScRiPt:alert(1)", "insecure_scheme"),
    deny("mp_shop", W, "data:text/html,<script>alert(1)</script>", "insecure_scheme"),
    deny("mp_shop", W, "blob:https://h5.shop.example/uuid", "insecure_scheme"),
    deny("mp_shop", W, "about:blank", "insecure_scheme"),
    deny("mp_shop", W, "http://h5.shop.example/", "insecure_scheme"),
    deny("mp_shop", W, "wss://h5.shop.example/", "insecure_scheme"),
    deny("mp_shop", W, "https://h5.shop.example@evil.example/", "invalid_url"),
    deny("mp_shop", W, "https://evil.example/#https://h5.shop.example/", "domain_not_whitelisted"),
    allow("mg_race", W, "https://any.example/", note="switch off"),
    deny("mg_race", W, "javascript:alert(1)", "insecure_scheme", note="scheme rule holds whatever the switch"),
    deny("mg_race", W, "http://any.example/", "insecure_scheme"),
    deny("mp_locked", W, "https://h5.shop.example/", "domain_not_whitelisted"),
    deny("mp_nobody", W, "https://h5.shop.example/", "unknown_app", message="web-view:fail unknown app"),
]
write("webview-hostile.json", "web-view whitelist: schemes, ports, wildcards", [ok_load()], wv)

# ---------------------------------------------------------------- report mode
rep = [
    case("mp_shop", "api", "chooseImage", "report", "permission_not_granted",
         message="chooseImage:fail jsapi has no permission"),
    case("mp_shop", "api", "someUnknownApi", "report", "api_not_whitelisted"),
    case("mp_shop", R, "https://evil.example/", "report", "domain_not_whitelisted"),
    case("mp_shop", R, "https://cdn.shop.example/", "report", "port_not_allowed"),
    case("mp_shop", R, "http://api.shop.example/", "report", "insecure_scheme"),
    deny("mp_shop", R, "not a url", "invalid_url",
         note="Contract v3: invalid_url is denied in every mode, report mode included."),
    case("mp_shop", S, "ws://ws.shop.example/", "report", "insecure_scheme"),
    case("mp_shop", W, "javascript:alert(1)", "report", "insecure_scheme"),
    case("mp_nobody", "api", "showToast", "report", "unknown_app"),
    allow("mp_shop", "api", "getLocation", message="getLocation:ok"),
    allow("mp_shop", R, "https://api.shop.example/"),
    case("mp_shop", "api", "getLocation", "deny", "no_policy", now=NOW + 31 * DAY,
         note="report mode does not outlive the policy"),
]
write("report-mode-all-codes.json", "report mode lets every policy denial through, reported",
      [ok_load(base_policy(mode="report"))], rep)

# ---------------------------------------------------------------- no policy
nop = [
    deny("mp_shop", "api", "showToast", "no_policy", message="showToast:fail no valid permission policy"),
    deny("mp_shop", R, "https://api.shop.example/", "no_policy",
         message="request:fail no valid permission policy"),
    deny("mp_shop", S, "wss://ws.shop.example/", "no_policy"),
    deny("mp_shop", W, "https://h5.shop.example/", "no_policy", message="web-view:fail no valid permission policy"),
    deny("mp_nobody", "api", "showToast", "no_policy", note="no_policy before unknown_app"),
    deny("mp_shop", R, "not a url", "no_policy", note="no_policy before URL rules"),
]
write("no-policy.json", "a guard that never loaded a policy denies everything", [], nop)

failed_only = [
    {"bundle": jws(base_policy(), secret=OTHER_SECRET), "expect": "bad_signature"},
    {"policy": base_policy(version=3, expires_at=NOW - 1), "expect": "expired"},
    {"policy": {**base_policy(), "schema": 4}, "expect": "invalid_policy"},
]
write("no-policy-after-failed-loads.json", "failed loads never put a policy in force", failed_only, [
    deny("mp_shop", "api", "showToast", "no_policy"),
    deny("mp_open", R, "https://anything.example/", "no_policy"),
])

# ---------------------------------------------------------------- invalid policies
def app0(**kw):
    a = {"app_id": "mp_x", "kind": "mini_program"}
    a.update(kw)
    return a


def with_apps(*apps, **top):
    p = base_policy(version=8)
    p["apps"] = list(apps)
    p.update(top)
    return p


bad_entries = [
    "https://x.example/", "https://x.example/path", "https://x.example?q=1", "https://x.example#f",
    "https://u:p@x.example", "https://u@x.example", "http://x.example", "ws://x.example", "ftp://x.example",
    "https://127.0.0.1", "https://[::1]", "https://0x7f.1", "https://localhost", "https://LOCALHOST.",
    "https://api.localhost", "https://", "https://*.com", "https://*", "https://a*.x.example",
    "https://x.*.example", "https://*.*.example", "x.example", "https:x.example", " https://x.example",
    "https://x..example", "https://x.example:99999", "https://x .example", "https://x.example\\y",
    "", "https://*.", "javascript:alert(1)",
]
invalid = []
for e in bad_entries:
    invalid.append({"policy": with_apps(app0(server_domains=["https://ok.example", e])),
                    "expect": "invalid_policy", "message": "apps[0].server_domains[1]"})
invalid += [
    {"policy": with_apps(app0(webview_domains=["wss://x.example"])), "expect": "invalid_policy",
     "message": "apps[0].webview_domains[0]"},
    {"policy": with_apps(app0(), app0()), "expect": "invalid_policy", "message": "duplicate app_id `mp_x`"},
    {"policy": with_apps(app0(admin=True)), "expect": "invalid_policy", "message": "admin"},
    {"policy": with_apps(app0(control={"apis": True, "sudo": True})), "expect": "invalid_policy", "message": "sudo"},
    {"policy": with_apps(app0(kind="mini_app")), "expect": "invalid_policy", "message": "apps[0].kind"},
    {"policy": with_apps({"app_id": "mp_x"}), "expect": "invalid_policy", "message": "kind"},
    {"policy": with_apps(app0(app_id="")), "expect": "invalid_policy", "message": "apps[0].app_id"},
    {"policy": with_apps(app0(control={"apis": "yes"})), "expect": "invalid_policy", "message": "apis"},
    {"policy": with_apps(app0(server_domains="https://x.example")), "expect": "invalid_policy"},
    {"policy": with_apps(app0(), extra_field=1), "expect": "invalid_policy", "message": "extra_field"},
    {"policy": with_apps(app0(), schema=0), "expect": "invalid_policy", "message": "schema"},
    {"policy": with_apps(app0(), schema="1"), "expect": "invalid_policy", "message": "schema"},
    {"policy": with_apps(app0(), version=-8), "expect": "invalid_policy", "message": "version"},
    {"policy": with_apps(app0(), version=8.5), "expect": "invalid_policy", "message": "version"},
    {"policy": with_apps(app0(), mode="audit"), "expect": "invalid_policy", "message": "mode"},
    {"policy": with_apps(app0(), superapp_id=""), "expect": "invalid_policy", "message": "superapp_id"},
    {"policy": with_apps(app0(), sensitive_apis=[SENSITIVE[0], SENSITIVE[0]]), "expect": "invalid_policy",
     "message": "duplicate sensitive API `getLocation`"},
    {"policy": with_apps(app0(), sensitive_apis=[{**SENSITIVE[0], "status": "hidden"}]), "expect": "invalid_policy"},
    {"policy": with_apps(app0(), sensitive_apis=[{**SENSITIVE[0], "scope": "mini_apps"}]), "expect": "invalid_policy"},
    {"policy": with_apps(app0(), sensitive_apis=[{**SENSITIVE[0], "type": "magic"}]), "expect": "invalid_policy"},
    {"policy": with_apps(app0(), sensitive_apis=[{**SENSITIVE[0], "grant_all": True}]), "expect": "invalid_policy"},
    {"policy": with_apps(app0(api_whitelist=["ok", ""])), "expect": "invalid_policy", "message": "api_whitelist[1]"},
    {"policy": with_apps(app0(server_domains=["https://h%d.example" % i for i in range(1001)])),
     "expect": "invalid_policy", "message": "safety bound"},
    {"bundle": jws('{"schema":1,"superapp_id":"demo-superapp","version":8,"version":99,"issued_at":0}'),
     "expect": "invalid_policy", "message": "duplicate field `version`"},
    {"bundle": jws("not json at all"), "expect": "invalid_policy"},
    {"bundle": jws("[1,2,3]"), "expect": "invalid_policy"},
    # Objects only (decision 600): neither an app nor the whole policy may be
    # written as an array of its members in declaration order.
    {"policy": with_apps(["mp_x", "mini_program"]), "expect": "invalid_policy",
     "message": "apps[0]"},
    {"bundle": jws('[1,"demo-superapp",9,0]'), "expect": "invalid_policy"},
    {"bundle": jws('{"schema":1,"superapp_id":"other-superapp","version":9,"issued_at":0,"apps":[]}'),
     "expect": "invalid_policy", "message": "superapp_id", },
]
write("invalid-policies.json", "load-time validation names field and value; a refused policy changes nothing",
      [ok_load()] + invalid, [
          allow("mp_shop", "api", "getLocation", note="version 7 is still in force"),
          deny("mp_x", "api", "showToast", "unknown_app"),
          deny("mp_shop", "api", "chooseImage", "permission_not_granted"),
      ])

# ---------------------------------------------------------------- bundles
p9 = base_policy(version=9)
good9 = jws(p9)
h, pl, sig = good9.split(".")
bundles = [
    {"bundle": jws(p9, header={"alg": "none"}), "expect": "unsupported_alg"},
    {"bundle": b64(b'{"alg":"none"}') + "." + pl + ".", "expect": "unsupported_alg"},
    {"bundle": jws(p9, header={"alg": "HS512"}), "expect": "unsupported_alg"},
    {"bundle": jws(p9, header={"alg": "RS256"}), "expect": "unsupported_alg"},
    {"bundle": jws(p9, header={"alg": "hs256"}), "expect": "unsupported_alg"},
    {"bundle": jws(p9, header={"typ": "JWT"}), "expect": "unsupported_alg"},
    {"bundle": jws(p9, raw_header='{"alg":"none","alg":"HS256"}'), "expect": "malformed_bundle"},
    {"bundle": jws(p9, header={"alg": "HS256", "crit": ["b64"], "b64": False}), "expect": "malformed_bundle"},
    {"bundle": jws(p9, raw_header="[]"), "expect": "malformed_bundle"},
    {"bundle": jws(p9, raw_header="not json"), "expect": "malformed_bundle"},
    {"bundle": h + "." + pl, "expect": "malformed_bundle"},
    {"bundle": good9 + ".extra", "expect": "malformed_bundle"},
    {"bundle": good9 + "=", "expect": "malformed_bundle"},
    {"bundle": h + "=." + pl + "." + sig, "expect": "malformed_bundle"},
    {"bundle": h + "." + pl.replace("-", "+").replace("_", "/") + "+/." + sig, "expect": "malformed_bundle"},
    {"bundle": " " + good9, "expect": "malformed_bundle"},
    {"bundle": "", "expect": "malformed_bundle"},
    {"bundle": "..", "expect": "malformed_bundle"},
    {"bundle": jws(p9, secret=OTHER_SECRET), "expect": "bad_signature"},
    {"bundle": h + "." + b64(json.dumps(base_policy(version=10)).encode()) + "." + sig, "expect": "bad_signature"},
    {"bundle": h + "." + pl + "." + sig[:-3], "expect": "bad_signature"},
    {"bundle": h + "." + pl + "." + b64(b"\x00" * 32), "expect": "bad_signature"},
    {"bundle": h + "." + pl + ".", "expect": "bad_signature"},
    {"bundle": good9, "expect": "ok"},
]
write("bundles-hostile.json", "JWS: only HS256, exact shape, MAC over the exact signing input",
      [ok_load()] + bundles, [allow("mp_shop", "api", "getLocation")])

# ---------------------------------------------------------------- lifecycle
v10 = base_policy(version=10)
v10_bundle = jws(v10)
v10_other = base_policy(version=10)
v10_other["apps"][0]["granted_apis"].append("chooseImage")
v11_revoked = base_policy(version=11)
v11_revoked["apps"][0]["granted_apis"] = ["scanIdCard"]
lifecycle_loads = [
    {"policy": base_policy(version=7), "expect": "ok"},
    {"bundle": v10_bundle, "expect": "ok"},
    {"bundle": v10_bundle, "expect": "ok"},
    {"bundle": jws(v10_other), "expect": "stale_version", "message": "different bundle"},
    {"policy": base_policy(version=9), "expect": "stale_version", "message": "`9`"},
    {"policy": base_policy(version=7), "expect": "stale_version"},
    {"policy": base_policy(version=0), "expect": "stale_version"},
    {"bundle": jws(base_policy(version=12), secret=OTHER_SECRET), "expect": "bad_signature"},
    {"policy": base_policy(version=11, expires_at=NOW), "expect": "expired", "message": "expired at"},
    {"policy": base_policy(version=11, exp=NOW - 1), "expect": "expired"},
    {"policy": base_policy(version=11, nbf=NOW + 60), "expect": "expired", "message": "nbf"},
    {"policy": base_policy(version=11, issued_at=NOW + DAY), "expect": "ok"},
]
write("lifecycle-rollback.json", "anti-rollback: same bytes reload ok, other bytes or lower versions are stale",
      lifecycle_loads, [
          allow("mp_shop", "api", "getLocation"),
          deny("mp_shop", "api", "chooseImage", "permission_not_granted",
               note="the refused v10 variant that granted chooseImage never took effect"),
      ])

revocation_loads = [
    {"policy": base_policy(version=10), "expect": "ok"},
    {"policy": v11_revoked, "expect": "ok"},
]
write("lifecycle-revocation.json", "a newer policy that drops a grant revokes it from the next call", revocation_loads, [
    deny("mp_shop", "api", "getLocation", "permission_not_granted"),
    allow("mp_shop", "api", "scanIdCard"),
])

expiry_policy = base_policy(version=7, expires_at=NOW + DAY, exp=NOW + 2 * DAY)
exp_first = base_policy(version=7, expires_at=NOW + 2 * DAY, exp=NOW + DAY)
write("lifecycle-expiry.json", "a policy stops being enforced when expires_at or exp passes, whichever first",
      [ok_load(expiry_policy)], [
          allow("mp_shop", "api", "getLocation"),
          allow("mp_shop", "api", "getLocation", now=NOW + DAY - 1),
          deny("mp_shop", "api", "getLocation", "no_policy", now=NOW + DAY,
               note="expires_at is exclusive: at that second it is expired"),
          deny("mp_shop", R, "https://api.shop.example/", "no_policy"),
          deny("mp_nobody", "api", "x", "no_policy"),
          allow("mp_shop", "api", "getLocation", now=NOW, note="the clock going back finds it in force again"),
      ])
write("lifecycle-exp-claim.json", "the JWT exp claim ends the policy when earlier than expires_at",
      [ok_load(exp_first)], [
          allow("mp_shop", "api", "getLocation", now=NOW + DAY - 1),
          deny("mp_shop", "api", "getLocation", "no_policy", now=NOW + DAY),
      ])
nbf_policy = base_policy(version=7, nbf=NOW - 10)
write("lifecycle-nbf.json", "nbf: not before", [ok_load(nbf_policy)], [
    allow("mp_shop", "api", "getLocation"),
    deny("mp_shop", "api", "getLocation", "no_policy", now=NOW - 11, note="before nbf the policy is not in force"),
    allow("mp_shop", "api", "getLocation", now=NOW - 10),
])
no_expiry = base_policy(version=7)
del no_expiry["expires_at"]
write("lifecycle-no-expiry.json", "expires_at is optional", [ok_load(no_expiry)], [
    allow("mp_shop", "api", "getLocation", now=NOW + 3650 * DAY),
])
write("lifecycle-expired-keeps-older.json", "an expired newer bundle leaves the older policy in force", [
    {"policy": base_policy(version=7), "expect": "ok"},
    {"policy": {**v11_revoked, "expires_at": NOW - 5}, "expect": "expired"},
], [
    allow("mp_shop", "api", "getLocation", note="the expired v11 never revoked the grant"),
])
jwt_claims = base_policy(version=7, iat=NOW - 5, iss="console.demo", sub="policy", aud=["sdk", "server"],
                         jti="abc-123")
write("jwt-claims.json", "registered JWT claims are accepted beside the policy fields", [ok_load(jwt_claims)], [
    allow("mp_shop", "api", "getLocation"),
])
write("load-then-later.json", "a load's own now moves the clock", [
    {"policy": base_policy(version=7, expires_at=NOW + 100), "expect": "ok"},
    {"policy": base_policy(version=8, expires_at=NOW + 100), "expect": "expired", "now": NOW + 100},
], [
    deny("mp_shop", "api", "getLocation", "no_policy", note="the clock stays moved"),
])

print("wrote vectors to", HERE)
