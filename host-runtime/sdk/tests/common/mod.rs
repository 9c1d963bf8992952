//! A real `guard serve` process (the `guard-server` binary of this
//! workspace, next to the test executable: `scripts/test.d/45-sdk.sh`
//! builds it first) on a loopback port with a temporary SQLite data
//! directory, driven through its JSON API; and the demo superapp the SDK
//! tests sync.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use guard_sdk::{Config, Timing};
use guard_wasm_host::{default_module_path, Options, WasmModule};
use serde_json::{json, Value};

/// A directory of its own for each use, removed by the test when done.
pub fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "guard-sdk-test-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn module() -> WasmModule {
    static M: std::sync::OnceLock<WasmModule> = std::sync::OnceLock::new();
    M.get_or_init(|| WasmModule::from_file(default_module_path(), &Options::default()).unwrap())
        .clone()
}

/// `guard-server`: `$GUARD_SERVER`, else built into the same target
/// directory as this test (or, for a bench, its debug build).
fn server_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("GUARD_SERVER") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().and_then(Path::parent).unwrap();
    let name = format!("guard-server{}", std::env::consts::EXE_SUFFIX);
    let candidates = [
        profile.join(&name),
        profile.parent().unwrap().join("debug").join(&name),
    ];
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "`{}` is missing: build it first (`cargo build -p guard-server`, as scripts/test.d/45-sdk.sh does)",
                candidates[0].display()
            )
        })
}

/// A running `guard serve`.
pub struct Server {
    child: Option<Child>,
    pub data: PathBuf,
    /// `127.0.0.1:<port>`, kept across restarts so the SDK's configuration
    /// stays right.
    pub addr: String,
    pub admin: String,
}

fn spawn(data: &Path, listen: &str) -> (Child, String, Option<String>) {
    let mut child = Command::new(server_binary())
        .args(["--listen", listen, "--data-dir"])
        .arg(data)
        .env_remove("GUARD_DATABASE_URL")
        .env_remove("GUARD_KEK")
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut token = None;
    loop {
        let Some(line) = lines.next() else {
            let status = child.wait().unwrap();
            panic!("guard-server exited before listening ({status})");
        };
        let line = line.unwrap();
        if let Some(t) = line.strip_prefix("bootstrap admin token (shown once): ") {
            token = Some(t.to_owned());
        }
        if let Some(addr) = line.strip_prefix("listening on ") {
            return (child, addr.to_owned(), token);
        }
    }
}

impl Server {
    pub fn start(data: &Path) -> Server {
        let (child, addr, token) = spawn(data, "127.0.0.1:0");
        Server {
            child: Some(child),
            data: data.to_owned(),
            addr,
            admin: token.expect("a first start prints the admin token"),
        }
    }

