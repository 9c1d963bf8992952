//! HTTP with `ureq` over rustls: conditional GETs (`If-None-Match`, the
//! long-poll's `Prefer: wait=N`) and the reports POST. Synchronous, so the
//! SDK needs no async runtime: the sync and report threads block here.
//!
//! No redirects are followed (a bundle or key set served from elsewhere
//! than the configuration says is an error, not a detour), bodies are read
//! up to a bound, and every request has a deadline.

use std::time::{Duration, SystemTime};

use ureq::http::{HeaderMap, Response};
use ureq::{Agent, Body};

use crate::error::SdkError;

/// Connecting gives up after this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A request that is not held by the server completes within this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// A held request may take its wait plus this (the server answers 304 at
/// the end of the wait; this covers transfer and clock differences).
const LONG_POLL_SLACK: Duration = Duration::from_secs(20);
/// Most bytes of an answer to the reports POST read (a small JSON object).
const MAX_ANSWER_BYTES: u64 = 64 * 1024;

/// What a conditional GET answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fetched {
    /// 304: what the client has is current. `held`: the server applied the
    /// long-poll (`Preference-Applied: wait=…`), so asking again at once is
    /// right; without it the server does not hold requests, and the client
    /// polls on its interval instead.
    NotModified { held: bool },
    /// 200 with a body and its ETag.
    Body {
        body: String,
        etag: Option<String>,
        held: bool,
    },
}

/// A GET the sync loop makes.
#[derive(Debug, Clone)]
pub(crate) struct Get {
    pub(crate) url: String,
    pub(crate) etag: Option<String>,
    /// `Prefer: wait=N`, sent only with an ETag (a server holds only a
    /// request whose `If-None-Match` is current).
    pub(crate) wait: Option<u64>,
    pub(crate) limit: u64,
}

/// What the reports endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Posted {
    pub(crate) status: u16,
    pub(crate) body: String,
    pub(crate) retry_after: Option<Duration>,
}

/// The SDK's HTTP client: one `ureq` agent (its connection pool), cheap to
/// clone into the threads that make requests.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    agent: Agent,
}

/// `Retry-After` as a wait from now (RFC 9110 §10.2.3): delay-seconds or an
/// HTTP-date; anything else is no wait asked for.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn failed(url: &str, reason: impl Into<String>) -> SdkError {
    SdkError::Http {
        url: url.to_owned(),
        reason: reason.into(),
        status: None,
        retry_after: None,
    }
}

fn read_body(url: &str, res: &mut Response<Body>, limit: u64) -> Result<String, SdkError> {
    res.body_mut()
        .with_config()
        .limit(limit)
        .read_to_string()
        .map_err(|e| failed(url, format!("reading the answer: {e}")))
}

impl Http {
    pub(crate) fn new() -> Http {
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .user_agent(concat!("guard-sdk/", env!("CARGO_PKG_VERSION")))
            .build();
        Http {
            agent: Agent::new_with_config(config),
        }
    }

    /// A conditional GET, held by the server up to `wait` seconds when it
    /// supports the long-poll (P1).
    pub(crate) fn get(&self, get: &Get) -> Result<Fetched, SdkError> {
        let url = get.url.as_str();
        let wait = get.wait.filter(|_| get.etag.is_some());
        let timeout = match wait {
            Some(n) => Duration::from_secs(n) + LONG_POLL_SLACK,
            None => REQUEST_TIMEOUT,
        };
        let mut req = self.agent.get(url);
        if let Some(etag) = &get.etag {
            req = req.header("if-none-match", etag.as_str());
        }
        if let Some(n) = wait {
            req = req.header("prefer", format!("wait={n}"));
        }
        let mut res = req
            .config()
            .timeout_global(Some(timeout))
            .build()
            .call()
            .map_err(|e| failed(url, e.to_string()))?;
        let headers = res.headers();
        let held = headers.contains_key("preference-applied");
        match res.status().as_u16() {
            304 => Ok(Fetched::NotModified { held }),
            200 => {
                let etag = header(headers, "etag");
                let body = read_body(url, &mut res, get.limit)?;
                Ok(Fetched::Body { body, etag, held })
            }
            status => Err(SdkError::Http {
                url: url.to_owned(),
                reason: format!("answered {status}"),
                status: Some(status),
                retry_after: retry_after(headers),
            }),
        }
    }

