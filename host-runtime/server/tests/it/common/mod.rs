//! Test harness: fresh stores (SQLite for what does not depend on the store;
//! SQLite and, when `GUARD_TEST_PG_URL` is set, PostgreSQL for what does), a
//! router with a manual clock, and a caller that checks every response
//! against the served OpenAPI document.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod process;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use guard_server::store::Store;
use guard_server::{AppState, Clock, Limits};
use serde_json::{json, Value};
use tower::ServiceExt;

pub const T0: i64 = 1_795_305_600;
pub const SECRET: &str = "k3yK3yk3yK3yk3y1";
pub const SECRET2: &str = "Z9z9Z9z9Z9z9Z9z9";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Limits on reports high enough that a test's own requests are never
/// limited (the other limits as configured by default).
pub fn unlimited_reports() -> Limits {
    let many = guard_server::reports::rate::Rate {
        per_minute: 1_000_000,
        burst: 1_000_000,
    };
    Limits {
        reports_per_address: many,
        reports_per_app: many,
        ..Limits::default()
    }
}

pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("{prefix}{}_{n}", std::process::id())
}

/// The PostgreSQL admin URL, or `None` (loud skip) — but never `None` in CI.
pub fn pg_url() -> Option<String> {
    match std::env::var("GUARD_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("GUARD_TEST_PG_URL is not set but CI=true: the PostgreSQL tests must run in CI (scripts/test.d/50-server.sh starts a cluster)");
            }
            eprintln!("\n!!!!!!!! SKIPPING the PostgreSQL half of this test: GUARD_TEST_PG_URL is not set (run scripts/test.d/50-server.sh) !!!!!!!!\n");
            None
        }
    }
}

/// Replaces the database name of a `postgres://.../db?query` URL.
pub fn with_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let cut = base.rfind('/').unwrap();
    format!("{}/{db}{query}", &base[..cut])
}

pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique(&format!("guard-server-{name}-")));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh PostgreSQL database URL (a new database per test).
pub async fn fresh_pg_url() -> Option<String> {
    let admin = pg_url()?;
    sqlx::any::install_default_drivers();
    let db = unique("gt_").to_lowercase();
    let pool = sqlx::AnyPool::connect(&admin)
        .await
        .expect("connect to GUARD_TEST_PG_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    Some(with_db(&admin, &db))
}

/// A fresh SQLite store, for tests of what the server decides whatever the
/// store (roles, validation, workflows): both stores run the same
/// statements through the same code, so running these twice tests the
/// decisions twice and the store no better. Store behaviour is tested on
/// both by [`both_stores`] (decision 340 in docs/decisions.md).
pub async fn stores(name: &str) -> Vec<(&'static str, Store)> {
    vec![("sqlite", Store::open_sqlite(&temp_dir(name)).await.unwrap())]
}

/// Fresh stores, SQLite always and PostgreSQL when configured (in CI always:
/// see [`pg_url`]), for tests of what depends on the store: transactions and
/// races, counters' arithmetic and bounds, blobs, sealed keys, single-use
/// codes, wake-ups (`NOTIFY`) and state shared by two servers.
pub async fn both_stores(name: &str) -> Vec<(&'static str, Store)> {
    let mut out = stores(name).await;
    if let Some(url) = fresh_pg_url().await {
        out.push(("postgres", Store::open_url(&url).await.unwrap()));
    }
    out
}

pub struct Harness {
    pub backend: &'static str,
    pub router: Router,
    pub state: AppState,
    pub admin: String,
    pub tokens: HashMap<String, String>,
    pub app_secrets: HashMap<String, String>,
}

pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Harness {
    pub async fn new(backend: &'static str, store: Store) -> Harness {
        Harness::with_limits(backend, store, Limits::default()).await
    }

    pub async fn with_limits(backend: &'static str, store: Store, limits: Limits) -> Harness {
        Harness::from_state(backend, AppState::new(store, Clock::manual(T0), limits)).await
    }

    pub async fn from_state(backend: &'static str, state: AppState) -> Harness {
        let admin = guard_server::bootstrap(&state)
            .await
            .unwrap()
            .expect("first start gives a token");
        assert!(
            guard_server::bootstrap(&state).await.unwrap().is_none(),
            "bootstrap runs once"
        );
        Harness {
            backend,
            router: guard_server::router(state.clone()),
            state,
            admin,
            tokens: HashMap::new(),
            app_secrets: HashMap::new(),
        }
    }

    pub async fn raw(&self, req: Request<Body>) -> Resp {
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let is_json = headers
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("application/json"));
        if path != "/openapi.json" && status != StatusCode::PAYLOAD_TOO_LARGE {
            check_against_openapi(&method, &path, status, is_json.then_some(&body));
        }
        Resp {
            status,
            body,
            headers,
            text,
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string()))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        self.raw(req).await
    }

    pub fn token(&self, who: &str) -> &str {
        if who == "admin" {
            return &self.admin;
        }
        self.tokens
            .get(who)
            .unwrap_or_else(|| panic!("no account {who}"))
    }

    /// `as_` does `method path body` and must get `expect`.
    pub async fn ok(
        &self,
        who: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
        expect: u16,
    ) -> Value {
        let r = self.call(method, path, Some(self.token(who)), body).await;
        assert_eq!(
            r.status.as_u16(),
            expect,
            "[{}] {who} {method} {path}: {}",
            self.backend,
            r.text
        );
        r.body
    }

    pub async fn account(
        &mut self,
        id: &str,
        role: &str,
        superapp: Option<&str>,
        team: Option<&str>,
    ) {
        let b = self
            .ok("admin", "POST", "/api/v1/accounts", Some(json!({"id": id, "name": id, "role": role, "superapp_id": superapp, "team_id": team})), 201)
            .await;
        self.tokens
            .insert(id.to_owned(), b["token"].as_str().unwrap().to_owned());
    }

    /// sa1 (SECRET) and sa2 (SECRET2); teams t1, t2; apps mp1 (t1, program),
    /// mg1 (t1, game), mp2 (t2, program) on sa1, mp3 (t1) on sa2, each binding
    /// approved by the superapp's admin; one account
    /// per role (`platform`, `sa_admin`, `senior`, `review`, `dev` of t1) plus
    /// `dev2` (t2) and `sa2_admin`.
    pub async fn world(&mut self) {
        for (id, secret) in [("sa1", SECRET), ("sa2", SECRET2)] {
            self.ok("admin", "POST", "/api/v1/superapps", Some(json!({"id": id, "name": id, "secret_key": secret, "backend_domain": "https://backend.example.com"})), 201).await;
        }
        for t in ["t1", "t2"] {
            self.ok(
                "admin",
                "POST",
                "/api/v1/teams",
                Some(json!({"id": t, "name": t})),
                201,
            )
            .await;
        }
        self.account("platform", "platform_admin", None, None).await;
        self.account("sa_admin", "superapp_admin", Some("sa1"), None)
            .await;
        self.account("senior", "superapp_senior_developer", Some("sa1"), None)
            .await;
        self.account("review", "review_staff", Some("sa1"), None)
            .await;
        self.account("dev", "developer", None, Some("t1")).await;
        self.account("dev2", "developer", None, Some("t2")).await;
        self.account("sa2_admin", "superapp_admin", Some("sa2"), None)
            .await;
        for (sa, app, team, kind) in [
            ("sa1", "mp1", "t1", "mini_program"),
            ("sa1", "mg1", "t1", "mini_game"),
            ("sa1", "mp2", "t2", "mini_program"),
            ("sa2", "mp3", "t1", "mini_program"),
        ] {
            let who = if team == "t1" { "dev" } else { "dev2" };
            let b = self
                .ok(
                    who,
                    "POST",
                    &format!("/api/v1/superapps/{sa}/apps"),
                    Some(json!({"id": app, "name": app, "kind": kind, "team_id": team})),
                    201,
                )
                .await;
            self.app_secrets
                .insert(app.to_owned(), b["app_secret"].as_str().unwrap().to_owned());
            let reviewer = if sa == "sa1" { "sa_admin" } else { "sa2_admin" };
            self.ok(
                reviewer,
                "POST",
                &format!(
                    "/api/v1/bindings/{}/decision",
                    b["binding"]["id"].as_str().unwrap()
                ),
                Some(json!({"decision": "approve"})),
                200,
            )
            .await;
        }
    }

    /// The key that verifies superapp `sid`'s bundles, as its admin sees it.
    pub async fn bundle_key(&self, sid: &str) -> String {
        let admin = if sid == "sa1" {
            "sa_admin"
        } else {
            "sa2_admin"
        };
        let b = self
            .ok(
                admin,
                "GET",
                &format!("/api/v1/superapps/{sid}/bundle-key"),
                None,
                200,
            )
            .await;
        b["bundle_key"].as_str().unwrap().to_owned()
    }

    /// Superapp `sid` (sa1 or sa2) signs HS256 with its bundle key from now on.
    pub async fn use_hs256(&self, sid: &str) {
        let admin = if sid == "sa1" {
            "sa_admin"
        } else {
            "sa2_admin"
        };
        self.ok(
            admin,
            "PATCH",
            &format!("/api/v1/superapps/{sid}"),
            Some(json!({"bundle_alg": "HS256"})),
            200,
        )
        .await;
    }

    /// `sid`'s public key set, as devices fetch it (no credentials).
    pub async fn keys_json(&self, sid: &str) -> String {
        let r = self
            .call(
                "GET",
                &format!("/api/v1/superapps/{sid}/keys.json"),
                None,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.text
    }

    /// A guard configured as a device of superapp `sid` is: with its public
    /// key set (EdDSA bundles) or, for a superapp on HS256, its bundle key.
    pub async fn guard(&self, sid: &str) -> guard_core::Guard {
        let sa = self
            .ok(
                "admin",
                "GET",
                &format!("/api/v1/superapps/{sid}"),
                None,
                200,
            )
            .await;
        if sa["bundle_alg"] == "HS256" {
            return guard_core::Guard::new(&self.bundle_key(sid).await).unwrap();
        }
        let keys = guard_core::KeySet::from_json(&self.keys_json(sid).await).unwrap();
        guard_core::Guard::with_keys(keys)
    }

    pub async fn bundle(&self, path: &str) -> (String, String) {
        let r = self.call("GET", path, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        (r.text, r.headers["etag"].to_str().unwrap().to_owned())
    }
}

// ------------------------------------------------------- code packages (zip)

/// Every text cell of `tables`, one a line: what a test searches to show a
/// secret is nowhere in the database in the clear.
pub async fn text_of_tables(store: &Store, tables: &[&str]) -> String {
    use sqlx::Row;
    let mut seen = String::new();
    for table in tables {
        for row in sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
            .fetch_all(&store.pool)
            .await
            .unwrap()
        {
            for i in 0..row.len() {
                if let Ok(Some(s)) = row.try_get::<Option<String>, _>(i) {
                    seen.push_str(&s);
                    seen.push('\n');
                }
            }
        }
    }
    seen
}

/// Runs `calls` at once, each on its own task, and answers their statuses
/// sorted: a race's test asserts how many won and how the others were
/// refused, not which won.
pub async fn statuses_at_once<F>(calls: impl IntoIterator<Item = F>) -> Vec<u16>
where
    F: std::future::Future<Output = u16> + Send + 'static,
{
    let tasks: Vec<_> = calls.into_iter().map(tokio::spawn).collect();
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.unwrap());
    }
    got.sort_unstable();
    got
}

