//! Console sign-in, on SQLite (throttling across two servers on one
//! database also on PostgreSQL, decision 340): invites (forged, expired,
//! reused, superseded), passwords, sessions (forged, idle, absolute,
//! signed out, ended by a new password), CSRF (no token, another session's
//! token, cross-origin, no origin at all), throttling (per address, then
//! per account with a growing delay, the owner's browser apart, unlocking;
//! across two servers on one database), cookies and headers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use crate::console_kit;

use axum::http::StatusCode;
use common::{both_stores, stores, Harness};
use console_kit::{invite, Browser, ORIGIN, PW};
use guard_server::{AppState, Clock, ConsoleSettings, Limits};

async fn world(backend: &'static str, store: guard_server::store::Store) -> Harness {
    let mut h = Harness::new(backend, store).await;
    h.world().await;
    h
}

#[tokio::test]
async fn invites_set_a_password_once_and_forged_expired_reused_ones_change_nothing() {
    for (backend, store) in stores("console-invites").await {
        let h = world(backend, store).await;
        let mut b = Browser::new(h.router.clone());

        // A forged code: refused, naming the field, nothing signed in.
        let p = b
            .redeem("gi_0000000000000000000000000000000000000000", PW)
            .await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "[{backend}]");
        assert!(
            p.has("Invite code: this invite is unknown, already used or expired"),
            "{}",
            p.text
        );
        assert!(b.cookie.is_none());

        // A too-short password is refused and the invite stays usable; the
        // code is kept in the form, the password is not echoed.
        let code = invite(&h, "dev").await;
        let p = b.redeem(&code, "short").await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST);
        assert!(p.has("New password: is 5 characters long; at least 12 needed"));
        assert!(p.has(&format!("value=\"{code}\"")) && !p.has("value=\"short\""));
        // Two passwords that differ: the second field is named.
        let p = b
            .post(
                "/console/invite",
                &[
                    ("form", "invite"),
                    ("code", &code),
                    ("password", PW),
                    ("confirm", "correct horse batterY"),
                ],
            )
            .await;
        assert!(p.has("New password, again: does not match"), "{}", p.text);

        // Used once: signed in, sent to the developer's first page.
        let p = b.redeem(&code, PW).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text);
        assert_eq!(p.location(), "/console/");
        assert_eq!(b.get("/console/").await.location(), "/console/apps");

        // Used twice: refused (a second browser, same code).
        let mut other = Browser::new(h.router.clone());
        let p = other.redeem(&code, "another long password").await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST);
        assert!(other.cookie.is_none());
        // The password set by the first use works; the attempted one does not.
        assert_eq!(
            other.sign_in("dev", "another long password").await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(other.sign_in("dev", PW).await.status, StatusCode::SEE_OTHER);

        // A new invite supersedes an unused older one.
        let old = invite(&h, "review").await;
        let new = invite(&h, "review").await;
        let mut r = Browser::new(h.router.clone());
        assert_eq!(r.redeem(&old, PW).await.status, StatusCode::BAD_REQUEST);
        // Expired: seven days by default.
        h.state.clock.advance(7 * 86_400);
        assert_eq!(r.redeem(&new, PW).await.status, StatusCode::BAD_REQUEST);
        let fresh = invite(&h, "review").await;
        assert_eq!(r.redeem(&fresh, PW).await.status, StatusCode::SEE_OTHER);

        // Only the super admin issues invites (automation through the API).
        for who in ["platform", "sa_admin", "dev"] {
            h.ok(who, "POST", "/api/v1/accounts/dev/invites", None, 403)
                .await;
        }
        h.ok(
            "admin",
            "POST",
            "/api/v1/accounts/nobody/invites",
            None,
            404,
        )
        .await;

        // The audit log says who was invited and who set a password, never a code.
        let audit = h
            .ok(
                "admin",
                "GET",
                "/api/v1/superapps/_platform/audit",
                None,
                200,
            )
            .await;
        let text = audit.to_string();
        assert!(text.contains("create_invite") && text.contains("set_password"));
        assert!(!text.contains(&code) && !text.contains("gi_"), "{text}");
    }
}

