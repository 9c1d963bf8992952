//! Form bodies of the console (`application/x-www-form-urlencoded`) and the
//! extractors of state-changing requests: [`Posted`] (signed in: session,
//! origin and CSRF token checked before the handler runs) and [`Anonymous`]
//! (sign-in and invite forms: origin checked).

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;

use crate::console::cookies;
use crate::console::csrf;
use crate::console::errors::PageError;
use crate::console::session::Session;
use crate::error::ApiError;
use crate::reports::rate::AddrKey;
use crate::state::AppState;

/// A submitted form's fields, in order.
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// Parses an urlencoded body.
    ///
    /// # Errors
    ///
    /// 400 naming `body` when it is not one.
    pub fn parse(bytes: &[u8]) -> Result<FormData, ApiError> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .map(FormData)
            .map_err(|e| ApiError::bad("body", format!("is not a form: {e}")))
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, or empty.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").to_owned()
    }

    /// The value of `name`, `None` when absent or blank.
    pub fn optional(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// Whether checkbox `name` is checked.
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The fields without the CSRF token (what a refused form shows again).
    pub fn values(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter(|(k, _)| k != "csrf")
            .cloned()
            .collect()
    }
}

async fn body(req: Request, st: &AppState) -> Result<FormData, PageError> {
    let bytes = Bytes::from_request(req, st)
        .await
        .map_err(|e| PageError::Api(ApiError::bad("body", e.body_text())))?;
    Ok(FormData::parse(&bytes)?)
}

/// A signed-in form post whose origin and CSRF token were checked.
#[derive(Debug)]
pub struct Posted {
    /// The session.
    pub session: Session,
    /// The fields.
    pub form: FormData,
}

impl FromRequest<AppState> for Posted {
    type Rejection = PageError;

    async fn from_request(req: Request, st: &AppState) -> Result<Posted, PageError> {
        let (mut parts, b) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, st).await?;
        let form = body(Request::from_parts(parts, b), st).await?;
        csrf::check_token(&session.csrf, form.get("csrf"))?;
        Ok(Posted { session, form })
    }
}

/// A form post outside a session (sign-in, invite): origin checked.
#[derive(Debug)]
pub struct Anonymous {
    /// The fields.
    pub form: FormData,
    /// The client's address (sign-in throttling).
    pub address: String,
    /// The device cookie it brought, if any (sign-in throttling).
    pub device: Option<String>,
}

/// The client as sign-in throttling counts it: its IPv4 address, or its
/// IPv6 /64 (any address of which costs a client nothing to take), keyed as
/// the reports endpoint's limits are ([`AddrKey`]); `unknown` when the
/// router runs without the listener's address, as in tests.
pub fn address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(
            || "unknown".to_owned(),
            |c| AddrKey::from(c.0.ip()).to_string(),
        )
}

impl FromRequest<AppState> for Anonymous {
    type Rejection = PageError;

    async fn from_request(req: Request, st: &AppState) -> Result<Anonymous, PageError> {
        let (parts, b) = req.into_parts();
        csrf::check_origin(st, &parts.headers)?;
        let address = address(&parts);
        let device = cookies::device(st, &parts.headers);
        let form = body(Request::from_parts(parts, b), st).await?;
        Ok(Anonymous {
            form,
            address,
            device,
        })
    }
}

/// The console asks for the reason of a rejection, a revocation or a
/// removal (decision 466): the developer reads it. Asked only of someone
/// who may act on something still open (`acts`), so a role that may not
/// act, or a decision that lost a race, still gets the service's answer.
///
/// # Errors
///
/// 400 naming `field` when `text` is blank.
pub fn reason_asked(acts: bool, field: &str, text: &str, what: &str) -> Result<(), ApiError> {
    if acts && text.trim().is_empty() {
        return Err(ApiError::bad(
            field,
            format!("say why you {what}: the developer reads it"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(peer: &str) -> String {
        let mut req = Request::new(());
        let peer: SocketAddr = peer.parse().unwrap_or_else(|e| panic!("{peer}: {e}"));
        req.extensions_mut().insert(ConnectInfo(peer));
        address(&req.into_parts().0)
    }

    #[test]
    fn sign_in_counts_an_ipv6_client_by_its_64_and_a_mapped_ipv4_as_ipv4() {
        // What a guesser would try: a fresh address of its own /64 for each
        // guess, or the IPv4-mapped spelling of an address already counted.
        assert_eq!(from("[2001:db8:1:2::1]:5000"), "2001:db8:1:2::/64");
        assert_eq!(
            from("[2001:db8:1:2:ffff:aaaa:1:9]:6000"),
            "2001:db8:1:2::/64"
        );
        assert_ne!(from("[2001:db8:1:3::1]:5000"), "2001:db8:1:2::/64");
        assert_eq!(from("[::ffff:203.0.113.7]:1"), "203.0.113.7");
        assert_eq!(from("203.0.113.7:2"), "203.0.113.7");
        assert_eq!(address(&Request::new(()).into_parts().0), "unknown");
    }
}