    /// A plain GET that must answer 200 (the configuration file).
    pub(crate) fn get_text(
        &self,
        url: &str,
        bearer: Option<&str>,
        limit: u64,
    ) -> Result<String, SdkError> {
        let mut req = self.agent.get(url);
        if let Some(token) = bearer {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let mut res = req
            .config()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .call()
            .map_err(|e| failed(url, e.to_string()))?;
        match res.status().as_u16() {
            200 => read_body(url, &mut res, limit),
            status => Err(SdkError::Http {
                url: url.to_owned(),
                reason: format!("answered {status}"),
                status: Some(status),
                retry_after: retry_after(res.headers()),
            }),
        }
    }

    /// POSTs a JSON body without credentials (P2); any status is an answer.
    pub(crate) fn post_json(&self, url: &str, body: &str) -> Result<Posted, SdkError> {
        let mut res = self
            .agent
            .post(url)
            .header("content-type", "application/json")
            .config()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .send(body)
            .map_err(|e| failed(url, e.to_string()))?;
        let status = res.status().as_u16();
        let retry_after = retry_after(res.headers());
        let body = read_body(url, &mut res, MAX_ANSWER_BYTES).unwrap_or_default();
        Ok(Posted {
            status,
            body,
            retry_after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("retry-after", value.parse().unwrap());
        h
    }

    #[test]
    fn retry_after_reads_seconds_and_dates_and_nothing_else() {
        assert_eq!(retry_after(&headers("120")), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(&headers(" 7 ")), Some(Duration::from_secs(7)));
        let later = SystemTime::now() + Duration::from_secs(3600);
        let wait = retry_after(&headers(&httpdate::fmt_http_date(later))).unwrap();
        assert!(wait > Duration::from_secs(3500) && wait <= Duration::from_secs(3600));
        let past = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(1));
        assert_eq!(retry_after(&headers(&past)), Some(Duration::ZERO));
        for bad in ["-1", "soon", "1.5", ""] {
            assert_eq!(retry_after(&headers(bad)), None, "{bad}");
        }
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }
    /// A one-connection HTTP server answering `answer` to whatever it is
    /// asked; returns its URL and how many connections it took.
    fn serve_once(answer: Vec<u8>) -> (String, std::sync::mpsc::Receiver<usize>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/bundle", listener.local_addr().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            if let Ok((mut conn, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf);
                let _ = conn.write_all(&answer);
            }
            let _ = tx.send(1);
        });
        (url, rx)
    }

    fn get(url: &str, limit: u64) -> Get {
        Get {
            url: url.to_owned(),
            etag: None,
            wait: None,
            limit,
        }
    }

    /// Decision 133: a redirect is an error naming its status, and its
    /// target is never asked.
    #[test]
    fn a_redirect_is_an_error_and_is_not_followed() {
        let target = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        target.set_nonblocking(true).unwrap();
        let location = format!("http://{}/elsewhere", target.local_addr().unwrap());
        let (url, done) = serve_once(
            format!(
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .into_bytes(),
        );
        let err = Http::new().get(&get(&url, 1024)).unwrap_err();
        assert!(
            matches!(
                err,
                SdkError::Http {
                    status: Some(302),
                    ..
                }
            ),
            "{err:?}"
        );
        done.recv().unwrap();
        assert!(target.accept().is_err(), "the redirect's target was asked");
    }

    /// Decision 133: an answer is read up to its bound and no further: a
    /// body of the bound is read, one byte more is an error.
    #[test]
    fn an_answer_over_its_bound_is_an_error() {
        let answer = |len: usize| {
            let mut a = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nETag: \"v1\"\r\nConnection: close\r\n\r\n"
            )
            .into_bytes();
            a.extend(std::iter::repeat_n(b'x', len));
            a
        };
        let (url, _) = serve_once(answer(100));
        assert!(matches!(
            Http::new().get(&get(&url, 100)).unwrap(),
            Fetched::Body { ref body, .. } if body.len() == 100
        ));
        let (url, _) = serve_once(answer(101));
        let err = Http::new().get(&get(&url, 100)).unwrap_err();
        assert!(err.to_string().contains("reading the answer"), "{err}");
    }
}
