//! Tenants never see each other, and within a tenant a caller does only what its token and roles
//! allow: directory writes need an administrator, EM role assignments an EM administrator (or
//! the catalog's owner). Catalog-level isolation is covered with the catalogs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use common::TestServer;
use grantd::demo::{self, DEMO_TENANT};
use grantd_domain::directory::{Group, User};
use grantd_domain::roles::{
    DirectoryRole, EmRole, RoleAssignment, SCOPE_READ_ALL, SCOPE_READ_WRITE_ALL, SCOPE_SUBJECT_ACCESS,
};
use grantd_domain::{CatalogId, ObjectId, RoleAssignmentId, TenantId};
use serde_json::{json, Value};

const RA: &str = "/roleManagement/entitlementManagement/roleAssignments";

/// A second tenant with an administrator, a user and a group of its own.
struct Fabrikam {
    tenant: TenantId,
    admin: ObjectId,
    user: ObjectId,
    group: ObjectId,
}

fn user(id: ObjectId, name: &str, upn: &str) -> User {
    User {
        id,
        display_name: name.into(),
        user_principal_name: upn.into(),
        mail: None,
        given_name: None,
        surname: None,
        job_title: None,
        department: None,
        account_enabled: true,
        user_type: "Member".into(),
        manager_id: None,
        sponsor_ids: Vec::new(),
        created_date_time: chrono::Utc::now(),
    }
}

async fn fabrikam(s: &TestServer) -> Fabrikam {
    let f = Fabrikam { tenant: TenantId::new(), admin: ObjectId::new(), user: ObjectId::new(), group: ObjectId::new() };
    s.store.ensure_tenant(f.tenant, "Fabrikam").await.unwrap();
    s.store.create_user(f.tenant, &user(f.admin, "Fabrikam Admin", "admin@fabrikam.example")).await.unwrap();
    // Same UPN as a Contoso user: UPNs are unique per tenant only.
    s.store.create_user(f.tenant, &user(f.user, "Lidia Elsewhere", "lidia@contoso.example")).await.unwrap();
    let g = Group {
        id: f.group,
        display_name: "Fabrikam Staff".into(),
        description: None,
        mail_nickname: "staff".into(),
        mail: None,
        mail_enabled: false,
        security_enabled: true,
        group_types: Vec::new(),
        created_date_time: chrono::Utc::now(),
    };
    s.store.create_group(f.tenant, &g).await.unwrap();
    s.store.add_member(f.tenant, f.group, f.user).await.unwrap();
    f
}

fn role_assignment(principal: ObjectId, role: EmRole, catalog: Option<CatalogId>) -> RoleAssignment {
    RoleAssignment {
        id: RoleAssignmentId::new(),
        principal_id: principal,
        role_definition_id: role.definition_id(),
        app_scope_id: match catalog {
            Some(c) => format!("/AccessPackageCatalog/{c}"),
            None => "/".into(),
        },
        catalog_id: catalog,
        created_date_time: chrono::Utc::now(),
    }
}

/// Fabrikam's global administrator with every write permission.
fn fabrikam_admin(s: &TestServer, f: &Fabrikam) -> String {
    s.user_token_in(
        f.tenant,
        f.admin,
        &[SCOPE_READ_WRITE_ALL, "User.ReadWrite.All", "Group.ReadWrite.All"],
        &[DirectoryRole::GlobalAdministrator, DirectoryRole::UserAdministrator],
    )
}

