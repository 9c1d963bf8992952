//! Code packages from outside (issue 22, "Packages"): hostile zips built
//! byte by byte (symlinks, escaping, drive and Windows names, NUL and
//! control characters, duplicates, prepended and appended data, encrypted
//! entries, a local header naming another file) posted through the real
//! upload API and refused with a 400 naming the entry; uploads only for
//! apps whose binding is approved; quotas per app and per team; reviewers
//! download a pending package and read its file list.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use crate::console_kit;

use axum::http::StatusCode;
use common::{both_stores, statuses_at_once, stores, unique, zip_of, Harness};
use console_kit::{signed_in, Browser};
use guard_server::state::{Limits, UploadQuota};
use serde_json::json;
use sha2::Digest;

/// CRC-32 (IEEE), bit by bit: the tests build zips without the zip crate.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// One entry of a hand-built zip (stored, not compressed).
#[derive(Clone)]
struct Raw {
    name: Vec<u8>,
    data: Vec<u8>,
    /// Version made by (high byte: 3 = unix).
    made_by: u16,
    /// External attributes (unix mode in the high half).
    external: u32,
    flags: u16,
    /// The local header's name, when it differs from the directory's.
    local_name: Option<Vec<u8>>,
}

fn raw(name: &str, data: &[u8]) -> Raw {
    Raw {
        name: name.as_bytes().to_vec(),
        data: data.to_vec(),
        made_by: 0x031e,
        external: 0o100_644 << 16,
        flags: 0,
        local_name: None,
    }
}

/// How a hand-built zip is laid out around its entries.
#[derive(Default)]
struct Layout {
    /// Bytes before the first entry, the offsets counting them (an
    /// adjusted self-extractor).
    before: Vec<u8>,
    /// Bytes after each entry's data.
    between: Vec<u8>,
    /// Bytes between the directory and the end record.
    after_directory: Vec<u8>,
}

/// A zip of `entries`, byte by byte (APPNOTE 4.3).
fn build(entries: &[Raw], l: &Layout) -> Vec<u8> {
    let mut out = l.before.clone();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let crc = crc32(&e.data);
        let size = e.data.len() as u32;
        let local_name = e.local_name.as_ref().unwrap_or(&e.name);
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&e.flags.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // stored
        out.extend_from_slice(&[0, 0, 0x21, 0]); // time, date
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&(local_name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(local_name);
        out.extend_from_slice(&e.data);
        out.extend_from_slice(&l.between);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&e.made_by.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&e.flags.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&[0, 0, 0x21, 0]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal
        central.extend_from_slice(&e.external.to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(&e.name);
    }
    let dir_start = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&l.after_directory);
    let n = entries.len() as u16;
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&dir_start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn plain(entries: &[Raw]) -> Vec<u8> {
    build(entries, &Layout::default())
}

/// A symlink written by the zip crate's own writer.
fn crate_symlink(name: &str, target: &str) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("app.js", opts).unwrap();
    std::io::Write::write_all(&mut w, b"App({})").unwrap();
    w.add_symlink(name, target, opts).unwrap();
    w.finish().unwrap().into_inner()
}