#[tokio::test]
async fn a_disabled_account_keeps_nothing_until_enabled() {
    for (backend, store) in stores("console-disable").await {
        let h = world(backend, store).await;
        let mut laptop = Browser::new(h.router.clone());
        laptop.redeem(&invite(&h, "review").await, PW).await;
        let pending = invite(&h, "review").await; // issued, not used
        let token = h.token("review").to_owned();
        let path = "/api/v1/superapps/sa1/requests?status=pending";
        assert_eq!(
            h.call("GET", path, Some(&token), None).await.status,
            StatusCode::OK
        );

        // Tried first: not by anyone but the super admin, and not oneself.
        let r = h
            .call(
                "POST",
                "/api/v1/accounts/review/disable",
                Some(h.token("platform")),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{backend}] {}", r.text);
        let r = h
            .call(
                "POST",
                "/api/v1/accounts/review/disable",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{backend}] {}", r.text);
        let r = h
            .call(
                "POST",
                "/api/v1/accounts/admin/disable",
                Some(h.token("admin")),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{backend}] {}", r.text);
        assert!(r.text.contains("your own"), "{}", r.text);
        let r = h
            .call(
                "POST",
                "/api/v1/accounts/nobody/disable",
                Some(h.token("admin")),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        let b = h
            .ok(
                "admin",
                "POST",
                "/api/v1/accounts/review/disable",
                None,
                200,
            )
            .await;
        assert_eq!(b["disabled"], true);
        let r = h
            .call(
                "POST",
                "/api/v1/accounts/review/disable",
                Some(h.token("admin")),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "[{backend}] already disabled"
        );
        // The token, the session, the password and the unused invite: all dead.
        assert_eq!(
            h.call("GET", path, Some(&token), None).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert!(laptop
            .get("/console/")
            .await
            .location()
            .starts_with("/console/login"));
        assert_eq!(
            Browser::new(h.router.clone())
                .sign_in("review", PW)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        let p = Browser::new(h.router.clone())
            .redeem(&pending, "another password here")
            .await;
        assert_ne!(
            p.status,
            StatusCode::SEE_OTHER,
            "[{backend}] a disabled account's invite"
        );
        let r = h
            .call(
                "POST",
                "/api/v1/accounts/review/invites",
                Some(h.token("admin")),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{backend}] {}", r.text);
        let list = h.ok("admin", "GET", "/api/v1/accounts", None, 200).await;
        let me = list["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == "review")
            .unwrap();
        assert_eq!(me["disabled"], true);

        // Enabled: the token and the password work again; the session does not come back.
        h.ok("admin", "POST", "/api/v1/accounts/review/enable", None, 200)
            .await;
        assert_eq!(
            h.call("GET", path, Some(&token), None).await.status,
            StatusCode::OK
        );
        assert!(laptop
            .get("/console/")
            .await
            .location()
            .starts_with("/console/login"));
        assert_eq!(
            Browser::new(h.router.clone())
                .sign_in("review", PW)
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        let r = h
            .call(
                "POST",
                "/api/v1/accounts/review/enable",
                Some(h.token("admin")),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{backend}] already active");
        // The audit log says who did it.
        let audit = h
            .ok(
                "admin",
                "GET",
                "/api/v1/superapps/_platform/audit",
                None,
                200,
            )
            .await
            .to_string();
        assert!(
            audit.contains("disable_account") && audit.contains("enable_account"),
            "{audit}"
        );
    }
}

#[tokio::test]
async fn a_new_password_ends_the_accounts_other_sessions() {
    for (backend, store) in stores("console-reset").await {
        let h = world(backend, store).await;
        let mut laptop = Browser::new(h.router.clone());
        laptop.redeem(&invite(&h, "sa_admin").await, PW).await;
        assert_eq!(laptop.get("/console/").await.status, StatusCode::SEE_OTHER);
        assert!(!laptop
            .get("/console/")
            .await
            .location()
            .starts_with("/console/login"));
        // A reset through a new invite, on another device.
        let mut phone = Browser::new(h.router.clone());
        phone
            .redeem(&invite(&h, "sa_admin").await, "a brand new password")
            .await;
        let p = laptop.get("/console/").await;
        assert!(
            p.location().starts_with("/console/login"),
            "[{backend}] {}",
            p.location()
        );
        assert_eq!(
            laptop.sign_in("sa_admin", PW).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert!(!phone
            .get("/console/")
            .await
            .location()
            .starts_with("/console/login"));
    }
}

#[tokio::test]
async fn sign_in_and_sessions_forged_idle_absolute_and_signed_out() {
    for (backend, store) in stores("console-sessions").await {
        let h = world(backend, store).await;
        Browser::new(h.router.clone())
            .redeem(&invite(&h, "review").await, PW)
            .await;
        let mut b = Browser::new(h.router.clone());

        // Not signed in: pages send to sign-in and back.
        let p = b.get("/console/superapps/sa1/approvals").await;
        assert_eq!(p.status, StatusCode::SEE_OTHER);
        assert_eq!(
            p.location(),
            "/console/login?next=%2Fconsole%2Fsuperapps%2Fsa1%2Fapprovals"
        );
        // A forged cookie is no session.
        b.cookie = Some("guard_session=".to_owned() + &"ab".repeat(32));
        assert!(b
            .get("/console/")
            .await
            .location()
            .starts_with("/console/login"));
        b.cookie = None;

        // Wrong password and unknown account: the same answer.
        let wrong = b.sign_in("review", "not the password").await;
        let unknown = b.sign_in("nobody", "not the password").await;
        assert_eq!(
            (wrong.status, unknown.status),
            (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
        );
        assert!(
            wrong.has("Wrong account or password.") && unknown.has("Wrong account or password.")
        );
        assert!(b.cookie.is_none());

        // Signed in: the cookie is HttpOnly, SameSite=Strict, Path=/, not
        // Secure over plain http, and a new value (no fixation).
        b.cookie = Some("guard_session=".to_owned() + &"cd".repeat(32));
        let p = b.sign_in("review", PW).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER);
        let set = p.headers["set-cookie"].to_str().unwrap().to_owned();
        assert!(set.starts_with("guard_session="), "{set}");
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(set.contains(attr), "{set}");
        }
        assert!(!set.contains("Secure") && !set.contains("Max-Age") && !set.contains("Domain"));
        assert_ne!(
            b.cookie.as_deref(),
            Some(&*("guard_session=".to_owned() + &"cd".repeat(32)))
        );
        assert_eq!(
            b.get("/console/").await.location(),
            "/console/superapps/sa1/apis"
        );

        // Idle for 30 minutes: ended.
        h.state.clock.advance(29 * 60);
        assert_eq!(
            b.get("/console/").await.location(),
            "/console/superapps/sa1/apis"
        );
        h.state.clock.advance(30 * 60 + 1);
        assert!(b
            .get("/console/")
            .await
            .location()
            .starts_with("/console/login"));

        // 12 hours after sign-in: ended, however busy.
        b.sign_in("review", PW).await;
        for _ in 0..29 {
            h.state.clock.advance(25 * 60);
            b.get("/console/").await;
        }
        assert!(
            b.get("/console/")
                .await
                .location()
                .starts_with("/console/login"),
            "[{backend}] absolute expiry"
        );

        // Sign-out ends the session on the server: the old cookie is worthless.
        b.sign_in("review", PW).await;
        let kept = b.cookie.clone();
        assert_eq!(
            b.get("/console/login").await.status,
            StatusCode::SEE_OTHER,
            "signed in: on to the console"
        );
        let token = session_csrf(&mut b).await;
        let out = b.post("/console/logout", &[("csrf", &token)]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert!(out.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("guard_session=;"));
        b.cookie = kept;
        assert!(b
            .get("/console/")
            .await
            .location()
            .starts_with("/console/login"));
        assert!(b
            .get("/console/account")
            .await
            .location()
            .starts_with("/console/login"));
    }
}

/// The CSRF token of `b`'s session, from the sign-out form every page has.
async fn session_csrf(b: &mut Browser) -> String {
    let p = b.get("/console/account").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    p.csrf()
}

#[tokio::test]
async fn forms_without_the_token_or_from_another_origin_change_nothing() {
    for (backend, store) in stores("console-csrf").await {
        let h = world(backend, store).await;
        Browser::new(h.router.clone())
            .redeem(&invite(&h, "review").await, PW)
            .await;
        Browser::new(h.router.clone())
            .redeem(&invite(&h, "senior").await, PW)
            .await;
        let mut b = Browser::new(h.router.clone());
        b.sign_in("review", PW).await;
        let mut other = Browser::new(h.router.clone());
        other.sign_in("senior", PW).await;
        let theirs = session_csrf(&mut other).await;
        let mine = session_csrf(&mut b).await;
        assert_ne!(mine, theirs);

        // Sign-out is the probe: a refused one leaves the session alive.
        let alive = |p: &console_kit::Page| p.status == StatusCode::FORBIDDEN;
        let p = b.post("/console/logout", &[]).await;
        assert!(
            alive(&p) && p.has("out of date or was not sent by the console"),
            "[{backend}] no token"
        );
        let p = b.post("/console/logout", &[("csrf", &theirs)]).await;
        assert!(alive(&p), "another session's token");
        let p = b.post("/console/logout", &[("csrf", "")]).await;
        assert!(alive(&p), "empty token");
        let evil = [("origin".to_owned(), "https://evil.example".to_owned())];
        let p = b
            .post_with("/console/logout", &[("csrf", &mine)], &evil)
            .await;
        assert!(
            alive(&p) && p.has("sent from another site"),
            "cross-origin with the right token"
        );
        let null = [("origin".to_owned(), "null".to_owned())];
        assert!(alive(
            &b.post_with("/console/logout", &[("csrf", &mine)], &null)
                .await
        ));
        // No Origin and no Referer at all: refused.
        b.origin = None;
        assert!(
            alive(&b.post("/console/logout", &[("csrf", &mine)]).await),
            "no origin"
        );
        // A same-origin Referer stands in for a missing Origin.
        assert_eq!(session_csrf(&mut b).await, mine, "still signed in");
        let referer = [("referer".to_owned(), format!("{ORIGIN}/console/apps"))];
        let p = b
            .post_with("/console/logout", &[("csrf", &mine)], &referer)
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER);
        assert!(b
            .get("/console/")
            .await
            .location()
            .starts_with("/console/login"));

        // Sign-in and invite forms check the origin too (login CSRF).
        let mut c = Browser::new(h.router.clone());
        c.origin = Some("https://evil.example".into());
        assert_eq!(c.sign_in("senior", PW).await.status, StatusCode::FORBIDDEN);
        assert!(c.cookie.is_none());
        assert_eq!(c.redeem("gi_x", PW).await.status, StatusCode::FORBIDDEN);
    }
}

/// Decision 447: per address first, then per account with a growing
/// delay (never a lock), the owner's own browser counted apart, and an
/// administrator's unlock; across two servers on one database.
#[tokio::test]
async fn sign_in_slows_a_guesser_without_locking_the_owner_out_across_servers() {
    for (backend, store) in both_stores("console-throttle").await {
        let h = world(backend, store.clone()).await;
        // The owner sets the password in their browser: it gets a device
        // cookie.
        let mut owner = Browser::new(h.router.clone()).from("203.0.113.50:1");
        owner.redeem(&invite(&h, "dev").await, PW).await;
        assert!(owner.device.is_some(), "[{backend}] a device cookie");
        // A second server on the same database (its own pool and state,
        // the same KEK as a second `guard serve` has).
        let store2 = match backend {
            "sqlite" => guard_server::store::Store::open_sqlite(store.data_dir.as_ref().unwrap())
                .await
                .unwrap(),
            _ => {
                let url = std::env::var("GUARD_TEST_PG_URL").unwrap();
                let db: String = sqlx::query_scalar("SELECT CAST(current_database() AS TEXT)")
                    .fetch_one(&store.pool)
                    .await
                    .unwrap();
                guard_server::store::Store::open_url(&common::with_db(&url, &db))
                    .await
                    .unwrap()
            }
        };
        let mut state2 = AppState::new(store2, h.state.clock.clone(), Limits::default());
        state2.kek = h.state.kek.clone();
        let second = guard_server::router(state2);
        let server = |i: usize| {
            if i.is_multiple_of(2) {
                h.router.clone()
            } else {
                second.clone()
            }
        };

        // Five wrong passwords for `dev`, spread over both servers and
        // several addresses, cost no delay.
        for i in 0..5 {
            let mut b = Browser::new(server(i)).from(&format!("198.51.100.{i}:4000"));
            let p = b.sign_in("dev", "wrong password!").await;
            assert_eq!(p.status, StatusCode::UNAUTHORIZED, "[{backend}] guess {i}");
        }
        // Then each attempt waits a delay that doubles (1 s, 2 s, 4 s …),
        // refused unchecked before it — even with the right password —
        // and never longer than the cap: no lock.
        let mut waits = Vec::new();
        for i in 5..20 {
            let mut b = Browser::new(server(i)).from(&format!("198.51.100.{i}:4000"));
            let p = b.sign_in("dev", PW).await;
            assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS, "[{backend}] {i}");
            assert!(
                p.has("Too many failed sign-ins for this account: try again in"),
                "{}",
                p.text
            );
            assert!(b.cookie.is_none());
            let wait: i64 = p.headers["retry-after"].to_str().unwrap().parse().unwrap();
            waits.push(wait);
            h.state.clock.advance(wait);
            let p = b.sign_in("dev", "wrong password!").await;
            assert_eq!(p.status, StatusCode::UNAUTHORIZED, "[{backend}] {i}");
        }
        assert_eq!(
            waits,
            [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300, 300, 300, 300],
            "[{backend}]"
        );

        // Meanwhile the owner's own browser signs in at once, on either
        // server: the guesser's failures are not counted against it.
        for router in [h.router.clone(), second.clone()] {
            let mut b = owner.clone();
            b.router = router;
            b.cookie = None;
            let p = b.sign_in("dev", PW).await;
            assert_eq!(p.status, StatusCode::SEE_OTHER, "[{backend}] {}", p.text);
        }
        // A device cookie that is not the server's, is another account's
        // or is too old counts as an unknown browser: still slowed.
        let real = owner.device.clone().unwrap();
        let (name, value) = real.split_once('=').unwrap();
        let mut parts: Vec<&str> = value.split('.').collect();
        let other_issued = (common::T0 - 91 * 86_400).to_string();
        for forged in [
            format!("{name}=dev.{}.{}", parts[1], "0".repeat(64)),
            format!("{name}=sa_admin.{}.{}", parts[1], parts[2]),
            {
                parts[1] = &other_issued;
                format!("{name}={}", parts.join("."))
            },
        ] {
            let mut b = Browser::new(h.router.clone()).from("203.0.113.51:1");
            b.device = Some(forged.clone());
            let p = b.sign_in("dev", PW).await;
            assert_eq!(
                p.status,
                StatusCode::TOO_MANY_REQUESTS,
                "[{backend}] {forged}"
            );
        }

        // The console shows the account slowed, with an Unlock button; a
        // developer may not unlock, an unknown account is 404.
        let r = h
            .call(
                "POST",
                "/api/v1/accounts/dev/unlock",
                Some(h.token("dev")),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{backend}]");
        let r = h
            .call(
                "POST",
                "/api/v1/accounts/nobody/unlock",
                Some(&h.admin),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{backend}]");
        // The administrator unlocks: the failures are forgotten and
        // audited, and a fresh browser signs in at once.
        let r = h
            .call("POST", "/api/v1/accounts/dev/unlock", Some(&h.admin), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{backend}] {}", r.text);
        assert_eq!(r.body["failures_forgotten"], 20, "[{backend}]");
        let audit = h
            .ok(
                "admin",
                "GET",
                "/api/v1/superapps/_platform/audit",
                None,
                200,
            )
            .await;
        assert!(audit.to_string().contains("unlock_account"), "[{backend}]");
        let mut fresh = Browser::new(second.clone()).from("198.51.100.200:1");
        assert_eq!(
            fresh.sign_in("dev", PW).await.status,
            StatusCode::SEE_OTHER,
            "[{backend}]"
        );

        // One address guessing many accounts: 30 attempts, then refused
        // before any account is looked at (an account it never tried
        // included).
        let mut guesser = Browser::new(h.router.clone()).from("192.0.2.77:1");
        for i in 0..30 {
            let p = guesser
                .sign_in(&format!("user{i}"), "guess guess guess")
                .await;
            assert_eq!(p.status, StatusCode::UNAUTHORIZED, "attempt {i}");
        }
        let p = guesser.sign_in("dev", PW).await;
        assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(
            p.has("Too many failed sign-ins from your network"),
            "{}",
            p.text
        );
        // Another address is not affected.
        assert_eq!(
            Browser::new(second.clone())
                .from("192.0.2.78:1")
                .sign_in("dev", PW)
                .await
                .status,
            StatusCode::SEE_OTHER
        );

        // An IPv6 guesser taking a fresh address of its /64 for each guess
        // is one client.
        for i in 0..30 {
            let mut b = Browser::new(h.router.clone()).from(&format!("[2001:db8:7:7::{i:x}]:1"));
            let p = b.sign_in(&format!("v6user{i}"), "guess guess guess").await;
            assert_eq!(
                p.status,
                StatusCode::UNAUTHORIZED,
                "[{backend}] v6 attempt {i}"
            );
        }
        let mut b = Browser::new(second.clone()).from("[2001:db8:7:7:dead:beef:1:2]:1");
        assert_eq!(
            b.sign_in("dev", PW).await.status,
            StatusCode::TOO_MANY_REQUESTS,
            "[{backend}]"
        );

        // Invented account names do not grow the table: once their
        // failures are forgotten, the next attempt leaves only its own
        // buckets.
        h.state.clock.advance(86_400 + 1);
        let mut b = Browser::new(h.router.clone()).from("192.0.2.99:1");
        assert_eq!(
            b.sign_in("nobody", "guess guess guess").await.status,
            StatusCode::UNAUTHORIZED
        );
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM signin_throttle")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(
            rows, 2,
            "[{backend}] the attempt's account and address buckets only"
        );
    }
}

#[tokio::test]
async fn over_tls_the_cookie_is_secure_with_the_host_prefix_and_pages_carry_the_security_headers() {
    let store = guard_server::store::Store::open_sqlite(&common::temp_dir("console-tls"))
        .await
        .unwrap();
    let state = AppState::new(store, Clock::manual(common::T0), Limits::default())
        .with_public_url("https://guard.example")
        .with_console(ConsoleSettings {
            public_url_explicit: true,
            ..ConsoleSettings::default()
        });
    let mut h = Harness::from_state("sqlite", state).await;
    h.world().await;
    let code = invite(&h, "dev").await;
    let mut b = Browser::new(h.router.clone());
    // The http origin of the default URL is not this console's.
    assert_eq!(b.redeem(&code, PW).await.status, StatusCode::FORBIDDEN);
    b.origin = Some("https://guard.example".into());
    let p = b.redeem(&code, PW).await;
    let set = p.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.starts_with("__Host-guard_session=")
            && set.contains("Secure")
            && set.contains("Path=/"),
        "{set}"
    );
    assert!(!set.contains("Domain"));
    // The plain name is not read over TLS.
    let value = b
        .cookie
        .clone()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    b.cookie = Some(format!("guard_session={value}"));
    assert!(b
        .get("/console/")
        .await
        .location()
        .starts_with("/console/login"));
    b.cookie = Some(format!("__Host-guard_session={value}"));
    assert_eq!(b.get("/console/").await.location(), "/console/apps");

    for path in [
        "/console/login",
        "/console/invite",
        "/console/static/console.css",
    ] {
        let p = b.get(path).await;
        let csp = p.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("style-src 'self'"),
            "{csp}"
        );
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe"),
            "{csp}"
        );
        assert_eq!(p.headers["x-frame-options"], "DENY");
        assert_eq!(p.headers["x-content-type-options"], "nosniff");
        assert_eq!(p.headers["referrer-policy"], "same-origin");
    }
    // No inline script or style anywhere in a page.
    let p = b.get("/console/invite").await;
    assert!(
        !p.has("<script>") && !p.has("style=") && !p.has("<style"),
        "{}",
        p.text
    );
    assert!(p.has("<script src=\"/console/static/console.js\" defer></script>"));
}

