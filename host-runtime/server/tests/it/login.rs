//! The openserver login API: errcodes, single-use expiring codes, token
//! lifetime, checksession, derived ids, and phone/email released only when the
//! app's policy allows it. SQLite and PostgreSQL (a code is spent by one conditional
//! `UPDATE ... RETURNING`, store semantics), with a manual clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::{both_stores, Harness, SECRET};
use guard_server::util::hmac_hex;
use serde_json::{json, Value};

async fn mint(h: &Harness, kind: &str, app: &str, user: &str) -> String {
    let r = h
        .call(
            "POST",
            "/api/v1/superapps/sa1/codes",
            Some(SECRET),
            Some(json!({"kind": kind, "app_id": app, "user_id": user})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["expires_in"], 300);
    r.body["code"].as_str().unwrap().to_owned()
}

async fn get(h: &Harness, path: &str) -> Value {
    let r = h.call("GET", path, None, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["requestId"].as_str().unwrap().len(), 32);
    r.body
}

async fn session(h: &Harness, app: &str, code: &str) -> Value {
    get(h, &format!("/openserver/sns/jscode2session?appid={app}&secret={}&js_code={code}&grant_type=authorization_code", h.app_secrets[app])).await
}

async fn post(h: &Harness, path: &str, body: Value) -> Value {
    let r = h.call("POST", path, None, Some(body)).await;
    r.body
}

#[tokio::test]
async fn login_flow_codes_tokens_and_ids() {
    for (backend, store) in both_stores("login").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        // Only the superapp's backend (its SecretKey) may create users and codes.
        let r = h
            .call(
                "POST",
                "/api/v1/superapps/sa1/users",
                Some("wrongwrongwrong1"),
                Some(json!({"user_id": "u1"})),
            )
            .await;
        assert_eq!(r.status, 401);
        let r = h
            .call(
                "POST",
                "/api/v1/superapps/sa1/users",
                Some(common::SECRET2),
                Some(json!({"user_id": "u1"})),
            )
            .await;
        assert_eq!(r.status, 401);
        for (u, phone, email) in [
            ("u1", "+8613800000000", "u1@example.com"),
            ("u2", "+8613900000000", "u2@example.com"),
        ] {
            let r = h
                .call(
                    "POST",
                    "/api/v1/superapps/sa1/users",
                    Some(SECRET),
                    Some(json!({"user_id": u, "phone": phone, "email": email})),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
        }

        let secret = h.app_secrets["mp1"].clone();
        let code = mint(&h, "login", "mp1", "u1").await;
        let q = |appid: &str, secret: &str, code: &str, grant: &str| {
            format!("/openserver/sns/jscode2session?appid={appid}&secret={secret}&js_code={code}&grant_type={grant}")
        };
        assert_eq!(
            get(&h, &q("mp1", &secret, &code, "client_credential")).await["errcode"],
            40002
        );
        assert_eq!(
            get(&h, &q("nope", &secret, &code, "authorization_code")).await["errcode"],
            40013
        );
        assert_eq!(
            get(
                &h,
                &q(
                    "mp1",
                    "0123456789abcdef0123456789abcdef",
                    &code,
                    "authorization_code"
                )
            )
            .await["errcode"],
            40001
        );
        let e = get(
            &h,
            &q("mg1", &h.app_secrets["mg1"], &code, "authorization_code"),
        )
        .await;
        assert_eq!(e["errcode"], 40029, "another app's code");
        assert_eq!(e["openid"], "");
        assert_eq!(
            get(&h, "/openserver/sns/jscode2session?appid=mp1").await["errcode"],
            41004
        );
        let s1 = session(&h, "mp1", &code).await;
        assert_eq!(s1["errcode"], 0, "{s1}");
        assert_eq!(s1["errmsg"], "ok");
        // Single use.
        assert_eq!(session(&h, "mp1", &code).await["errcode"], 40029);
        // Expiry after 5 minutes (injected clock, no sleeping).
        let late = mint(&h, "login", "mp1", "u1").await;
        h.state.clock.advance(301);
        assert_eq!(session(&h, "mp1", &late).await["errcode"], 40029);
        let ok = mint(&h, "login", "mp1", "u1").await;
        h.state.clock.advance(299);
        let s1b = session(&h, "mp1", &ok).await;
        assert_eq!(s1b["errcode"], 0);
        // openid stable per (app, user); unionid per (team, user).
        assert_eq!(s1["openid"], s1b["openid"]);
        let sg = session(&h, "mg1", &mint(&h, "login", "mg1", "u1").await).await;
        assert_ne!(sg["openid"], s1["openid"]);
        assert_eq!(sg["unionid"], s1["unionid"], "same team t1");
        let s2 = session(&h, "mp2", &mint(&h, "login", "mp2", "u1").await).await;
        assert_ne!(s2["unionid"], s1["unionid"], "team t2");
        let other = session(&h, "mp1", &mint(&h, "login", "mp1", "u2").await).await;
        assert_ne!(other["openid"], s1["openid"]);
        for id in [&s1["openid"], &s1["unionid"]] {
            assert!(!id.as_str().unwrap().contains("u1"));
            assert_eq!(id.as_str().unwrap().len(), 64);
        }

        // Access token: 7200 s.
        let bad = get(
            &h,
            &format!(
                "/openserver/cgi-bin/token?appid=mp1&secret={secret}&grant_type=authorization_code"
            ),
        )
        .await;
        assert_eq!(bad["errcode"], 40002);
        let t = get(
            &h,
            &format!(
                "/openserver/cgi-bin/token?appid=mp1&secret={secret}&grant_type=client_credential"
            ),
        )
        .await;
        assert_eq!(t["expires_in"], 7200);
        let token = t["access_token"].as_str().unwrap().to_owned();

        // checksession: signature = hmac_sha256(session_key, "").
        let openid = s1b["openid"].as_str().unwrap();
        let sig = hmac_hex(s1b["session_key"].as_str().unwrap().as_bytes(), b"");
        let cs = |tok: &str, sig: &str| {
            format!("/openserver/wxa/checksession?access_token={tok}&openid={openid}&signature={sig}&sig_method=hmac_sha256")
        };
        assert_eq!(get(&h, &cs(&token, &sig)).await["errcode"], 0);
        let old_sig = hmac_hex(s1["session_key"].as_str().unwrap().as_bytes(), b"");
        assert_eq!(
            get(&h, &cs(&token, &old_sig)).await["errcode"],
            87009,
            "an older session's key"
        );
        assert_eq!(get(&h, &cs("ATnope", &sig)).await["errcode"], 40014);

        // Phone: getPhoneNumber is restricted and not granted → refused, by
        // the server itself.
        let pc = mint(&h, "phone", "mp1", "u1").await;
        let e = post(
            &h,
            "/openserver/wxa/business/getuserphonenumber",
            json!({"access_token": token, "openid": openid, "code": pc}),
        )
        .await;
        assert_eq!(e["errcode"], 48001, "{e}");
        assert!(e.get("phone_info").is_none());
        // Approve → released, once per code.
        let r = h
            .ok(
                "dev",
                "POST",
                "/api/v1/apps/mp1/requests",
                Some(json!({"api": "getPhoneNumber", "reason": "login"})),
                201,
            )
            .await;
        h.ok(
            "review",
            "POST",
            &format!("/api/v1/requests/{}/decision", r["id"].as_str().unwrap()),
            Some(json!({"decision": "approve"})),
            200,
        )
        .await;
        let pc = mint(&h, "phone", "mp1", "u1").await;
        let body = json!({"access_token": token, "openid": openid, "code": pc});
        let p = post(
            &h,
            "/openserver/wxa/business/getuserphonenumber",
            body.clone(),
        )
        .await;
        assert_eq!(p["errcode"], 0, "{p}");
        assert_eq!(p["phone_info"]["phoneNumber"], "+8613800000000");
        assert_eq!(
            post(&h, "/openserver/wxa/business/getuserphonenumber", body).await["errcode"],
            40029
        );
        // A phone code redeemed with another user's openid.
        let pc2 = mint(&h, "phone", "mp1", "u2").await;
        let e = post(
            &h,
            "/openserver/wxa/business/getuserphonenumber",
            json!({"access_token": token, "openid": openid, "code": pc2}),
        )
        .await;
        assert_eq!(e["errcode"], 40003);
        // A login code is not a phone code.
        let lc = mint(&h, "login", "mp1", "u1").await;
        let e = post(
            &h,
            "/openserver/wxa/business/getuserphonenumber",
            json!({"access_token": token, "openid": openid, "code": lc}),
        )
        .await;
        assert_eq!(e["errcode"], 40029);
        // Revoke → refused again.
        h.ok(
            "sa_admin",
            "DELETE",
            "/api/v1/apps/mp1/grants/getPhoneNumber",
            None,
            200,
        )
        .await;
        let pc = mint(&h, "phone", "mp1", "u1").await;
        let e = post(
            &h,
            "/openserver/wxa/business/getuserphonenumber",
            json!({"access_token": token, "openid": openid, "code": pc}),
        )
        .await;
        assert_eq!(e["errcode"], 48001);

        // Email: allowed by making the API public.
        let ec = mint(&h, "email", "mp1", "u1").await;
        assert_eq!(
            post(
                &h,
                "/openserver/wxa/business/getemailaddress",
                json!({"access_token": token, "openid": openid, "code": ec})
            )
            .await["errcode"],
            48001
        );
        h.ok(
            "sa_admin",
            "POST",
            "/api/v1/superapps/sa1/apis/getEmailAddress/allow",
            None,
            200,
        )
        .await;
        let ec = mint(&h, "email", "mp1", "u1").await;
        let m = post(
            &h,
            "/openserver/wxa/business/getemailaddress",
            json!({"access_token": token, "openid": openid, "code": ec}),
        )
        .await;
        assert_eq!(m["email_address"]["emailAddress"], "u1@example.com", "{m}");

        // Malformed body: 400, errcode 47001, the field named.
        let r = h
            .call(
                "POST",
                "/openserver/wxa/business/getemailaddress",
                None,
                Some(json!({"access_token": token, "openid": openid})),
            )
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["errcode"], 47001);
        assert!(
            r.body["errmsg"].as_str().unwrap().contains("`code`"),
            "{}",
            r.body
        );

        // Token expiry.
        h.state.clock.advance(7201);
        assert_eq!(get(&h, &cs(&token, &sig)).await["errcode"], 40014);
        let ec = mint(&h, "email", "mp1", "u1").await;
        assert_eq!(
            post(
                &h,
                "/openserver/wxa/business/getemailaddress",
                json!({"access_token": token, "openid": openid, "code": ec})
            )
            .await["errcode"],
            40014
        );
    }
}