/// A zip holding `files` (name, content), deflated.
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in files {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

impl Harness {
    /// `who` uploads `bytes` as version `version` of `app` (raw zip body).
    pub async fn upload(&self, who: &str, app: &str, version: &str, bytes: Vec<u8>) -> Resp {
        self.upload_typed(who, app, version, bytes, "application/zip")
            .await
    }

    /// [`Harness::upload`] with another `Content-Type`.
    pub async fn upload_typed(
        &self,
        who: &str,
        app: &str,
        version: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Resp {
        let enc: String = version
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!(
                "/api/v1/apps/{app}/versions?app_version={enc}&description=d"
            ))
            .header("authorization", format!("Bearer {}", self.token(who)))
            .header("content-type", content_type)
            .body(Body::from(bytes))
            .unwrap();
        self.raw(req).await
    }

    /// `dev` uploads and submits `version` of `app` (a small package with
    /// `tag` in it); returns (release id, package sha256).
    pub async fn submit_release(
        &self,
        dev: &str,
        app: &str,
        version: &str,
        tag: &str,
    ) -> (String, String) {
        let r = self
            .upload(dev, app, version, zip_of(&[("app.js", tag.as_bytes())]))
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "[{}] {}",
            self.backend,
            r.text
        );
        let sha = r.body["package_sha256"].as_str().unwrap().to_owned();
        let rel = self
            .ok(
                dev,
                "POST",
                &format!("/api/v1/apps/{app}/releases"),
                Some(json!({"app_version": version})),
                201,
            )
            .await;
        (rel["id"].as_str().unwrap().to_owned(), sha)
    }
}

