//! Users, groups and membership through the HTTP API, on both versions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use common::TestServer;
use grantd::demo;
use serde_json::json;

#[tokio::test]
async fn users_are_listed_paged_filtered_and_selected_on_both_versions() {
    let s = TestServer::start().await;
    let t = s.admin();
    for v in ["v1.0", "beta"] {
        let r = s.get(&format!("/{v}/users?$top=5&$count=true"), &t).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["value"].as_array().unwrap().len(), 5);
        assert_eq!(r.body["@odata.count"], 12);
        assert!(r.body["@odata.context"].as_str().unwrap().ends_with(&format!("/{v}/$metadata#users")));
        // Follow nextLinks to the end: every user exactly once.
        let mut seen = Vec::new();
        let mut page = r;
        loop {
            for u in page.body["value"].as_array().unwrap() {
                seen.push(u["id"].as_str().unwrap().to_string());
            }
            match page.body["@odata.nextLink"].as_str() {
                Some(next) => {
                    assert!(next.starts_with(&s.base), "absolute nextLink on our host: {next}");
                    assert!(next.contains("$top=5"));
                    page = s.get(next, &t).await;
                    assert_eq!(page.status, 200);
                }
                None => break,
            }
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 12);
        let r = s
            .get(
                &format!(
                    "/{v}/users?$filter=userPrincipalName%20eq%20%27lidia@contoso.example%27&$select=id,displayName"
                ),
                &t,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["value"], json!([{"id": demo::user_id(8).to_string(), "displayName": "Lidia Holloway"}]));
    }
    s.stop().await;
}

#[tokio::test]
async fn user_lifecycle_with_manager_and_sponsors() {
    let s = TestServer::start().await;
    let t = s.admin();
    let r = s
        .post("/v1.0/users", &t, &json!({"accountEnabled": true, "displayName": "Test User", "mailNickname": "test", "userPrincipalName": "test@contoso.example", "passwordProfile": {"password": "x"}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.body["@odata.context"].as_str().unwrap().ends_with("$metadata#users/$entity"));
    let id = r.body["id"].as_str().unwrap().to_string();
    let dup =
        s.post("/v1.0/users", &t, &json!({"displayName": "X", "userPrincipalName": "TEST@contoso.example"})).await;
    assert_eq!(dup.status, 400);
    assert_eq!(dup.error_code(), "Request_BadRequest");

    let mgr = demo::user_id(3);
    let r = s
        .put(
            &format!("/v1.0/users/{id}/manager/$ref"),
            &t,
            &json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/users/{mgr}")}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = s.get(&format!("/v1.0/users/{id}/manager"), &t).await;
    assert_eq!(r.body["id"], mgr.to_string());
    let r = s.get("/beta/users/test@contoso.example?$expand=manager", &t).await;
    assert_eq!(r.body["manager"]["displayName"], "Lee Gu");
    let sp = demo::user_id(4);
    let r = s
        .post(
            &format!("/v1.0/users/{id}/sponsors/$ref"),
            &t,
            &json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{sp}")}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = s.get(&format!("/v1.0/users/{id}/sponsors"), &t).await;
    assert_eq!(r.body["value"][0]["id"], sp.to_string());
    let r = s.patch(&format!("/v1.0/users/{id}"), &t, &json!({"jobTitle": "Tester"})).await;
    assert_eq!(r.status, 204);
    assert_eq!(s.get(&format!("/v1.0/users/{id}"), &t).await.body["jobTitle"], "Tester");
    assert_eq!(s.delete(&format!("/v1.0/users/{id}"), &t).await.status, 204);
    let r = s.get(&format!("/v1.0/users/{id}"), &t).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "Request_ResourceNotFound");
    s.stop().await;
}

#[tokio::test]
async fn group_membership_add_list_remove() {
    let s = TestServer::start().await;
    let t = s.admin();
    let r = s.post("/beta/groups", &t, &json!({"displayName": "Project X", "mailNickname": "projx", "securityEnabled": true, "mailEnabled": false})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let g = r.body["id"].as_str().unwrap().to_string();
    let member = demo::user_id(5);
    let add = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{member}")});
    assert_eq!(s.post(&format!("/v1.0/groups/{g}/members/$ref"), &t, &add).await.status, 204);
    let again = s.post(&format!("/v1.0/groups/{g}/members/$ref"), &t, &add).await;
    assert_eq!(again.status, 400);
    let r = s.get(&format!("/v1.0/groups/{g}/members"), &t).await;
    assert_eq!(r.body["value"][0]["@odata.type"], "#microsoft.graph.user");
    assert_eq!(r.body["value"][0]["id"], member.to_string());
    let r = s.get(&format!("/v1.0/groups?$filter=members/any(m:m/id%20eq%20%27{member}%27)"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["value"].as_array().unwrap().iter().any(|x| x["id"] == g.as_str()));
    assert_eq!(s.delete(&format!("/v1.0/groups/{g}/members/{member}/$ref"), &t).await.status, 204);
    assert_eq!(s.delete(&format!("/v1.0/groups/{g}/members/{member}/$ref"), &t).await.status, 404);
    // An end user may read but not write the directory.
    let u = s.end_user(8);
    assert_eq!(s.get(&format!("/v1.0/groups/{g}"), &u).await.status, 200);
    let r = s.post(&format!("/v1.0/groups/{g}/members/$ref"), &u, &add).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.error_code(), "Authorization_RequestDenied");
    s.stop().await;
}
