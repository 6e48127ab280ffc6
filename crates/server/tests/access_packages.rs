//! Access packages through the HTTP API on both versions: the docs' bodies, version names,
//! validation, OData on lists, delete rules and catalog-scoped visibility.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod golden;

use common::{TestServer, BETA, V1};
use grantd::demo;
use grantd_domain::roles::EmRole;
use serde_json::{json, Value};

fn ids(body: &Value) -> Vec<String> {
    body["value"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_string()).collect()
}

fn names(body: &Value) -> Vec<String> {
    let mut n: Vec<String> =
        body["value"].as_array().unwrap().iter().map(|x| x["displayName"].as_str().unwrap().to_string()).collect();
    n.sort();
    n
}

async fn new_catalog(s: &TestServer, name: &str) -> String {
    let r = s.post(&format!("{V1}/catalogs"), &s.admin(), &json!({"displayName": name})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn access_package_lifecycle_on_v1_follows_the_docs() {
    let s = TestServer::start().await;
    let t = s.admin();
    let cat = new_catalog(&s, "sales").await;
    let mut body = golden::parse(golden::V1_POST_ACCESSPACKAGES_REQUEST);
    body["catalog"]["id"] = json!(cat);
    let r = s.post(&format!("{V1}/accessPackages"), &t, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.body["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("/v1.0/$metadata#identityGovernance/entitlementManagement/accessPackages/$entity"));
    golden::assert_same_shape(&golden::parse(golden::V1_POST_ACCESSPACKAGES_RESPONSE), &r.body);
    assert!(r.body.get("catalogId").is_none(), "v1.0 has no catalogId");
    let id = r.body["id"].as_str().unwrap().to_string();

    let got = s.get(&format!("{V1}/accessPackages/{id}?$expand=catalog"), &t).await;
    assert_eq!(got.status, 200, "{}", got.text);
    golden::assert_same_shape(&golden::parse(golden::V1_GET_ACCESSPACKAGE_RESPONSE), &got.body);
    assert_eq!(got.body["catalog"]["id"], cat.as_str());
    assert_eq!(got.body["catalog"]["state"], "published");
    let list = s.get(&format!("{V1}/accessPackages"), &t).await;
    golden::assert_same_shape(&golden::parse(golden::V1_LIST_ACCESSPACKAGES_RESPONSE), &list.body);
    assert_eq!(list.body["value"].as_array().unwrap().len(), 4);

    let r = s
        .patch(
            &format!("{V1}/accessPackages/{id}"),
            &t,
            &json!({"displayName": "Access Package New Name", "isHidden": true}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let got = s.get(&format!("{V1}/accessPackages/{id}"), &t).await;
    assert_eq!(got.body["displayName"], "Access Package New Name");
    assert_eq!(got.body["isHidden"], true);
    assert_eq!(got.body["description"], "outside sales representatives");
    assert_eq!(s.delete(&format!("{V1}/accessPackages/{id}"), &t).await.status, 204);
    let r = s.get(&format!("{V1}/accessPackages/{id}"), &t).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "ResourceNotFound");
    s.stop().await;
}

#[tokio::test]
async fn beta_access_packages_render_catalog_id_and_beta_navigations() {
    let s = TestServer::start().await;
    let t = s.admin();
    let cat = new_catalog(&s, "beta catalog").await;
    let r = s
        .post(
            &format!("{BETA}/accessPackages"),
            &t,
            &json!({"catalogId": cat, "displayName": "Beta package", "description": "d", "isRoleScopesVisible": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["catalogId"], cat.as_str());
    assert_eq!(r.body["isRoleScopesVisible"], true);
    assert_eq!(r.body["createdBy"], "megan@contoso.example");
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = s
        .get(&format!("{BETA}/accessPackages/{id}?$expand=accessPackageCatalog,accessPackageAssignmentPolicies,accessPackageResourceRoleScopes"), &t)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["accessPackageCatalog"]["catalogStatus"], "Published");
    assert_eq!(r.body["accessPackageAssignmentPolicies"], json!([]));
    assert_eq!(r.body["accessPackageResourceRoleScopes"], json!([]));
    let r = s.get(&format!("{V1}/accessPackages/{id}?$expand=assignmentPolicies,resourceRoleScopes"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["assignmentPolicies"], json!([]));
    // errors.md Q4: the beta navigation name on v1.0.
    let r = s.get(&format!("{V1}/accessPackages/{id}?$expand=accessPackageAssignmentPolicies"), &t).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["error"]["message"],
        "Parsing OData Select and Expand failed: Could not find a property named 'accessPackageAssignmentPolicies' on type 'microsoft.graph.accessPackage'."
    );
    let r = s.get(&format!("{BETA}/accessPackages/{id}?$expand=catalog"), &t).await;
    assert_eq!(r.status, 400);
    // The beta binding by navigation works too, and v1.0 accepts the beta catalogId.
    let r = s
        .post(
            &format!("{BETA}/accessPackages"),
            &t,
            &json!({"displayName": "nav", "accessPackageCatalog": {"id": cat}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s.get(&format!("{BETA}/accessPackageCatalogs/{cat}/accessPackages"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(names(&r.body), ["Beta package", "nav"]);
    assert!(r.body["@odata.context"]
        .as_str()
        .unwrap()
        .contains(&format!("accessPackageCatalogs('{cat}')/accessPackages")));
    s.stop().await;
}

#[tokio::test]
async fn package_needs_a_name_and_an_existing_catalog() {
    let s = TestServer::start().await;
    let t = s.admin();
    let cat = demo::catalog_id(1).to_string();
    let cases = [
        (json!({"displayName": "no catalog"}), 400, "InvalidModel"),
        (json!({"catalog": {"id": cat}}), 400, "InvalidModel"),
        (json!({"displayName": "", "catalog": {"id": cat}}), 400, "InvalidModel"),
        (json!({"displayName": "x", "isHidden": "no", "catalog": {"id": cat}}), 400, "InvalidModel"),
        (
            json!({"displayName": "x", "catalog": {"id": "00000000-0000-0000-0000-000000000001"}}),
            404,
            "ResourceNotFound",
        ),
        (json!({"displayName": "x", "catalog": {"id": "nope"}}), 404, "ResourceNotFound"),
    ];
    for (body, status, code) in cases {
        let r = s.post(&format!("{V1}/accessPackages"), &t, &body).await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        assert_eq!(r.error_code(), code, "{body}");
    }
    let r = s
        .patch(&format!("{V1}/accessPackages/{}", demo::access_package_id(1)), &t, &json!({"displayName": null}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "InvalidModel");
    s.stop().await;
}

#[tokio::test]
async fn packages_are_filtered_selected_expanded_and_paged() {
    let s = TestServer::start().await;
    let t = s.admin();
    let cat = new_catalog(&s, "Team catalog").await;
    for n in ["Team alpha", "Team beta", "Team gamma"] {
        let r = s.post(&format!("{V1}/accessPackages"), &t, &json!({"displayName": n, "catalog": {"id": cat}})).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = s.get(&format!("{V1}/accessPackages?$filter=catalog/id%20eq%20%27{cat}%27&$count=true"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["@odata.count"], 3);
    let r = s.get(&format!("{BETA}/accessPackages?$filter=catalogId%20eq%20%27{cat}%27"), &t).await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 3, "{}", r.text);
    let r = s.get(&format!("{V1}/accessPackages?$filter=catalogId%20eq%20%27{cat}%27"), &t).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "InvalidFilter");
    let r = s.get(&format!("{V1}/accessPackages?$filter=contains(tolower(displayName),%27team%27)"), &t).await;
    assert_eq!(names(&r.body), ["Team alpha", "Team beta", "Team gamma"]);
    let r = s
        .get(&format!("{V1}/accessPackages?$filter=startswith(displayName,%27Team%20b%27)&$select=id,displayName"), &t)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let only = &r.body["value"][0];
    assert_eq!(only.as_object().unwrap().len(), 2, "{only}");
    let r = s
        .get(
            &format!(
                "{V1}/accessPackages?$filter=displayName%20eq%20%27Team%20alpha%27&$expand=catalog&$select=displayName"
            ),
            &t,
        )
        .await;
    assert_eq!(r.body["value"][0]["catalog"]["displayName"], "Team catalog");
    // Paging: six packages in pages of four, each exactly once.
    let mut seen = Vec::new();
    let mut page = s.get(&format!("{V1}/accessPackages?$top=4&$orderby=displayName"), &t).await;
    loop {
        assert_eq!(page.status, 200, "{}", page.text);
        seen.extend(ids(&page.body));
        match page.body["@odata.nextLink"].as_str() {
            Some(next) => page = s.get(next, &t).await,
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 6);
    let r = s.get(&format!("{V1}/accessPackages?$filter=displayName%20eq%20%27x%27%20or%201%20eq%201"), &t).await;
    assert_eq!(r.status, 400, "a filter that is not property-against-literal is refused: {}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn catalog_reader_sees_only_its_catalog() {
    let s = TestServer::start().await;
    let sales = demo::catalog_id(2);
    let body = json!({
        "principalId": demo::user_id(6).to_string(),
        "roleDefinitionId": EmRole::CatalogReader.definition_id().to_string(),
        "appScopeId": format!("/AccessPackageCatalog/{sales}"),
    });
    let r = s.post("/v1.0/roleManagement/entitlementManagement/roleAssignments", &s.admin(), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let u = s.end_user(6);
    for v in [V1, BETA] {
        let r = s.get(&format!("{v}/accessPackages?$count=true"), &u).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(names(&r.body), ["Sales Tools"]);
        assert_eq!(r.body["@odata.count"], 1);
    }
    assert_eq!(ids(&s.get(&format!("{V1}/catalogs"), &u).await.body), vec![sales.to_string()]);
    let r = s.get(&format!("{V1}/catalogs/{sales}/accessPackages"), &u).await;
    assert_eq!(names(&r.body), ["Sales Tools"]);
    for path in [
        format!("{V1}/accessPackages/{}", demo::access_package_id(2)),
        format!("{V1}/catalogs/{}", demo::catalog_id(1)),
        format!("{V1}/catalogs/{}/accessPackages", demo::catalog_id(1)),
        format!("{BETA}/accessPackageCatalogs/{}/accessPackageResources", demo::catalog_id(1)),
    ] {
        let r = s.get(&path, &u).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.error_code(), "ResourceNotFound");
    }
    let tools = demo::access_package_id(1);
    let writes = [
        s.patch(&format!("{V1}/accessPackages/{tools}"), &u, &json!({"description": "x"})).await,
        s.delete(&format!("{V1}/accessPackages/{tools}"), &u).await,
        s.post(&format!("{V1}/accessPackages"), &u, &json!({"displayName": "x", "catalog": {"id": sales}})).await,
        s.patch(&format!("{V1}/catalogs/{sales}"), &u, &json!({"description": "x"})).await,
    ];
    for r in writes {
        assert_eq!(r.status, 403, "{}", r.text);
        assert_eq!(r.error_code(), "UnAuthorized");
    }
    // Writing into a catalog the reader cannot see looks like a missing catalog.
    let r = s
        .post(&format!("{V1}/accessPackages"), &u, &json!({"displayName": "x", "catalog": {"id": demo::catalog_id(1)}}))
        .await;
    assert_eq!(r.status, 404);
    s.stop().await;
}

/// Inserts an assignment row directly (assignments are created by requests, not by this API).
async fn insert_assignment(url: &str, package: &str, catalog: &str, state: &str) -> uuid::Uuid {
    use sqlx::Connection;
    let id = uuid::Uuid::now_v7();
    let tenant = demo::DEMO_TENANT.as_uuid();
    let pkg = uuid::Uuid::parse_str(package).unwrap();
    let cat = uuid::Uuid::parse_str(catalog).unwrap();
    let target = demo::user_id(8).as_uuid();
    let now = chrono::Utc::now();
    let cols =
        "tenant_id, id, access_package_id, assignment_policy_id, catalog_id, target_id, state, created_date_time, doc";
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        let sql = format!("INSERT INTO assignments ({cols}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
        sqlx::query(&sql)
            .bind(tenant)
            .bind(id)
            .bind(pkg)
            .bind(uuid::Uuid::now_v7())
            .bind(cat)
            .bind(target)
            .bind(state)
            .bind(now)
            .bind("{}")
            .execute(&mut c)
            .await
            .unwrap();
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        let sql = format!("INSERT INTO assignments ({cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
        sqlx::query(&sql)
            .bind(tenant)
            .bind(id)
            .bind(pkg)
            .bind(uuid::Uuid::now_v7())
            .bind(cat)
            .bind(target)
            .bind(state)
            .bind(now)
            .bind("{}")
            .execute(&mut c)
            .await
            .unwrap();
    }
    id
}

#[tokio::test]
async fn delete_access_package_with_live_assignments_is_rejected() {
    let mut url = String::new();
    let s = TestServer::start_with(|c| url = c.database_url()).await;
    let t = s.admin();
    let pkg = demo::access_package_id(2).to_string();
    let cat = demo::catalog_id(1).to_string();
    insert_assignment(&url, &pkg, &cat, "expired").await;
    insert_assignment(&url, &pkg, &cat, "delivered").await;
    let r = s.delete(&format!("{BETA}/accessPackages/{pkg}"), &t).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.error_code(), "AccessPackageHasAssignments");
    // Only expired and failed assignments left: the package (and its role scopes) can go.
    let other = demo::access_package_id(3).to_string();
    insert_assignment(&url, &other, &cat, "deliveryFailed").await;
    assert_eq!(s.delete(&format!("{V1}/accessPackages/{other}"), &t).await.status, 204);
    assert_eq!(s.get(&format!("{V1}/accessPackages/{other}"), &t).await.status, 404);
    s.stop().await;
}

#[tokio::test]
async fn list_filters_are_bound_as_parameters_not_sql() {
    let s = TestServer::start().await;
    let t = s.admin();
    let general = demo::catalog_id(1);
    let pkg = demo::access_package_id(2);
    // `x' or '1'='1` and a comment/terminator, as OData string literals ('' escapes a quote).
    let evil = ["x%27%27%20or%20%27%271%27%27=%27%271", "x%27%27;%20DROP%20TABLE%20catalogs;--"];
    for e in evil {
        for path in [
            format!("{V1}/catalogs?$filter=displayName%20eq%20%27{e}%27"),
            format!("{BETA}/accessPackageCatalogs?$filter=displayName%20eq%20%27{e}%27"),
            format!("{V1}/accessPackages?$filter=contains(displayName,%27{e}%27)"),
            format!("{BETA}/accessPackages?$filter=displayName%20eq%20%27{e}%27"),
            format!("{V1}/catalogs/{general}/resources?$filter=originId%20eq%20%27{e}%27"),
            format!("{V1}/catalogs/{general}/resourceRoles?$filter=originId%20eq%20%27{e}%27"),
            format!("{V1}/catalogs/{general}/resourceScopes?$filter=originId%20eq%20%27{e}%27"),
            format!("{V1}/resourceRequests?$filter=startswith(requestType,%27{e}%27)"),
            format!("{V1}/accessPackages/{pkg}/resourceRoleScopes?$filter=id%20eq%20%27{e}%27"),
        ] {
            let r = s.get(&path, &t).await;
            assert!(r.status == 200 || r.status == 400, "{path}: {}", r.text);
            if r.status == 200 {
                assert_eq!(r.body["value"], json!([]), "{path}");
            } else {
                r.error_code();
            }
        }
    }
    assert_eq!(s.get(&format!("{V1}/catalogs"), &t).await.body["value"].as_array().unwrap().len(), 2);
    s.stop().await;
}
