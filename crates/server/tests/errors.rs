//! The error paths of the HTTP surface: every failure is a Graph envelope with the right status,
//! framework rejections (unknown route, wrong method, body limit, content type) included, and
//! nothing a client sends produces a 500.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{Resp, TestServer};
use grantd::demo;
use reqwest::Method;
use serde_json::{json, Value};

#[path = "errors/fuzz.rs"]
mod fuzz;

const RM: &str = "/roleManagement/entitlementManagement";

/// Sends `body` as raw bytes with the given headers.
async fn raw(
    s: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Resp {
    let mut rb = s.http.request(method, format!("{}{path}", s.base));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    if let Some(b) = body {
        rb = rb.body(b);
    }
    let r = rb.send().await.expect("request sent");
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp { status, headers, body, text }
}

fn json_body(v: &Value) -> Option<Vec<u8>> {
    Some(v.to_string().into_bytes())
}

const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test]
async fn unknown_route_is_a_404_with_the_full_envelope() {
    let s = TestServer::start().await;
    let t = s.admin();
    // `/` is the My Access portal (docs/portal.md); every other unknown path is Graph's 404.
    for path in ["/v1.0/nothingHere", "/beta/users/x/y/z/w", "/v2.0/users", "/favicon.ico"] {
        let r = s.get(path, &t).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
        assert_eq!(r.error_code(), "UnknownResource", "{path}");
        let inner = &r.body["error"]["innerError"];
        // `date` is UTC without an offset or fraction, as Graph sends it.
        let date = inner["date"].as_str().unwrap();
        chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S")
            .unwrap_or_else(|e| panic!("innerError.date {date}: {e}"));
        assert_eq!(date.len(), 19, "{date}");
        // Without a client-request-id, one is generated (equal to request-id).
        let rid = inner["request-id"].as_str().unwrap();
        assert!(uuid::Uuid::parse_str(rid).is_ok(), "{rid}");
        assert_eq!(inner["client-request-id"], rid);
        assert_eq!(r.headers["client-request-id"].to_str().unwrap(), rid);
    }
    // A client-request-id is echoed in the header and in innerError; request ids are fresh.
    let cid = "7d3f0c0e-5b2a-4c1e-9d6f-0123456789ab";
    let a = raw(&s, Method::GET, "/v1.0/nope", Some(&t), &[("client-request-id", cid)], None).await;
    let b = raw(&s, Method::GET, "/v1.0/nope", Some(&t), &[("client-request-id", cid)], None).await;
    assert_eq!(a.error_code(), "UnknownResource");
    assert_eq!(a.body["error"]["innerError"]["client-request-id"], cid);
    assert_eq!(a.headers["client-request-id"].to_str().unwrap(), cid);
    assert_ne!(a.body["error"]["innerError"]["request-id"], b.body["error"]["innerError"]["request-id"]);
    // Successful responses carry the ids too.
    let r = raw(&s, Method::GET, "/v1.0/users?$top=1", Some(&t), &[("client-request-id", cid)], None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["client-request-id"].to_str().unwrap(), cid);
    assert!(r.headers.contains_key("request-id"));
    // Without a token an unknown route is still a 404, not a 401.
    let r = s.call(Method::GET, "/v1.0/nothingHere", None, None).await;
    assert_eq!(r.status, 404);
    s.stop().await;
}

#[tokio::test]
async fn unknown_ids_are_404s() {
    let s = TestServer::start().await;
    let t = s.admin();
    let ghost = uuid::Uuid::new_v4();
    for v in ["v1.0", "beta"] {
        for path in [
            format!("/{v}/users/{ghost}"),
            format!("/{v}/users/nobody@contoso.example"),
            format!("/{v}/users/{ghost}/manager"),
            format!("/{v}/users/{ghost}/sponsors"),
            format!("/{v}/groups/{ghost}"),
            format!("/{v}/groups/not-a-guid"),
            format!("/{v}/groups/{ghost}/members"),
            format!("/{v}{RM}/roleAssignments/{ghost}"),
            format!("/{v}{RM}/roleDefinitions/{ghost}"),
        ] {
            let r = s.get(&path, &t).await;
            assert_eq!(r.status, 404, "{path}: {}", r.text);
            r.error_code();
        }
        let r = s.patch(&format!("/{v}/users/{ghost}"), &t, &json!({"jobTitle": "x"})).await;
        assert_eq!(r.status, 404, "{}", r.text);
        let r = s.delete(&format!("/{v}/groups/{ghost}"), &t).await;
        assert_eq!(r.status, 404, "{}", r.text);
        r.error_code();
    }
    s.stop().await;
}

