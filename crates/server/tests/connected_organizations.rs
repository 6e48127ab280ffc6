//! Connected organizations on both versions (create, list, get, update, delete; internal and
//! external sponsors by $ref; identity sources by domain) and policies scoped to them: an
//! administrator's add by e-mail creates the external user and places them by domain; an
//! external user outside every connected organization is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod golden;
mod request_support;

use common::{TestServer, BETA, V1};
use grantd::demo;
use request_support::*;
use serde_json::{json, Value};

/// The docs' create body (connectedorganization-post.md) with our domain.
fn org_body(name: &str, domain: &str, state: &str) -> Value {
    json!({
        "displayName": name,
        "description": format!("{name} description"),
        "identitySources": [{"@odata.type": "#microsoft.graph.domainIdentitySource", "domainName": domain, "displayName": domain}],
        "state": state
    })
}

#[tokio::test]
async fn connected_organizations_are_created_read_changed_and_deleted_on_both_versions() {
    let s = TestServer::start().await;
    let admin = s.admin();
    for (base, domain) in [(V1, "fabrikam.com"), (BETA, "woodgrove.com")] {
        let r =
            s.post(&format!("{base}/connectedOrganizations"), &admin, &org_body("Partner", domain, "proposed")).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert!(r.body["@odata.context"].as_str().unwrap().ends_with("connectedOrganizations/$entity"));
        assert_eq!(r.body["state"], "proposed");
        assert_eq!(r.body["identitySources"][0]["@odata.type"], "#microsoft.graph.domainIdentitySource");
        assert_eq!(r.body["identitySources"][0]["domainName"], domain);
        assert_eq!(r.body.get("createdBy").is_some(), base == BETA, "createdBy is beta only");
        let id = r.body["id"].as_str().unwrap().to_string();
        let one = format!("{base}/connectedOrganizations/{id}");
        let got = s.get(&one, &admin).await;
        assert_eq!(got.status, 200, "{}", got.text);
        assert_eq!(got.body["displayName"], "Partner");
        let patched = s.patch(&one, &admin, &json!({"displayName": "Partner Ltd", "state": "configured"})).await;
        assert_eq!(patched.status, 204, "{}", patched.text);
        let list = s.get(&format!("{base}/connectedOrganizations?$filter=state%20eq%20'configured'"), &admin).await;
        assert_eq!(list.status, 200, "{}", list.text);
        assert!(list.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == id && o["displayName"] == "Partner Ltd"));

        // Sponsors: Megan inside, a guest outside.
        let megan = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/users/{}", demo::user_id(2))});
        let add = s.post(&format!("{one}/internalSponsors/$ref"), &admin, &megan).await;
        assert_eq!(add.status, 204, "{}", add.text);
        assert_eq!(s.post(&format!("{one}/internalSponsors/$ref"), &admin, &megan).await.status, 400);
        let group = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/groups/{}", demo::group_id(1))});
        assert_eq!(s.post(&format!("{one}/externalSponsors/$ref"), &admin, &group).await.status, 204);
        let internal = s.get(&format!("{one}/internalSponsors"), &admin).await;
        assert_eq!(internal.body["value"][0]["id"], demo::user_id(2).to_string(), "{}", internal.text);
        assert_eq!(internal.body["value"][0]["@odata.type"], "#microsoft.graph.user");
        let external = s.get(&format!("{one}/externalSponsors"), &admin).await;
        assert_eq!(external.body["value"][0]["@odata.type"], "#microsoft.graph.group", "{}", external.text);
        let del = s.delete(&format!("{one}/internalSponsors/{}/$ref", demo::user_id(2)), &admin).await;
        assert_eq!(del.status, 204, "{}", del.text);
        assert!(s.get(&format!("{one}/internalSponsors"), &admin).await.body["value"].as_array().unwrap().is_empty());

        // Refusals.
        let mut bad = org_body("Bad", domain, "configured");
        bad["identitySources"][0]["@odata.type"] = json!("#microsoft.graph.user");
        assert_eq!(s.post(&format!("{base}/connectedOrganizations"), &admin, &bad).await.status, 400);
        let nameless = json!({"identitySources": []});
        assert_eq!(s.post(&format!("{base}/connectedOrganizations"), &admin, &nameless).await.status, 400);
        let bad_state = s.patch(&one, &admin, &json!({"state": "sleeping"})).await;
        assert_eq!(bad_state.status, 400, "{}", bad_state.text);
        let user = s.end_user(7);
        assert_eq!(
            s.post(&format!("{base}/connectedOrganizations"), &user, &org_body("X", domain, "configured")).await.status,
            403
        );
        assert_eq!(s.get(&one, &user).await.status, 403);

        assert_eq!(s.delete(&one, &admin).await.status, 204);
        assert_eq!(s.get(&one, &admin).await.status, 404);
    }
    s.stop().await;
}