fn ids(body: &Value) -> Vec<String> {
    body["value"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn another_tenant_sees_nothing_of_contoso() {
    let s = TestServer::start().await;
    let f = fabrikam(&s).await;
    let catalog = CatalogId::new();
    let contoso_ra = role_assignment(demo::user_id(5), EmRole::CatalogOwner, Some(catalog));
    s.store.create_role_assignment(DEMO_TENANT, &contoso_ra).await.unwrap();
    let b = fabrikam_admin(&s, &f);
    let b_app = s.app_token_in(f.tenant, &[SCOPE_READ_WRITE_ALL, "User.ReadWrite.All", "Group.ReadWrite.All"]);
    for t in [&b, &b_app] {
        for v in ["v1.0", "beta"] {
            let r = s.get(&format!("/{v}/users?$count=true"), t).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let mut got = ids(&r.body);
            got.sort();
            let mut want = vec![f.admin.to_string(), f.user.to_string()];
            want.sort();
            assert_eq!(got, want);
            assert_eq!(r.body["@odata.count"], 2);
            assert_eq!(ids(&s.get(&format!("/{v}/groups"), t).await.body), vec![f.group.to_string()]);
            assert_eq!(ids(&s.get(&format!("/{v}{RA}"), t).await.body), Vec::<String>::new());
            // Filters cannot reach across either.
            let r = s.get(&format!("/{v}/users?$filter=id eq '{}'", demo::user_id(8)), t).await;
            assert_eq!(ids(&r.body), Vec::<String>::new());
            let r = s.get(&format!("/{v}/groups?$filter=members/any(m:m/id eq '{}')", demo::user_id(5)), t).await;
            assert_eq!(ids(&r.body), Vec::<String>::new(), "{}", r.text);
            // The same UPN resolves to Fabrikam's own user.
            let r = s.get(&format!("/{v}/users/lidia@contoso.example"), t).await;
            assert_eq!(r.body["id"], f.user.to_string());
            for path in [
                format!("/{v}/users/{}", demo::user_id(8)),
                format!("/{v}/users/{}/manager", demo::user_id(8)),
                format!("/{v}/users/{}/sponsors", demo::user_id(8)),
                format!("/{v}/users/megan@contoso.example"),
                format!("/{v}/groups/{}", demo::group_id(1)),
                format!("/{v}/groups/{}/members", demo::group_id(1)),
                format!("/{v}{RA}/{}", contoso_ra.id),
            ] {
                let r = s.get(&path, t).await;
                assert_eq!(r.status, 404, "{path}: {}", r.text);
                r.error_code();
            }
        }
    }
    // And Contoso sees nothing of Fabrikam.
    let a = s.admin();
    assert_eq!(s.get(&format!("/v1.0/users/{}", f.admin), &a).await.status, 404);
    assert_eq!(s.get(&format!("/v1.0/groups/{}", f.group), &a).await.status, 404);
    assert_eq!(s.get("/v1.0/users/admin@fabrikam.example", &a).await.status, 404);
    assert_eq!(s.get("/v1.0/users?$count=true", &a).await.body["@odata.count"], 12);
    s.stop().await;
}

#[tokio::test]
async fn another_tenant_cannot_write_into_contoso_objects() {
    let s = TestServer::start().await;
    let f = fabrikam(&s).await;
    let contoso_ra = role_assignment(demo::user_id(5), EmRole::CatalogReader, Some(CatalogId::new()));
    s.store.create_role_assignment(DEMO_TENANT, &contoso_ra).await.unwrap();
    let b = fabrikam_admin(&s, &f);
    let lidia = demo::user_id(8);
    let sales = demo::group_id(1);
    let r = s.patch(&format!("/v1.0/users/{lidia}"), &b, &json!({"jobTitle": "Hacked"})).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(s.delete(&format!("/v1.0/users/{lidia}"), &b).await.status, 404);
    assert_eq!(s.patch(&format!("/v1.0/groups/{sales}"), &b, &json!({"displayName": "Hacked"})).await.status, 404);
    assert_eq!(s.delete(&format!("/v1.0/groups/{sales}"), &b).await.status, 404);
    let me_ref = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{}", f.user)});
    assert_eq!(s.post(&format!("/v1.0/groups/{sales}/members/$ref"), &b, &me_ref).await.status, 404);
    let r = s.delete(&format!("/v1.0/groups/{sales}/members/{}/$ref", demo::user_id(4)), &b).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = s.put(&format!("/v1.0/users/{lidia}/manager/$ref"), &b, &me_ref).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(s.delete(&format!("/v1.0/users/{lidia}/manager/$ref"), &b).await.status, 404);
    assert_eq!(s.delete(&format!("/v1.0{RA}/{}", contoso_ra.id), &b).await.status, 404);
    // Contoso objects cannot be pulled into Fabrikam's own objects by reference either.
    let lidia_ref = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{lidia}")});
    let r = s.post(&format!("/v1.0/groups/{}/members/$ref", f.group), &b, &lidia_ref).await;
    assert!(r.status == 404 || r.status == 400, "{}", r.text);
    r.error_code();
    let r = s.put(&format!("/v1.0/users/{}/manager/$ref", f.user), &b, &lidia_ref).await;
    assert!(r.status == 404 || r.status == 400, "{}", r.text);
    let r = s.post(&format!("/v1.0/users/{}/sponsors/$ref", f.user), &b, &lidia_ref).await;
    assert!(r.status == 404 || r.status == 400, "{}", r.text);
    let r = s
        .post(
            &format!("/v1.0{RA}"),
            &b,
            &json!({"principalId": lidia.to_string(), "roleDefinitionId": EmRole::CatalogCreator.definition_id().to_string(), "appScopeId": "/"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    // An object created in Fabrikam with a Contoso object's id is Fabrikam's own.
    let r = s
        .post(
            "/v1.0/users",
            &b,
            &json!({"id": lidia.to_string(), "displayName": "Twin", "userPrincipalName": "twin@fabrikam.example"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(s.get(&format!("/v1.0/users/{lidia}"), &b).await.body["displayName"], "Twin");
    assert_eq!(s.delete(&format!("/v1.0/users/{lidia}"), &b).await.status, 204);
    // Contoso is untouched.
    let a = s.admin();
    let r = s.get(&format!("/v1.0/users/{lidia}?$expand=manager"), &a).await;
    assert_eq!(r.body["displayName"], "Lidia Holloway");
    assert_eq!(r.body["jobTitle"], "Software Engineer");
    assert_eq!(r.body["manager"]["id"], demo::user_id(7).to_string());
    assert_eq!(s.get(&format!("/v1.0/groups/{sales}"), &a).await.body["displayName"], "Sales Team");
    assert_eq!(ids(&s.get(&format!("/v1.0/groups/{sales}/members"), &a).await.body).len(), 3);
    assert_eq!(s.get(&format!("/v1.0{RA}/{}", contoso_ra.id), &a).await.status, 200);
    s.stop().await;
}

#[tokio::test]
async fn a_contoso_user_id_under_another_tenant_carries_none_of_its_roles() {
    let s = TestServer::start().await;
    let f = fabrikam(&s).await;
    // Megan is a catalog creator in Contoso...
    let megan = demo::user_id(2);
    s.store.create_role_assignment(DEMO_TENANT, &role_assignment(megan, EmRole::CatalogCreator, None)).await.unwrap();
    // ...but a token naming her object id under Fabrikam's tenant is nobody there.
    let t = s.user_token_in(f.tenant, megan, &[SCOPE_READ_WRITE_ALL], &[]);
    let r = s.get("/v1.0/me", &t).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = s
        .post(
            &format!("/v1.0{RA}"),
            &t,
            &json!({"principalId": f.user.to_string(), "roleDefinitionId": EmRole::CatalogCreator.definition_id().to_string(), "appScopeId": "/"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.error_code(), "UnAuthorized");
    s.stop().await;
}

#[tokio::test]
async fn an_end_user_cannot_write_the_directory() {
    let s = TestServer::start().await;
    let u = s.end_user(8);
    let other = demo::user_id(9);
    let sales = demo::group_id(1);
    let r#ref = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{other}")});
    let attempts = [
        s.post("/v1.0/users", &u, &json!({"displayName": "X", "userPrincipalName": "x@contoso.example"})).await,
        s.patch(&format!("/v1.0/users/{other}"), &u, &json!({"jobTitle": "CEO"})).await,
        s.delete(&format!("/v1.0/users/{other}"), &u).await,
        s.put(&format!("/v1.0/users/{other}/manager/$ref"), &u, &r#ref).await,
        s.post(&format!("/v1.0/users/{other}/sponsors/$ref"), &u, &r#ref).await,
        s.post("/beta/groups", &u, &json!({"displayName": "G", "mailNickname": "g"})).await,
        s.patch(&format!("/beta/groups/{sales}"), &u, &json!({"displayName": "Mine"})).await,
        s.delete(&format!("/beta/groups/{sales}"), &u).await,
        s.post(&format!("/v1.0/groups/{sales}/members/$ref"), &u, &r#ref).await,
        s.delete(&format!("/v1.0/groups/{sales}/members/{}/$ref", demo::user_id(4)), &u).await,
    ];
    for (i, r) in attempts.iter().enumerate() {
        assert_eq!(r.status, 403, "attempt {i}: {}", r.text);
        assert_eq!(r.error_code(), "Authorization_RequestDenied", "attempt {i}");
    }
    // Not even on themselves.
    let r = s.patch(&format!("/v1.0/users/{}", demo::user_id(8)), &u, &json!({"jobTitle": "CEO"})).await;
    assert_eq!(r.status, 403, "{}", r.text);
    // Reading is fine, and nothing changed.
    let r = s.get(&format!("/v1.0/users/{other}"), &u).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["jobTitle"], "Software Engineer");
    assert_eq!(ids(&s.get(&format!("/v1.0/groups/{sales}/members"), &u).await.body).len(), 3);
    s.stop().await;
}

#[tokio::test]
async fn a_global_reader_lists_role_assignments_but_cannot_change_them() {
    let s = TestServer::start().await;
    let admin = s.admin();
    let body = json!({
        "principalId": demo::user_id(4).to_string(),
        "roleDefinitionId": EmRole::CatalogCreator.definition_id().to_string(),
        "appScopeId": "/",
    });
    let r = s.post(&format!("/v1.0{RA}"), &admin, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    let reader = s.reader();
    for v in ["v1.0", "beta"] {
        let r = s.get(&format!("/{v}{RA}"), &reader).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(ids(&r.body), vec![id.clone()]);
        assert_eq!(s.get(&format!("/{v}{RA}/{id}"), &reader).await.status, 200);
    }
    let mut other = body.clone();
    other["principalId"] = json!(demo::user_id(5).to_string());
    let r = s.post(&format!("/v1.0{RA}"), &reader, &other).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.error_code(), "UnAuthorized");
    let r = s.delete(&format!("/v1.0{RA}/{id}"), &reader).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.error_code(), "UnAuthorized");
    // Global Reader with only Read.All consent: the role alone grants no write, and neither does
    // Read.All with an administrator role.
    let read_only_admin =
        s.user_token(demo::user_id(3), &[SCOPE_READ_ALL], &[DirectoryRole::IdentityGovernanceAdministrator]);
    assert_eq!(s.post(&format!("/v1.0{RA}"), &read_only_admin, &other).await.status, 403);
    assert_eq!(s.get(&format!("/v1.0{RA}"), &s.admin()).await.body["value"].as_array().unwrap().len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn catalog_scoped_role_assignments_need_an_admin_or_the_catalog_owner() {
    let s = TestServer::start().await;
    let catalog = CatalogId::new();
    let lidia = demo::user_id(8);
    // Lidia reads the catalog (catalog reader) and manages its assignments, nothing more.
    for role in [EmRole::CatalogReader, EmRole::AccessPackageManager] {
        s.store.create_role_assignment(DEMO_TENANT, &role_assignment(lidia, role, Some(catalog))).await.unwrap();
    }
    let body = |role: EmRole, cat: CatalogId| {
        json!({
            "principalId": demo::user_id(9).to_string(),
            "roleDefinitionId": role.definition_id().to_string(),
            "appScopeId": format!("/AccessPackageCatalog/{cat}"),
        })
    };
    let lidia_t = s.end_user(8);
    let plain = s.user_token(demo::user_id(10), &[SCOPE_READ_WRITE_ALL, SCOPE_SUBJECT_ACCESS], &[]);
    let reader = s.reader();
    for (who, t) in [("catalog reader/package manager", &lidia_t), ("plain user", &plain), ("global reader", &reader)] {
        for role in [EmRole::CatalogOwner, EmRole::CatalogReader, EmRole::AccessPackageAssignmentManager] {
            for cat in [catalog, CatalogId::new()] {
                let r = s.post(&format!("/v1.0{RA}"), t, &body(role, cat)).await;
                assert_eq!(r.status, 403, "{who} {role:?}: {}", r.text);
                assert_eq!(r.error_code(), "UnAuthorized");
            }
        }
        let tenant_wide = json!({
            "principalId": demo::user_id(9).to_string(),
            "roleDefinitionId": EmRole::CatalogCreator.definition_id().to_string(),
            "appScopeId": "/",
        });
        assert_eq!(s.post(&format!("/v1.0{RA}"), t, &tenant_wide).await.status, 403, "{who}");
    }
    // Lidia sees the assignments of her catalog and no others.
    let elsewhere = role_assignment(demo::user_id(11), EmRole::CatalogReader, Some(CatalogId::new()));
    s.store.create_role_assignment(DEMO_TENANT, &elsewhere).await.unwrap();
    let r = s.get(&format!("/v1.0{RA}"), &lidia_t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(ids(&r.body).len(), 2);
    assert_eq!(s.get(&format!("/v1.0{RA}/{}", elsewhere.id), &lidia_t).await.status, 404);
    let plain_list = s.get(&format!("/v1.0{RA}"), &plain).await;
    assert_eq!(ids(&plain_list.body), Vec::<String>::new());
    s.stop().await;
}