/// (what, zip, what the message must hold).
fn hostile() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let app = raw("app.js", b"App({})");
    let with = |e: Raw| plain(&[app.clone(), e]);
    let link = |target: &str| Raw {
        external: (0o120_777 << 16),
        ..raw("pages/link", target.as_bytes())
    };
    let good = plain(std::slice::from_ref(&app));
    let mut prepended = b"MZ\x90\0 a stub".to_vec();
    prepended.extend_from_slice(&good);
    let mut appended = good.clone();
    appended.extend_from_slice(b"<script>alert(1)</script>");
    vec![
        (
            "a symlink to /etc/passwd (zip crate writer)",
            crate_symlink("passwd", "/etc/passwd"),
            "entry `passwd` is a symbolic link",
        ),
        (
            "a symlink to ../../..",
            with(link("../../..")),
            "entry `pages/link` is a symbolic link",
        ),
        (
            "a symlink to /etc/passwd",
            with(link("/etc/passwd")),
            "entry `pages/link` is a symbolic link",
        ),
        (
            "a fifo",
            with(Raw {
                external: 0o010_644 << 16,
                ..raw("fifo", b"")
            }),
            "entry `fifo` is neither a file nor a directory",
        ),
        (
            "a backslash parent",
            with(raw("..\\evil.js", b"x")),
            "entry `..\\evil.js` contains a backslash",
        ),
        (
            "a drive path",
            with(raw("C:\\evil.js", b"x")),
            "entry `C:\\evil.js` starts with a drive",
        ),
        (
            "a drive-relative path",
            with(raw("C:evil.js", b"x")),
            "entry `C:evil.js` starts with a drive",
        ),
        (
            "a Windows stream",
            with(raw("app.js:hidden", b"x")),
            "entry `app.js:hidden` contains a colon",
        ),
        (
            "an absolute path",
            with(raw("/etc/cron.d/x", b"x")),
            "entry `/etc/cron.d/x` is an absolute path",
        ),
        (
            "a parent segment",
            with(raw("../evil.js", b"x")),
            "entry `../evil.js` has a `..` segment",
        ),
        (
            "a parent segment inside",
            with(raw("pages/../../evil.js", b"x")),
            "entry `pages/../../evil.js` has a `..` segment",
        ),
        (
            "a parent segment with a trailing space (`..` on Windows)",
            with(raw(".. /evil.js", b"x")),
            "entry `.. /evil.js` has a segment ending in a dot or space",
        ),
        (
            "a Windows device name",
            with(raw("pages/nul.js", b"x")),
            "entry `pages/nul.js` is a Windows device name",
        ),
        (
            "a character Windows forbids",
            with(raw("pages/a?.js", b"x")),
            "entry `pages/a?.js` contains a character Windows forbids",
        ),
        (
            "a dot segment",
            with(raw("./app.js", b"x")),
            "entry `./app.js` has an empty or `.` segment",
        ),
        (
            "a NUL",
            with(raw("evil.js\0.png", b"x")),
            "entry `evil.js\\0.png` contains a NUL or control character",
        ),
        (
            "an escape character",
            with(raw("evil\u{1b}[2J.js", b"x")),
            "contains a NUL or control character",
        ),
        (
            "two app.json",
            plain(&[raw("app.json", b"{}"), raw("app.json", b"{\"x\":1}")]),
            "entries `app.json` and `app.json` have the same name",
        ),
        (
            "app.json and APP.JSON",
            plain(&[raw("app.json", b"{}"), raw("APP.JSON", b"{}")]),
            "entries `app.json` and `APP.JSON` have the same name (letter case ignored)",
        ),
        (
            "two forms of one name (macOS makes them one file)",
            plain(&[raw("caf\u{e9}.js", b"1"), raw("cafe\u{301}.js", b"2")]),
            "have the same name",
        ),
        (
            "a file used as a directory",
            plain(&[raw("lib", b"x"), raw("lib/a.js", b"x")]),
            "entry `lib/a.js` is inside `lib`, which is a file",
        ),
        (
            "an encrypted entry",
            with(Raw {
                flags: 1,
                ..raw("secret.js", b"xxxxxxxxxxxx")
            }),
            "entry `secret.js` is encrypted",
        ),
        (
            "a local header naming another file",
            with(Raw {
                local_name: Some(b"../x.js".to_vec()),
                ..raw("ok.js", b"x")
            }),
            "entry `ok.js` has a local header that disagrees",
        ),
        (
            "a name that is not UTF-8",
            with(Raw {
                name: b"caf\xe9.js".to_vec(),
                ..raw("x", b"x")
            }),
            "is not UTF-8",
        ),
        (
            "data prepended",
            prepended,
            "has 11 bytes of data before its first entry",
        ),
        (
            "data prepended, the offsets adjusted",
            build(
                std::slice::from_ref(&app),
                &Layout {
                    before: b"#!/bin/sh\nexit\n".to_vec(),
                    ..Layout::default()
                },
            ),
            "has 15 bytes of data before its first entry",
        ),
        (
            "data appended",
            appended,
            "has 25 bytes of data after its end",
        ),
        (
            "data between entries",
            build(
                &[app.clone(), raw("b.js", b"b")],
                &Layout {
                    between: b"hidden".to_vec(),
                    ..Layout::default()
                },
            ),
            "has 6 bytes of data after entry `app.js` that belong to no entry",
        ),
        (
            "data between the directory and its end",
            build(
                std::slice::from_ref(&app),
                &Layout {
                    after_directory: b"hidden".to_vec(),
                    ..Layout::default()
                },
            ),
            "has 6 bytes of data between its central directory and its end record",
        ),
    ]
}