#[tokio::test]
async fn malformed_json_and_wrong_types_are_400s_naming_the_property() {
    let s = TestServer::start().await;
    let t = s.admin();
    for body in [&b"{not json"[..], b"", b"[", b"{\"displayName\": }", b"\xff\xfe", b"null", b"42", b"\"text\""] {
        let r = raw(&s, Method::POST, "/v1.0/users", Some(&t), &[JSON], Some(body.to_vec())).await;
        assert_eq!(r.status, 400, "{:?}: {}", String::from_utf8_lossy(body), r.text);
        r.error_code();
    }
    let r = s
        .post(
            "/v1.0/users",
            &t,
            &json!({"accountEnabled": "yes", "displayName": "A", "userPrincipalName": "a@contoso.example"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.error_code(), "InvalidModel");
    assert!(r.body["error"]["message"].as_str().unwrap().contains("accountEnabled"), "{}", r.text);
    let r = s.patch(&format!("/beta/groups/{}", demo::group_id(1)), &t, &json!({"groupTypes": "Unified"})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("groupTypes"), "{}", r.text);
    let r = s.post(&format!("/v1.0{RM}/roleAssignments"), &t, &json!({"principalId": 5})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("principalId"), "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_with_the_envelope() {
    let s = TestServer::start_with(|cfg| cfg.body_limit_bytes = 1024).await;
    let t = s.admin();
    let big = json!({"displayName": "x".repeat(4096), "userPrincipalName": "big@contoso.example"});
    let r = s.post("/v1.0/users", &t, &big).await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.error_code(), "RequestEntityTooLarge");
    // Streamed in chunks without a Content-Length, the limit holds too.
    let mut req = format!(
        "POST /v1.0/users HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {t}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        s.base.trim_start_matches("http://")
    );
    for _ in 0..8 {
        req.push_str(&format!("200\r\n{}\r\n", " ".repeat(512)));
    }
    req.push_str("0\r\n\r\n");
    let answer = raw_http(&s, req.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"RequestEntityTooLarge\""), "{answer}");
    // A small body still works.
    let r =
        s.post("/v1.0/users", &t, &json!({"displayName": "Small", "userPrincipalName": "small@contoso.example"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    s.stop().await;
}

/// Sends bytes over a fresh connection and returns everything the server answers.
async fn raw_http(s: &TestServer, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(s.base.trim_start_matches("http://")).await.unwrap();
    // The server may answer (and close) before it has read the whole body.
    let _ = conn.write_all(request).await;
    let mut out = Vec::new();
    let _ = conn.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn wrong_method_is_a_405_with_allow() {
    let s = TestServer::start().await;
    let t = s.admin();
    for (method, path, allowed) in [
        (Method::DELETE, "/v1.0/users".to_string(), "POST"),
        (Method::PUT, format!("/beta/users/{}", demo::user_id(3)), "PATCH"),
        (Method::PATCH, format!("/v1.0{RM}/roleDefinitions"), "GET"),
        (Method::POST, "/v1.0/me".to_string(), "GET"),
    ] {
        let r = s.call(method.clone(), &path, Some(&t), Some(&json!({}))).await;
        assert_eq!(r.status, 405, "{method} {path}: {}", r.text);
        assert_eq!(r.error_code(), "MethodNotAllowed", "{method} {path}");
        let allow = r.headers.get("allow").unwrap_or_else(|| panic!("{method} {path}: no Allow")).to_str().unwrap();
        assert!(allow.contains(allowed), "{method} {path}: Allow {allow}");
    }
    s.stop().await;
}

#[tokio::test]
async fn wrong_content_type_is_a_415() {
    let s = TestServer::start().await;
    let t = s.admin();
    let body = json_body(&json!({"displayName": "X", "userPrincipalName": "x@contoso.example"}));
    for ct in ["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
    {
        let r = raw(&s, Method::POST, "/v1.0/users", Some(&t), &[("content-type", ct)], body.clone()).await;
        assert_eq!(r.status, 415, "{ct}: {}", r.text);
        assert_eq!(r.error_code(), "UnsupportedMediaType");
    }
    // JSON with parameters, and Graph's own odata content type, are fine.
    for ct in ["application/json; charset=utf-8", "application/json;odata.metadata=minimal", "Application/JSON"] {
        let body = json_body(&json!({"displayName": ct, "userPrincipalName": format!("{}@contoso.example", ct.len())}));
        let r = raw(&s, Method::POST, "/v1.0/users", Some(&t), &[("content-type", ct)], body).await;
        assert_eq!(r.status, 201, "{ct}: {}", r.text);
    }
    s.stop().await;
}

#[tokio::test]
async fn bad_query_options_are_400s() {
    let s = TestServer::start().await;
    let t = s.admin();
    for (q, code) in [
        ("$filter=displayName eq", "InvalidFilter"),
        ("$filter=displayName eq 'unterminated", "InvalidFilter"),
        ("$filter=(displayName eq 'x'", "InvalidFilter"),
        ("$filter=nosuchProperty eq 'x'", "InvalidFilter"),
        ("$filter=manager/nosuch eq 'x'", "InvalidFilter"),
        ("$filter=id eq 'not-a-guid'", "InvalidFilter"),
        ("$filter=accountEnabled eq 'yes'", "InvalidFilter"),
        ("$filter=createdDateTime gt 'yesterday'", "InvalidFilter"),
        ("$top=-1", "BadRequest"),
        ("$top=abc", "BadRequest"),
        ("$top=99999999999999999999999", "BadRequest"),
        ("$skip=x", "BadRequest"),
        ("$skiptoken=%%%", "BadRequest"),
        ("$skiptoken=bm90LWpzb24", "BadRequest"),
        ("$orderby=nosuch", "BadRequest"),
        ("$select=nosuch", "BadRequest"),
        ("$expand=nosuch", "BadRequest"),
        ("$count=maybe", "BadRequest"),
        ("$unknownOption=1", "BadRequest"),
        ("$top=1&$top=2", "BadRequest"),
    ] {
        let r = s.get(&format!("/v1.0/users?{q}"), &t).await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
        assert_eq!(r.error_code(), code, "{q}");
        if code == "InvalidFilter" {
            assert_eq!(r.body["error"]["details"], json!([]), "{q}");
            assert!(r.body["error"]["message"].as_str().unwrap().starts_with("OData query is invalid: "));
        }
    }
    s.stop().await;
}

/// A well-formed `$skiptoken` whose values do not fit the list's order columns.
fn cursor(values: Value) -> String {
    URL_SAFE_NO_PAD.encode(values.to_string())
}

#[tokio::test]
async fn forged_skiptokens_are_400s_not_500s() {
    let s = TestServer::start().await;
    let t = s.admin();
    let tokens = [
        cursor(json!([{"t": "Text", "v": "x"}])),
        cursor(json!([{"t": "Int", "v": 5}])),
        cursor(json!([{"t": "Null"}])),
        cursor(json!([{"t": "Bool", "v": true}])),
        cursor(json!([{"t": "DateTime", "v": "2024-01-01T00:00:00Z"}])),
        cursor(json!([{"t": "Uuid", "v": uuid::Uuid::nil()}, {"t": "Uuid", "v": uuid::Uuid::nil()}])),
        cursor(json!([])),
        cursor(json!({"t": "Uuid"})),
        cursor(json!([{"t": "Nope", "v": 1}])),
    ];
    for tok in &tokens {
        for path in ["/v1.0/users", "/v1.0/groups", &format!("/v1.0{RM}/roleAssignments")] {
            let r = s.get(&format!("{path}?$skiptoken={tok}"), &t).await;
            assert_eq!(r.status, 400, "{path} {tok}: {}", r.text);
            r.error_code();
        }
    }
    // With an $orderby the cursor has one value per key: wrong types there are 400s too.
    let tok = cursor(json!([{"t": "Int", "v": 1}, {"t": "Uuid", "v": uuid::Uuid::nil()}]));
    let r = s.get(&format!("/v1.0/users?$orderby=displayName&$skiptoken={tok}"), &t).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let tok = cursor(json!([{"t": "Text", "v": "x"}, {"t": "Text", "v": "x"}]));
    let r = s.get(&format!("/v1.0/users?$orderby=createdDateTime&$skiptoken={tok}"), &t).await;
    assert_eq!(r.status, 400, "{}", r.text);
    // The genuine article still pages.
    let r = s.get("/v1.0/users?$orderby=displayName&$top=2", &t).await;
    let next = r.body["@odata.nextLink"].as_str().unwrap().to_string();
    assert_eq!(s.get(&next, &t).await.status, 200);
    s.stop().await;
}

#[tokio::test]
async fn extreme_paging_values_are_not_500s() {
    let s = TestServer::start().await;
    let t = s.admin();
    for q in ["$skip=18446744073709551615", "$skip=9223372036854775808", "$top=0", "$top=18446744073709551615"] {
        let r = s.get(&format!("/v1.0/users?{q}"), &t).await;
        assert!(r.status.as_u16() < 500, "{q}: {}", r.text);
        if r.status.is_client_error() {
            r.error_code();
        }
    }
    let r = s.get("/v1.0/users?$skip=18446744073709551615", &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"], json!([]));
    s.stop().await;
}

#[tokio::test]
async fn null_literals_in_filters_are_not_500s() {
    let s = TestServer::start().await;
    let t = s.admin();
    for q in [
        "/v1.0/users?$filter=id in (null)",
        "/v1.0/users?$filter=id in ('5e3ba5e5-0000-4000-8000-000000010008', null)",
        "/v1.0/users?$filter=mail eq null",
        "/v1.0/users?$filter=id ne null",
        "/v1.0/users?$filter=createdDateTime gt null",
        "/v1.0/groups?$filter=members/any(m:m/id eq null)",
        "/v1.0/roleManagement/entitlementManagement/roleAssignments?$filter=principalId eq null",
    ] {
        let r = s.get(q, &t).await;
        assert!(r.status.as_u16() < 500, "{q}: {}", r.text);
        if r.status != 200 {
            assert_eq!(r.status, 400, "{q}: {}", r.text);
            r.error_code();
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn lenient_urls_are_understood() {
    let s = TestServer::start().await;
    let t = s.admin();
    // Doubled slashes (SDK base URLs ending in '/') and a trailing slash.
    for path in ["/beta//users", "//v1.0/users", "/v1.0/users/", "/v1.0//users//"] {
        let r = s.get(path, &t).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert!(r.body["value"].is_array());
    }
    // Percent-encoded option names.
    let r = s.get("/v1.0/users?%24top=1", &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1);
    assert!(r.body["@odata.nextLink"].as_str().unwrap().contains("top=1"));
    // A raw '+' is a space, as in the docs' examples.
    let r = s.get("/v1.0/users?$filter=displayName+eq+'Lidia+Holloway'", &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"][0]["id"], demo::user_id(8).to_string());
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1);
    // An encoded '+' stays a plus.
    let r = s.get("/v1.0/users?$filter=displayName%20eq%20'Lidia%2BHolloway'", &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"], json!([]));
    s.stop().await;
}

#[tokio::test]
async fn nul_characters_anywhere_are_400s() {
    let s = TestServer::start().await;
    let t = s.admin();
    for path in [
        "/v1.0/users/%00",
        "/v1.0/users/a%00b@contoso.example",
        "/v1.0/users?$filter=displayName%20eq%20'%00'",
        "/v1.0/groups?$filter=startswith(displayName,'a%00')",
        "/v1.0/users?$search=%22a%00%22",
    ] {
        let r = s.get(path, &t).await;
        assert!(r.status.as_u16() < 500, "{path}: {}", r.text);
        assert_eq!(r.status, 400, "{path}: {}", r.text);
        r.error_code();
    }
    let r = s
        .post("/v1.0/users", &t, &json!({"displayName": "nul\u{0}", "userPrincipalName": "nul@contoso.example"}))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    r.error_code();
    let r = s.patch(&format!("/v1.0/groups/{}", demo::group_id(2)), &t, &json!({"description": "a\u{0}b"})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    s.stop().await;
}
