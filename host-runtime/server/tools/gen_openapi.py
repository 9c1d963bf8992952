#!/usr/bin/env python3
"""Writes src/openapi.json. The document is maintained here (one place, terse);
tests/openapi.rs checks that every route is documented and that responses
match the schemas. Run: python3 tools/gen_openapi.py"""
import json, os

def ref(n): return {"$ref": f"#/components/schemas/{n}"}
S = {"type": "string"}; I = {"type": "integer"}; B = {"type": "boolean"}
NS = {"type": "string", "nullable": True}; NI = {"type": "integer", "nullable": True}
def obj(req, props, extra=None):
    d = {"type": "object", "required": req, "properties": props}
    if extra: d.update(extra)
    return d
def arr(x): return {"type": "array", "items": x}

# Every whitelist (the v3 kinds' lists are `apps[].domains.<kind>` in the document).
LISTS = ["server_domains", "api_whitelist", "webview_domains", "request_domains", "upload_domains", "download_domains", "socket_domains", "media_domains", "udp_domains", "tcp_domains"]
schemas = {
 "Error": obj(["error"], {"error": obj(["code", "message"], {"code": {"type": "string", "enum": ["unauthorized", "forbidden", "not_found", "invalid_field", "conflict", "method_not_allowed", "too_large", "internal", "rate_limited", "quota_exceeded"]}, "message": S, "field": S})}),
 "Superapp": obj(["id", "name", "backend_domain", "bundle_alg", "version"], {"id": S, "name": S, "backend_domain": S, "bundle_alg": ref("BundleAlg"), "version": I}),
 "BundleAlg": {"type": "string", "enum": ["EdDSA", "HS256"], "description": "EdDSA (default): the superapp's active Ed25519 key, public keys at keys.json; HS256: the bundle key"},
 "Jwk": obj(["kty", "crv", "kid", "x"], {"kty": {"type": "string", "enum": ["OKP"]}, "crv": {"type": "string", "enum": ["Ed25519"]}, "kid": S, "x": {"type": "string", "description": "the public key, base64url"}}),
 "KeySet": obj(["keys"], {"keys": {"type": "array", "items": ref("Jwk"), "description": "next, active and retired keys, public parts only"}}),
 "RotatedKey": obj(["superapp_id", "kid", "status", "promotes_at", "keyset_version", "version"], {"superapp_id": S, "kid": S, "status": {"type": "string", "enum": ["next"]}, "promotes_at": {"type": "integer", "description": "unix seconds: promoted automatically then, unless promoted before (with an offline root: once an uploaded key set lists it)"}, "keyset_version": {"type": "integer", "nullable": True, "description": "the key set that publishes the new key (null: the root is offline, upload one)"}, "version": I}),
 "KeysetInfo": obj(["version", "issued_at", "expires_at", "source", "kids"], {"version": I, "issued_at": I, "expires_at": I, "source": {"type": "string", "enum": ["server", "upload"]}, "kids": arr(S)}),
 "Roots": obj(["superapp_id", "roots", "offline", "keyset"], {"superapp_id": S, "roots": {"type": "array", "items": ref("Jwk"), "description": "the root public keys devices pin (config.json `roots`)"}, "offline": {"type": "boolean", "description": "registered offline roots: key sets are uploaded, the server signs none"}, "keyset": {"allOf": [ref("KeysetInfo")], "nullable": True}}),
 "RootsBody": obj(["roots"], {"roots": {"type": "array", "items": ref("Jwk"), "description": "offline roots' public JWKs (no `d`); [] returns to the server's root"}}),
 "PromotedKey": obj(["superapp_id", "kid", "retired", "retired_until", "version"], {"superapp_id": S, "kid": S, "retired": NS, "retired_until": {"type": "integer", "description": "unix seconds: the retired key leaves the key set then"}, "version": I}),
 "SuperappList": obj(["superapps"], {"superapps": arr(ref("Superapp"))}),
 "NewSuperapp": obj(["id", "name", "secret_key", "backend_domain"], {"id": S, "name": S, "secret_key": {"type": "string", "description": "16, 24 or 32 ASCII letters and digits"}, "backend_domain": {"type": "string", "description": "https origin"}}),
 "SuperappPatch": obj([], {"name": S, "secret_key": S, "backend_domain": S, "bundle_alg": ref("BundleAlg")}),
 "Team": obj(["id", "name"], {"id": S, "name": S}),
 "TeamList": obj(["teams"], {"teams": arr(ref("Team"))}),
 "Role": {"type": "string", "enum": ["super_admin", "platform_admin", "superapp_admin", "superapp_senior_developer", "review_staff", "developer"]},
 "NewAccount": obj(["id", "name", "role"], {"id": S, "name": S, "role": ref("Role"), "superapp_id": S, "team_id": S}),
 "Account": obj(["id", "name", "role", "superapp_id", "team_id", "token"], {"id": S, "name": S, "role": ref("Role"), "superapp_id": NS, "team_id": NS, "token": {"type": "string", "description": "bearer token, shown once"}}),
 "Kind": {"type": "string", "enum": ["mini_program", "mini_game"]},
 "NewApp": obj(["id", "name", "kind", "team_id"], {"id": S, "name": S, "kind": ref("Kind"), "team_id": S}),
 "CreatedApp": obj(["id", "name", "kind", "team_id", "superapp_id", "app_secret", "binding", "version"], {"id": S, "name": S, "kind": ref("Kind"), "team_id": S, "superapp_id": S, "app_secret": {"type": "string", "description": "shown once"}, "binding": obj(["id", "status"], {"id": S, "status": {"type": "string", "enum": ["pending"]}}, {"description": "the binding request the superapp decides; until approved the app is in no bundle"}), "version": I}),
 "Binding": obj(["id", "superapp_id", "app_id", "status", "requested_by", "decided_by", "note", "created_at", "decided_at"], {"id": S, "superapp_id": S, "app_id": S, "status": {"type": "string", "enum": ["pending", "approved", "rejected"]}, "requested_by": S, "decided_by": NS, "note": NS, "created_at": I, "decided_at": NI, "version": I}),
 "BundleKey": obj(["superapp_id", "alg", "bundle_key"], {"superapp_id": S, "alg": {"type": "string", "enum": ["HS256"]}, "bundle_key": {"type": "string", "description": "verifies the superapp's HS256 bundles; 32 letters and digits, random, never the SecretKey"}, "version": I}),
 "BindingList": obj(["bindings"], {"bindings": arr(ref("Binding"))}),
 "Control": obj(["server_domains", "apis", "webview_domains"], {"server_domains": B, "apis": B, "webview_domains": B, "media_domains": {"type": "boolean", "description": "contract v3: check media sources against media_domains (absent: nobody set it; a v3 document then follows server_domains, with the download entries as media list)"}}),
 "Entry": obj(["id", "value", "remark"], {"id": S, "value": S, "remark": S}),
 "AppDetail": obj(["id", "superapp_id", "team_id", "kind", "name", "bound", "control", "whitelists", "granted_apis"], {"id": S, "superapp_id": S, "team_id": S, "kind": ref("Kind"), "name": S, "bound": {"type": "boolean", "description": "the superapp approved the binding (the app is in its bundle)"}, "mode": {"type": "string", "nullable": True, "enum": ["enforce", "report", None], "description": "the app's own mode (null: the policy's, enforce)"}, "control": ref("Control"), "whitelists": obj(LISTS, {l: arr(ref("Entry")) for l in LISTS}), "granted_apis": arr(S)}),
 "SensitiveApi": obj(["name", "status", "scope", "type"], {"name": S, "status": {"type": "string", "enum": ["public", "restricted"]}, "scope": {"type": "string", "enum": ["all", "mini_program", "mini_game"]}, "type": {"type": "string", "enum": ["system", "custom"]}, "description": NS, "permission": {"type": "string", "description": "contract v3: the permission it is restricted and granted as (its group, e.g. scope.userLocation, or its own name)"}, "group_apis": {"type": "array", "items": S, "description": "contract v3: the APIs of its permission group (restricting, allowing or revoking one acts on all)"}, "version": I}),
 "ApiList": obj(["apis"], {"apis": arr(ref("SensitiveApi"))}),
 "NewApi": obj(["name", "type"], {"name": S, "type": {"type": "string", "enum": ["system", "custom"]}, "scope": {"type": "string", "enum": ["all", "mini_program", "mini_game"]}, "description": S, "status": {"type": "string", "enum": ["public", "restricted"]}}),
 "Deleted": obj(["deleted", "version"], {"deleted": S, "version": I}),
 "Authorized": obj(["api", "apps"], {"api": S, "apps": arr(obj(["app_id", "kind", "team_id", "request_id", "granted_at"], {"app_id": S, "kind": ref("Kind"), "team_id": S, "request_id": S, "granted_at": I}))}),
 "NewRequest": obj(["api", "reason"], {"api": S, "reason": S}),
 "Request": obj(["id", "superapp_id", "app_id", "api", "reason", "status", "requested_by", "decided_by", "note", "created_at", "decided_at"], {"id": S, "superapp_id": S, "app_id": S, "api": S, "reason": S, "status": {"type": "string", "enum": ["pending", "approved", "rejected", "revoked"]}, "requested_by": S, "decided_by": NS, "note": NS, "created_at": I, "decided_at": NI, "version": I}),
 "RequestList": obj(["requests"], {"requests": arr(ref("Request"))}),
 "DecisionBody": obj(["decision"], {"decision": {"type": "string", "enum": ["approve", "reject"]}, "note": S}),
 "Revoked": obj(["revoked", "version"], {"revoked": obj(["app_id", "api"], {"app_id": S, "api": S}), "version": I}),
 "ModeBody": obj(["mode"], {"mode": {"type": "string", "enum": ["enforce", "report"]}}),
 "ModeResult": obj(["app_id", "mode", "version"], {"app_id": S, "mode": {"type": "string", "enum": ["enforce", "report"]}, "version": I}),
 "BlockedBody": obj(["blocked_hosts"], {"blocked_hosts": {"type": "array", "items": S, "maxItems": 200, "description": "host patterns (`api.example`, `*.internal.example`): no scheme, port, path, IP address or localhost"}}),
 "BlockedHosts": obj(["superapp_id", "blocked_hosts", "defaults"], {"superapp_id": S, "blocked_hosts": arr(S), "defaults": {"type": "array", "items": S, "description": "blocked in every bundle besides blocked_hosts: the backend domain's host and the server's openserver host"}, "version": I}),
 "ControlResult": obj(["control", "version"], {"control": ref("Control"), "version": I}),
 "EntryBody": obj(["value"], {"value": S, "remark": {"type": "string", "maxLength": 200}}),
 "EntryResult": obj(["id", "list", "value", "remark", "version"], {"id": S, "list": S, "value": S, "remark": S, "version": I}),
 "Audit": obj(["scope", "records"], {"scope": S, "records": arr(obj(["version", "actor", "action", "target", "before", "after", "at"], {"version": I, "actor": S, "action": S, "target": S, "before": {"nullable": True}, "after": {"nullable": True}, "at": I}))}),
 "UserBody": obj(["user_id"], {"user_id": S, "phone": S, "email": S}),
 "User": obj(["user_id"], {"user_id": S}),
 "CodeBody": obj(["kind", "app_id", "user_id"], {"kind": {"type": "string", "enum": ["login", "phone", "email"]}, "app_id": S, "user_id": S}),
 "Code": obj(["code", "kind", "expires_in"], {"code": S, "kind": S, "expires_in": I}),
 "Session": obj(["errcode", "errmsg", "requestId", "openid", "session_key", "unionid"], {"errcode": I, "errmsg": S, "requestId": S, "openid": S, "session_key": S, "unionid": S}),
 "Token": obj(["errcode", "errmsg", "requestId"], {"errcode": I, "errmsg": S, "requestId": S, "access_token": S, "expires_in": I}),
 "WxStatus": obj(["errcode", "errmsg", "requestId"], {"errcode": I, "errmsg": S, "requestId": S}),
 "ReleaseBody": obj(["access_token", "openid", "code"], {"access_token": S, "openid": S, "code": S}),
 "Phone": obj(["errcode", "errmsg", "requestId"], {"errcode": I, "errmsg": S, "requestId": S, "phone_info": obj(["phoneNumber"], {"phoneNumber": S})}),
 "Email": obj(["errcode", "errmsg", "requestId"], {"errcode": I, "errmsg": S, "requestId": S, "email_address": obj(["emailAddress"], {"emailAddress": S})}),
}

