//! Every (role, action) pair: allowed → 2xx, forbidden → 403 with a JSON error
//! naming the role and the action. On SQLite (the decisions do not
//! depend on the store: decision 340).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::{stores, unique, Harness};
use serde_json::{json, Value};

const ROLES: [&str; 6] = ["admin", "platform", "sa_admin", "senior", "review", "dev"];

/// (action, roles allowed). `admin` is the bootstrap super admin.
const MATRIX: &[(&str, &[&str])] = &[
    ("create_superapp", &["admin", "platform"]),
    ("configure_superapp", &["sa_admin"]),
    ("create_team", &["admin", "platform"]),
    ("create_account", &["admin"]),
    ("disable_account", &["admin"]),
    ("create_app", &["admin", "platform", "dev"]),
    (
        "view_superapp",
        &["admin", "platform", "sa_admin", "senior", "review", "dev"],
    ),
    (
        "view_apis",
        &["admin", "platform", "sa_admin", "senior", "review", "dev"],
    ),
    ("add_api", &["sa_admin", "senior"]),
    ("restrict_api", &["sa_admin", "senior"]),
    ("allow_api", &["sa_admin", "senior"]),
    ("delete_api", &["sa_admin", "senior"]),
    (
        "pending_requests",
        &["admin", "platform", "sa_admin", "senior", "review"],
    ),
    (
        "approved_list",
        &["admin", "platform", "sa_admin", "senior", "review"],
    ),
    (
        "authorized_apps",
        &["admin", "platform", "sa_admin", "senior", "review"],
    ),
    (
        "view_bindings",
        &["admin", "platform", "sa_admin", "senior", "review"],
    ),
    ("approve_binding", &["sa_admin", "review"]),
    ("reject_binding", &["sa_admin", "review"]),
    ("approve", &["sa_admin", "review"]),
    ("reject", &["sa_admin", "review"]),
    ("revoke", &["sa_admin", "senior"]),
    ("request_permission", &["dev"]),
    ("set_control", &["sa_admin", "senior"]),
    ("set_mode", &["sa_admin", "senior"]),
    (
        "view_blocked_hosts",
        &["admin", "platform", "sa_admin", "senior", "review", "dev"],
    ),
    ("set_blocked_hosts", &["sa_admin", "senior"]),
    ("add_whitelist_entry", &["sa_admin", "senior"]),
    ("edit_whitelist_entry", &["sa_admin", "senior"]),
    ("delete_whitelist_entry", &["sa_admin", "senior"]),
    (
        "view_audit",
        &["admin", "platform", "sa_admin", "senior", "review"],
    ),
    (
        "view_app",
        &["admin", "platform", "sa_admin", "senior", "review", "dev"],
    ),
    (
        "app_requests",
        &["admin", "platform", "sa_admin", "senior", "review", "dev"],
    ),
    // Application management (seed 001).
    (
        "download_config",
        &["admin", "platform", "sa_admin", "senior"],
    ),
    (
        "view_details",
        &["admin", "platform", "sa_admin", "senior", "review", "dev"],
    ),
    ("upload_version", &["dev"]),
    (
        "list_versions",
        &["admin", "platform", "sa_admin", "senior", "review", "dev"],
    ),
    ("submit_release", &["dev"]),
    (
        "app_releases",
        &["admin", "platform", "sa_admin", "senior", "review", "dev"],
    ),
    (
        "view_releases",
        &["admin", "platform", "sa_admin", "senior", "review"],
    ),
    (
        "view_released",
        &["admin", "platform", "sa_admin", "senior", "review"],
    ),
    ("approve_release", &["sa_admin", "review"]),
    ("reject_release", &["sa_admin", "review"]),
    ("remove_release", &["sa_admin", "review"]),
    // Opening a submitted package (decision 424): who decides releases.
    ("download_package", &["sa_admin", "review"]),
    ("package_files", &["sa_admin", "review"]),
    // Violation reports (issue 15): an app's, whoever may read the app; a
    // superapp's, the approval-list readers.
    (
        "app_violations",
        &["admin", "platform", "sa_admin", "senior", "review", "dev"],
    ),
    (
        "superapp_violations",
        &["admin", "platform", "sa_admin", "senior", "review"],
    ),
];