#[tokio::test]
async fn hostile_zips_are_refused_with_a_400_naming_the_entry() {
    for (backend, store) in stores("pkg-hostile").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        // The builder makes zips the server takes: the refusals below are
        // the layouts', not the builder's.
        let fine = plain(&[
            raw("app.js", b"App({})"),
            raw("pages/", b""),
            raw("pages/index.js", b"Page({})"),
        ]);
        let r = h.upload("dev", "mp1", "0.0.1", fine).await;
        assert_eq!(r.status, 201, "[{backend}] {}", r.text);
        assert_eq!(r.body["entries"], 3);
        let cases = hostile();
        assert_eq!(cases.len(), 29);
        for (what, zip, expect) in cases {
            let r = h.upload("dev", "mp1", &unique("1."), zip).await;
            assert_eq!(r.status, 400, "[{backend}] {what}: {}", r.text);
            assert_eq!(r.body["error"]["code"], "invalid_field", "{what}");
            assert_eq!(r.body["error"]["field"], "body", "{what}");
            let message = r.body["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(expect),
                "[{backend}] {what}: `{message}` lacks `{expect}`"
            );
        }
        // Nothing of them was stored.
        let listed = h
            .ok("dev", "GET", "/api/v1/apps/mp1/versions", None, 200)
            .await;
        assert_eq!(listed["versions"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn only_apps_whose_binding_is_approved_take_uploads() {
    for (backend, store) in stores("pkg-bound").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let good = || zip_of(&[("app.js", b"App({})")]);
        for (app, decision) in [("mp_wait", None), ("mp_no", Some("reject"))] {
            let created = h
                .ok(
                    "dev",
                    "POST",
                    "/api/v1/superapps/sa1/apps",
                    Some(json!({"id": app, "name": app, "kind": "mini_program", "team_id": "t1"})),
                    201,
                )
                .await;
            if let Some(d) = decision {
                let bid = created["binding"]["id"].as_str().unwrap();
                h.ok(
                    "sa_admin",
                    "POST",
                    &format!("/api/v1/bindings/{bid}/decision"),
                    Some(json!({"decision": d, "note": "n"})),
                    200,
                )
                .await;
            }
            let r = h.upload("dev", app, "1.0.0", good()).await;
            assert_eq!(r.status, 409, "[{backend}] {app}: {}", r.text);
            assert_eq!(
                r.body["error"]["message"],
                format!("app `{app}` is not bound to superapp `sa1`: versions can be uploaded once the superapp approves its binding"),
            );
            let listed = h
                .ok(
                    "dev",
                    "GET",
                    &format!("/api/v1/apps/{app}/versions"),
                    None,
                    200,
                )
                .await;
            assert_eq!(listed["versions"], json!([]));
        }
        // Approved: the upload goes through.
        let bid = h
            .ok(
                "sa_admin",
                "GET",
                "/api/v1/superapps/sa1/bindings?status=pending",
                None,
                200,
            )
            .await["bindings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["app_id"] == "mp_wait")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        h.ok(
            "review",
            "POST",
            &format!("/api/v1/bindings/{bid}/decision"),
            Some(json!({"decision": "approve"})),
            200,
        )
        .await;
        let r = h.upload("dev", "mp_wait", "1.0.0", good()).await;
        assert_eq!(r.status, 201, "[{backend}] {}", r.text);
    }
}

/// A developer re-sending a taken version with new bytes in a loop: each
/// attempt is a 409 and none leaves its bytes behind (on SQLite a package is
/// a file written before the change; no quota counts a file no version
/// references).
#[tokio::test]
async fn a_taken_version_sent_again_in_a_loop_stores_no_bytes() {
    for (backend, store) in both_stores("pkg-taken").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let r = h
            .upload("dev", "mp1", "1.0.0", zip_of(&[("app.js", b"first")]))
            .await;
        assert_eq!(r.status, 201, "[{backend}] {}", r.text);
        let stored = || async {
            let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM packages")
                .fetch_one(&h.state.store.pool)
                .await
                .unwrap();
            let files = h.state.store.data_dir.as_ref().map(|d| {
                std::fs::read_dir(d.join("packages"))
                    .unwrap()
                    .filter(|e| e.is_ok())
                    .count()
            });
            (rows, files)
        };
        let before = stored().await;
        assert_eq!(before.0, 1, "[{backend}]");
        for i in 0..5 {
            let bytes = format!("attempt {i}");
            let r = h
                .upload(
                    "dev",
                    "mp1",
                    "1.0.0",
                    zip_of(&[("app.js", bytes.as_bytes())]),
                )
                .await;
            assert_eq!(r.status, 409, "[{backend}] {}", r.text);
            assert_eq!(
                r.body["error"]["message"],
                "app `mp1` already has version `1.0.0`"
            );
        }
        assert_eq!(
            stored().await,
            before,
            "[{backend}] a refused upload left bytes behind"
        );
    }
}

fn quota_limits(q: UploadQuota) -> Limits {
    Limits {
        upload_quota: q,
        ..Limits::default()
    }
}

#[tokio::test]
async fn a_developer_uploading_in_a_loop_hits_the_quotas_and_other_teams_do_not() {
    for (backend, store) in both_stores("pkg-quota").await {
        let q = UploadQuota {
            versions_per_app: 3,
            versions_per_team: 5,
            ..UploadQuota::default()
        };
        let mut h = Harness::with_limits(backend, store, quota_limits(q)).await;
        h.world().await;
        // The hostile loop: mp1 takes 3, then 429 naming the limit.
        let mut taken = 0;
        let refused = loop {
            let v = format!("1.0.{taken}");
            let r = h
                .upload("dev", "mp1", &v, zip_of(&[("app.js", v.as_bytes())]))
                .await;
            if r.status != 201 {
                break r;
            }
            taken += 1;
            assert!(taken <= 3, "[{backend}] no quota");
        };
        assert_eq!(taken, 3);
        assert_eq!(refused.status, 429, "[{backend}] {}", refused.text);
        assert_eq!(refused.body["error"]["code"], "quota_exceeded");
        assert_eq!(
            refused.body["error"]["message"],
            "app `mp1` already has 3 versions; its quota is 3 versions"
        );
        // The team's other app takes 2 more, then the team's quota.
        for v in ["1", "2"] {
            let r = h
                .upload("dev", "mg1", v, zip_of(&[("game.js", v.as_bytes())]))
                .await;
            assert_eq!(r.status, 201, "[{backend}] {}", r.text);
        }
        let r = h
            .upload("dev", "mp3", "1", zip_of(&[("app.js", b"x")]))
            .await;
        assert_eq!(r.status, 429, "[{backend}] {}", r.text);
        assert_eq!(
            r.body["error"]["message"],
            "team `t1` already has 5 versions; its quota is 5 versions"
        );
        // Another team's developer is unaffected.
        let r = h
            .upload("dev2", "mp2", "1.0.0", zip_of(&[("app.js", b"mine")]))
            .await;
        assert_eq!(r.status, 201, "[{backend}] {}", r.text);
    }
}

#[tokio::test]
async fn concurrent_uploads_of_one_team_never_pass_its_quota_together() {
    for (backend, store) in both_stores("pkg-race").await {
        let q = UploadQuota {
            versions_per_team: 4,
            ..UploadQuota::default()
        };
        let mut h = Harness::with_limits(backend, store, quota_limits(q)).await;
        h.world().await;
        let h = std::sync::Arc::new(h);
        // Twelve uploads at once, over the team's three apps: each checks
        // the quota before the others record theirs.
        let got = statuses_at_once((0..12).map(|i| {
            let h = h.clone();
            let app = ["mp1", "mg1", "mp3"][i % 3];
            async move {
                let v = format!("2.0.{i}");
                let r = h.upload("dev", app, &v, zip_of(&[("app.js", v.as_bytes())]));
                r.await.status.as_u16()
            }
        }))
        .await;
        assert_eq!(got, [[201; 4], [429; 4], [429; 4]].concat(), "[{backend}]");
        let mut held = 0;
        for app in ["mp1", "mg1", "mp3"] {
            held += h
                .ok(
                    "dev",
                    "GET",
                    &format!("/api/v1/apps/{app}/versions"),
                    None,
                    200,
                )
                .await["versions"]
                .as_array()
                .unwrap()
                .len();
        }
        assert_eq!(held, 4, "[{backend}]");
    }
}

/// `n` bytes that do not compress.
fn noise(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 24) as u8
        })
        .collect()
}