def j(name): return {"content": {"application/json": {"schema": ref(name)}}}
ERR = {c: dict(description=d, **j("Error")) for c, d in [("400", "malformed input; `error.field` names the field"), ("401", "missing or unknown bearer token"), ("403", "role or scope does not allow this"), ("404", "not found"), ("409", "conflict")]}
def op(summary, ok_code, ok_schema, body=None, params=(), query=(), security=True, errors=True):
    o = {"summary": summary, "responses": {ok_code: dict(description="success", **j(ok_schema))}}
    if errors: o["responses"].update(ERR)
    if body: o["requestBody"] = {"required": True, **j(body)}
    ps = [{"name": p, "in": "path", "required": True, "schema": S} for p in params]
    ps += [{"name": q, "in": "query", "required": r, "schema": S} for q, r in query]
    if ps: o["parameters"] = ps
    if not security: o["security"] = []
    return o

bundle_resp = {"200": {"description": "the signed bundle (JWS compact: EdDSA with the superapp's active key and its kid, or HS256 with its bundle key, never its SecretKey); expires_at = issued_at + the configured lifetime, re-issued as a new version once half of it has passed", "headers": {"ETag": {"schema": S}}, "content": {"application/jose": {"schema": S}}}, "304": {"description": "If-None-Match matched the current ETag"}, "404": dict(description="not found", **j("Error"))}
hdr = [{"name": "If-None-Match", "in": "header", "required": False, "schema": S}]
# Long-poll (RFC 7240): with a current If-None-Match, held until the scope changes or the wait runs out.
prefer = [{"name": "Prefer", "in": "header", "required": False, "schema": S, "description": "`wait=N`: with an If-None-Match that matches, hold the request until the superapp changes (200) or min(N, --max-wait-seconds) passes (304). Answers carry `Preference-Applied: wait=<applied>` when the wait was accepted; a 304 without it was not held (no usable wait, or the waiter limit)"}]
bundle_resp["200"]["headers"]["Preference-Applied"] = {"schema": S}
bundle_resp["304"] = {"description": "If-None-Match matched the current ETag: at once, or after the wait ran out", "headers": {"ETag": {"schema": S}, "Preference-Applied": {"schema": S}}}
keyset_resp = json.loads(json.dumps(bundle_resp))
keyset_resp["200"]["description"] = "the key set in force (JWS compact, typ guard-keyset+jws, signed by a root): the superapp's published signing keys; server-signed ones expire 28 days after issued_at and are re-issued as a new version after 14, and every change of the keys is a new version"

