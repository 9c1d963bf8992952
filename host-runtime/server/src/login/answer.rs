//! The login API's answers: WeChat-style `errcode`/`errmsg` with a
//! `requestId`, HTTP 200 except for a malformed POST body (400, 47001).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::util::random_hex;

/// Lifetime of login, phone and email codes, in seconds.
pub const CODE_TTL: i64 = 300;
/// Lifetime of an access token, in seconds.
pub const ACCESS_TOKEN_TTL: i64 = 7200;

/// The login API's error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WxError {
    /// 40001 invalid credential (wrong app secret).
    InvalidCredential,
    /// 40002 invalid grant_type.
    InvalidGrantType,
    /// 40003 invalid openid.
    InvalidOpenid,
    /// 40013 invalid appid.
    InvalidAppid,
    /// 40014 invalid access_token.
    InvalidAccessToken,
    /// 40029 invalid code (unknown, used, expired or another app's).
    InvalidCode,
    /// 41001 access_token missing.
    MissingAccessToken,
    /// 41002 appid missing.
    MissingAppid,
    /// 41004 appsecret missing.
    MissingSecret,
    /// 41008 code missing.
    MissingCode,
    /// 47001 data format error.
    DataFormat,
    /// 48001 api unauthorized: the app's policy does not allow the API.
    ApiUnauthorized,
    /// 87009 invalid signature.
    InvalidSignature,
    /// 40097 invalid args.
    InvalidArgs,
    /// -1 system error.
    System,
}

impl WxError {
    /// The numeric `errcode`.
    pub fn errcode(self) -> i64 {
        match self {
            WxError::InvalidCredential => 40001,
            WxError::InvalidGrantType => 40002,
            WxError::InvalidOpenid => 40003,
            WxError::InvalidAppid => 40013,
            WxError::InvalidAccessToken => 40014,
            WxError::InvalidCode => 40029,
            WxError::MissingAccessToken => 41001,
            WxError::MissingAppid => 41002,
            WxError::MissingSecret => 41004,
            WxError::MissingCode => 41008,
            WxError::DataFormat => 47001,
            WxError::ApiUnauthorized => 48001,
            WxError::InvalidSignature => 87009,
            WxError::InvalidArgs => 40097,
            WxError::System => -1,
        }
    }

    fn errmsg(self) -> &'static str {
        match self {
            WxError::InvalidCredential => "invalid credential",
            WxError::InvalidGrantType => "invalid grant_type",
            WxError::InvalidOpenid => "invalid openid",
            WxError::InvalidAppid => "invalid appid",
            WxError::InvalidAccessToken => "invalid access_token",
            WxError::InvalidCode => "invalid code",
            WxError::MissingAccessToken => "access_token missing",
            WxError::MissingAppid => "appid missing",
            WxError::MissingSecret => "appsecret missing",
            WxError::MissingCode => "code missing",
            WxError::DataFormat => "data format error",
            WxError::ApiUnauthorized => "api unauthorized",
            WxError::InvalidSignature => "invalid signature",
            WxError::InvalidArgs => "invalid args",
            WxError::System => "system error",
        }
    }
}

/// A login API failure, with detail appended to the message.
#[derive(Debug)]
pub struct Wx(WxError, String, Value);

impl Wx {
    pub(crate) fn new(e: WxError) -> Wx {
        Wx(e, String::new(), json!({}))
    }

    pub(crate) fn detail(e: WxError, detail: impl Into<String>) -> Wx {
        Wx(e, detail.into(), json!({}))
    }

    pub(crate) fn with(mut self, fields: Value) -> Wx {
        self.2 = fields;
        self
    }
}

impl From<sqlx::Error> for Wx {
    fn from(e: sqlx::Error) -> Wx {
        tracing::error!(error = %e, "login api store error");
        Wx::new(WxError::System)
    }
}

impl From<ApiError> for Wx {
    fn from(e: ApiError) -> Wx {
        tracing::error!(error = %e, "login api error");
        Wx::new(WxError::System)
    }
}

fn request_id() -> String {
    random_hex(16).unwrap_or_default()
}

fn respond(status: StatusCode, mut body: Value) -> Response {
    body["requestId"] = json!(request_id());
    (status, Json(body)).into_response()
}

impl IntoResponse for Wx {
    fn into_response(self) -> Response {
        let Wx(e, detail, mut fields) = self;
        let msg = if detail.is_empty() {
            e.errmsg().to_owned()
        } else {
            format!("{}: {detail}", e.errmsg())
        };
        fields["errcode"] = json!(e.errcode());
        fields["errmsg"] = json!(msg);
        let status = if e == WxError::DataFormat {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        respond(status, fields)
    }
}

pub(crate) type WxRes = Result<Response, Wx>;

pub(crate) fn success(mut body: Value) -> WxRes {
    body["errcode"] = json!(0);
    body["errmsg"] = json!("ok");
    Ok(respond(StatusCode::OK, body))
}