#[tokio::test]
async fn byte_quotas_refuse_with_413_and_hourly_uploads_with_429_and_retry_after() {
    for (backend, store) in both_stores("pkg-bytes").await {
        let q = UploadQuota {
            bytes_per_app: 6000,
            bytes_per_team: 9000,
            uploads_per_team_per_hour: 4,
            ..UploadQuota::default()
        };
        let mut h = Harness::with_limits(backend, store, quota_limits(q)).await;
        h.world().await;
        let pkg = |seed| zip_of(&[("blob.bin", &noise(2500, seed)[..])]);
        assert!(pkg(1).len() > 2500 && pkg(1).len() < 3000);
        for (app, v) in [("mp1", "1"), ("mp1", "2")] {
            let r = h.upload("dev", app, v, pkg(v.len() as u32 + 7)).await;
            assert_eq!(r.status, 201, "[{backend}] {}", r.text);
        }
        let r = h.upload("dev", "mp1", "3", pkg(3)).await;
        assert_eq!(r.status, 413, "[{backend}] {}", r.text);
        assert_eq!(r.body["error"]["code"], "quota_exceeded");
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("app `mp1` would hold ")
                && message.ends_with("its quota is 6000 bytes"),
            "{message}"
        );
        // The team's bytes: mg1 takes one, the next is over 9000.
        let r = h.upload("dev", "mg1", "1", pkg(4)).await;
        assert_eq!(r.status, 201, "[{backend}] {}", r.text);
        let r = h.upload("dev", "mp3", "1", pkg(5)).await;
        assert_eq!(r.status, 413, "[{backend}] {}", r.text);
        assert!(r.text.contains("its quota is 9000 bytes"), "{}", r.text);
        // The hourly uploads: 3 so far; a small one makes 4, the fifth waits
        // for the first to leave the hour.
        let r = h.upload("dev", "mp3", "2", zip_of(&[("a.js", b"a")])).await;
        assert_eq!(r.status, 201, "[{backend}] {}", r.text);
        let r = h.upload("dev", "mp3", "3", zip_of(&[("a.js", b"b")])).await;
        assert_eq!(r.status, 429, "[{backend}] {}", r.text);
        assert_eq!(r.body["error"]["code"], "rate_limited");
        assert!(r.text.contains("its quota is 4 an hour"), "{}", r.text);
        assert_eq!(r.headers["retry-after"], "3600");
        h.state.clock.advance(3601);
        let r = h.upload("dev", "mp3", "3", zip_of(&[("a.js", b"b")])).await;
        assert_eq!(r.status, 201, "[{backend}] {}", r.text);
        // Another team is unaffected throughout.
        let r = h.upload("dev2", "mp2", "1", pkg(9)).await;
        assert_eq!(r.status, 201, "[{backend}] {}", r.text);
    }
}

