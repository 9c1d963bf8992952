//! Application management (seed 001): superapp profile and configuration
//! file, versions (code packages), release review, removal, packages and QR
//! codes; on SQLite, and the release (package blobs) and the racing
//! approvals also on PostgreSQL (decision 340).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::{both_stores, statuses_at_once, stores, zip_of, Harness, T0};
use guard_core::{DenyCode, Guard};
use guard_server::Limits;
use serde_json::{json, Value};
use sqlx::Row;

const NOW: u64 = T0 as u64;

/// The superapp's audit version (to check that a refusal changed nothing).
async fn version_of(h: &Harness, sid: &str) -> i64 {
    sqlx::query("SELECT version FROM versions WHERE scope = $1")
        .bind(sid)
        .fetch_one(&h.state.store.pool)
        .await
        .unwrap()
        .try_get("version")
        .unwrap()
}

/// The app's entry of superapp sa1's bundle, verified by guard-core; and the
/// guard holding it.
async fn bundle_app(h: &Harness, app: &str) -> (Value, Guard) {
    let (jws, _) = h.bundle(&format!("/api/v1/apps/{app}/bundle")).await;
    // Verified as a device would: with the superapp's public key set.
    let mut g = h.guard("sa1").await;
    g.load(&jws, NOW + 10).unwrap();
    let payload = jws.split('.').nth(1).unwrap();
    use base64::Engine;
    let doc: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    let entry = doc["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["app_id"] == app)
        .cloned()
        .unwrap();
    let mut entry = entry;
    entry["_schema"] = doc["schema"].clone();
    (entry, g)
}

#[tokio::test]
async fn applications_have_an_owner_team_platform_ids_and_a_config_file_without_secrets() {
    for (backend, store) in stores("apps-profile").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let created = h
            .ok(
                "admin",
                "POST",
                "/api/v1/superapps",
                Some(json!({"id": "shop", "name": "Shop", "secret_key": common::SECRET, "backend_domain": "https://b.example.com",
                    "team_id": "t1", "description": "the shop app", "android_package": "com.example.shop", "ios_bundle_id": "com.example.shop-ios"})),
                201,
            )
            .await;
        assert_eq!(created["team_id"], "t1", "{backend}");
        assert_eq!(created["android_package"], "com.example.shop");
        // Wrong forms: 400 naming the field, nothing created.
        for (field, value) in [
            ("android_package", "shop"),
            ("android_package", "com.1shop"),
            ("android_package", "com.ex-ample"),
            ("ios_bundle_id", "com.ex_ample"),
            ("ios_bundle_id", "com..x"),
        ] {
            let mut body = json!({"id": "bad", "name": "n", "secret_key": common::SECRET, "backend_domain": "https://b.example.com"});
            body[field] = json!(value);
            let e = h
                .ok("admin", "POST", "/api/v1/superapps", Some(body), 400)
                .await;
            assert_eq!(e["error"]["field"], field, "{e}");
            assert!(e["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("`{value}`")));
        }
        h.ok("admin", "GET", "/api/v1/superapps/bad", None, 404)
            .await;
        // The team filter.
        let list = h
            .ok("admin", "GET", "/api/v1/superapps?team=t1", None, 200)
            .await;
        let ids: Vec<&str> = list["superapps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["shop"], "{backend}");
        // The superapp admin modifies the description and the identifiers.
        let p = h
            .ok(
                "sa_admin",
                "PATCH",
                "/api/v1/superapps/sa1",
                Some(json!({"description": "d1", "android_package": "com.sa1.app", "ios_bundle_id": "com.sa1.app"})),
                200,
            )
            .await;
        assert_eq!(p["ios_bundle_id"], "com.sa1.app");
        let v = version_of(&h, "sa1").await;
        h.ok(
            "sa_admin",
            "PATCH",
            "/api/v1/superapps/sa1",
            Some(json!({"ios_bundle_id": "com sa1"})),
            400,
        )
        .await;
        assert_eq!(version_of(&h, "sa1").await, v, "a refusal changes nothing");
        // Details carry the sensitive API list.
        let d = h
            .ok("review", "GET", "/api/v1/superapps/sa1/details", None, 200)
            .await;
        assert!(d["sensitive_apis"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "getLocation"));
        // The configuration file: what the SDK needs, no secret the store holds.
        let r = h
            .call(
                "GET",
                "/api/v1/superapps/sa1/config.json",
                Some(h.token("sa_admin")),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["superapp_id"], "sa1");
        assert_eq!(r.body["android_package"], "com.sa1.app");
        assert!(r.body["keys_url"]
            .as_str()
            .unwrap()
            .ends_with("/api/v1/superapps/sa1/keys.json"));
        assert!(r.body["bundle_url"]
            .as_str()
            .unwrap()
            .ends_with("/api/v1/superapps/sa1/bundle"));
        let mut secrets: Vec<String> = Vec::new();
        for row in sqlx::query("SELECT secret_key, bundle_key FROM superapps")
            .fetch_all(&h.state.store.pool)
            .await
            .unwrap()
        {
            secrets.push(row.try_get("secret_key").unwrap());
            secrets.push(row.try_get("bundle_key").unwrap());
        }
        for (table, col) in [
            ("settings", "value"),
            ("accounts", "token_hash"),
            ("apps", "secret_hash"),
        ] {
            for row in sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {col} FROM {table}")))
                .fetch_all(&h.state.store.pool)
                .await
                .unwrap()
            {
                secrets.push(row.try_get(col).unwrap());
            }
        }
        secrets.extend(h.tokens.values().cloned());
        secrets.extend(h.app_secrets.values().cloned());
        secrets.push(h.admin.clone());
        assert!(secrets.len() > 10);
        for s in &secrets {
            assert!(
                !r.text.contains(s.as_str()),
                "[{backend}] config.json holds a secret"
            );
        }
        for key in ["secret", "bundle_key", "private"] {
            assert!(!r.text.to_lowercase().contains(key), "{}", r.text);
        }
    }
}

#[tokio::test]
async fn a_released_version_is_in_the_bundle_the_package_and_the_qr_code() {
    for (backend, store) in both_stores("apps-release").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let (rid, sha) = h.submit_release("dev", "mp1", "1.0.0", "v1").await;
        // Stored by digest: a file of the data directory on SQLite (no
        // temporary left behind), the row itself on PostgreSQL.
        let data: Option<Vec<u8>> = sqlx::query("SELECT data FROM packages WHERE sha256 = $1")
            .bind(&sha)
            .fetch_one(&h.state.store.pool)
            .await
            .unwrap()
            .try_get("data")
            .unwrap();
        let stored = match &h.state.store.data_dir {
            Some(dir) => {
                assert!(data.is_none(), "{backend}");
                let names: Vec<String> = std::fs::read_dir(dir.join("packages"))
                    .unwrap()
                    .map(|e| e.unwrap().file_name().into_string().unwrap())
                    .collect();
                assert_eq!(names, std::slice::from_ref(&sha), "{backend}");
                std::fs::read(dir.join("packages").join(&sha)).unwrap()
            }
            None => data.unwrap(),
        };
        use sha2::Digest;
        let digest: String = sha2::Sha256::digest(&stored)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(digest, sha);
        // Pending review, filtered by team, app and status.
        let pending = h
            .ok(
                "review",
                "GET",
                "/api/v1/superapps/sa1/releases?status=pending&team=t1&app=mp1",
                None,
                200,
            )
            .await;
        assert_eq!(pending["releases"][0]["id"], rid.as_str(), "{backend}");
        let other_team = h
            .ok(
                "review",
                "GET",
                "/api/v1/superapps/sa1/releases?team=t2",
                None,
                200,
            )
            .await;
        assert_eq!(other_team["releases"], json!([]));
        // Nothing released yet: no package, no QR code, the launch is refused.
        h.ok("dev", "GET", "/api/v1/apps/mp1/package", None, 404)
            .await;
        let (entry, g) = bundle_app(&h, "mp1").await;
        assert!(entry.get("release").is_none());
        assert_eq!(
            g.check_launch("mp1", "1.0.0", &sha, NOW + 10).code(),
            Some(DenyCode::VersionNotReleased)
        );
        // A reviewer of another superapp may not approve it.
        h.ok(
            "sa2_admin",
            "POST",
            &format!("/api/v1/releases/{rid}/decision"),
            Some(json!({"decision": "approve"})),
            403,
        )
        .await;
        let ok = h
            .ok(
                "review",
                "POST",
                &format!("/api/v1/releases/{rid}/decision"),
                Some(json!({"decision": "approve", "note": "fine"})),
                200,
            )
            .await;
        assert_eq!(ok["status"], "approved");
        let reviewed = h
            .ok(
                "review",
                "GET",
                "/api/v1/superapps/sa1/releases?status=reviewed",
                None,
                200,
            )
            .await;
        assert_eq!(reviewed["releases"][0]["id"], rid.as_str());
        // The bundle (schema 2) carries the release; guard-core launches
        // exactly that package.
        let (entry, g) = bundle_app(&h, "mp1").await;
        assert_eq!(entry["_schema"], 2, "{backend}");
        assert_eq!(
            entry["release"],
            json!({"version": "1.0.0", "package_sha256": sha})
        );
        assert!(g.check_launch("mp1", "1.0.0", &sha, NOW + 10).allow());
        let other = "0".repeat(64);
        assert_eq!(
            g.check_launch("mp1", "1.0.0", &other, NOW + 10).code(),
            Some(DenyCode::VersionNotReleased)
        );
        // The package, with its digest and an ETag.
        let p = h.call("GET", "/api/v1/apps/mp1/package", None, None).await;
        assert_eq!(p.status, 200);
        assert_eq!(p.headers["x-package-sha256"], sha.as_str());
        let etag = p.headers["etag"].to_str().unwrap().to_owned();
        assert_eq!(etag, format!("\"{sha}\""));
        let req = axum::http::Request::builder()
            .uri("/api/v1/apps/mp1/package")
            .header("if-none-match", &etag)
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(h.raw(req).await.status, 304);
        // The QR code encodes the open link of the released version.
        let png = h
            .call("GET", "/api/v1/apps/mp1/qrcode.png", None, None)
            .await;
        assert_eq!(png.status, 200);
        assert_eq!(png.headers["content-type"], "image/png");
        let bytes = {
            let req = axum::http::Request::builder()
                .uri("/api/v1/apps/mp1/qrcode.png")
                .body(axum::body::Body::empty())
                .unwrap();
            let res = tower::ServiceExt::oneshot(h.router.clone(), req)
                .await
                .unwrap();
            axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap()
        };
        assert_eq!(
            decode_qr(&bytes),
            "guardmp://open?superapp=sa1&app=mp1&version=1.0.0",
            "{backend}"
        );
        let svg = h
            .call("GET", "/api/v1/apps/mp1/qrcode.svg", None, None)
            .await;
        assert_eq!(svg.status, 200);
        assert!(svg.text.contains("<svg"));
        let listed = h
            .ok(
                "platform",
                "GET",
                "/api/v1/superapps/sa1/released?team=t1",
                None,
                200,
            )
            .await;
        assert_eq!(listed["released"][0]["app_version"], "1.0.0");
        // A new version replaces the release.
        let (rid2, sha2) = h.submit_release("dev", "mp1", "1.1.0", "v2").await;
        h.ok(
            "sa_admin",
            "POST",
            &format!("/api/v1/releases/{rid2}/decision"),
            Some(json!({"decision": "approve"})),
            200,
        )
        .await;
        let (_, g) = bundle_app(&h, "mp1").await;
        assert!(g.check_launch("mp1", "1.1.0", &sha2, NOW + 10).allow());
        assert!(!g.check_launch("mp1", "1.0.0", &sha, NOW + 10).allow());
        // Removal: the bundle says removed, the package and QR code are gone.
        h.ok("sa_admin", "DELETE", "/api/v1/apps/mp1/release", None, 200)
            .await;
        let (entry, g) = bundle_app(&h, "mp1").await;
        assert_eq!(entry["removed"], true, "{backend}");
        assert_eq!(
            g.check_launch("mp1", "1.1.0", &sha2, NOW + 10).code(),
            Some(DenyCode::AppRemoved)
        );
        h.ok("dev", "GET", "/api/v1/apps/mp1/package", None, 404)
            .await;
        h.ok("dev", "GET", "/api/v1/apps/mp1/qrcode.png", None, 404)
            .await;
        let listed = h
            .ok("review", "GET", "/api/v1/superapps/sa1/released", None, 200)
            .await;
        assert_eq!(listed["released"], json!([]));
        // Removing what is not released: 409, nothing changes.
        let v = version_of(&h, "sa1").await;
        h.ok("review", "DELETE", "/api/v1/apps/mp1/release", None, 409)
            .await;
        h.ok("review", "DELETE", "/api/v1/apps/mp2/release", None, 409)
            .await;
        assert_eq!(version_of(&h, "sa1").await, v);
        // Submitted again and approved: `removed` is cleared.
        let r = h
            .ok(
                "dev",
                "POST",
                "/api/v1/apps/mp1/releases",
                Some(json!({"app_version": "1.1.0"})),
                201,
            )
            .await;
        h.ok(
            "review",
            "POST",
            &format!("/api/v1/releases/{}/decision", r["id"].as_str().unwrap()),
            Some(json!({"decision": "approve"})),
            200,
        )
        .await;
        let (entry, g) = bundle_app(&h, "mp1").await;
        assert!(entry.get("removed").is_none(), "{entry}");
        assert!(g.check_launch("mp1", "1.1.0", &sha2, NOW + 10).allow());
        // A rejection with a note.
        let (rid3, _) = h.submit_release("dev", "mp1", "2.0.0", "v3").await;
        let rej = h
            .ok(
                "review",
                "POST",
                &format!("/api/v1/releases/{rid3}/decision"),
                Some(json!({"decision": "reject", "note": "crashes"})),
                200,
            )
            .await;
        assert_eq!(rej["note"], "crashes");
        // The team sees its app's releases and the note; another team does not.
        let mine = h
            .ok("dev", "GET", "/api/v1/apps/mp1/releases", None, 200)
            .await;
        assert_eq!(mine["releases"].as_array().unwrap().len(), 4, "{backend}");
        let decided = mine["releases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == rid3.as_str())
            .unwrap();
        assert_eq!(decided["note"], "crashes");
        assert_eq!(decided["status"], "rejected");
        h.ok("dev2", "GET", "/api/v1/apps/mp1/releases", None, 403)
            .await;
        let (_, g) = bundle_app(&h, "mp1").await;
        assert!(g.check_launch("mp1", "1.1.0", &sha2, NOW + 10).allow());
    }
}

fn decode_qr(png_bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, hgt) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, hgt, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1);
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn bad_packages_and_versions_are_refused_and_change_nothing() {
    for (backend, store) in stores("apps-bad").await {
        let limits = Limits {
            max_package_bytes: 1024 * 1024,
            ..Limits::default()
        };
        let mut h = Harness::with_limits(backend, store, limits).await;
        h.world().await;
        let v = version_of(&h, "sa1").await;
        let good = zip_of(&[("app.js", b"x")]);
        // Not a zip.
        let r = h
            .upload("dev", "mp1", "1.0.0", b"PK\x03\x04 not really".to_vec())
            .await;
        assert_eq!(r.status, 400, "[{backend}] {}", r.text);
        assert_eq!(r.body["error"]["field"], "body");
        // Not announced as a zip.
        let r = h
            .upload_typed("dev", "mp1", "1.0.0", good.clone(), "application/json")
            .await;
        assert_eq!(r.status, 400, "{}", r.text);
        // Larger than --max-package-bytes (incompressible bytes).
        let mut noise = vec![0u8; 1100 * 1024];
        let mut x: u32 = 1;
        for b in &mut noise {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            *b = (x >> 24) as u8;
        }
        let big = zip_of(&[("noise.bin", &noise)]);
        assert!(big.len() > 1024 * 1024);
        let r = h.upload("dev", "mp1", "1.0.0", big).await;
        assert_eq!(r.status, 413, "{}", r.text);
        assert_eq!(r.body["error"]["code"], "too_large");
        // A zip bomb: small, unpacking past the cap.
        let zeros = vec![0u8; 16 * 1024 * 1024];
        let names: Vec<String> = (0..9).map(|i| format!("z{i}")).collect();
        let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &zeros[..])).collect();
        let bomb = zip_of(&files);
        assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
        let r = h.upload("dev", "mp1", "1.0.0", bomb).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.text.contains("unpacks to more than"), "{}", r.text);
        // Too many entries.
        let names: Vec<String> = (0..10_001).map(|i| format!("f{i}")).collect();
        let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        let r = h.upload("dev", "mp1", "1.0.0", zip_of(&files)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.text.contains("entries"), "{}", r.text);
        // Version strings that are not one.
        for bad in ["", "1.0 beta", "1.0\t", &"9".repeat(65)] {
            let r = h.upload("dev", "mp1", bad, good.clone()).await;
            assert_eq!(r.status, 400, "{bad:?}: {}", r.text);
            assert_eq!(r.body["error"]["field"], "app_version");
        }
        assert_eq!(
            version_of(&h, "sa1").await,
            v,
            "[{backend}] refusals change nothing"
        );
        // Another team's app; a duplicate version; an unknown version.
        assert_eq!(
            h.upload("dev2", "mp1", "1.0.0", good.clone()).await.status,
            403
        );
        assert_eq!(
            h.upload("dev", "mp1", "1.0.0", good.clone()).await.status,
            201
        );
        assert_eq!(
            h.upload("dev", "mp1", "1.0.0", good.clone()).await.status,
            409
        );
        h.ok(
            "dev",
            "POST",
            "/api/v1/apps/mp1/releases",
            Some(json!({"app_version": "9.9.9"})),
            404,
        )
        .await;
        let versions = h
            .ok("dev", "GET", "/api/v1/apps/mp1/versions", None, 200)
            .await;
        assert_eq!(versions["versions"].as_array().unwrap().len(), 1);
        // A pending version cannot be submitted twice.
        h.ok(
            "dev",
            "POST",
            "/api/v1/apps/mp1/releases",
            Some(json!({"app_version": "1.0.0"})),
            201,
        )
        .await;
        h.ok(
            "dev",
            "POST",
            "/api/v1/apps/mp1/releases",
            Some(json!({"app_version": "1.0.0"})),
            409,
        )
        .await;
    }
}

#[tokio::test]
async fn of_two_racing_approvals_exactly_one_wins() {
    for (backend, store) in both_stores("apps-race").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let h = std::sync::Arc::new(h);
        for i in 0..3 {
            let (rid, _) = h
                .submit_release("dev", "mp1", &format!("1.0.{i}"), &format!("v{i}"))
                .await;
            let path = format!("/api/v1/releases/{rid}/decision");
            let got = statuses_at_once(["sa_admin", "review"].map(|who| {
                let (h, path) = (h.clone(), path.clone());
                async move {
                    let body = Some(json!({"decision": "approve"}));
                    h.call("POST", &path, Some(h.token(who)), body)
                        .await
                        .status
                        .as_u16()
                }
            }))
            .await;
            assert_eq!(got, [200, 409], "[{backend}] round {i}");
        }
        let audit = h
            .ok("sa_admin", "GET", "/api/v1/superapps/sa1/audit", None, 200)
            .await;
        let approvals = audit["records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"] == "approve_release")
            .count();
        assert_eq!(approvals, 3, "{backend}");
    }
}
