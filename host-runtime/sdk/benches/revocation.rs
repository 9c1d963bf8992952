//! Revocation-to-enforced latency through the long-poll, against a real
//! `guard serve` (SQLite, loopback): 50 revocations of a grant a running SDK
//! enforces, each timed from just before the console's `DELETE` until the
//! SDK's guard denies, with the fallback poll at an hour (so only the
//! long-poll delivers). Baseline, same run, same server: the same revocation
//! followed at once by `sync_now()` (one conditional fetch of keys.json and
//! the bundle, and the load): what a client that knew exactly when to ask
//! would see. Numbers go into `docs/benchmarks.md`.
//!
//! `cargo build -p guard-server && CARGO_PROFILE_BENCH_LTO=false cargo bench -p guard-sdk --bench revocation`
//! (the server binary is looked for next to the bench, then in
//! `target/debug`; `GUARD_SERVER` names another).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{fast, module, temp_dir, Demo, API, APP};
use guard_sdk::Sdk;

const ROUNDS: usize = 50;
const HOUR: Duration = Duration::from_secs(3600);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut d: Vec<Duration>) -> (Duration, Duration) {
    d.sort();
    let (p50, p99) = (percentile(&d, 0.5), percentile(&d, 0.99));
    println!(
        "{name}: n={} p50={:.2?} p99={:.2?} min={:.2?} max={:.2?}",
        d.len(),
        p50,
        p99,
        d[0],
        d[d.len() - 1]
    );
    (p50, p99)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        // `cargo bench -- --list` and test harness probes: nothing to list.
        return;
    }
    let dir = temp_dir("bench-revocation");
    let demo = Demo::start(&dir.join("server"));
    demo.grant();

    // Baseline: revoke, then fetch at once.
    let manual = Sdk::synced(module(), demo.config())
        .timing(fast(HOUR))
        .background_sync(false)
        .background_reports(false)
        .start()
        .unwrap();
    manual.sync_now().unwrap();
    let mut baseline = Vec::new();
    for _ in 0..ROUNDS {
        assert!(manual.check_api(APP, API).allow);
        let t0 = Instant::now();
        demo.revoke();
        manual.sync_now().unwrap();
        assert!(!manual.check_api(APP, API).allow);
        baseline.push(t0.elapsed());
        demo.grant();
        manual.sync_now().unwrap();
    }
    drop(manual);

    // The long-poll.
    let sdk = Sdk::synced(module(), demo.config())
        .timing(fast(HOUR))
        .background_reports(false)
        .start()
        .unwrap();
    sdk.wait_until(Duration::from_secs(30), |s| s.policy.is_some())
        .expect("no first sync");
    let mut longpoll = Vec::new();
    for _ in 0..ROUNDS {
        assert!(sdk.check_api(APP, API).allow);
        // Let the SDK get back into its held request after the last change.
        std::thread::sleep(Duration::from_millis(200));
        let t0 = Instant::now();
        let v = demo.revoke();
        sdk.wait_until(Duration::from_secs(30), |s| s.accepted_version >= Some(v))
            .expect("the revocation never arrived");
        longpoll.push(t0.elapsed());
        assert!(!sdk.check_api(APP, API).allow);
        let v = demo.grant();
        sdk.wait_until(Duration::from_secs(30), |s| s.accepted_version >= Some(v))
            .expect("the grant never arrived");
    }
    let st = sdk.status();
    assert!(st.long_poll, "the server did not hold the requests");
    drop(sdk);

    let (b50, b99) = report("baseline: revoke, then sync_now", baseline);
    let (l50, l99) = report("long-poll: revoke until enforced", longpoll);
    println!(
        "ratio long-poll / baseline: p50 {:.2}x, p99 {:.2}x",
        l50.as_secs_f64() / b50.as_secs_f64(),
        l99.as_secs_f64() / b99.as_secs_f64()
    );
    drop(demo);
    let _ = std::fs::remove_dir_all(&dir);
}