    /// SIGKILL: no shutdown of any kind.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// Starts it again on the same address (the port it had).
    pub fn restart(&mut self) {
        self.kill();
        // The port was this server's a moment ago; its sockets linger in
        // TIME_WAIT, which SO_REUSEADDR (tokio sets it) binds over.
        let (child, addr, _) = spawn(&self.data, &self.addr);
        assert_eq!(addr, self.addr);
        self.child = Some(child);
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// One JSON API call; `(status, body)`.
    pub fn api(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(30)))
                .build(),
        );
        let url = self.url(path);
        let auth = format!("Bearer {token}");
        let res = match (method, body) {
            ("GET", _) => agent.get(&url).header("authorization", &auth).call(),
            ("DELETE", _) => agent.delete(&url).header("authorization", &auth).call(),
            ("POST", b) => agent
                .post(&url)
                .header("authorization", &auth)
                .header("content-type", "application/json")
                .send(b.unwrap_or(json!({})).to_string()),
            ("PUT", b) => agent
                .put(&url)
                .header("authorization", &auth)
                .header("content-type", "application/json")
                .send(b.unwrap_or(json!({})).to_string()),
            (m, _) => panic!("no method {m}"),
        };
        let mut res = res.unwrap();
        let status = res.status().as_u16();
        let text = res.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Whether the server documents `route` in its OpenAPI document.
    pub fn has_route(&self, route: &str) -> bool {
        let (status, doc) = self.api("GET", "/openapi.json", "-", None);
        status == 200 && doc["paths"].get(route).is_some()
    }

    /// Whether the server holds a bundle request with a current ETag
    /// (`Prefer: wait=1` answered with `Preference-Applied`): the long-poll
    /// of P1.
    pub fn long_polls(&self, sid: &str) -> bool {
        let url = self.url(&format!("/api/v1/superapps/{sid}/bundle"));
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build(),
        );
        let Ok(res) = agent.get(&url).call() else {
            return false;
        };
        let Some(etag) = res.headers().get("etag").and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let Ok(held) = agent
            .get(&url)
            .header("if-none-match", etag)
            .header("prefer", "wait=1")
            .call()
        else {
            return false;
        };
        held.headers().contains_key("preference-applied")
    }

    /// An API call that must answer `want`.
    pub fn ok(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
        want: u16,
    ) -> Value {
        let (status, v) = self.api(method, path, token, body);
        assert_eq!(status, want, "{method} {path}: {v}");
        v
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The demo superapp: `demo`, with `mp_shop` bound, a developer and the
/// superapp's admin.
pub struct Demo {
    pub server: Server,
    pub dev: String,
    pub boss: String,
}

pub const APP: &str = "mp_shop";
pub const API: &str = "getLocation";

impl Demo {
    pub fn start(data: &Path) -> Demo {
        let server = Server::start(data);
        let a = server.admin.clone();
        server.ok(
            "POST",
            "/api/v1/superapps",
            &a,
            Some(json!({"id":"demo","name":"Demo","secret_key":"k3yK3yk3yK3yk3y1","backend_domain":"https://api.demo.example"})),
            201,
        );
        server.ok(
            "POST",
            "/api/v1/teams",
            &a,
            Some(json!({"id":"shop-team","name":"Shop"})),
            201,
        );
        let dev = server.ok(
            "POST",
            "/api/v1/accounts",
            &a,
            Some(json!({"id":"dev1","name":"Dev","role":"developer","team_id":"shop-team"})),
            201,
        )["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let boss = server.ok(
            "POST",
            "/api/v1/accounts",
            &a,
            Some(json!({"id":"boss","name":"Boss","role":"superapp_admin","superapp_id":"demo"})),
            201,
        )["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let app = server.ok(
            "POST",
            "/api/v1/superapps/demo/apps",
            &dev,
            Some(json!({"id":APP,"name":"Shop","kind":"mini_program","team_id":"shop-team"})),
            201,
        );
        let bid = app["binding"]["id"].as_str().unwrap().to_owned();
        server.ok(
            "POST",
            &format!("/api/v1/bindings/{bid}/decision"),
            &boss,
            Some(json!({"decision":"approve"})),
            200,
        );
        // Requests are checked against the (empty) server domain whitelist.
        server.ok(
            "PUT",
            &format!("/api/v1/apps/{APP}/control"),
            &boss,
            Some(json!({"server_domains":true,"apis":false,"webview_domains":false})),
            200,
        );
        Demo { server, dev, boss }
    }

    /// The developer asks for `API`, the superapp's admin approves.
    pub fn grant(&self) -> u64 {
        let req = self.server.ok(
            "POST",
            &format!("/api/v1/apps/{APP}/requests"),
            &self.dev,
            Some(json!({"api":API,"reason":"the nearest store"})),
            201,
        );
        let id = req["id"].as_str().unwrap();
        let v = self.server.ok(
            "POST",
            &format!("/api/v1/requests/{id}/decision"),
            &self.boss,
            Some(json!({"decision":"approve"})),
            200,
        );
        v["version"].as_u64().unwrap()
    }

    /// The superapp's admin revokes `API`.
    pub fn revoke(&self) -> u64 {
        let v = self.server.ok(
            "DELETE",
            &format!("/api/v1/apps/{APP}/grants/{API}"),
            &self.boss,
            None,
            200,
        );
        v["version"].as_u64().unwrap()
    }

    /// The configuration file the server issues for the superapp.
    pub fn config(&self) -> Config {
        let v = self.server.ok(
            "GET",
            "/api/v1/superapps/demo/config.json",
            &self.boss,
            None,
            200,
        );
        Config::from_json(&v.to_string()).unwrap()
    }
}

/// Short waits, so a test that waits for a retry waits milliseconds; the
/// poll interval is the caller's.
pub fn fast(poll: Duration) -> Timing {
    let mut t = Timing::default();
    t.poll_interval = poll;
    t.report_interval = Duration::from_secs(3600);
    t.backoff_base = Duration::from_millis(50);
    t.backoff_cap = Duration::from_millis(500);
    t.min_round_interval = Duration::from_millis(50);
    t
}
