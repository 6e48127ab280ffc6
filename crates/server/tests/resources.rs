//! Catalog resources, their roles and scopes, resource requests and access package resource
//! role scopes through the HTTP API, on both versions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod golden;

use common::{TestServer, BETA, V1};
use grantd::demo;
use serde_json::{json, Value};

async fn new_catalog(s: &TestServer, name: &str) -> String {
    let r = s.post(&format!("{V1}/catalogs"), &s.admin(), &json!({"displayName": name})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

async fn new_package(s: &TestServer, catalog: &str, name: &str) -> String {
    let r = s
        .post(&format!("{V1}/accessPackages"), &s.admin(), &json!({"displayName": name, "catalog": {"id": catalog}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

/// Adds a demo group to a catalog through the docs' v1.0 request body; returns the resource.
async fn add_group(s: &TestServer, catalog: &str, group: u16) -> Value {
    let mut body = golden::parse(golden::V1_POST_RESOURCEREQUESTS_ADD_GROUP_REQUEST);
    body["resource"]["originId"] = json!(demo::group_id(group).to_string());
    body["catalog"]["id"] = json!(catalog);
    let r = s.post(&format!("{V1}/resourceRequests"), &s.admin(), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let filter = format!("originId%20eq%20%27{}%27", demo::group_id(group));
    let r =
        s.get(&format!("{V1}/catalogs/{catalog}/resources?$filter={filter}&$expand=roles,scopes"), &s.admin()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["value"][0].clone()
}

fn values(body: &Value) -> &Vec<Value> {
    body["value"].as_array().unwrap()
}

#[tokio::test]
async fn resource_request_adds_a_demo_group_with_member_and_owner_roles() {
    let s = TestServer::start().await;
    let t = s.admin();
    let cat = new_catalog(&s, "Marketing").await;
    let g = demo::group_id(4).to_string();
    let mut body = golden::parse(golden::V1_POST_RESOURCEREQUESTS_ADD_GROUP_REQUEST);
    body["resource"]["originId"] = json!(g);
    body["catalog"]["id"] = json!(cat);
    let r = s.post(&format!("{V1}/resourceRequests"), &t, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    golden::assert_same_shape(&golden::parse(golden::V1_POST_RESOURCEREQUESTS_ADD_GROUP_RESPONSE), &r.body);
    assert_eq!(r.body["state"], "delivered");
    assert_eq!(r.body["requestType"], "adminAdd");
    assert!(r.body["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("$metadata#identityGovernance/entitlementManagement/resourceRequests/$entity"));

    let r = s.get(&format!("{V1}/catalogs/{cat}/resources"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let res = &values(&r.body)[0];
    assert_eq!(res["originId"], g.as_str());
    assert_eq!(res["originSystem"], "AadGroup");
    assert_eq!(res["displayName"], "Marketing Campaign Site", "the directory's name, not the request's");
    let rid = res["id"].as_str().unwrap().to_string();
    let got = s.get(&format!("{V1}/catalogs/{cat}/resources/{rid}?$expand=roles"), &t).await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["roles"].as_array().unwrap().len(), 2);

    let r = s
        .get(&format!("{V1}/catalogs/{cat}/resourceRoles?$filter=(originSystem+eq+%27AadGroup%27+and+resource/id+eq+%27{rid}%27)&$expand=resource"), &t)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut origins: Vec<&str> = values(&r.body).iter().map(|x| x["originId"].as_str().unwrap()).collect();
    origins.sort();
    assert_eq!(origins, [format!("Member_{g}"), format!("Owner_{g}")]);
    assert_eq!(r.body["value"][0]["resource"]["id"], rid.as_str());
    let r = s.get(&format!("{V1}/catalogs/{cat}/resourceScopes?$expand=resource"), &t).await;
    assert_eq!(values(&r.body).len(), 1);
    assert_eq!(r.body["value"][0]["isRootScope"], true);
    assert_eq!(r.body["value"][0]["originId"], g.as_str());

    let r = s.get(&format!("{V1}/resourceRequests?$filter=catalog/id%20eq%20%27{cat}%27"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    golden::assert_same_shape(&golden::parse(golden::V1_LIST_RESOURCEREQUESTS_RESPONSE), &r.body);
    assert_eq!(values(&r.body).len(), 1);
    let r = s.get(&format!("{V1}/resourceRequests?$filter=state%20eq%20%27Delivered%27&$count=true"), &t).await;
    assert_eq!(r.body["@odata.count"], 5, "four demo onboardings and ours: {}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn beta_resource_request_and_resources_use_beta_names() {
    let s = TestServer::start().await;
    let t = s.admin();
    let cat = new_catalog(&s, "Beta resources").await;
    let g = demo::group_id(2).to_string();
    // Shape of api-reference/beta/api/entitlementmanagement-post-accesspackageresourcerequests.md.
    let body = json!({
        "catalogId": cat,
        "requestType": "AdminAdd",
        "justification": "",
        "accessPackageResource": {
            "displayName": "Engineering",
            "description": "engineers",
            "resourceType": "Security Group",
            "originId": g,
            "originSystem": "AadGroup"
        }
    });
    let r = s.post(&format!("{BETA}/accessPackageResourceRequests"), &t, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["requestState"], "Delivered");
    assert_eq!(r.body["requestStatus"], "Fulfilled");
    assert_eq!(r.body["requestType"], "AdminAdd");
    assert_eq!(r.body["catalogId"], cat.as_str());
    assert!(r.body.get("state").is_none());
    let r = s
        .get(&format!("{BETA}/accessPackageCatalogs/{cat}/accessPackageResources?$expand=accessPackageResourceRoles,accessPackageResourceScopes"), &t)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let res = &r.body["value"][0];
    assert_eq!(res["resourceType"], "Security Group");
    assert_eq!(res["addedBy"], "megan@contoso.example");
    assert!(res["addedOn"].is_string());
    assert_eq!(res["accessPackageResourceRoles"].as_array().unwrap().len(), 2);
    assert_eq!(res["accessPackageResourceScopes"][0]["isRootScope"], true);
    let rid = res["id"].as_str().unwrap();
    let r = s
        .get(&format!("{BETA}/accessPackageCatalogs/{cat}/accessPackageResourceRoles?$filter=originSystem%20eq%20%27AadGroup%27%20and%20accessPackageResource/id%20eq%20%27{rid}%27&$expand=accessPackageResource"), &t)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(values(&r.body).len(), 2);
    assert_eq!(r.body["value"][0]["accessPackageResource"]["id"], rid);
    let r = s.get(&format!("{BETA}/accessPackageResourceRequests?$filter=catalogId%20eq%20%27{cat}%27"), &t).await;
    assert_eq!(values(&r.body).len(), 1, "{}", r.text);
    for path in [
        format!("{V1}/accessPackageResourceRequests"),
        format!("{BETA}/resourceRequests"),
        format!("{V1}/catalogs/{cat}/accessPackageResources"),
    ] {
        assert_eq!(s.get(&path, &t).await.status, 404, "{path}");
    }
    s.stop().await;
}

#[tokio::test]
async fn resource_request_validation_errors_carry_graph_codes() {
    let s = TestServer::start().await;
    let t = s.admin();
    let cat = new_catalog(&s, "Checks").await;
    let g = demo::group_id(1).to_string();
    let add = |origin: &str, system: &str| json!({"requestType": "adminAdd", "resource": {"originId": origin, "originSystem": system}, "catalog": {"id": cat}});
    let r =
        s.post(&format!("{V1}/resourceRequests"), &t, &add("8ab659d0-3839-427d-8c54-5ae92f0b3e2e", "AadGroup")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.error_code(), "ResourceNotFoundInOriginSystem");
    assert_eq!(s.post(&format!("{V1}/resourceRequests"), &t, &add(&g, "aadgroup")).await.status, 201);
    let r = s.post(&format!("{V1}/resourceRequests"), &t, &add(&g, "AadGroup")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "ResourceAlreadyOnboarded");
    assert_eq!(r.body["error"]["message"], "The specified resource is already onboarded to ELM.");
    let r = s.post(&format!("{V1}/resourceRequests"), &t, &add(&g, "AdApplication")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "ArgumentException");
    let r = s
        .post(
            &format!("{V1}/resourceRequests"),
            &t,
            &json!({"resource": {"originId": g, "originSystem": "AadGroup"}, "catalog": {"id": cat}}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "InvalidModel");
    assert!(r.body["error"]["message"].as_str().unwrap().contains("requestType"));
    let r = s.post(&format!("{V1}/resourceRequests"), &t, &json!({"requestType": "adminAdd", "resource": {"originId": g, "originSystem": "AadGroup"}, "catalog": {"id": "00000000-0000-0000-0000-000000000009"}})).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "ResourceNotFound");
    // The same group may be onboarded to another catalog.
    let other = new_catalog(&s, "Other").await;
    let r = s.post(&format!("{V1}/resourceRequests"), &t, &json!({"requestType": "adminAdd", "resource": {"originId": g, "originSystem": "AadGroup"}, "catalog": {"id": other}})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // A catalog reader may not add resources.
    let reader = s.reader();
    let r = s.post(&format!("{V1}/resourceRequests"), &reader, &add(&demo::group_id(3).to_string(), "AadGroup")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.error_code(), "UnAuthorized");
    s.stop().await;
}

#[tokio::test]
async fn role_scopes_bind_group_membership_to_a_package_and_guard_removal() {
    let s = TestServer::start().await;
    let t = s.admin();
    let cat = new_catalog(&s, "Projects").await;
    let pkg = new_package(&s, &cat, "Project X").await;
    let res = add_group(&s, &cat, 2).await;
    let g = demo::group_id(2).to_string();
    let member = res["roles"].as_array().unwrap().iter().find(|r| r["displayName"] == "Member").unwrap().clone();
    let scope = res["scopes"][0].clone();
    // api-reference/v1.0/api/accesspackage-post-resourcerolescopes.md, example 3, with our ids.
    let body = json!({
        "role": {
            "id": member["id"],
            "displayName": "Member",
            "originSystem": "AadGroup",
            "originId": format!("Member_{g}"),
            "resource": {"id": res["id"], "displayName": "example group", "description": "d", "originId": g, "originSystem": "AadGroup"}
        },
        "scope": {"id": scope["id"], "displayName": "Root", "description": "Root Scope", "originId": g, "originSystem": "AadGroup", "isRootScope": true}
    });
    let r = s.post(&format!("{V1}/accessPackages/{pkg}/resourceRoleScopes"), &t, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.body["id"].is_string() && r.body["createdDateTime"].is_string());
    assert_eq!(r.body["role"]["originId"], format!("Member_{g}"));
    assert_eq!(r.body["role"]["resource"]["id"], res["id"]);
    assert_eq!(r.body["scope"]["isRootScope"], true);
    let rs_id = r.body["id"].as_str().unwrap().to_string();
    let dup = s.post(&format!("{V1}/accessPackages/{pkg}/resourceRoleScopes"), &t, &body).await;
    assert_eq!(dup.status, 409, "{}", dup.text);
    assert_eq!(dup.error_code(), "DuplicateKey");

    let r = s.get(&format!("{V1}/accessPackages/{pkg}/resourceRoleScopes?$expand=role,scope"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(values(&r.body).len(), 1);
    let r = s.get(&format!("{V1}/accessPackages/{pkg}?$expand=resourceRoleScopes($expand=role,scope)"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["resourceRoleScopes"][0]["role"]["displayName"], "Member");

    // A role of a resource in another catalog is not found from this package.
    let sales_member = demo::group_id(1);
    let r = s
        .post(
            &format!("{V1}/accessPackages/{pkg}/resourceRoleScopes"),
            &t,
            &json!({"role": {"originId": format!("Member_{sales_member}"), "originSystem": "AadGroup", "resource": {"originId": sales_member.to_string()}}, "scope": {"originId": sales_member.to_string()}}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.error_code(), "ResourceNotFound");
    assert_eq!(r.body["error"]["message"], "The resource was not found.");

    // Removing the resource while the package grants its role is refused.
    let remove = json!({"requestType": "adminRemove", "resource": {"id": res["id"]}, "catalog": {"id": cat}});
    let r = s.post(&format!("{V1}/resourceRequests"), &t, &remove).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.error_code(), "InvalidDeleteResourceHasEntitlements");
    assert_eq!(
        r.body["error"]["message"],
        "The resource: Engineering can not be deleted because there are active entitlements."
    );

    assert_eq!(s.delete(&format!("{V1}/accessPackages/{pkg}/resourceRoleScopes/{rs_id}"), &t).await.status, 204);
    assert_eq!(s.delete(&format!("{V1}/accessPackages/{pkg}/resourceRoleScopes/{rs_id}"), &t).await.status, 404);
    let r = s.post(&format!("{V1}/resourceRequests"), &t, &remove).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["requestType"], "adminRemove");
    let r = s.get(&format!("{V1}/catalogs/{cat}/resources"), &t).await;
    assert_eq!(r.body["value"], json!([]));
    let r = s.get(&format!("{V1}/catalogs/{cat}/resourceRoles"), &t).await;
    assert_eq!(r.body["value"], json!([]));
    s.stop().await;
}

#[tokio::test]
async fn beta_role_scopes_use_beta_names_and_origin_ids() {
    let s = TestServer::start().await;
    let t = s.admin();
    let pkg = demo::access_package_id(2);
    let g = demo::group_id(4).to_string();
    let general = demo::catalog_id(1).to_string();
    // The Marketing group is a demo resource of the General catalog.
    let r = s
        .get(
            &format!("{BETA}/accessPackageCatalogs/{general}/accessPackageResources?$filter=originId%20eq%20%27{g}%27"),
            &t,
        )
        .await;
    let rid = r.body["value"][0]["id"].as_str().unwrap().to_string();
    // api-reference/beta/api/accesspackage-post-accesspackageresourcerolescopes.md, example 1.
    let body = json!({
        "accessPackageResourceRole": {
            "originId": format!("Owner_{g}"),
            "displayName": "Owner",
            "originSystem": "AadGroup",
            "accessPackageResource": {"id": rid, "resourceType": "O365 Group", "originId": g, "originSystem": "AadGroup"}
        },
        "accessPackageResourceScope": {"originId": g, "originSystem": "AadGroup"}
    });
    let r = s.post(&format!("{BETA}/accessPackages/{pkg}/accessPackageResourceRoleScopes"), &t, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["accessPackageResourceRole"]["originId"], format!("Owner_{g}"));
    assert_eq!(r.body["accessPackageResourceRole"]["accessPackageResource"]["id"], rid.as_str());
    assert_eq!(r.body["accessPackageResourceScope"]["originId"], g.as_str());
    assert_eq!(r.body["createdBy"], "megan@contoso.example");
    assert!(r.body.get("role").is_none());
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = s.get(&format!("{BETA}/accessPackages/{pkg}?$expand=accessPackageResourceRoleScopes"), &t).await;
    assert_eq!(r.body["accessPackageResourceRoleScopes"].as_array().unwrap().len(), 2, "the demo member role and ours");
    let r = s.get(&format!("{V1}/accessPackages/{pkg}/accessPackageResourceRoleScopes"), &t).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        s.delete(&format!("{BETA}/accessPackages/{pkg}/accessPackageResourceRoleScopes/{id}"), &t).await.status,
        204
    );
    let r = s.get(&format!("{BETA}/accessPackages/{pkg}/accessPackageResourceRoleScopes"), &t).await;
    assert_eq!(r.body["value"][0]["accessPackageResourceRole"]["displayName"], "Member");
    assert_eq!(values(&r.body).len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn resource_roles_of_a_resource_outside_the_catalog_are_not_found() {
    let s = TestServer::start().await;
    let t = s.admin();
    let sales = demo::catalog_id(2);
    let r = s.get(&format!("{V1}/catalogs/{sales}/resources"), &t).await;
    let sales_resource = r.body["value"][0]["id"].as_str().unwrap().to_string();
    let general = demo::catalog_id(1);
    let r = s
        .get(&format!("{V1}/catalogs/{general}/resourceRoles?$filter=resource/id%20eq%20%27{sales_resource}%27"), &t)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.error_code(), "ResourceNotFound");
    let r = s.get(&format!("{V1}/catalogs/{general}/resourceRoles?$filter=resource/id%20eq%20%27nope%27"), &t).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "InvalidFilter");
    let r = s.get(&format!("{V1}/catalogs/{general}/resources/{sales_resource}"), &t).await;
    assert_eq!(r.status, 404);
    // A package can only use roles of its own catalog, even by role id.
    let sales_roles = s.get(&format!("{V1}/catalogs/{sales}/resourceRoles"), &t).await;
    let role_id = sales_roles.body["value"][0]["id"].clone();
    let r = s
        .post(
            &format!("{V1}/accessPackages/{}/resourceRoleScopes", demo::access_package_id(2)),
            &t,
            &json!({"role": {"id": role_id}}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.error_code(), "ResourceNotFound");
    let r = s
        .post(
            &format!("{V1}/accessPackages/{}/resourceRoleScopes", demo::access_package_id(2)),
            &t,
            &json!({"scope": {}}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "InvalidModel");
    s.stop().await;
}