// ---------------------------------------------------------------- OpenAPI check

pub fn openapi() -> Value {
    serde_json::from_str(guard_server::OPENAPI_JSON).unwrap()
}

/// The documented path template matching `path`, if any.
pub fn template_for(doc: &Value, path: &str) -> Option<String> {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .find(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            ts.len() == segs.len()
                && ts
                    .iter()
                    .zip(&segs)
                    .all(|(t, s)| t.starts_with('{') || t == s)
        })
        .cloned()
}

pub fn check_against_openapi(
    method: &Method,
    path: &str,
    status: StatusCode,
    body: Option<&Value>,
) {
    let doc = openapi();
    let t = template_for(&doc, path)
        .unwrap_or_else(|| panic!("{method} {path}: path not in the OpenAPI document"));
    let op = &doc["paths"][&t][method.as_str().to_lowercase()];
    assert!(
        op.is_object(),
        "{method} {t}: method not in the OpenAPI document"
    );
    let resp = &op["responses"][status.as_str()];
    assert!(
        resp.is_object(),
        "{method} {t}: status {status} not documented"
    );
    if let Some(body) = body {
        let schema = &resp["content"]["application/json"]["schema"];
        assert!(
            schema.is_object(),
            "{method} {t} {status}: JSON body but no JSON schema documented"
        );
        if let Err(e) = validate(&doc, schema, body, "$") {
            panic!("{method} {t} {status}: response does not match the OpenAPI schema: {e}\nbody: {body}");
        }
    }
}

pub fn validate(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return validate(doc, &doc["components"]["schemas"][name], v, at);
    }
    if v.is_null() && schema["nullable"] == true {
        return Ok(());
    }
    if let Some(values) = schema["enum"].as_array() {
        if !values.contains(v) {
            return Err(format!("{at}: {v} not in {values:?}"));
        }
    }
    match schema["type"].as_str() {
        None => Ok(()),
        Some("object") => {
            let o = v
                .as_object()
                .ok_or(format!("{at}: expected object, got {v}"))?;
            for r in schema["required"].as_array().into_iter().flatten() {
                if !o.contains_key(r.as_str().unwrap()) {
                    return Err(format!("{at}: missing required `{r}`"));
                }
            }
            for (k, val) in o {
                match schema["properties"].get(k) {
                    Some(s) => validate(doc, s, val, &format!("{at}.{k}"))?,
                    None => return Err(format!("{at}: undocumented property `{k}`")),
                }
            }
            Ok(())
        }
        Some("array") => {
            let a = v.as_array().ok_or(format!("{at}: expected array"))?;
            for (i, x) in a.iter().enumerate() {
                validate(doc, &schema["items"], x, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        Some("string") => v
            .is_string()
            .then_some(())
            .ok_or(format!("{at}: expected string, got {v}")),
        Some("integer") => v
            .is_i64()
            .then_some(())
            .ok_or(format!("{at}: expected integer, got {v}")),
        Some("boolean") => v
            .is_boolean()
            .then_some(())
            .ok_or(format!("{at}: expected boolean, got {v}")),
        Some(t) => Err(format!("{at}: unsupported schema type {t}")),
    }
}
