//! The openserver login API (the login seed's paths, fields and `errcode`s),
//! and the superapp-side endpoints that mint codes for a signed-in user.
//!
//! Errors are answered WeChat-style: HTTP 200 with `errcode`/`errmsg` and a
//! `requestId` (a malformed POST body is a 400 with `errcode` 47001).

pub mod answer;
pub mod backend;
pub mod openserver;

pub use answer::{WxError, ACCESS_TOKEN_TTL, CODE_TTL};