paths = {
 "/api/v1/superapps": {"post": op("create a superapp (with the default sensitive API list)", "201", "Superapp", "NewSuperapp"), "get": op("superapps the caller may see", "200", "SuperappList")},
 "/api/v1/superapps/{sid}": {"get": op("a superapp", "200", "Superapp", params=["sid"]), "patch": op("change name, SecretKey or backend domain", "200", "Superapp", "SuperappPatch", params=["sid"])},
 "/api/v1/superapps/{sid}/bundle-key": {"get": op("the key devices verify the superapp's bundles with (superapp admin)", "200", "BundleKey", params=["sid"])},
 "/api/v1/superapps/{sid}/bundle-key/rotate": {"post": op("a new random bundle key; the next bundle is signed with it", "200", "BundleKey", params=["sid"])},
 "/api/v1/superapps/{sid}/keys.json": {"get": {"summary": "the superapp's public key set (EdDSA bundles), unauthenticated", "security": [], "parameters": [{"name": "sid", "in": "path", "required": True, "schema": S}] + hdr, "responses": {"200": dict(description="the key set; ETag: a digest of it", **j("KeySet")), "304": {"description": "If-None-Match matched"}, "404": dict(description="unknown superapp", **j("Error"))}}},
 "/api/v1/superapps/{sid}/signing-keys/rotate": {"post": op("a next signing key: published at once, signs after promotion (409 if one is pending)", "200", "RotatedKey", params=["sid"])},
 "/api/v1/superapps/{sid}/signing-keys/promote": {"post": op("the next key signs from now on; the active one is retired for the grace period (409 without a next key)", "200", "PromotedKey", params=["sid"])},
 "/api/v1/superapps/{sid}/roots": {"get": op("the root public keys devices pin and the key set in force", "200", "Roots", params=["sid"]), "put": op("register offline roots (key sets are then uploaded) or [] for the server's root (superapp admin)", "200", "Roots", "RootsBody", params=["sid"])},
 "/api/v1/superapps/{sid}/keyset": {"get": {"summary": "the key set in force (contract v3 §2.1): JWS signed by a root, unauthenticated", "security": [], "parameters": [{"name": "sid", "in": "path", "required": True, "schema": S}] + hdr + prefer, "responses": keyset_resp}, "put": dict(op("upload a key set signed by an offline root (superapp admin): verified against the roots, served as given", "200", "KeysetInfo", params=["sid"]), requestBody={"required": True, "content": {"application/jose": {"schema": S}}})},
 "/api/v1/superapps/{sid}/blocked-hosts": {"get": op("hosts no app of the superapp may reach (the console's patterns and the defaults)", "200", "BlockedHosts", params=["sid"]), "put": op("replace the console's blocked-host patterns (superapp admin, senior developer)", "200", "BlockedHosts", "BlockedBody", params=["sid"])},
 "/api/v1/teams": {"post": op("create a team", "201", "Team", "Team"), "get": op("teams", "200", "TeamList")},
 "/api/v1/accounts": {"post": op("create an account; its token is returned once", "201", "Account", "NewAccount")},
 "/api/v1/superapps/{sid}/apps": {"post": op("create a mini program or game and file its binding request to the superapp", "201", "CreatedApp", "NewApp", params=["sid"])},
 "/api/v1/superapps/{sid}/bindings": {"get": op("binding requests (status=pending: to decide)", "200", "BindingList", params=["sid"], query=[("status", False)])},
 "/api/v1/bindings/{bid}/decision": {"post": op("approve (the app joins the bundle) or reject a pending binding (409 if already decided)", "200", "Binding", "DecisionBody", params=["bid"])},
 "/api/v1/apps/{app}": {"get": op("an app with its switches, whitelists and granted APIs", "200", "AppDetail", params=["app"])},
 "/api/v1/superapps/{sid}/apis": {"get": op("the sensitive API list", "200", "ApiList", params=["sid"]), "post": op("add a system or custom sensitive API", "201", "SensitiveApi", "NewApi", params=["sid"])},
 "/api/v1/superapps/{sid}/apis/{name}": {"delete": op("delete a custom sensitive API", "200", "Deleted", params=["sid", "name"])},
 "/api/v1/superapps/{sid}/apis/{name}/restrict": {"post": op("set status restricted", "200", "SensitiveApi", params=["sid", "name"])},
 "/api/v1/superapps/{sid}/apis/{name}/allow": {"post": op("set status public", "200", "SensitiveApi", params=["sid", "name"])},
 "/api/v1/superapps/{sid}/apis/{name}/authorized": {"get": op("apps authorized for the API", "200", "Authorized", params=["sid", "name"])},
 "/api/v1/apps/{app}/requests": {"post": op("request permission for a restricted API", "201", "Request", "NewRequest", params=["app"]), "get": op("the app's requests", "200", "RequestList", params=["app"])},
 "/api/v1/superapps/{sid}/requests": {"get": op("requests (status=pending: approvals; approved: the approved list)", "200", "RequestList", params=["sid"], query=[("status", False)])},
 "/api/v1/requests/{rid}/decision": {"post": op("approve or reject a pending request (409 if already decided)", "200", "Request", "DecisionBody", params=["rid"])},
 "/api/v1/apps/{app}/grants/{api}": {"delete": op("revoke an authorization; the app must request again", "200", "Revoked", params=["app", "api"])},
 "/api/v1/apps/{app}/control": {"put": op("the permission-control switches (media_domains, contract v3: optional, left as it is when absent)", "200", "ControlResult", "Control", params=["app"])},
 "/api/v1/apps/{app}/mode": {"put": op("the app's mode: report (denials reported, calls go through) or enforce", "200", "ModeResult", "ModeBody", params=["app"])},
 "/api/v1/apps/{app}/whitelists/{list}": {"post": op("add an entry (list: server_domains, api_whitelist, webview_domains; contract v3: request_domains, upload_domains, download_domains, socket_domains, media_domains (https or wss origins), udp_domains, tcp_domains (host or host:port))", "201", "EntryResult", "EntryBody", params=["app", "list"])},
 "/api/v1/apps/{app}/whitelists/{list}/{entry}": {"put": op("edit an entry", "200", "EntryResult", "EntryBody", params=["app", "list", "entry"]), "delete": op("delete an entry", "200", "Deleted", params=["app", "list", "entry"])},
 "/api/v1/superapps/{sid}/audit": {"get": op("append-only audit records (sid `_platform`: platform changes)", "200", "Audit", params=["sid"], query=[("after", False)])},
 "/api/v1/superapps/{sid}/bundle": {"get": {"summary": "the superapp's signed policy bundle", "security": [], "parameters": [{"name": "sid", "in": "path", "required": True, "schema": S}] + hdr + prefer, "responses": bundle_resp}},
 "/api/v1/apps/{app}/bundle": {"get": {"summary": "one app's signed policy bundle", "security": [], "parameters": [{"name": "app", "in": "path", "required": True, "schema": S}] + hdr + prefer, "responses": bundle_resp}},
 "/api/v1/superapps/{sid}/users": {"post": dict(op("superapp backend (bearer: SecretKey): create or update a user", "200", "User", "UserBody", params=["sid"]), security=[{"superappKey": []}])},
 "/api/v1/superapps/{sid}/codes": {"post": dict(op("superapp backend (bearer: SecretKey): mint a login, phone or email code (5 min, single use)", "201", "Code", "CodeBody", params=["sid"]), security=[{"superappKey": []}])},
 "/openserver/sns/jscode2session": {"get": op("exchange a login code", "200", "Session", query=[("appid", True), ("secret", True), ("js_code", True), ("grant_type", True)], security=False, errors=False)},
 "/openserver/cgi-bin/token": {"get": op("get an access token (7200 s)", "200", "Token", query=[("appid", True), ("secret", True), ("grant_type", True)], security=False, errors=False)},
 "/openserver/wxa/checksession": {"get": op("check a session: signature = hmac_sha256(session_key, \"\")", "200", "WxStatus", query=[("access_token", True), ("openid", True), ("signature", True), ("sig_method", True)], security=False, errors=False)},
 "/openserver/wxa/business/getuserphonenumber": {"post": op("phone number, if the app's policy allows getPhoneNumber", "200", "Phone", "ReleaseBody", security=False, errors=False)},
 "/openserver/wxa/business/getemailaddress": {"post": op("email, if the app's policy allows getEmailAddress", "200", "Email", "ReleaseBody", security=False, errors=False)},
 "/openapi.json": {"get": {"summary": "this document", "security": [], "responses": {"200": {"description": "OpenAPI 3.0", "content": {"application/json": {}}}}}},
 "/healthz": {"get": {"summary": "liveness", "security": [], "responses": {"200": {"description": "ok", "content": {"text/plain": {"schema": S}}}}}},
}
# Application management (seed 001): profile, details, config file, versions, release review, packages, QR codes.
PROFILE = {"team_id": NS, "description": S, "android_package": {"type": "string", "nullable": True, "description": "Android applicationId: two or more dot-separated segments of [a-zA-Z][a-zA-Z0-9_]*"}, "ios_bundle_id": {"type": "string", "nullable": True, "description": "iOS CFBundleIdentifier: two or more dot-separated segments of [A-Za-z0-9-]"}}
for name in ["Superapp", "NewSuperapp", "SuperappPatch"]:
    schemas[name]["properties"].update({k: v for k, v in PROFILE.items() if not (name == "SuperappPatch" and k == "team_id")})
