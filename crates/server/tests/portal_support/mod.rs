//! A browser without JavaScript for the portal's black-box tests: keeps the session cookie,
//! follows no redirects, reads the CSRF token of a page's forms, signs in through the dev picker.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::TestServer;
use grantd::demo;
use grantd_domain::AssignmentRequestId;
use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;

/// A browser without JavaScript: keeps the session cookie, follows no redirects.
pub struct Browser {
    pub base: String,
    pub http: reqwest::Client,
    pub cookie: Option<String>,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> String {
        self.headers.get(LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
    }
    /// The CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        let at = self.body.find("name=\"csrf\" value=\"").expect("a form with a csrf field") + 19;
        self.body[at..].split('"').next().unwrap().to_string()
    }
    /// The value of the first hidden field `name` on the page.
    pub fn hidden(&self, name: &str) -> Option<String> {
        let key = format!("name=\"{name}\" value=\"");
        let at = self.body.find(&key)? + key.len();
        self.body[at..].split('"').next().map(str::to_string)
    }
    pub fn set_cookie(&self) -> Option<String> {
        self.headers.get(SET_COOKIE).map(|v| v.to_str().unwrap().to_string())
    }
}

impl Browser {
    pub fn new(s: &TestServer) -> Browser {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { base: s.base.clone(), http, cookie: None }
    }

    pub async fn send(&mut self, rb: reqwest::RequestBuilder) -> Page {
        let rb = match &self.cookie {
            Some(c) => rb.header(COOKIE, c.clone()),
            None => rb,
        };
        let r = rb.send().await.unwrap();
        let page = Page { status: r.status(), headers: r.headers().clone(), body: r.text().await.unwrap() };
        if let Some(c) = page.set_cookie() {
            self.cookie = Some(c.split(';').next().unwrap().to_string());
        }
        page
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let rb = self.http.get(format!("{}{path}", self.base));
        self.send(rb).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let body: String = form
            .iter()
            .map(|(k, v)| {
                format!("{k}={}", percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC))
            })
            .collect::<Vec<_>>()
            .join("&");
        let rb = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(rb).await
    }

    /// Signs in through the dev picker as demo user `n`.
    pub async fn sign_in(&mut self, n: u16, role: &str) {
        let page = self.get("/signin").await;
        let user = format!("{}/{}", demo::DEMO_TENANT, demo::user_id(n));
        let r = self
            .post("/signin", &[("csrf", &page.csrf()), ("user", &user), ("role", role), ("next", "/packages")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/packages");
    }
}

pub fn request_id(location: &str) -> AssignmentRequestId {
    let raw = location.trim_start_matches("/requests/").split('?').next().unwrap();
    AssignmentRequestId(grantd_domain::parse_guid(raw).unwrap())
}
