#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The portal's non-browser guarantees, over HTTP against the real server: the session cookie's
//! flags, CSRF refusal on every form, sign-in and sign-out, the redirect to sign in, that the
//! pages run the real use cases, and that the Graph API beside the portal is unchanged. The
//! flows in a browser are portal-tests/ (headless Chromium).
mod common;
mod portal_support;

use common::TestServer;
use grantd::demo;
use grantd_domain::request::RequestState;
use portal_support::{request_id, Browser};
use reqwest::StatusCode;

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_lax_and_not_secure_over_http() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    let page = b.get("/signin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let c = page.set_cookie().expect("a session cookie");
    assert!(c.starts_with("grantd_session="), "{c}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(c.contains(flag), "{flag} missing in {c}");
    }
    assert!(!c.contains("Secure"), "{c}");
    assert_eq!(page.headers["cache-control"], "no-store");
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert!(page.headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    // The cookie is kept: the second page sets none.
    assert!(b.get("/signin").await.set_cookie().is_none());
    s.stop().await;
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_the_portal_is_served_over_https() {
    let s = TestServer::start_with(|c| c.public_url = "https://access.contoso.example".into()).await;
    let mut b = Browser::new(&s);
    let c = b.get("/signin").await.set_cookie().unwrap();
    assert!(c.contains("; Secure"), "{c}");
    s.stop().await;
}

#[tokio::test]
async fn a_form_without_the_sessions_csrf_token_is_refused_with_a_403_page() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    let page = b.get("/signin").await;
    let user = format!("{}/{}", demo::DEMO_TENANT, demo::user_id(8));
    for form in [vec![("user", user.as_str())], vec![("user", user.as_str()), ("csrf", "forged")]] {
        let r = b.post("/signin", &form).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.headers["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(r.body.contains("security token"), "{}", r.body);
    }
    // Another session's token does not count either.
    let mut other = Browser::new(&s);
    let theirs = other.get("/signin").await.csrf();
    assert_ne!(theirs, page.csrf());
    let r = b.post("/signin", &[("user", &user), ("csrf", &theirs)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Still signed out.
    assert_eq!(b.get("/packages").await.status, StatusCode::SEE_OTHER);
    s.stop().await;
}

#[tokio::test]
async fn pages_need_a_sign_in_and_come_back_after_it() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    let r = b.get("/access").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/signin?next=/access");
    let page = b.get("/signin?next=/access").await;
    let user = format!("{}/{}", demo::DEMO_TENANT, demo::user_id(8));
    let before = page.csrf();
    let r = b.post("/signin", &[("csrf", &before), ("user", &user), ("next", "/access")]).await;
    assert_eq!(r.location(), "/access");
    let access = b.get("/access").await;
    assert_eq!(access.status, StatusCode::OK);
    assert!(access.body.contains("Lidia Holloway"));
    // Sign-in rotates the CSRF token: the anonymous one no longer works.
    assert_ne!(access.csrf(), before);
    assert_eq!(b.post("/signout", &[("csrf", &before)]).await.status, StatusCode::FORBIDDEN);
    // An open redirect through `next` is refused.
    let mut evil = Browser::new(&s);
    let page = evil.get("/signin").await;
    let r = evil.post("/signin", &[("csrf", &page.csrf()), ("user", &user), ("next", "//evil.example/")]).await;
    assert_eq!(r.location(), "/packages");
    s.stop().await;
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    b.sign_in(8, "none").await;
    let page = b.get("/packages").await;
    assert_eq!(page.status, StatusCode::OK);
    let r = b.post("/signout", &[("csrf", &page.csrf())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/signin");
    assert_eq!(b.get("/packages").await.status, StatusCode::SEE_OTHER);
    // A tampered cookie is an anonymous visitor, not an error.
    b.cookie = Some("grantd_session=eyJhbGciOiJIUzI1NiJ9.e30.AAAA".into());
    assert_eq!(b.get("/packages").await.status, StatusCode::SEE_OTHER);
    s.stop().await;
}

#[tokio::test]
async fn the_request_form_submits_through_the_use_case_and_cancel_needs_the_token() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    b.sign_in(8, "none").await;
    let list = b.get("/packages").await;
    assert!(list.body.contains("Sales Tools") && list.body.contains("Engineering Onboarding"), "{}", list.body);
    assert!(!list.body.contains("Finance Reports"), "Finance Reports is for the finance group only");
    let search = b.get("/packages?q=engineer").await;
    assert!(search.body.contains("Engineering Onboarding") && !search.body.contains("Sales Tools"));

    // Sales Tools needs a justification: the form says so next to the field.
    let pkg = demo::access_package_id(1);
    let form = b.get(&format!("/packages/{pkg}/request")).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = form.csrf();
    let r = b.post(&format!("/packages/{pkg}/request"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("id=\"justification-error\""), "{}", r.body);
    let r =
        b.post(&format!("/packages/{pkg}/request"), &[("csrf", &csrf), ("justification", "New on the team.")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = request_id(&r.location());
    let stored = s.store.get_request(demo::DEMO_TENANT, id).await.unwrap().unwrap();
    assert_eq!(stored.target_id, demo::user_id(8));
    assert_eq!(stored.justification.as_deref(), Some("New on the team."));

    // The result page shows the state; cancel without the token changes nothing.
    let page = b.get(&r.location()).await;
    assert!(page.body.contains("id=\"request-state\""));
    let cancel = format!("/requests/{id}/cancel");
    assert_eq!(b.post(&cancel, &[]).await.status, StatusCode::FORBIDDEN);
    assert!(s.store.get_request(demo::DEMO_TENANT, id).await.unwrap().unwrap().state != RequestState::Canceled);
    let r = b.post(&cancel, &[("csrf", &page.csrf())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(s.store.get_request(demo::DEMO_TENANT, id).await.unwrap().unwrap().state, RequestState::Canceled);

    // Another user cannot read it.
    let mut other = Browser::new(&s);
    other.sign_in(9, "none").await;
    assert_eq!(other.get(&format!("/requests/{id}")).await.status, StatusCode::NOT_FOUND);
    s.stop().await;
}

#[tokio::test]
async fn admin_pages_are_for_administrators_only() {
    let s = TestServer::start().await;
    let mut user = Browser::new(&s);
    user.sign_in(8, "none").await;
    assert_eq!(user.get("/admin").await.status, StatusCode::FORBIDDEN);
    let mut admin = Browser::new(&s);
    admin.sign_in(2, "admin").await;
    let page = admin.get("/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Sales Resources") && page.body.contains("Finance team, finance manager approval"));
    let r = admin.get(&format!("/admin/requests?package={}&state=delivered", demo::access_package_id(2))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("No request matches."));
    s.stop().await;
}

#[tokio::test]
async fn the_graph_api_beside_the_portal_is_unchanged() {
    let s = TestServer::start().await;
    let r = s.call(reqwest::Method::GET, "/v1.0/users", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "InvalidAuthenticationToken");
    let r = s.call(reqwest::Method::GET, "/no/such/route", None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "UnknownResource");
    let r = s.get("/v1.0/users", &s.admin()).await;
    assert_eq!(r.status, StatusCode::OK);
    s.stop().await;
}

#[tokio::test]
async fn with_the_portal_off_the_root_is_a_graph_404() {
    let s = TestServer::start_with(|c| c.portal.enabled = false).await;
    let r = s.call(reqwest::Method::GET, "/signin", None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "UnknownResource");
    s.stop().await;
}
