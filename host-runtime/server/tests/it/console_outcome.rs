//! How a console form post ends (`console::outcome`, decision 521), through
//! one of the screens that use it (Platform → Teams): success flashes once
//! and answers 303; a refusal answers the page again with the service's
//! status, the input kept (escaped) and the first error focused; a role
//! that may not act, or a forged post, changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use crate::console_kit;

use axum::http::{header, StatusCode};
use common::{stores, Harness};
use console_kit::signed_in;
use serde_json::Value;

async fn team_ids(h: &Harness) -> Vec<String> {
    let b: Value = h.ok("admin", "GET", "/api/v1/teams", None, 200).await;
    b["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_form_post_flashes_once_or_comes_back_refused_with_the_services_status() {
    for (backend, store) in stores("console-outcome").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let teams = "/console/platform/teams";
        let mut platform = signed_in(&h, "platform").await;

        // Success: 303 to the list, whose next view shows the flash once.
        let p = platform
            .submit(
                teams,
                teams,
                &[("form", "team"), ("id", "t9"), ("name", "Nine")],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{backend}] {}", p.text);
        assert_eq!(p.location(), teams);
        assert!(platform.get(teams).await.has("Created team"));
        assert!(!platform.get(teams).await.has("Created team"), "shown once");

        // Refused by the service (the id is taken): its status, the input
        // kept and escaped, the refusal focused; nothing created twice.
        let p = platform
            .submit(
                teams,
                teams,
                &[("form", "team"), ("id", "t9"), ("name", "<b>Again</b>")],
            )
            .await;
        assert_eq!(p.status, StatusCode::CONFLICT, "[{backend}] {}", p.text);
        assert!(p.has("value=\"&#60;b&#62;Again&#60;/b&#62;\"") && !p.has("<b>Again"));
        assert!(p.has("autofocus"));
        assert_eq!(team_ids(&h).await.iter().filter(|t| *t == "t9").count(), 1);

        // A refused field: 400, the error beside that field, focused.
        let p = platform
            .submit(
                teams,
                teams,
                &[("form", "team"), ("id", "Bad Id!"), ("name", "x")],
            )
            .await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "[{backend}] {}", p.text);
        assert!(p.has("aria-invalid=\"true\""), "{}", p.text);
        assert!(!team_ids(&h).await.contains(&"Bad Id!".to_owned()));

        // A developer's forged post: the service's 403 as a page, no team.
        let mut dev = signed_in(&h, "dev").await;
        let csrf = dev.get("/console/account").await.csrf();
        let p = dev
            .post(
                teams,
                &[
                    ("form", "team"),
                    ("id", "t10"),
                    ("name", "Ten"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "[{backend}] {}", p.text);
        assert!(p.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert!(!team_ids(&h).await.contains(&"t10".to_owned()));
    }
}