#[tokio::test]
async fn reviewers_download_a_pending_package_and_read_its_files_and_nobody_else() {
    for (backend, store) in both_stores("pkg-review").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let zip = zip_of(&[
            ("app.js", b"App({})"),
            ("pages/index.js", b"Page({ data: 1 })"),
        ]);
        let sha = sha_hex(&zip);
        let r = h.upload("dev", "mp1", "1.0.0", zip.clone()).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let rid = h
            .ok(
                "dev",
                "POST",
                "/api/v1/apps/mp1/releases",
                Some(json!({"app_version": "1.0.0"})),
                201,
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let package = format!("/api/v1/releases/{rid}/package");
        let files = format!("/api/v1/releases/{rid}/files");
        for who in ["sa_admin", "review"] {
            let r = h.call("GET", &package, Some(h.token(who)), None).await;
            assert_eq!(r.status, 200, "[{backend}] {who}: {}", r.text);
            assert_eq!(r.headers["content-type"], "application/zip");
            assert_eq!(
                r.headers["content-disposition"],
                "attachment; filename=\"mp1-1.0.0.zip\""
            );
            assert_eq!(r.headers["x-package-sha256"], sha.as_str());
            assert_eq!(r.headers["x-content-type-options"], "nosniff");
            assert_eq!(bytes_of(&h, who, &package).await, (200, zip.clone()));
            let listed = h.ok(who, "GET", &files, None, 200).await;
            assert_eq!(
                listed["files"],
                json!([{"name": "app.js", "size": 7}, {"name": "pages/index.js", "size": 17}])
            );
            assert_eq!(listed["package_sha256"], sha.as_str());
            assert_eq!(listed["size"], zip.len());
        }
        // Everyone else: 403 naming the role or the superapp, also another
        // superapp's administrator and the developer who uploaded it.
        for who in ["admin", "platform", "senior", "dev", "dev2", "sa2_admin"] {
            for path in [&package, &files] {
                let r = h.call("GET", path, Some(h.token(who)), None).await;
                assert_eq!(r.status, 403, "[{backend}] {who} {path}: {}", r.text);
                assert!(
                    r.body["error"]["message"].as_str().unwrap().contains('`'),
                    "{}",
                    r.text
                );
            }
        }
        // Unauthenticated: 401; an unknown release: 404.
        assert_eq!(h.call("GET", &package, None, None).await.status, 401);
        h.ok(
            "review",
            "GET",
            "/api/v1/releases/rel_nope/package",
            None,
            404,
        )
        .await;
        // Still there once decided (the history of what was approved).
        h.ok(
            "review",
            "POST",
            &format!("/api/v1/releases/{rid}/decision"),
            Some(json!({"decision": "approve"})),
            200,
        )
        .await;
        let (status, got) = bytes_of(&h, "review", &package).await;
        assert_eq!(status, 200);
        assert_eq!(got, zip, "[{backend}] the bytes uploaded");
    }
}

