//! Catalogs through the HTTP API: v1.0 `catalogs` and beta `accessPackageCatalogs`, the docs'
//! bodies, validation, delete rules and who may create and see catalogs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod golden;

use common::{TestServer, BETA, V1};
use grantd::demo;
use grantd_domain::roles::EmRole;
use serde_json::{json, Value};

async fn grant(s: &TestServer, user: u16, role: EmRole, scope: &str) {
    let body = json!({
        "principalId": demo::user_id(user).to_string(),
        "roleDefinitionId": role.definition_id().to_string(),
        "appScopeId": scope,
    });
    let r = s.post("/v1.0/roleManagement/entitlementManagement/roleAssignments", &s.admin(), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
}

fn ids(body: &Value) -> Vec<String> {
    body["value"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn catalog_lifecycle_on_v1_follows_the_docs() {
    let s = TestServer::start().await;
    let t = s.admin();
    let r = s.post(&format!("{V1}/catalogs"), &t, &golden::parse(golden::V1_POST_CATALOGS_REQUEST)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.body["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("/v1.0/$metadata#identityGovernance/entitlementManagement/catalogs/$entity"));
    golden::assert_same_shape(&golden::parse(golden::V1_POST_CATALOGS_RESPONSE), &r.body);
    assert_eq!(r.body["state"], "published");
    assert_eq!(r.body["catalogType"], "userManaged");
    assert_eq!(r.body["isExternallyVisible"], true);
    assert!(r.body.get("catalogStatus").is_none());
    let id = r.body["id"].as_str().unwrap().to_string();

    let got = s.get(&format!("{V1}/catalogs/{id}"), &t).await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["displayName"], "sales");
    let list = s.get(&format!("{V1}/catalogs"), &t).await;
    assert_eq!(list.status, 200);
    golden::assert_same_shape(&golden::parse(golden::V1_LIST_CATALOGS_RESPONSE), &list.body);
    assert_eq!(list.body["value"].as_array().unwrap().len(), 3, "two demo catalogs and ours");

    let r = s
        .patch(&format!("{V1}/catalogs/{id}"), &t, &json!({"displayName": "Catalog One", "state": "unpublished"}))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let got = s.get(&format!("{V1}/catalogs/{id}"), &t).await;
    assert_eq!(got.body["displayName"], "Catalog One");
    assert_eq!(got.body["state"], "unpublished");
    assert_eq!(got.body["description"], "for employees working with sales and outside sales partners");

    assert_eq!(s.delete(&format!("{V1}/catalogs/{id}"), &t).await.status, 204);
    let r = s.get(&format!("{V1}/catalogs/{id}"), &t).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "ResourceNotFound");
    s.stop().await;
}

#[tokio::test]
async fn beta_catalogs_use_beta_names_and_v1_names_are_not_served_on_beta() {
    let s = TestServer::start().await;
    let t = s.admin();
    let r = s
        .post(
            &format!("{BETA}/accessPackageCatalogs"),
            &t,
            &json!({"displayName": "Partners", "description": "d", "catalogStatus": "Published", "isExternallyVisible": false}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.body["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("/beta/$metadata#identityGovernance/entitlementManagement/accessPackageCatalogs/$entity"));
    assert_eq!(r.body["catalogStatus"], "Published");
    assert_eq!(r.body["catalogType"], "UserManaged");
    assert_eq!(r.body["createdBy"], "megan@contoso.example");
    assert_eq!(r.body["modifiedBy"], "megan@contoso.example");
    assert!(r.body.get("state").is_none());
    let id = r.body["id"].as_str().unwrap().to_string();

    let v1 = s.get(&format!("{V1}/catalogs/{id}"), &t).await;
    assert_eq!(v1.body["state"], "published");
    assert!(v1.body.get("catalogStatus").is_none() && v1.body.get("createdBy").is_none());

    let r = s
        .get(&format!("{BETA}/accessPackageCatalogs?$filter=catalogStatus%20eq%20%27Published%27&$count=true"), &t)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["@odata.count"], 3);
    let r = s.patch(&format!("{BETA}/accessPackageCatalogs/{id}"), &t, &json!({"catalogStatus": "unpublished"})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(s.get(&format!("{BETA}/accessPackageCatalogs/{id}"), &t).await.body["catalogStatus"], "Unpublished");

    for path in
        [format!("{V1}/accessPackageCatalogs"), format!("{BETA}/catalogs"), format!("{V1}/accessPackageCatalogs/{id}")]
    {
        let r = s.get(&path, &t).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
        r.error_code();
    }
    // v1.0 has no catalogStatus to filter on.
    let r = s.get(&format!("{V1}/catalogs?$filter=catalogStatus%20eq%20%27Published%27"), &t).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "InvalidFilter");
    s.stop().await;
}

#[tokio::test]
async fn catalog_validation_errors_carry_graph_codes() {
    let s = TestServer::start().await;
    let t = s.admin();
    let cases = [
        (json!({"description": "no name"}), "InvalidModel"),
        (json!({"displayName": "  "}), "InvalidModel"),
        (json!({"displayName": "x", "state": "open"}), "InvalidModel"),
        (json!({"displayName": "x", "isExternallyVisible": "yes"}), "InvalidModel"),
        (json!({"displayName": "x", "catalogType": "serviceDefault"}), "InvalidModel"),
    ];
    for (body, code) in cases {
        let r = s.post(&format!("{V1}/catalogs"), &t, &body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.error_code(), code, "{body}");
    }
    // Enum input is case-insensitive.
    let r = s.post(&format!("{V1}/catalogs"), &t, &json!({"displayName": "x", "state": "Unpublished"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["state"], "unpublished");
    for id in ["00000000-0000-0000-0000-000000000000", "not-a-guid"] {
        let r = s.get(&format!("{V1}/catalogs/{id}"), &t).await;
        assert_eq!(r.status, 404);
        assert_eq!(r.error_code(), "ResourceNotFound");
    }
    let r = s.get(&format!("{V1}/catalogs?$filter=owner%20eq%20%27x%27"), &t).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "InvalidFilter");
    let r = s.get(&format!("{V1}/catalogs?$expand=resources"), &t).await;
    assert_eq!(r.status, 400);
    s.stop().await;
}

#[tokio::test]
async fn delete_catalog_with_packages_is_rejected() {
    let s = TestServer::start().await;
    let t = s.admin();
    let sales = demo::catalog_id(2);
    let r = s.delete(&format!("{V1}/catalogs/{sales}"), &t).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.error_code(), "CatalogNotEmpty");
    assert_eq!(s.delete(&format!("{V1}/accessPackages/{}", demo::access_package_id(1)), &t).await.status, 204);
    let r = s.delete(&format!("{BETA}/accessPackageCatalogs/{sales}"), &t).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(s.get(&format!("{V1}/catalogs/{sales}/resources"), &t).await.status, 404);
    let r = s.get(&format!("{V1}/resourceRequests?$filter=catalog/id%20eq%20%27{sales}%27"), &t).await;
    assert_eq!(r.body["value"], json!([]));
    s.stop().await;
}

#[tokio::test]
async fn catalog_creator_becomes_owner_of_the_new_catalog() {
    let s = TestServer::start().await;
    grant(&s, 5, EmRole::CatalogCreator, "/").await;
    let diego = s.end_user(5);
    let r = s.post(&format!("{V1}/catalogs"), &diego, &json!({"displayName": "Diego's catalog"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = s
        .get(
            &format!(
                "/v1.0/roleManagement/entitlementManagement/roleAssignments?$filter=appScopeId%20eq%20%27/AccessPackageCatalog/{id}%27"
            ),
            &s.admin(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.body["value"].as_array().unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["principalId"], demo::user_id(5).to_string());
    assert_eq!(v[0]["roleDefinitionId"], EmRole::CatalogOwner.definition_id().to_string());
    // The owner sees exactly their catalog and may work in it.
    let r = s.get(&format!("{V1}/catalogs"), &diego).await;
    assert_eq!(ids(&r.body), vec![id.clone()]);
    let r = s.post(&format!("{V1}/accessPackages"), &diego, &json!({"displayName": "p", "catalog": {"id": id}})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(s.patch(&format!("{V1}/catalogs/{id}"), &diego, &json!({"description": "mine"})).await.status, 204);
    s.stop().await;
}

#[tokio::test]
async fn end_user_cannot_create_or_list_catalogs() {
    let s = TestServer::start().await;
    let u = s.end_user(8);
    let r = s.post(&format!("{V1}/catalogs"), &u, &json!({"displayName": "x"})).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.error_code(), "UnAuthorized");
    // A user without any entitlement-management role may not list (errors.md A1b).
    let r = s.get(&format!("{V1}/catalogs"), &u).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.error_code(), "UnAuthorized");
    let r = s.get(&format!("{V1}/catalogs/{}", demo::catalog_id(1)), &u).await;
    assert_eq!(r.status, 404);
    // A global reader sees all but writes nothing.
    let reader = s.reader();
    assert_eq!(ids(&s.get(&format!("{V1}/catalogs"), &reader).await.body).len(), 2);
    let r = s.patch(&format!("{V1}/catalogs/{}", demo::catalog_id(1)), &reader, &json!({"description": "x"})).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.error_code(), "UnAuthorized");
    s.stop().await;
}

#[tokio::test]
async fn catalogs_expand_access_packages_filter_and_select() {
    let s = TestServer::start().await;
    let t = s.admin();
    let r = s
        .get(
            &format!(
                "{V1}/catalogs?$filter=displayName%20eq%20%27General%27&$expand=accessPackages&$select=id,displayName"
            ),
            &t,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.body["value"].as_array().unwrap();
    assert_eq!(v.len(), 1);
    let keys: Vec<&str> = v[0].as_object().unwrap().keys().map(|k| k.as_str()).collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    let mut names: Vec<&str> =
        v[0]["accessPackages"].as_array().unwrap().iter().map(|p| p["displayName"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["Engineering Onboarding", "Finance Reports"]);
    assert_eq!(v[0]["catalogType"], Value::Null, "not selected");
    let r = s.get(&format!("{BETA}/accessPackageCatalogs/{}?$expand=accessPackages", demo::catalog_id(2)), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["catalogType"], "UserManaged");
    assert_eq!(r.body["accessPackages"][0]["catalogId"], demo::catalog_id(2).to_string());
    let r = s.get(&format!("{BETA}/accessPackageCatalogs/{}", demo::catalog_id(1)), &t).await;
    assert_eq!(r.body["catalogType"], "ServiceDefault");
    let r = s.get(&format!("{V1}/catalogs?$top=1"), &t).await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1);
    let next = r.body["@odata.nextLink"].as_str().unwrap().to_string();
    let r2 = s.get(&next, &t).await;
    assert_eq!(r2.body["value"].as_array().unwrap().len(), 1);
    assert_ne!(ids(&r.body), ids(&r2.body));
    assert!(r2.body.get("@odata.nextLink").is_none());
    s.stop().await;
}