async fn user_by_mail(s: &TestServer, mail: &str) -> Value {
    let r = s.get(&format!("/v1.0/users?$filter=mail%20eq%20'{mail}'"), &s.admin()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["value"][0].clone()
}

#[tokio::test]
async fn policies_scoped_to_connected_organizations_admit_only_their_external_users() {
    let s = TestServer::start().await;
    let admin = s.admin();
    let org = s
        .post(&format!("{V1}/connectedOrganizations"), &admin, &org_body("Fabrikam", "fabrikam.com", "configured"))
        .await;
    assert_eq!(org.status, 201, "{}", org.text);
    let org_id = org.body["id"].as_str().unwrap().to_string();
    let proposed = s
        .post(&format!("{V1}/connectedOrganizations"), &admin, &org_body("Tailspin", "tailspin.com", "proposed"))
        .await;
    assert_eq!(proposed.status, 201);
    let package = demo::access_package_id(2);
    // Fabrikam's users, with approval by Megan (the docs' two-stage external policy, one stage).
    let mut specific = policy_body(package, "Fabrikam users", true);
    specific["allowedTargetScope"] = json!("specificConnectedOrganizationUsers");
    specific["specificAllowedTargets"] =
        json!([{"@odata.type": "#microsoft.graph.connectedOrganizationMembers", "connectedOrganizationId": org_id}]);
    specific["requestApprovalSettings"] = json!({"isApprovalRequiredForAdd": true, "isApprovalRequiredForUpdate": false,
        "stages": [{"durationBeforeAutomaticDenial": "P7D", "primaryApprovers": [
            {"@odata.type": "#microsoft.graph.singleUser", "userId": demo::user_id(2).to_string()}]}]});
    let specific = make_policy(&s, &specific).await;
    let mut configured = policy_body(package, "Any configured partner", true);
    configured["allowedTargetScope"] = json!("allConfiguredConnectedOrganizationUsers");
    let configured = make_policy(&s, &configured).await;

    // AdminAdd by e-mail: the external user is created and placed in Fabrikam by domain.
    let add = json!({"requestType": "adminAdd", "assignment": {"accessPackageId": package.to_string(),
        "assignmentPolicyId": specific.to_string(), "target": {"email": "ada@fabrikam.com"}}});
    let r = create(&s, true, &admin, &add).await;
    assert_eq!(wait_terminal(&s, true, r["id"].as_str().unwrap()).await["state"], "delivered");
    let ada = user_by_mail(&s, "ada@fabrikam.com").await;
    assert_eq!(ada["userType"], "Guest");
    // The same through the beta set and the policy for any configured organization.
    let add = json!({"requestType": "AdminAdd", "accessPackageAssignment": {"accessPackageId": package.to_string(),
        "assignmentPolicyId": configured.to_string(), "target": {"email": "bo@fabrikam.com"}}});
    let r = s.post(&requests(false), &admin, &add).await;
    assert_eq!(r.status, 201, "{}", r.text);

    // Someone outside every connected organization, or only in a proposed one, is refused.
    for (email, policy) in
        [("eve@example.org", specific), ("eve@example.org", configured), ("tom@tailspin.com", configured)]
    {
        for v1 in [true, false] {
            let body = json!({"requestType": "adminAdd", "assignment": {"accessPackageId": package.to_string(),
                "assignmentPolicyId": policy.to_string(), "target": {"email": email}}});
            let r = s.post(&requests(v1), &admin, &body).await;
            assert_eq!(r.status, 400, "{email}: {}", r.text);
            assert_eq!(r.error_code(), "NoValidPolicy", "{}", r.text);
        }
    }
    assert!(user_by_mail(&s, "eve@example.org").await.is_null(), "a refused request creates nobody");

    // The external user sees the partner policies only, in priority order, and may ask.
    let ada_id: grantd_domain::ObjectId = ada["id"].as_str().unwrap().parse().unwrap();
    let token = s.user_token(ada_id, &[grantd_domain::roles::SCOPE_SUBJECT_ACCESS], &[]);
    let req =
        s.post(&format!("{V1}/accessPackages/{package}/getApplicablePolicyRequirements"), &token, &json!({})).await;
    assert_eq!(req.status, 200, "{}", req.text);
    let ids: Vec<&str> =
        req.body["value"].as_array().unwrap().iter().map(|v| v["policyId"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![specific.to_string(), configured.to_string()]);
    let mine = s.get(&format!("{BETA}/accessPackages/filterByCurrentUser(on='allowedRequestor')"), &token).await;
    assert_eq!(mine.body["value"][0]["id"], package.to_string(), "{}", mine.text);
    s.stop().await;
}

/// The docs' create example (entitlementmanagement-post-connectedorganizations.md), byte for
/// byte, is accepted on both versions and answered with every property of the docs' response.
#[tokio::test]
async fn the_docs_connected_organization_example_is_accepted_and_matched() {
    let s = TestServer::start().await;
    let request = golden::parse(include_str!("golden/v1-post-connectedorganizations.request.json"));
    let docs = golden::parse(include_str!("golden/v1-post-connectedorganizations.response.json"));
    for base in [V1, BETA] {
        let r = s.post(&format!("{base}/connectedOrganizations"), &s.admin(), &request).await;
        assert_eq!(r.status, 201, "{}", r.text);
        golden::assert_same_shape(&docs, &r.body);
        for k in ["displayName", "description", "state"] {
            assert_eq!(r.body[k], docs[k], "{k}");
        }
        assert_eq!(r.body["identitySources"][0]["domainName"], "example.com");
    }
    s.stop().await;
}