REL_STATUS = {"type": "string", "enum": ["pending", "approved", "rejected"]}
schemas.update({
 "SuperappDetails": obj(["id", "name", "backend_domain", "version", "sensitive_apis", "config_url"], dict(schemas["Superapp"]["properties"], sensitive_apis=arr(ref("SensitiveApi")), config_url=S)),
 "SuperappConfig": obj(["format", "superapp_id", "name", "server_url", "bundle_url", "app_bundle_url_template", "package_url_template", "keys_url", "keyset_url", "roots", "reports_url", "long_poll_seconds", "open_url_template", "android_package", "ios_bundle_id"], {"format": {"type": "string", "enum": ["guard-superapp-config/1"]}, "superapp_id": S, "name": S, "server_url": S, "bundle_url": S, "app_bundle_url_template": S, "package_url_template": S, "keys_url": {"type": "string", "description": "the signing keys as bare JWKs (v2 SDKs; v3 devices use keyset_url)"}, "keyset_url": {"type": "string", "description": "the key set signed by a root (contract v3)"}, "roots": {"type": "array", "items": ref("Jwk"), "description": "the root public keys devices pin (contract v3)"}, "reports_url": {"type": "string", "description": "where devices POST violation reports"}, "long_poll_seconds": {"type": "integer", "description": "what clients send as Prefer: wait= on the bundle routes (0: the server holds no request)"}, "open_url_template": S, "android_package": NS, "ios_bundle_id": NS}),
 "AppVersion": obj(["id", "app_id", "app_version", "description", "package_sha256", "size", "uploaded_by", "created_at"], {"id": S, "app_id": S, "app_version": S, "description": S, "package_sha256": S, "size": I, "uploaded_by": S, "created_at": I, "entries": I, "version": I}),
 "VersionList": obj(["versions"], {"versions": arr(ref("AppVersion"))}),
 "SubmitRelease": obj(["app_version"], {"app_version": S}),
 "Release": obj(["id", "superapp_id", "app_id", "team_id", "app_version", "package_sha256", "status", "requested_by", "decided_by", "note", "created_at", "decided_at"], {"id": S, "superapp_id": S, "app_id": S, "team_id": S, "app_version": S, "version": I, "package_sha256": S, "status": REL_STATUS, "requested_by": S, "decided_by": NS, "note": NS, "created_at": I, "decided_at": NI}),
 "ReleaseList": obj(["releases"], {"releases": arr(ref("Release"))}),
 "Released": obj(["released"], {"released": arr(obj(["app_id", "team_id", "name", "kind", "app_version", "package_sha256", "release_id", "released_by", "released_at", "qrcode_png", "qrcode_svg"], {"app_id": S, "team_id": S, "name": S, "kind": ref("Kind"), "app_version": S, "package_sha256": S, "release_id": S, "released_by": NS, "released_at": NI, "qrcode_png": S, "qrcode_svg": S}))}),
 "RemovedRelease": obj(["removed", "version"], {"removed": obj(["app_id", "app_version", "removed"], {"app_id": S, "app_version": S, "removed": B}), "version": I}),
})
def public(summary, ok, params):
    return {"summary": summary, "security": [], "parameters": [{"name": p, "in": "path", "required": True, "schema": S} for p in params], "responses": dict(ok, **{"404": dict(description="not found, nothing released, or removed", **j("Error"))})}