#[tokio::test]
async fn the_review_screen_lists_the_files_and_downloads_the_zip_for_reviewers_only() {
    for (backend, store) in stores("pkg-console").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let zip = zip_of(&[("app.js", b"App({})"), ("pages/x&amp;y'.js", b"Page({})")]);
        let r = h.upload("dev", "mp1", "1.0.0", zip.clone()).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let rid = h
            .ok(
                "dev",
                "POST",
                "/api/v1/apps/mp1/releases",
                Some(json!({"app_version": "1.0.0"})),
                201,
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let screen = format!("/console/superapps/sa1/review/{rid}");
        let download = format!("/console/releases/{rid}/package");
        for who in ["sa_admin", "review"] {
            let mut b = signed_in(&h, who).await;
            let p = b.get(&screen).await;
            assert_eq!(p.status, StatusCode::OK, "[{backend}] {who}");
            assert!(p.has("id=\"package-files\""), "{who}: {}", p.text);
            assert!(p.has("<code>app.js</code></td><td>7</td>"), "{}", p.text);
            // A name is escaped, never markup (`<>` are refused on upload).
            assert!(!p.has("x&amp;y'"), "{}", p.text);
            assert!(p.has("pages/x&#38;amp;y&#39;.js"), "{}", p.text);
            assert!(p.has(&format!("href=\"{download}\"")));
            let p = b.get(&download).await;
            assert_eq!(p.status, StatusCode::OK, "[{backend}] {who}");
            assert_eq!(p.headers["content-type"], "application/zip");
            assert_eq!(
                p.headers["content-disposition"],
                "attachment; filename=\"mp1-1.0.0.zip\""
            );
            assert_eq!(p.headers["x-package-sha256"], sha_hex(&zip).as_str());
        }
        // The senior developer sees the screen but neither the list nor the
        // link, and may not download; other teams' developers and other
        // superapps' administrators get neither.
        for who in ["senior", "dev2", "sa2_admin", "dev"] {
            let mut b = signed_in(&h, who).await;
            let p = b.get(&screen).await;
            assert!(
                !p.has("package-files") && !p.has(&download),
                "[{backend}] {who}: {}",
                p.text
            );
            let p = b.get(&download).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "[{backend}] {who}");
            assert_ne!(p.headers["content-type"], "application/zip");
        }
        // Unauthenticated: sent to sign in, no bytes.
        let p = Browser::new(h.router.clone()).get(&download).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{backend}]");
        assert!(
            p.location().starts_with("/console/login"),
            "{}",
            p.location()
        );
    }
}