/// `dev` uploads a fresh version of mp1 and submits it; returns the release id.
async fn pending_release(h: &Harness) -> String {
    let v = unique("1.0.");
    h.submit_release("dev", "mp1", &v, &v).await.0
}

/// A restricted custom API (added by the superapp admin) and, optionally, a
/// pending request for it by `dev` on mp1; returns (api, request id).
async fn custom_api(h: &Harness, request: bool) -> (String, Option<String>) {
    let api = unique("capi").replace('_', "x");
    h.ok(
        "sa_admin",
        "POST",
        "/api/v1/superapps/sa1/apis",
        Some(json!({"name": api, "type": "custom", "description": "d"})),
        201,
    )
    .await;
    if !request {
        return (api, None);
    }
    let r = h
        .ok(
            "dev",
            "POST",
            "/api/v1/apps/mp1/requests",
            Some(json!({"api": api, "reason": "r"})),
            201,
        )
        .await;
    (api, Some(r["id"].as_str().unwrap().to_owned()))
}

/// Performs `action` as `who`; returns (status, body).
async fn attempt(h: &Harness, action: &str, who: &str) -> (u16, Value) {
    let u = unique("x");
    let (method, path, body): (&str, String, Option<Value>) = match action {
        "create_superapp" => (
            "POST",
            "/api/v1/superapps".into(),
            Some(
                json!({"id": u, "name": "n", "secret_key": common::SECRET, "backend_domain": "https://b.example.com"}),
            ),
        ),
        "configure_superapp" => (
            "PATCH",
            "/api/v1/superapps/sa1".into(),
            Some(json!({"name": u})),
        ),
        "create_team" => (
            "POST",
            "/api/v1/teams".into(),
            Some(json!({"id": u, "name": "n"})),
        ),
        "create_account" => (
            "POST",
            "/api/v1/accounts".into(),
            Some(json!({"id": u, "name": "n", "role": "developer", "team_id": "t1"})),
        ),
        "disable_account" => {
            h.ok(
                "admin",
                "POST",
                "/api/v1/accounts",
                Some(json!({"id": u, "name": "n", "role": "developer", "team_id": "t1"})),
                201,
            )
            .await;
            ("POST", format!("/api/v1/accounts/{u}/disable"), None)
        }
        "create_app" => (
            "POST",
            "/api/v1/superapps/sa1/apps".into(),
            Some(json!({"id": u, "name": "n", "kind": "mini_program", "team_id": "t1"})),
        ),
        "view_superapp" => ("GET", "/api/v1/superapps/sa1".into(), None),
        "view_apis" => ("GET", "/api/v1/superapps/sa1/apis".into(), None),
        "add_api" => (
            "POST",
            "/api/v1/superapps/sa1/apis".into(),
            Some(
                json!({"name": u.replace('_', "x"), "type": "custom", "description": "d", "scope": "mini_game"}),
            ),
        ),
        "restrict_api" => (
            "POST",
            "/api/v1/superapps/sa1/apis/getLocation/restrict".into(),
            None,
        ),
        "allow_api" => (
            "POST",
            "/api/v1/superapps/sa1/apis/chooseImage/allow".into(),
            None,
        ),
        "delete_api" => {
            let (api, _) = custom_api(h, false).await;
            ("DELETE", format!("/api/v1/superapps/sa1/apis/{api}"), None)
        }
        "view_bindings" => (
            "GET",
            "/api/v1/superapps/sa1/bindings?status=pending".into(),
            None,
        ),
        "approve_binding" | "reject_binding" => {
            let app = h
                .ok(
                    "dev",
                    "POST",
                    "/api/v1/superapps/sa1/apps",
                    Some(json!({"id": u, "name": "n", "kind": "mini_program", "team_id": "t1"})),
                    201,
                )
                .await;
            let d = action.strip_suffix("_binding").unwrap();
            (
                "POST",
                format!(
                    "/api/v1/bindings/{}/decision",
                    app["binding"]["id"].as_str().unwrap()
                ),
                Some(json!({"decision": d, "note": "n"})),
            )
        }
        "pending_requests" => (
            "GET",
            "/api/v1/superapps/sa1/requests?status=pending".into(),
            None,
        ),
        "approved_list" => (
            "GET",
            "/api/v1/superapps/sa1/requests?status=approved".into(),
            None,
        ),
        "authorized_apps" => (
            "GET",
            "/api/v1/superapps/sa1/apis/getLocation/authorized".into(),
            None,
        ),
        "approve" | "reject" => {
            let (_, rid) = custom_api(h, true).await;
            let d = if action == "approve" {
                "approve"
            } else {
                "reject"
            };
            (
                "POST",
                format!("/api/v1/requests/{}/decision", rid.unwrap()),
                Some(json!({"decision": d, "note": "n"})),
            )
        }
        "revoke" => {
            let (api, rid) = custom_api(h, true).await;
            h.ok(
                "sa_admin",
                "POST",
                &format!("/api/v1/requests/{}/decision", rid.unwrap()),
                Some(json!({"decision": "approve"})),
                200,
            )
            .await;
            ("DELETE", format!("/api/v1/apps/mp1/grants/{api}"), None)
        }
        "request_permission" => {
            let (api, _) = custom_api(h, false).await;
            (
                "POST",
                "/api/v1/apps/mp1/requests".into(),
                Some(json!({"api": api, "reason": "need it"})),
            )
        }
        "set_control" => (
            "PUT",
            "/api/v1/apps/mp1/control".into(),
            Some(json!({"server_domains": true, "apis": false, "webview_domains": false})),
        ),
        "set_mode" => (
            "PUT",
            "/api/v1/apps/mp1/mode".into(),
            Some(json!({"mode": "report"})),
        ),
        "view_blocked_hosts" => ("GET", "/api/v1/superapps/sa1/blocked-hosts".into(), None),
        "set_blocked_hosts" => (
            "PUT",
            "/api/v1/superapps/sa1/blocked-hosts".into(),
            Some(json!({"blocked_hosts": [format!("{}.internal.example", u.replace('_', "-"))]})),
        ),
        "add_whitelist_entry" => (
            "POST",
            "/api/v1/apps/mp1/whitelists/webview_domains".into(),
            Some(
                json!({"value": format!("https://{}.example.com", u.replace('_', "-")), "remark": "r"}),
            ),
        ),
        "edit_whitelist_entry" | "delete_whitelist_entry" => {
            let e = h
                .ok(
                    "sa_admin",
                    "POST",
                    "/api/v1/apps/mp1/whitelists/api_whitelist",
                    Some(json!({"value": u.replace('_', "x")})),
                    201,
                )
                .await;
            let path = format!(
                "/api/v1/apps/mp1/whitelists/api_whitelist/{}",
                e["id"].as_str().unwrap()
            );
            if action == "edit_whitelist_entry" {
                (
                    "PUT",
                    path,
                    Some(json!({"value": format!("{}y", u.replace('_', "x")), "remark": "edited"})),
                )
            } else {
                ("DELETE", path, None)
            }
        }
        "view_audit" => ("GET", "/api/v1/superapps/sa1/audit".into(), None),
        "view_app" => ("GET", "/api/v1/apps/mp1".into(), None),
        "app_requests" => ("GET", "/api/v1/apps/mp1/requests".into(), None),
        "download_config" => ("GET", "/api/v1/superapps/sa1/config.json".into(), None),
        "view_details" => ("GET", "/api/v1/superapps/sa1/details".into(), None),
        "upload_version" => {
            let r = h
                .upload(who, "mp1", &u, common::zip_of(&[("app.js", u.as_bytes())]))
                .await;
            return (r.status.as_u16(), r.body);
        }
        "list_versions" => ("GET", "/api/v1/apps/mp1/versions".into(), None),
        "app_releases" => ("GET", "/api/v1/apps/mp1/releases".into(), None),
        "submit_release" => {
            let r = h
                .upload(
                    "dev",
                    "mp1",
                    &u,
                    common::zip_of(&[("app.js", u.as_bytes())]),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
            (
                "POST",
                "/api/v1/apps/mp1/releases".into(),
                Some(json!({"app_version": u})),
            )
        }
        "view_releases" => (
            "GET",
            "/api/v1/superapps/sa1/releases?status=pending&team=t1&app=mp1".into(),
            None,
        ),
        "view_released" => ("GET", "/api/v1/superapps/sa1/released?team=t1".into(), None),
        "approve_release" | "reject_release" => {
            let rid = pending_release(h).await;
            let d = action.strip_suffix("_release").unwrap();
            (
                "POST",
                format!("/api/v1/releases/{rid}/decision"),
                Some(json!({"decision": d, "note": "n"})),
            )
        }
        "download_package" | "package_files" => {
            let rid = pending_release(h).await;
            let what = if action == "download_package" {
                "package"
            } else {
                "files"
            };
            ("GET", format!("/api/v1/releases/{rid}/{what}"), None)
        }
        "remove_release" => {
            let rid = pending_release(h).await;
            h.ok(
                "sa_admin",
                "POST",
                &format!("/api/v1/releases/{rid}/decision"),
                Some(json!({"decision": "approve"})),
                200,
            )
            .await;
            ("DELETE", "/api/v1/apps/mp1/release".into(), None)
        }
        "app_violations" => ("GET", "/api/v1/apps/mp1/violations".into(), None),
        "superapp_violations" => ("GET", "/api/v1/superapps/sa1/violations".into(), None),
        other => panic!("unknown action {other}"),
    };
    let r = h.call(method, &path, Some(h.token(who)), body).await;
    (r.status.as_u16(), r.body)
}

#[tokio::test]
async fn every_role_action_pair_is_allowed_or_forbidden_as_the_seed_says() {
    for (backend, store) in stores("roles").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let mut pairs = 0;
        for (action, allowed) in MATRIX {
            for who in ROLES {
                let (status, body) = attempt(&h, action, who).await;
                if allowed.contains(&who) {
                    assert!(
                        (200..300).contains(&status),
                        "[{backend}] {who} {action}: expected 2xx, got {status} {body}"
                    );
                } else {
                    assert_eq!(
                        status, 403,
                        "[{backend}] {who} {action}: expected 403, got {status} {body}"
                    );
                    assert_eq!(body["error"]["code"], "forbidden", "{body}");
                    assert!(
                        body["error"]["message"].as_str().unwrap().contains('`'),
                        "{body}"
                    );
                }
                pairs += 1;
            }
        }
        assert_eq!(pairs, MATRIX.len() * ROLES.len());
        assert_eq!(pairs, 282);
    }
}

