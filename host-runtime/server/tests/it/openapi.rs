//! The served OpenAPI document: it is the one the tests check responses
//! against (see common::check_against_openapi), and every documented
//! (path, method) is routed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::body::Body;
use axum::http::{Method, Request};
use common::Harness;
use tower::ServiceExt;

#[tokio::test]
async fn served_document_is_the_checked_one_and_every_documented_route_exists() {
    let store = guard_server::store::Store::open_sqlite(&common::temp_dir("openapi"))
        .await
        .unwrap();
    let h = Harness::new("sqlite", store).await;
    let r = h.call("GET", "/openapi.json", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, common::openapi());
    assert_eq!(r.body["openapi"], "3.0.3");
    let doc = common::openapi();
    let mut n = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let concrete = path.replace('{', "x").replace('}', "");
            let req = Request::builder()
                .method(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap())
                .uri(&concrete)
                .body(Body::empty())
                .unwrap();
            let res = h.router.clone().oneshot(req).await.unwrap();
            // An unrouted path or method is the JSON 404 `no route for …` or
            // the JSON 405.
            assert_ne!(
                res.status(),
                405,
                "{method} {path} is documented but not routed"
            );
            let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap();
            let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            assert!(
                !body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("no route for")),
                "{method} {path} is documented but not routed"
            );
            n += 1;
        }
    }
    assert!(n >= 30, "{n}");
    // And an undocumented path is caught by the checker.
    let caught = std::panic::catch_unwind(|| {
        common::check_against_openapi(
            &Method::GET,
            "/api/v1/nope",
            axum::http::StatusCode::OK,
            None,
        )
    });
    assert!(caught.is_err());
    let doc2 = common::openapi();
    let schema = &doc2["components"]["schemas"]["Superapp"];
    assert!(
        common::validate(
            &doc2,
            schema,
            &serde_json::json!({"id": "a", "name": "b", "backend_domain": "c"}),
            "$"
        )
        .is_err(),
        "missing version is caught"
    );
    assert!(common::validate(&doc2, schema, &serde_json::json!({"id": "a", "name": "b", "backend_domain": "c", "version": 1, "secret": "x"}), "$").is_err(), "undocumented field is caught");
}
