//! Contract v3 in the server's documents and API (`policy.md` §1, §3.7):
//! a domain list per kind (request, upload, download, socket, media, UDP,
//! TCP), the media switch, `schema: 3` exactly when they are used (media
//! kept checked for apps nobody decided for), permission groups acting as
//! one, and specific errors for every bad entry. SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use crate::console_kit;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::{stores, Harness, T0};
use console_kit::signed_in;
use guard_core::{CheckKind, DenyCode};
use serde_json::{json, Value};

const NOW: u64 = T0 as u64;

fn payload(bundle: &str) -> Value {
    let bytes = URL_SAFE_NO_PAD
        .decode(bundle.split('.').nth(1).unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn app_of<'a>(policy: &'a Value, id: &str) -> &'a Value {
    policy["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["app_id"] == id)
        .unwrap()
}

async fn add(h: &Harness, who: &str, app: &str, list: &str, value: &str, expect: u16) -> Value {
    h.ok(
        who,
        "POST",
        &format!("/api/v1/apps/{app}/whitelists/{list}"),
        Some(json!({"value": value, "remark": "r"})),
        expect,
    )
    .await
}

async fn control(h: &Harness, app: &str, body: Value) -> Value {
    h.ok(
        "sa_admin",
        "PUT",
        &format!("/api/v1/apps/{app}/control"),
        Some(body),
        200,
    )
    .await
}

#[tokio::test]
async fn per_kind_lists_and_the_media_switch_make_a_schema_3_bundle() {
    for (backend, store) in stores("v3-lists").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let (b, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        assert_ne!(payload(&b)["schema"], 3, "[{backend}] no v3 field yet");

        add(
            &h,
            "sa_admin",
            "mp2",
            "server_domains",
            "https://cdn.two.example",
            201,
        )
        .await;
        add(
            &h,
            "sa_admin",
            "mp2",
            "server_domains",
            "wss://ws.two.example",
            201,
        )
        .await;
        control(
            &h,
            "mp2",
            json!({"server_domains": true, "apis": false, "webview_domains": false}),
        )
        .await;
        for (list, value) in [
            ("server_domains", "https://api.shop.example"),
            ("request_domains", "https://req.shop.example"),
            ("upload_domains", "https://up.shop.example"),
            ("download_domains", "https://down.shop.example"),
            ("socket_domains", "wss://ws.shop.example:8443"),
            ("media_domains", "https://*.img.shop.example"),
            ("udp_domains", "udp.shop.example:9000"),
            ("tcp_domains", "*.tcp.shop.example"),
        ] {
            let e = add(&h, "senior", "mp1", list, value, 201).await;
            assert_eq!(e["list"], list);
        }
        let set = control(
            &h,
            "mp1",
            json!({"server_domains": true, "apis": false, "webview_domains": false, "media_domains": true}),
        )
        .await;
        assert_eq!(set["control"]["media_domains"], true, "[{backend}] {set}");
        // A PUT without the media switch leaves it as it is.
        let set = control(
            &h,
            "mp1",
            json!({"server_domains": true, "apis": false, "webview_domains": false}),
        )
        .await;
        assert_eq!(set["control"]["media_domains"], true);

        let (b, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        let p = payload(&b);
        assert_eq!(p["schema"], 3, "[{backend}] {p}");
        let mp1 = app_of(&p, "mp1");
        assert_eq!(mp1["control"]["media_domains"], true);
        assert_eq!(
            mp1["domains"],
            json!({"request": ["https://req.shop.example"], "upload": ["https://up.shop.example"],
                   "download": ["https://down.shop.example"], "socket": ["wss://ws.shop.example:8443"],
                   "media": ["https://*.img.shop.example"], "udp": ["udp.shop.example:9000"],
                   "tcp": ["*.tcp.shop.example"]})
        );
        // Nobody decided mp2's media switch: media stays checked as in v2,
        // against its https server domains.
        let mp2 = app_of(&p, "mp2");
        assert_eq!(mp2["control"]["media_domains"], true);
        assert_eq!(
            mp2["domains"],
            json!({"media": ["https://cdn.two.example"]})
        );
        // mg1 checks nothing: media off, no lists.
        let mg1 = app_of(&p, "mg1");
        assert_eq!(mg1["control"]["media_domains"], false);
        assert!(mg1.get("domains").is_none(), "{mg1}");

        // The guard decides with the per-kind lists.
        let mut g = h.guard("sa1").await;
        g.load(&b, NOW).unwrap();
        let allow = |kind, subject: &str, app: &str| g.decide(app, kind, subject, NOW);
        for (app, kind, subject) in [
            ("mp1", CheckKind::Request, "https://req.shop.example/v1"),
            ("mp1", CheckKind::Upload, "https://up.shop.example/"),
            ("mp1", CheckKind::Socket, "wss://ws.shop.example:8443/"),
            ("mp1", CheckKind::Media, "https://a.img.shop.example/x.png"),
            ("mp1", CheckKind::Udp, "udp.shop.example:9000"),
            ("mp1", CheckKind::Tcp, "a.tcp.shop.example:1234"),
            ("mp2", CheckKind::Media, "https://cdn.two.example/a.png"),
            ("mp2", CheckKind::Request, "https://cdn.two.example/a"),
            ("mg1", CheckKind::Media, "https://anything.example/a.png"),
        ] {
            let d = allow(kind, subject, app);
            assert!(d.allow, "[{backend}] {app} {kind} {subject}: {d:?}");
        }
        for (app, kind, subject) in [
            // A kind's own list replaces server_domains for that kind.
            ("mp1", CheckKind::Request, "https://api.shop.example/"),
            ("mp1", CheckKind::Download, "https://up.shop.example/"),
            ("mp1", CheckKind::Udp, "udp.shop.example:9001"),
            ("mp1", CheckKind::Tcp, "tcp.shop.example:1"),
            ("mp1", CheckKind::Media, "https://cdn.two.example/a.png"),
            ("mp2", CheckKind::Media, "https://evil.example/a.png"),
            ("mp2", CheckKind::Udp, "cdn.two.example:1"),
        ] {
            let d = allow(kind, subject, app);
            assert_eq!(
                d.code,
                Some(DenyCode::DomainNotWhitelisted),
                "[{backend}] {app} {kind} {subject}: {d:?}"
            );
        }

        // The API shows every list and the switch.
        let d = h.ok("sa_admin", "GET", "/api/v1/apps/mp1", None, 200).await;
        assert_eq!(d["control"]["media_domains"], true);
        assert_eq!(
            d["whitelists"]["udp_domains"][0]["value"],
            "udp.shop.example:9000"
        );
        assert_eq!(d["whitelists"]["webview_domains"], json!([]));
        let d = h.ok("sa_admin", "GET", "/api/v1/apps/mp2", None, 200).await;
        assert!(
            d["control"].get("media_domains").is_none(),
            "undecided: {d}"
        );

        // Turning media off is a decision the document keeps.
        control(
            &h,
            "mp2",
            json!({"server_domains": true, "apis": false, "webview_domains": false, "media_domains": false}),
        )
        .await;
        let (b, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        let mp2 = app_of(&payload(&b), "mp2").clone();
        assert_eq!(mp2["control"]["media_domains"], false);
        assert!(mp2.get("domains").is_none());
    }
}

#[tokio::test]
async fn bad_entries_in_each_list_get_specific_errors() {
    for (backend, store) in stores("v3-bad").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        for (list, value, says) in [
            ("request_domains", "http://a.example", "scheme `http`"),
            ("request_domains", "https://10.0.0.1", "IP address"),
            ("upload_domains", "https://a.example/path", "path"),
            ("download_domains", "https://a.example:0", "port"),
            ("download_domains", "wss://a.example", "scheme `wss`"),
            ("socket_domains", "https://a.example", "wss://"),
            ("socket_domains", "wss://u:p@a.example", "userinfo"),
            ("media_domains", "https://*.com", "wildcard"),
            ("media_domains", "https://a.example?x=1", "query"),
            ("udp_domains", "a.example:0", "port"),
            ("udp_domains", "a.example:65536", "port"),
            ("udp_domains", "a.example:080", "port"),
            ("udp_domains", "localhost", "localhost"),
            ("tcp_domains", "https://a.example", ""),
            ("tcp_domains", "10.0.0.1:80", "IP"),
            ("tcp_domains", "[::1]:80", ""),
            ("tcp_domains", "a%2eexample", ""),
            ("tcp_domains", "*.co.uk", "public suffix"),
            ("udp_domains", "a .example", ""),
            ("request_domains", "", "empty"),
        ] {
            let b = add(&h, "sa_admin", "mp1", list, value, 400).await;
            assert_eq!(
                b["error"]["field"], "value",
                "[{backend}] {list} {value}: {b}"
            );
            let msg = b["error"]["message"].as_str().unwrap();
            assert!(
                msg.contains(says),
                "[{backend}] {list} `{value}`: `{msg}` does not say `{says}`"
            );
        }
        // An unknown kind is no list.
        for list in ["fax_domains", "domains", "udp", "Request_domains"] {
            let b = add(&h, "sa_admin", "mp1", list, "https://a.example", 404).await;
            assert!(
                b["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("tcp_domains"),
                "[{backend}] the lists are named: {b}"
            );
        }
        let r = h
            .call(
                "PUT",
                "/api/v1/apps/mp1/control",
                Some(h.token("sa_admin")),
                Some(json!({"server_domains": true, "apis": false, "webview_domains": false, "udp_domains": true})),
            )
            .await;
        assert_eq!(r.status, 400, "[{backend}] {}", r.text);
        let r = h
            .call(
                "PUT",
                "/api/v1/apps/mp1/control",
                Some(h.token("sa_admin")),
                Some(json!({"server_domains": true, "apis": false, "webview_domains": false, "media_domains": "yes"})),
            )
            .await;
        assert_eq!(r.status, 400, "[{backend}] {}", r.text);
        // Duplicates as the guard compares them, and the 30-entry limit.
        add(
            &h,
            "sa_admin",
            "mp1",
            "udp_domains",
            "udp.example:9000",
            201,
        )
        .await;
        add(
            &h,
            "sa_admin",
            "mp1",
            "udp_domains",
            "UDP.example.:9000",
            409,
        )
        .await;
        add(
            &h,
            "sa_admin",
            "mp1",
            "media_domains",
            "https://m.example",
            201,
        )
        .await;
        add(
            &h,
            "sa_admin",
            "mp1",
            "media_domains",
            "https://M.example:443",
            409,
        )
        .await;
        for i in 1..=30 {
            add(
                &h,
                "sa_admin",
                "mp1",
                "tcp_domains",
                &format!("h{i}.example"),
                201,
            )
            .await;
        }
        let full = add(&h, "sa_admin", "mp1", "tcp_domains", "h31.example", 409).await;
        assert!(full["error"]["message"]
            .as_str()
            .unwrap()
            .contains("maximum of 30"));
        // Only those who manage whitelists, in their own superapp.
        for who in ["review", "dev", "dev2", "sa2_admin", "platform"] {
            add(&h, who, "mp1", "udp_domains", "x.example", 403).await;
        }
        let r = h
            .call(
                "POST",
                "/api/v1/apps/mp1/whitelists/udp_domains",
                None,
                Some(json!({"value": "x.example"})),
            )
            .await;
        assert_eq!(r.status, 401);
        // Nothing refused reached the bundle, which every guard loads.
        let (b, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        h.guard("sa1").await.load(&b, NOW).unwrap();
        let d = app_of(&payload(&b), "mp1").clone();
        assert_eq!(d["domains"]["udp"], json!(["udp.example:9000"]));
        assert_eq!(d["domains"]["tcp"].as_array().unwrap().len(), 30);
    }
}

#[tokio::test]
async fn a_permission_group_is_restricted_granted_and_revoked_as_one() {
    for (backend, store) in stores("v3-groups").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let list = h
            .ok("sa_admin", "GET", "/api/v1/superapps/sa1/apis", None, 200)
            .await;
        let entry = |list: &Value, name: &str| {
            list["apis"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["name"] == name)
                .unwrap()
                .clone()
        };
        let loc = entry(&list, "getLocation");
        assert_eq!(loc["permission"], "scope.userLocation", "[{backend}] {loc}");
        assert!(loc["group_apis"]
            .as_array()
            .unwrap()
            .contains(&json!("startLocationUpdate")));
        assert_eq!(entry(&list, "getEmailAddress")["group_apis"], json!([]));
        assert_eq!(
            entry(&list, "getEmailAddress")["permission"],
            "getEmailAddress"
        );

        // Allowing one API of the group allows the group; restricting too.
        let r = h
            .ok(
                "senior",
                "POST",
                "/api/v1/superapps/sa1/apis/getLocation/allow",
                None,
                200,
            )
            .await;
        assert_eq!(r["permission"], "scope.userLocation");
        let list = h
            .ok("sa_admin", "GET", "/api/v1/superapps/sa1/apis", None, 200)
            .await;
        assert_eq!(entry(&list, "startLocationUpdate")["status"], "public");
        h.ok(
            "senior",
            "POST",
            "/api/v1/superapps/sa1/apis/startLocationUpdate/restrict",
            None,
            200,
        )
        .await;
        let list = h
            .ok("sa_admin", "GET", "/api/v1/superapps/sa1/apis", None, 200)
            .await;
        assert_eq!(entry(&list, "getLocation")["status"], "restricted");

        // Granted through either API, revoked through either: all grants go.
        for api in ["getLocation", "startLocationUpdate"] {
            let req = h
                .ok(
                    "dev",
                    "POST",
                    "/api/v1/apps/mp1/requests",
                    Some(json!({"api": api, "reason": "maps"})),
                    201,
                )
                .await;
            h.ok(
                "sa_admin",
                "POST",
                &format!("/api/v1/requests/{}/decision", req["id"].as_str().unwrap()),
                Some(json!({"decision": "approve"})),
                200,
            )
            .await;
        }
        let d = h.ok("sa_admin", "GET", "/api/v1/apps/mp1", None, 200).await;
        assert_eq!(d["granted_apis"].as_array().unwrap().len(), 2, "{d}");
        h.ok(
            "review",
            "DELETE",
            "/api/v1/apps/mp1/grants/getLocation",
            None,
            403,
        )
        .await;
        h.ok(
            "senior",
            "DELETE",
            "/api/v1/apps/mp1/grants/getLocation",
            None,
            200,
        )
        .await;
        let d = h.ok("sa_admin", "GET", "/api/v1/apps/mp1", None, 200).await;
        assert_eq!(
            d["granted_apis"],
            json!([]),
            "[{backend}] the group is revoked: {d}"
        );
        h.ok(
            "senior",
            "DELETE",
            "/api/v1/apps/mp1/grants/startLocationUpdate",
            None,
            404,
        )
        .await;

        // In a schema 3 bundle the group covers its unlisted APIs too.
        add(&h, "sa_admin", "mp1", "udp_domains", "u.example", 201).await;
        let (b, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        assert_eq!(payload(&b)["schema"], 3);
        let mut g = h.guard("sa1").await;
        g.load(&b, NOW).unwrap();
        for api in ["getLocation", "onLocationChange", "startLocationUpdate"] {
            let d = g.decide("mp1", CheckKind::Api, api, NOW);
            assert_eq!(
                d.code,
                Some(DenyCode::PermissionNotGranted),
                "[{backend}] {api}"
            );
        }
    }
}

#[tokio::test]
async fn the_console_shows_every_list_the_media_switch_and_the_groups() {
    for (backend, store) in stores("v3-console").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        add(
            &h,
            "sa_admin",
            "mp1",
            "udp_domains",
            "udp.shop.example:9000",
            201,
        )
        .await;
        let mut b = signed_in(&h, "sa_admin").await;
        let p = b.get("/console/superapps/sa1/control?app=mp1").await;
        assert_eq!(p.status, 200, "[{backend}] {}", p.text);
        for shown in [
            "request legal domain names",
            "uploadFile legal domain names",
            "downloadFile legal domain names",
            "socket legal domain names",
            "Media source domain names",
            "udp legal domain names",
            "tcp legal domain names",
            "udp.shop.example:9000",
            "name=\"media_domains\"",
            "id=\"add-tcp_domains-value\"",
        ] {
            assert!(p.has(shown), "[{backend}] `{shown}` not on the page");
        }
        // A refused entry is named at its field on the page.
        let r = b
            .submit(
                "/console/superapps/sa1/control?app=mp1",
                "/console/apps/mp1/whitelists/udp_domains",
                &[("value", "udp.shop.example:0"), ("remark", "")],
            )
            .await;
        assert_eq!(r.status, 400, "[{backend}]");
        assert!(r.has("id=\"add-udp_domains-value-error\""), "{}", r.text);
        assert!(r.has("port"), "{}", r.text);
        // Saving the switches as shown leaves the media switch unset, so the
        // document does not change schema by itself. (The API whitelist is
        // empty: its switch asks first, decision 474.)
        let r = b
            .submit(
                "/console/superapps/sa1/control?app=mp2",
                "/console/apps/mp2/control",
                &[("apis", "on")],
            )
            .await;
        assert_eq!(r.status, 200, "[{backend}] {}", r.text);
        assert!(
            r.has("Turn a switch on over an empty whitelist?"),
            "{}",
            r.text
        );
        let d = h.ok("sa_admin", "GET", "/api/v1/apps/mp2", None, 200).await;
        assert_eq!(
            d["control"]["apis"], false,
            "nothing changed before the confirm"
        );
        let r = b
            .submit(
                "/console/superapps/sa1/control?app=mp2",
                "/console/apps/mp2/control",
                &[("apis", "on"), ("confirmed", "yes")],
            )
            .await;
        assert_eq!(r.status, 303, "[{backend}] {}", r.text);
        let d = h.ok("sa_admin", "GET", "/api/v1/apps/mp2", None, 200).await;
        assert!(d["control"].get("media_domains").is_none(), "{d}");
        assert_eq!(d["control"]["apis"], true);
        let p = b.get("/console/superapps/sa1/apis").await;
        assert!(
            p.has("<code>scope.userLocation</code><p class=\"group-apis\">Permission group of <code>getLocation</code>, <code>startLocationUpdate</code>, <code>onLocationChange</code>"),
            "[{backend}] the group is shown as one row: {}", p.text
        );
    }
}