#[tokio::test]
async fn the_console_upload_form_names_the_refused_entry_and_the_unbound_app() {
    for (backend, store) in stores("pkg-console-upload").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        h.ok(
            "dev",
            "POST",
            "/api/v1/superapps/sa1/apps",
            Some(json!({"id": "mp_wait", "name": "Wait", "kind": "mini_program", "team_id": "t1"})),
            201,
        )
        .await;
        let mut b = signed_in(&h, "dev").await;
        let upload = |app: &str| format!("/console/apps/{app}/versions");
        let csrf = b.get(&upload("mp1")).await.csrf();
        let fields = [
            ("csrf", csrf.as_str()),
            ("app_version", "1.0.0"),
            ("description", "first"),
        ];
        let link = crate_symlink("passwd", "/etc/passwd");
        let p = b
            .post_multipart(&upload("mp1"), &fields, ("package", &link))
            .await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "[{backend}] {}", p.text);
        assert!(
            // The console may show the backticks or `<code>`: both name it.
            p.has("passwd") && p.has("is a symbolic link"),
            "{}",
            p.text
        );
        let p = b
            .post_multipart(
                &upload("mp_wait"),
                &fields,
                ("package", &zip_of(&[("app.js", b"x")])),
            )
            .await;
        assert_eq!(p.status, StatusCode::CONFLICT, "[{backend}] {}", p.text);
        assert!(
            p.has("once the superapp approves its binding"),
            "{}",
            p.text
        );
        // Nothing was stored; a sound zip for the bound app goes through.
        let listed = h
            .ok("dev", "GET", "/api/v1/apps/mp1/versions", None, 200)
            .await;
        assert_eq!(listed["versions"], json!([]));
        let p = b
            .post_multipart(
                &upload("mp1"),
                &fields,
                ("package", &zip_of(&[("app.js", b"x")])),
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{backend}] {}", p.text);
    }
}

fn sha_hex(b: &[u8]) -> String {
    sha2::Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// `who` GETs `path`; the status and the body's bytes.
async fn bytes_of(h: &Harness, who: &str, path: &str) -> (u16, Vec<u8>) {
    use tower::ServiceExt;
    let req = axum::http::Request::get(path)
        .header("authorization", format!("Bearer {}", h.token(who)))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = h.router.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, body.to_vec())
}
