//! The client's network address, as the listener saw it (`guard serve`
//! serves with connect info). What a client says about itself
//! (`X-Forwarded-For`) is not trusted: behind a proxy every client is the
//! proxy's address (`docs/server.md`, "Violation reports").

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

/// The peer address of the request; `0.0.0.0` when the server was run
/// without connect info (embedded routers, tests), so every such request
/// shares one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientAddr, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip()),
        ))
    }
}