#[tokio::test]
async fn scope_is_enforced_across_superapps_and_teams() {
    for (backend, store) in stores("scope").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        // A superapp admin of sa2 cannot act on sa1.
        for (m, p, b) in [
            ("POST", "/api/v1/superapps/sa1/apis/getLocation/allow", None),
            (
                "PUT",
                "/api/v1/apps/mp1/control",
                Some(json!({"server_domains": true, "apis": true, "webview_domains": true})),
            ),
            ("GET", "/api/v1/superapps/sa1/requests", None),
            ("GET", "/api/v1/superapps/sa1/audit", None),
            ("PATCH", "/api/v1/superapps/sa1", Some(json!({"name": "x"}))),
            ("GET", "/api/v1/superapps/sa1/config.json", None),
            ("GET", "/api/v1/superapps/sa1/releases", None),
            ("DELETE", "/api/v1/apps/mp1/release", None),
            ("GET", "/api/v1/apps/mp1/violations", None),
            ("GET", "/api/v1/superapps/sa1/violations", None),
        ] {
            h.ok("sa2_admin", m, p, b, 403).await;
        }
        // A developer of t2 cannot request for t1's app, nor see it.
        h.ok(
            "dev2",
            "POST",
            "/api/v1/apps/mp1/requests",
            Some(json!({"api": "getLocation", "reason": "r"})),
            403,
        )
        .await;
        h.ok("dev2", "GET", "/api/v1/apps/mp1", None, 403).await;
        h.ok(
            "dev2",
            "POST",
            "/api/v1/superapps/sa1/apps",
            Some(json!({"id": "evil", "name": "n", "kind": "mini_program", "team_id": "t1"})),
            403,
        )
        .await;
        // dev (t1) has no app on... every superapp it can see has one of its apps.
        h.ok("dev2", "GET", "/api/v1/superapps/sa2/apis", None, 403)
            .await;
        // No token / unknown token: 401.
        let r = h.call("GET", "/api/v1/superapps/sa1", None, None).await;
        assert_eq!(r.status, 401);
        let r = h
            .call("GET", "/api/v1/superapps/sa1", Some("gt_nope"), None)
            .await;
        assert_eq!(r.status, 401);
        assert_eq!(r.body["error"]["code"], "unauthorized");
    }
}