#[tokio::test]
async fn the_bootstrap_invite_is_printed_while_nobody_has_a_password() {
    let store = guard_server::store::Store::open_sqlite(&common::temp_dir("console-boot"))
        .await
        .unwrap();
    let h = Harness::new("sqlite", store).await;
    let first = guard_server::resources::invites::bootstrap(&h.state)
        .await
        .unwrap()
        .unwrap();
    let second = guard_server::resources::invites::bootstrap(&h.state)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.account_id, "admin");
    let mut b = Browser::new(h.router.clone());
    // A new start replaces the invite printed before.
    assert_eq!(
        b.redeem(&first.code, PW).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        b.redeem(&second.code, PW).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(b.get("/console/").await.location(), "/console/applications");
    assert!(guard_server::resources::invites::bootstrap(&h.state)
        .await
        .unwrap()
        .is_none());
}

/// Decision 447: the Accounts page shows an account slowed by failed
/// sign-ins, and only the super admin's Unlock (with the form's token)
/// forgets them; a platform admin's post changes nothing.
#[tokio::test]
async fn an_administrator_unlocks_a_slowed_account_from_the_accounts_page() {
    for (backend, store) in stores("console-unlock").await {
        let h = world(backend, store).await;
        let mut admin = Browser::new(h.router.clone());
        admin.redeem(&invite(&h, "admin").await, PW).await;
        let mut platform = Browser::new(h.router.clone()).from("203.0.113.60:1");
        platform.redeem(&invite(&h, "platform").await, PW).await;
        Browser::new(h.router.clone())
            .from("203.0.113.61:1")
            .redeem(&invite(&h, "dev").await, PW)
            .await;
        // A guesser from five addresses: `dev` is now slowed.
        for i in 0..5 {
            let mut b = Browser::new(h.router.clone()).from(&format!("198.51.100.{i}:1"));
            let p = b.sign_in("dev", "wrong password!").await;
            assert_eq!(p.status, StatusCode::UNAUTHORIZED, "[{backend}] {i}");
        }
        let mut b = Browser::new(h.router.clone()).from("198.51.100.9:1");
        assert_eq!(
            b.sign_in("dev", PW).await.status,
            StatusCode::TOO_MANY_REQUESTS,
            "[{backend}]"
        );
        let unlock = "/console/platform/accounts/dev/unlock";
        let page = admin.get("/console/platform/accounts").await;
        assert!(page.has("sign-in slowed"), "[{backend}] {}", page.text);
        assert!(page.has(unlock), "[{backend}]");

        // A platform admin may not unlock, with a valid token or without.
        let p = platform
            .submit("/console/platform/accounts", unlock, &[])
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "[{backend}] {}", p.text);
        // The super admin's post without the form's token changes nothing.
        let p = admin.post(unlock, &[]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "[{backend}]");
        assert_eq!(
            b.sign_in("dev", PW).await.status,
            StatusCode::TOO_MANY_REQUESTS,
            "[{backend}] still slowed"
        );

        let p = admin
            .submit("/console/platform/accounts", unlock, &[])
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{backend}] {}", p.text);
        let page = admin.get(p.location()).await;
        assert!(page.has("Unlocked"), "[{backend}] {}", page.text);
        assert!(!page.has("sign-in slowed"), "[{backend}]");
        assert!(!page.has(unlock), "[{backend}]");
        assert_eq!(
            b.sign_in("dev", PW).await.status,
            StatusCode::SEE_OTHER,
            "[{backend}] unlocked"
        );
    }
}
