//! The SDK against a real `guard serve` process: sync, a SIGKILLed and
//! restarted server, hostile caches, a restored database backup, the
//! long-poll delivering a revocation, a report flood.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{fast, module, temp_dir, Demo, API, APP};
use guard_core::{CheckKind, DenyCode, LoadCode};
use guard_sdk::{Sdk, SdkError};

const HOUR: Duration = Duration::from_secs(3600);

fn allowed(sdk: &Sdk) -> bool {
    sdk.check_api(APP, API).allow
}

/// A synced SDK on `state` that does not sync in the background: the test
/// drives every round with `sync_now`, so nothing races it.
fn manual(config: &guard_sdk::Config, state: &std::path::Path) -> Sdk {
    Sdk::synced(module(), config.clone())
        .state_dir(state)
        .timing(fast(HOUR))
        .background_sync(false)
        .background_reports(false)
        .start()
        .unwrap()
}

#[test]
fn a_sigkilled_server_changes_nothing_enforced_and_an_offline_start_enforces_the_cache() {
    let dir = temp_dir("kill");
    let mut demo = Demo::start(&dir.join("server"));
    let config = demo.config();
    let state = dir.join("state");
    let sdk = manual(&config, &state);
    // Before any sync there is no policy: fail closed.
    let first = sdk.check_api(APP, API);
    assert_eq!(first.code, Some(DenyCode::NoPolicy));
    demo.grant();
    let synced = sdk.sync_now().unwrap();
    assert!(synced.changed);
    assert!(allowed(&sdk));
    let version = synced.version;

    demo.server.kill();
    // Tried: sync against a dead server. The error is reported; the grant
    // in force stays in force.
    assert!(matches!(sdk.sync_now(), Err(SdkError::Http { .. })));
    assert!(allowed(&sdk));
    assert!(sdk.status().last_error.is_some());

    // The app restarts while the server is down: it starts from its cache.
    drop(sdk);
    let sdk = manual(&config, &state);
    assert!(allowed(&sdk), "the offline start lost the bundle");
    assert_eq!(sdk.status().accepted_version, version);

    demo.server.restart();
    let again = sdk.sync_now().unwrap();
    assert!(!again.changed, "a restart is no change");
    assert_eq!(again.version, version);
    assert!(allowed(&sdk));
    assert!(sdk.status().last_error.is_none());

    // And the restarted server's next change arrives as usual.
    demo.revoke();
    assert!(sdk.sync_now().unwrap().changed);
    assert_eq!(
        sdk.check_api(APP, API).code,
        Some(DenyCode::PermissionNotGranted)
    );
    drop(sdk);
    drop(demo);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// What a hostile (or unlucky) device does to the cache file, and what the
/// SDK must do about it.
fn tamper(how: &str, bytes: &[u8]) -> Vec<u8> {
    let nl = bytes.iter().position(|b| *b == b'\n').unwrap();
    let (head, body) = (&bytes[..nl], &bytes[nl + 1..]);
    match how {
        "truncated" => bytes[..bytes.len() * 2 / 3].to_vec(),
        "one byte of the bundle changed" => {
            let mut b = bytes.to_vec();
            let at = nl + 1 + body.windows(3).position(|w| w == b"eyJ").unwrap() + 40;
            b[at] = if b[at] == b'A' { b'B' } else { b'A' };
            b
        }
        "the bundle's signature changed and the digest line recomputed" => {
            let text = std::str::from_utf8(body).unwrap();
            let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
            let jws = v["bundle"].as_str().unwrap().to_owned();
            let (rest, sig) = jws.rsplit_once('.').unwrap();
            // The first character of the signature made another one: always a
            // different signature (a flip of chosen letters is a no-op on a
            // signature without them).
            let first = if sig.starts_with('A') { 'B' } else { 'A' };
            let flipped = format!("{first}{}", &sig[1..]);
            v["bundle"] = serde_json::Value::String(format!("{rest}.{flipped}"));
            let body = v.to_string();
            let tag = std::str::from_utf8(head)
                .unwrap()
                .split(' ')
                .next()
                .unwrap();
            let digest: String = <sha2::Sha256 as sha2::Digest>::digest(body.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("{tag} {digest}\n{body}").into_bytes()
        }
        "emptied" => Vec::new(),
        other => panic!("{other}"),
    }
}

#[test]
fn a_tampered_or_truncated_cache_is_refused_and_refetched() {
    let dir = temp_dir("tamper");
    let demo = Demo::start(&dir.join("server"));
    let config = demo.config();
    demo.grant();
    for how in [
        "truncated",
        "one byte of the bundle changed",
        "the bundle's signature changed and the digest line recomputed",
        "emptied",
    ] {
        let state = dir.join(how.replace(' ', "-"));
        let sdk = manual(&config, &state);
        sdk.sync_now().unwrap();
        assert!(allowed(&sdk));
        drop(sdk);
        let cache = state.join("cache.json");
        std::fs::write(&cache, tamper(how, &std::fs::read(&cache).unwrap())).unwrap();

        let sdk = manual(&config, &state);
        let st = sdk.status();
        assert!(st.cache_refused.is_some(), "{how}: the cache was accepted");
        assert!(
            state.join("cache.json.refused").exists(),
            "{how}: not set aside"
        );
        // Nothing from the refused cache is enforced: what is, is the second
        // copy of the signed state, verified against the roots like it (with
        // roots the floor is a signed document, never a number on its own).
        assert!(allowed(&sdk), "{how}: the second copy was not restored");
        assert!(
            st.floor.is_some(),
            "{how}: the floor was lost with the cache"
        );
        // Synced: the copy was current, so nothing changes.
        assert!(!sdk.sync_now().unwrap().changed, "{how}");
        assert!(allowed(&sdk), "{how}");
        // And written whole again: the next start takes it.
        drop(sdk);
        let sdk = manual(&config, &state);
        assert!(sdk.status().cache_refused.is_none(), "{how}");
        assert!(allowed(&sdk), "{how}");
    }
    drop(demo);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn an_older_bundle_served_after_a_restored_backup_is_refused_even_after_a_restart() {
    let dir = temp_dir("backup");
    let data = dir.join("server");
    let mut demo = Demo::start(&data);
    let config = demo.config();
    demo.grant();
    let state = dir.join("state");
    let sdk = manual(&config, &state);
    sdk.sync_now().unwrap();
    assert!(allowed(&sdk));

    // A backup of the database (taken with the server stopped, so it is
    // consistent), then a revocation the device syncs.
    demo.server.kill();
    copy_dir(&data, &dir.join("backup"));
    demo.server.restart();
    let revoked_at = demo.revoke();
    assert!(sdk.sync_now().unwrap().changed);
    assert!(!allowed(&sdk));

    // Tried: the backup restored, so the server serves the older bundle
    // that still carries the revoked grant.
    demo.server.kill();
    std::fs::remove_dir_all(&data).unwrap();
    copy_dir(&dir.join("backup"), &data);
    demo.server.restart();
    match sdk.sync_now() {
        Err(SdkError::Load(e)) => assert_eq!(e.code, LoadCode::StaleVersion, "{e}"),
        other => panic!("the older bundle was not refused: {other:?}"),
    }
    assert_eq!(
        sdk.check_api(APP, API).code,
        Some(DenyCode::PermissionNotGranted),
        "rolled back to the revoked grant"
    );
    assert_eq!(sdk.status().accepted_version, Some(revoked_at));

    // And after the app restarts: the restored floor refuses it too.
    drop(sdk);
    let sdk = manual(&config, &state);
    let r = sdk.sync_now();
    assert!(
        matches!(&r, Err(SdkError::Load(e)) if e.code == LoadCode::StaleVersion),
        "{r:?} {:?}",
        sdk.status()
    );
    assert!(!allowed(&sdk));

    // Tried together: the cache truncated as well; the second copy of the
    // signed state still holds the bundle at the floor, and refuses the
    // older bundle.
    drop(sdk);
    let cache = state.join("cache.json");
    let bytes = std::fs::read(&cache).unwrap();
    std::fs::write(&cache, &bytes[..bytes.len() / 2]).unwrap();
    let sdk = manual(&config, &state);
    assert!(sdk.status().cache_refused.is_some());
    assert!(matches!(sdk.sync_now(), Err(SdkError::Load(e)) if e.code == LoadCode::StaleVersion));
    assert_eq!(
        sdk.check_api(APP, API).code,
        Some(DenyCode::PermissionNotGranted)
    );

    // The restored server's changes reach the device once its versions pass
    // the device's again (the restored database still has the grant).
    let mut v = demo.revoke();
    while v <= revoked_at {
        demo.grant();
        v = demo.revoke();
    }
    v = demo.grant();
    assert!(v > revoked_at);
    assert!(sdk.sync_now().unwrap().changed);
    assert!(allowed(&sdk));
    drop(sdk);
    drop(demo);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_revocation_reaches_a_running_sdk_through_the_long_poll() {
    let dir = temp_dir("longpoll");
    let mut demo = Demo::start(&dir.join("server"));
    assert!(
        demo.server.long_polls("demo"),
        "guard-server does not long-poll (P1)"
    );
    demo.grant();
    let mut config = demo.config();
    // A short hold, so the test sees a held request end (and so knows the
    // server long-polls) in seconds rather than 25.
    config.long_poll_seconds = 2;
    // The fallback poll is an hour: only the long-poll can deliver in time.
    let sdk = Sdk::synced(module(), config)
        .state_dir(dir.join("state"))
        .timing(fast(HOUR))
        .background_reports(false)
        .start()
        .unwrap();
    let st = sdk
        .wait_until(Duration::from_secs(20), |s| {
            s.long_poll && s.policy.is_some()
        })
        .expect("the server never held a bundle request (no long-poll?)");
    assert!(allowed(&sdk));
    let before = st.accepted_version;

    let t0 = Instant::now();
    let revoked = demo.revoke();
    let st = sdk
        .wait_until(Duration::from_secs(10), |s| {
            s.accepted_version == Some(revoked)
        })
        .unwrap_or_else(|| panic!("the revocation did not arrive within 10 s (from {before:?})"));
    eprintln!("revocation enforced after {:?}", t0.elapsed());
    assert!(st.long_poll);
    assert_eq!(
        sdk.check_api(APP, API).code,
        Some(DenyCode::PermissionNotGranted)
    );

    // Tried: the server SIGKILLed while the SDK holds a request. The SDK
    // notices, keeps enforcing the revocation, backs off, and once the
    // server is back the long-poll delivers the next change again.
    demo.server.kill();
    sdk.wait_until(Duration::from_secs(10), |s| s.last_error.is_some())
        .expect("the held request's failure was not noticed");
    assert_eq!(
        sdk.check_api(APP, API).code,
        Some(DenyCode::PermissionNotGranted)
    );
    demo.server.restart();
    let granted = demo.grant();
    sdk.wait_until(Duration::from_secs(10), |s| {
        s.accepted_version == Some(granted) && s.last_error.is_none()
    })
    .expect("the change after the restart did not arrive within 10 s");
    assert!(allowed(&sdk));
    drop(sdk);
    drop(demo);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_report_flood_is_capped_on_the_device_and_what_is_sent_is_what_the_server_accepts() {
    let dir = temp_dir("flood");
    let demo = Demo::start(&dir.join("server"));
    assert!(
        demo.server.has_route("/api/v1/superapps/{sid}/reports"),
        "guard-server has no reports endpoint (P2)"
    );
    let config = demo.config();
    let sdk = manual(&config, &dir.join("state"));
    sdk.sync_now().unwrap();
    // Tried: a hostile mini program requests 5,000 distinct hosts with
    // long names (each a new report) and calls a denied API 5,000 times.
    for i in 0..5_000 {
        let url = format!("https://{}-{i}.evil.example/x?secret=1", "a".repeat(200));
        let a = sdk.check_url(APP, CheckKind::Request, &url);
        assert!(!a.decision.allow);
        assert!(!sdk.check_api(APP, API).allow);
    }
    let sent = sdk.send_reports_now().unwrap();
    // Capped on the device at the app's quota (guard-core decision 199): 25
    // reports (the API's, then 24 hosts), the rest counted as dropped; what
    // is sent is what the server accepts. (Splitting a full log into bodies:
    // `reports.rs` unit tests.)
    assert_eq!(sent.reports, 25, "{sent:?}");
    assert_eq!(sent.dropped, 5_000 - 24, "{sent:?}");
    assert!(sent.bodies >= 1, "{sent:?}");
    assert_eq!(sent.accepted, 25, "{sent:?}");
    assert_eq!((sent.refused, sent.lost), (0, 0), "{sent:?}");
    // Nothing is left to send.
    let again = sdk.send_reports_now().unwrap();
    assert_eq!(again.reports, 0);
    drop(sdk);
    drop(demo);
    std::fs::remove_dir_all(&dir).unwrap();
}
