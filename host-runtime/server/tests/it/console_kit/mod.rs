//! A tiny browser for the console's Rust tests: keeps the session cookie,
//! sends the console's `Origin` on posts, and reads the CSRF token out of
//! the page, so a test can do what a person's browser does (and then what
//! an attacker's would instead).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use tower::ServiceExt;

use crate::common::Harness;

/// The origin of the state's default public URL.
pub const ORIGIN: &str = "http://127.0.0.1:8080";

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .map_or("", |v| v.to_str().unwrap())
    }

    /// The CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        let at = self
            .text
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no csrf field in: {}", self.text));
        let rest = &self.text[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    pub fn has(&self, needle: &str) -> bool {
        self.text.contains(needle)
    }
}

#[derive(Clone)]
pub struct Browser {
    pub router: Router,
    pub cookie: Option<String>,
    /// The device cookie (`name=value`) a sign-in left, sent with every
    /// request as a browser would.
    pub device: Option<String>,
    pub origin: Option<String>,
    pub addr: SocketAddr,
}

impl Browser {
    pub fn new(router: Router) -> Browser {
        Browser {
            router,
            cookie: None,
            device: None,
            origin: Some(ORIGIN.to_owned()),
            addr: "192.0.2.10:50000".parse().unwrap(),
        }
    }

    pub fn from(mut self, addr: &str) -> Browser {
        self.addr = addr.parse().unwrap();
        self
    }

    async fn send(&mut self, req: axum::http::request::Builder, body: Body) -> Page {
        let mut req = req;
        let jar: Vec<&str> = [&self.cookie, &self.device]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if !jar.is_empty() {
            req = req.header("cookie", jar.join("; "));
        }
        let mut req = req.body(body).unwrap();
        req.extensions_mut().insert(ConnectInfo(self.addr));
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        for v in headers.get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap().to_owned();
            let (name, value) = pair.split_once('=').unwrap();
            let kept = (!value.is_empty()).then_some(pair.clone());
            if name.ends_with("guard_device") {
                self.device = kept;
            } else {
                self.cookie = kept;
            }
        }
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        Page {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(
            Request::builder().method(Method::GET).uri(path),
            Body::empty(),
        )
        .await
    }

    /// A form post as the console's own page sends it.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let headers: Vec<(String, String)> = self
            .origin
            .iter()
            .map(|o| ("origin".to_owned(), o.clone()))
            .collect();
        self.post_with(path, fields, &headers).await
    }

    pub async fn post_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(String, String)],
    ) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("content-type", "application/x-www-form-urlencoded");
        for (k, v) in headers {
            req = req.header(k.as_str(), v.as_str());
        }
        self.send(req, Body::from(body)).await
    }

    /// A multipart form post (an upload): `fields`, then `file` as the part
    /// `file_field` (`name.zip`, `application/zip`).
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        (file_field, file): (&str, &[u8]),
    ) -> Page {
        const BOUNDARY: &str = "guard-test-boundary-7f3a";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"{file_field}\"; filename=\"name.zip\"\r\ncontent-type: application/zip\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let mut req = Request::builder().method(Method::POST).uri(path).header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        );
        if let Some(o) = &self.origin {
            req = req.header("origin", o.as_str());
        }
        self.send(req, Body::from(body)).await
    }

    /// Posts `fields` with the CSRF token of the page at `form_page`.
    pub async fn submit(&mut self, form_page: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get(form_page).await.csrf();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &csrf));
        self.post(path, &all).await
    }

    /// Sets `password` with invite `code` (signs in).
    pub async fn redeem(&mut self, code: &str, password: &str) -> Page {
        self.post(
            "/console/invite",
            &[
                ("form", "invite"),
                ("code", code),
                ("password", password),
                ("confirm", password),
            ],
        )
        .await
    }

    pub async fn sign_in(&mut self, account: &str, password: &str) -> Page {
        self.post(
            "/console/login",
            &[
                ("account", account),
                ("password", password),
                ("next", "/console/"),
            ],
        )
        .await
    }
}

/// A password good enough for the console.
pub const PW: &str = "correct horse battery";

/// The code of a new invite of `account`, issued by the platform admin
/// (the link the API answers carries it after `#`, never in the query).
pub async fn invite(h: &Harness, account: &str) -> String {
    let path = format!("/api/v1/accounts/{account}/invites");
    let b = h.ok("admin", "POST", &path, None, 201).await;
    let code = b["code"].as_str().unwrap().to_owned();
    let url = b["url"].as_str().unwrap();
    assert!(url.ends_with(&format!("/console/invite#{code}")), "{url}");
    code
}

/// A browser signed in as `account`: a new invite redeemed with [`PW`].
pub async fn signed_in(h: &Harness, account: &str) -> Browser {
    let mut b = Browser::new(h.router.clone());
    let p = b.redeem(&invite(h, account).await, PW).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{account}: {}", p.text);
    b
}