upload = op("upload a code package (raw zip body, at most --max-package-bytes) as a version of the team's app", "201", "AppVersion", params=["app"], query=[("app_version", True), ("description", False)])
upload["requestBody"] = {"required": True, "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}
upload["responses"]["413"] = dict(description="the package is larger than --max-package-bytes (`too_large`), or would take the app or its team over its byte quota (`quota_exceeded`, the message names the limit)", **j("Error"))
upload["responses"]["429"] = dict(description="the app or its team holds its quota of versions (`quota_exceeded`), or the team uploaded its quota this hour (`rate_limited`, with Retry-After); the message names the limit", headers={"Retry-After": {"schema": I}}, **j("Error"))
upload["responses"]["409"] = dict(description="the app's binding is not approved, or the version exists", **j("Error"))
upload["summary"] += "; 400 naming the refused entry (symlink, absolute, drive or `..` path, backslash, colon or other character Windows forbids, Windows device name, segment ending in a dot or space, control character, duplicate name, case ignored, encrypted entry, data before, between or after the entries)"
schemas["PackageFiles"] = obj(["release_id", "package_sha256", "size", "files"], {"release_id": S, "package_sha256": S, "size": I, "files": arr(obj(["name", "size"], {"name": {"type": "string", "description": "path in the package; a directory ends in /"}, "size": {"type": "integer", "description": "bytes unpacked"}}))})
paths.update({
 "/api/v1/superapps/{sid}/details": {"get": op("a superapp with its sensitive API list and where its configuration file is", "200", "SuperappDetails", params=["sid"])},
 "/api/v1/superapps/{sid}/config.json": {"get": op("the configuration file the superapp's SDK boots the guard with (no signing or authenticating key)", "200", "SuperappConfig", params=["sid"])},
 "/api/v1/apps/{app}/versions": {"post": upload, "get": op("the app's versions, newest first", "200", "VersionList", params=["app"])},
 "/api/v1/apps/{app}/releases": {"post": op("submit a version for release in the superapp the app is bound to", "201", "Release", "SubmitRelease", params=["app"]), "get": op("the app's release requests and their outcome", "200", "ReleaseList", params=["app"])},
 "/api/v1/superapps/{sid}/releases": {"get": op("release review list (status=pending|reviewed, team, app)", "200", "ReleaseList", params=["sid"], query=[("status", False), ("team", False), ("app", False)])},
 "/api/v1/releases/{rid}/decision": {"post": op("approve (releases the version, replacing the previous release, clearing removal) or reject a pending release (409 if already decided)", "200", "Release", "DecisionBody", params=["rid"])},
 "/api/v1/releases/{rid}/package": {"get": dict(op("the submitted package of a release request, pending or decided, as an attachment (the superapp's administrators and review staff)", "200", "Error", params=["rid"]), responses=dict(ERR, **{"200": {"description": "the zip", "headers": {"X-Package-Sha256": {"schema": S}, "Content-Disposition": {"schema": S}}, "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}}))},
 "/api/v1/releases/{rid}/files": {"get": op("the file list (names, sizes unpacked) of a release request's package (the superapp's administrators and review staff; 409 for a package that fails today's checks)", "200", "PackageFiles", params=["rid"])},
 "/api/v1/superapps/{sid}/released": {"get": op("released (listed, not removed) mini programs with their QR codes (team, app)", "200", "Released", params=["sid"], query=[("team", False), ("app", False)])},
 "/api/v1/apps/{app}/release": {"delete": op("remove (delist) the released mini program: the bundle carries removed: true (409 if not released)", "200", "RemovedRelease", params=["app"])},
 "/api/v1/apps/{app}/package": {"get": public("the released code package (for the base library)", {"200": {"description": "the zip", "headers": {"ETag": {"schema": S}, "X-Package-Sha256": {"schema": S}}, "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}, "304": {"description": "If-None-Match matched"}}, ["app"])},
 "/api/v1/apps/{app}/qrcode.png": {"get": public("QR code (PNG) of guardmp://open?superapp=…&app=…&version=… for the released version", {"200": {"description": "PNG", "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}}, ["app"])},
 "/api/v1/apps/{app}/qrcode.svg": {"get": public("QR code (SVG) of the same link", {"200": {"description": "SVG", "content": {"image/svg+xml": {"schema": S}}}}, ["app"])},
})
# The web console (issue 14): the lists its screens read, for automation too.
schemas.update({
 "AccountInfo": obj(["id", "name", "role", "superapp_id", "team_id", "created_at", "has_password", "disabled"], {"id": S, "name": S, "role": ref("Role"), "superapp_id": NS, "team_id": NS, "created_at": I, "has_password": {"type": "boolean", "description": "a console password is set"}, "disabled": {"type": "boolean", "description": "disabled: its token, sessions, password and invites do nothing"}}),
 "AccountState": obj(["id", "disabled", "version"], {"id": S, "disabled": B, "version": I}),
 "AccountList": obj(["accounts"], {"accounts": arr(ref("AccountInfo"))}),
 "AppSummary": obj(["id", "name", "kind", "superapp_id", "team_id", "bound", "mode", "release_version", "removed"], {"id": S, "name": S, "kind": ref("Kind"), "superapp_id": S, "team_id": S, "bound": B, "mode": {"type": "string", "nullable": True, "enum": ["enforce", "report", None]}, "release_version": NS, "removed": B}),
 "AppList": obj(["apps"], {"apps": arr(ref("AppSummary"))}),
 "Invite": obj(["account_id", "code", "url", "expires_at"], {"account_id": S, "code": {"type": "string", "description": "gi_…, shown once, stored hashed; one use"}, "url": {"type": "string", "description": "the console's invite page with the code in the fragment (#gi_…), which never reaches a server"}, "expires_at": I}),
})
paths["/api/v1/accounts/{id}/invites"] = {"post": op("a one-time invite that sets (or resets) the account's console password; supersedes its unused invites (super admin)", "201", "Invite", params=["id"])}
paths["/api/v1/accounts/{id}/disable"] = {"post": op("disable the account: its bearer token is refused, its console sessions end, its password signs nobody in, its unused invites are deleted; not one's own (super admin; 409 when already disabled)", "200", "AccountState", params=["id"])}
paths["/api/v1/accounts/{id}/enable"] = {"post": op("enable a disabled account again: its token and password work again; its sessions and invites do not come back (super admin; 409 when already active)", "200", "AccountState", params=["id"])}
paths["/api/v1/accounts"]["get"] = op("every account (super admin, platform admin)", "200", "AccountList")
paths["/api/v1/apps"] = {"get": op("the apps the caller may read (superapp, team)", "200", "AppList", query=[("superapp", False), ("team", False)])}
# The device loop (issue 15): violation reports from devices, and the console's view of them.
KINDS = ["api", "request", "upload", "download", "socket", "webview", "launch", "tcp", "udp", "media"]
CODES = ["no_policy", "unknown_app", "api_not_whitelisted", "permission_not_granted", "invalid_url", "insecure_scheme", "domain_not_whitelisted", "port_not_allowed", "domain_blocked", "app_removed", "version_not_released"]
MODE = {"type": "string", "enum": ["enforce", "report"]}
schemas.update({
 "Report": obj(["app", "kind", "code", "mode", "policy_version", "count", "first_seen", "last_seen"], {"app": S, "kind": {"type": "string", "enum": KINDS}, "api": {"type": "string", "description": "kind api only: the API name"}, "host": {"type": "string", "description": "network kinds only: the host as the guard parsed it (lower case; an IPv6 address in brackets; never a port, path or query); absent when the target did not parse"}, "code": {"type": "string", "enum": CODES}, "mode": MODE, "policy_version": I, "count": {"type": "integer", "minimum": 1, "maximum": 1099511627776}, "first_seen": {"type": "integer", "description": "device clock, unix seconds (not trusted, not stored)"}, "last_seen": I}),
 "ReportBatch": obj(["reports"], {"reports": {"type": "array", "maxItems": 100, "items": ref("Report")}, "dropped": {"type": "integer", "description": "denials the device counted but could not keep"}}),
 "ReportsTaken": obj(["accepted", "refused"], {"accepted": I, "refused": {"type": "integer", "description": "reports for apps not bound to the superapp, or of a policy version it never had: not stored"}}),
 "Violation": obj(["kind", "api", "host", "other", "code", "mode", "count", "policy_version", "first_seen", "last_seen"], {"kind": {"type": "string", "enum": KINDS}, "api": NS, "host": NS, "other": {"type": "boolean", "description": "the sum of the subjects beyond the app's row bound (api and host null)"}, "code": {"type": "string", "enum": CODES}, "mode": MODE, "count": I, "policy_version": {"type": "integer", "description": "the highest policy version reported"}, "first_seen": {"type": "integer", "description": "server clock, unix seconds"}, "last_seen": I}),
 "AppViolations": obj(["app_id", "superapp_id", "mode", "reports", "rows", "max_rows", "top_hosts", "top_apis", "launches", "other", "would_break"], {"app_id": S, "superapp_id": S, "mode": MODE, "reports": {"type": "integer", "description": "reports received"}, "rows": I, "max_rows": I, "top_hosts": arr(ref("Violation")), "top_apis": arr(ref("Violation")), "launches": arr(ref("Violation")), "other": arr(ref("Violation")), "would_break": {"type": "array", "items": ref("Violation"), "description": "the mode report rows: what enforcing would deny"}}),
 "SuperappViolations": obj(["superapp_id", "dropped", "apps"], {"superapp_id": S, "dropped": I, "apps": arr(obj(["app_id", "mode", "denied", "would_break", "rows", "last_seen"], {"app_id": S, "mode": MODE, "denied": I, "would_break": I, "rows": I, "last_seen": NI}))}),
})
reports_post = {"summary": "violation reports from a device (no credentials; at most 100 reports, 32 KiB)", "security": [], "parameters": [{"name": "sid", "in": "path", "required": True, "schema": S}], "requestBody": {"required": True, **j("ReportBatch")},
  "responses": {"202": dict(description="taken", **j("ReportsTaken")), "400": dict(description="malformed; `error.field` names the field", **j("Error")), "404": dict(description="unknown superapp", **j("Error")), "413": dict(description="larger than 32 KiB", **j("Error")), "429": dict(description="too many reports from this client address, or for an app of the batch; nothing stored", headers={"Retry-After": {"schema": I}}, **j("Error"))}}
paths.update({
 "/api/v1/superapps/{sid}/reports": {"post": reports_post},
 "/api/v1/apps/{app}/violations": {"get": op("the app's violation counters: top denied hosts and APIs, and what enforcing would break (whoever may read the app)", "200", "AppViolations", params=["app"], query=[("limit", False)])},
 "/api/v1/superapps/{sid}/violations": {"get": op("every bound app's violation totals, and the denials devices could not keep (approval-list readers)", "200", "SuperappViolations", params=["sid"])},
})
paths["/api/v1/superapps"]["get"]["parameters"] = [{"name": "team", "in": "query", "required": False, "schema": S}]
for p in ["/openserver/wxa/business/getuserphonenumber", "/openserver/wxa/business/getemailaddress"]:
    paths[p]["post"]["responses"]["400"] = dict(description="malformed body (errcode 47001)", **j("WxStatus"))
doc = {"openapi": "3.0.3", "info": {"title": "guard serve", "version": "1", "description": "Console API, signed policy distribution and the openserver login API. See docs/server.md."},
       "servers": [{"url": "http://127.0.0.1:8080"}], "security": [{"bearer": []}],
       "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}, "superappKey": {"type": "http", "scheme": "bearer", "description": "the superapp's SecretKey"}}, "schemas": schemas},
       "paths": paths}
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "..", "src", "openapi.json"), "w") as f:
    json.dump(doc, f, indent=1, sort_keys=True); f.write("\n")
