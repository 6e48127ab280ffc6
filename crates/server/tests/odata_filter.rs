//! `$filter` over HTTP on users, catalogs, access packages and policies: every operator and
//! function, navigation paths and lambdas, literal kinds, and the 400s that name what cannot
//! be filtered. Runs on SQLite, and on PostgreSQL with GRANTD_TEST_DATABASE_URL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod odata_support;

use common::{TestServer, BETA, V1};
use grantd::demo;
use odata_support::{column, names, package, policy, url};

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn user_filters_cover_every_operator_and_function() {
    let s = TestServer::start().await;
    let t = s.admin();
    let cases: &[(&str, &[&str])] = &[
        ("displayName eq 'Adele Vance'", &["Adele Vance"]),
        ("department eq 'Finance' and jobTitle ne 'Accountant'", &["Nestor Wilke", "Pradeep Gupta"]),
        ("department eq 'IT' or surname eq 'Gupta'", &["Lee Gu", "Megan Bowen", "Pradeep Gupta"]),
        ("not (department ne 'Engineering')", &["Johanna Lorenz", "Lidia Holloway", "Lynne Robbins"]),
        ("givenName in ('Alex', 'Lee', 'Nobody')", &["Alex Wilber", "Lee Gu"]),
        ("startswith(displayName, 'Ly')", &["Lynne Robbins"]),
        ("endswith(surname, 'ez')", &["Patti Fernandez"]),
        ("contains(jobTitle, 'MANAGER') and department eq 'Sales'", &["Diego Siciliani"]),
        ("tolower(givenName) eq 'megan'", &["Megan Bowen"]),
        ("toupper(surname) eq 'GU'", &["Lee Gu"]),
        ("toupper(surname) eq 'Gu'", &[]),
        ("displayName gt 'Patti' and displayName lt 'Z'", &["Patti Fernandez", "Pradeep Gupta"]),
        ("displayName ge 'Pradeep Gupta'", &["Pradeep Gupta"]),
        ("surname le 'Bowen'", &["Megan Bowen"]),
        ("manager/displayName eq 'Adele Vance'", &["Diego Siciliani", "Isaiah Langer"]),
        ("manager/manager/givenName eq 'Johanna'", &[]),
        ("manager eq null", &[]),
    ];
    for (filter, want) in cases {
        let r = s.get(&url("/v1.0/users", &[("$filter", filter), ("$top", "50")]), &t).await;
        if filter.starts_with("manager eq") {
            assert_eq!(r.status, 400, "{filter}: {}", r.text);
            assert!(r.text.contains("navigation property"), "{}", r.text);
            continue;
        }
        assert_eq!(sorted(names(&r)), sorted(want.iter().map(|x| x.to_string()).collect()), "{filter}");
    }
    // `manager/id eq null` finds the top of the tree; `ne null` everyone else.
    let r = s.get(&url("/v1.0/users", &[("$filter", "manager/id eq null")]), &t).await;
    assert_eq!(names(&r), ["Alex Wilber"]);
    let r = s.get(&url("/v1.0/users", &[("$filter", "manager/id ne null"), ("$count", "true")]), &t).await;
    assert_eq!(r.body["@odata.count"], 11, "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn catalog_filters_with_enums_lambdas_and_nulls() {
    let s = TestServer::start().await;
    let t = s.admin();
    let base = format!("{V1}/catalogs");
    let cases: &[(&str, &[&str])] = &[
        ("state eq 'published'", &["General", "Sales Resources"]),
        ("state eq microsoft.graph.accessPackageCatalogState'published'", &["General", "Sales Resources"]),
        ("state has microsoft.graph.accessPackageCatalogState'unpublished'", &[]),
        ("catalogType eq 'serviceDefault'", &["General"]),
        ("catalogType in ('userManaged', 'serviceManaged')", &["Sales Resources"]),
        ("isExternallyVisible", &["General"]),
        ("not isExternallyVisible", &["Sales Resources"]),
        ("isExternallyVisible eq false", &["Sales Resources"]),
        ("description eq null", &[]),
        ("description ne null", &["General", "Sales Resources"]),
        ("accessPackages/any(p: p/displayName eq 'Sales Tools')", &["Sales Resources"]),
        ("accessPackages/any(p: startswith(p/displayName, 'Finance'))", &["General"]),
        ("accessPackages/all(p: p/isHidden eq false)", &["General", "Sales Resources"]),
        ("accessPackages/all(p: contains(p/displayName, 'Reports'))", &[]),
        ("accessPackages/any()", &["General", "Sales Resources"]),
        ("accessPackages/any(p: p/assignmentPolicies/any(q: q/displayName eq 'Employees, no approval'))", &["General"]),
        ("resources/any(r: r/originSystem eq 'AadGroup')", &["General", "Sales Resources"]),
        ("createdDateTime gt 2000-01-01T00:00:00Z and createdDateTime lt 2200-01-01", &["General", "Sales Resources"]),
    ];
    for (filter, want) in cases {
        let r = s.get(&url(&base, &[("$filter", filter)]), &t).await;
        assert_eq!(sorted(names(&r)), sorted(want.iter().map(|x| x.to_string()).collect()), "{filter}: {}", r.text);
    }
    // An empty catalog: all() is true, any() false.
    odata_support::catalog(&s, &t, "Empty", None).await;
    let r = s.get(&url(&base, &[("$filter", "accessPackages/all(p: p/isHidden)")]), &t).await;
    assert_eq!(names(&r), ["Empty"]);
    let r = s.get(&url(&base, &[("$filter", "description eq null")]), &t).await;
    assert_eq!(names(&r), ["Empty"]);
    // `not` keeps rows whose compared value is null (OData logic is two-valued).
    let r = s.get(&url(&base, &[("$filter", "not (description eq 'Built-in catalog.')")]), &t).await;
    assert_eq!(sorted(names(&r)), ["Empty", "Sales Resources"]);
    // beta names and PascalCase enum values.
    let r = s
        .get(
            &url(
                &format!("{BETA}/accessPackageCatalogs"),
                &[("$filter", "catalogStatus eq 'Published' and catalogType eq 'ServiceDefault'")],
            ),
            &t,
        )
        .await;
    assert_eq!(names(&r), ["General"]);
    let r = s
        .get(&url(&format!("{BETA}/accessPackageCatalogs"), &[("$filter", "createdBy eq 'megan@contoso.example'")]), &t)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn package_filters_follow_the_catalog_navigation() {
    let s = TestServer::start().await;
    let t = s.admin();
    let base = format!("{V1}/accessPackages");
    let cases: &[(&str, &[&str])] = &[
        ("catalog/displayName eq 'General'", &["Engineering Onboarding", "Finance Reports"]),
        ("catalog/state eq 'published' and catalog/isExternallyVisible eq false", &["Sales Tools"]),
        (&format!("catalog/id eq {}", demo::catalog_id(2)), &["Sales Tools"]),
        (
            "assignmentPolicies/any(p: p/expiration/duration eq duration'P90D')",
            &["Engineering Onboarding", "Finance Reports", "Sales Tools"],
        ),
        (
            "assignmentPolicies/any(p: p/requestApprovalSettings/isApprovalRequiredForAdd)",
            &["Finance Reports", "Sales Tools"],
        ),
        ("assignmentPolicies/all(p: p/allowedTargetScope ne 'allMemberUsers')", &["Finance Reports"]),
        (
            "resourceRoleScopes/any(r: r/role/displayName eq 'Member')",
            &["Engineering Onboarding", "Finance Reports", "Sales Tools"],
        ),
        ("contains(description, 'ENGINEER')", &["Engineering Onboarding"]),
        ("isHidden eq false and not startswith(displayName, 'S')", &["Engineering Onboarding", "Finance Reports"]),
    ];
    for (filter, want) in cases {
        let r = s.get(&url(&base, &[("$filter", filter)]), &t).await;
        assert_eq!(sorted(names(&r)), sorted(want.iter().map(|x| x.to_string()).collect()), "{filter}: {}", r.text);
    }
    let r = s
        .get(
            &url(
                &format!("{BETA}/accessPackages"),
                &[("$filter", "accessPackageCatalog/displayName eq 'Sales Resources' and isRoleScopesVisible")],
            ),
            &t,
        )
        .await;
    assert_eq!(names(&r), ["Sales Tools"]);
    s.stop().await;
}

#[tokio::test]
async fn policy_filters_reach_nested_settings_durations_and_two_hop_paths() {
    let s = TestServer::start().await;
    let t = s.admin();
    let cat = odata_support::catalog(&s, &t, "Policy filters", None).await;
    let pkg = package(&s, &t, &cat, "Durations", None, false).await;
    policy(&s, &t, &pkg, "Two weeks", Some("P14D")).await;
    policy(&s, &t, &pkg, "One day and an hour", Some("P1DT1H")).await;
    policy(&s, &t, &pkg, "Forever", None).await;
    let base = format!("{V1}/assignmentPolicies");
    let mine = format!("accessPackage/id eq {pkg}");
    let cases: &[(&str, &[&str])] = &[
        ("expiration/duration gt duration'P1D'", &["One day and an hour", "Two weeks"]),
        ("expiration/duration le duration'PT25H'", &["One day and an hour"]),
        ("expiration/duration eq null", &["Forever"]),
        ("expiration/type eq 'noExpiration'", &["Forever"]),
        (
            "expiration/type eq microsoft.graph.expirationPatternType'afterDuration'",
            &["One day and an hour", "Two weeks"],
        ),
        (
            "requestorSettings/enableTargetsToSelfAddAccess and not requestorSettings/enableTargetsToSelfRemoveAccess",
            &["Forever", "One day and an hour", "Two weeks"],
        ),
        ("accessPackage/catalog/displayName eq 'Policy filters'", &["Forever", "One day and an hour", "Two weeks"]),
        (&format!("accessPackage/catalog/id eq {cat}"), &["Forever", "One day and an hour", "Two weeks"]),
        ("accessPackage/displayName eq 'Durations' and startswith(displayName, 'T')", &["Two weeks"]),
    ];
    for (filter, want) in cases {
        let f = format!("{mine} and ({filter})");
        let r = s.get(&url(&base, &[("$filter", &f)]), &t).await;
        assert_eq!(sorted(names(&r)), sorted(want.iter().map(|x| x.to_string()).collect()), "{filter}: {}", r.text);
    }
    // beta: durationInDays rounds up, canExtend maps onto self update.
    let r = s
        .get(
            &url(
                &format!("{BETA}/accessPackageAssignmentPolicies"),
                &[("$filter", &format!("accessPackageId eq '{pkg}' and durationInDays eq 2"))],
            ),
            &t,
        )
        .await;
    assert_eq!(names(&r), ["One day and an hour"]);
    let r = s
        .get(
            &url(
                &format!("{BETA}/accessPackageAssignmentPolicies"),
                &[("$filter", "requestorSettings/scopeType eq 'AllExistingDirectoryMemberUsers' and canExtend")],
            ),
            &t,
        )
        .await;
    assert_eq!(sorted(names(&r)), ["Employees, manager approval", "Employees, no approval"]);
    s.stop().await;
}

#[tokio::test]
async fn unfilterable_and_unknown_properties_are_named_in_400s() {
    let s = TestServer::start().await;
    let t = s.admin();
    let cases: &[(&str, &str, &str)] = &[
        (
            "/v1.0/identityGovernance/entitlementManagement/assignmentPolicies",
            "questions/any(q: q/id eq 'x')",
            "Filtering on 'questions' is not supported.",
        ),
        (
            "/v1.0/identityGovernance/entitlementManagement/assignmentPolicies",
            "specificAllowedTargets/any(x: x/id eq 'x')",
            "Filtering on 'specificAllowedTargets' is not supported.",
        ),
        (
            "/v1.0/identityGovernance/entitlementManagement/accessPackages",
            "incompatibleGroups/any(g: g/id eq 'x')",
            "Filtering on 'incompatibleGroups' is not supported.",
        ),
        ("/v1.0/users", "sponsors/any(x: x/id eq 'x')", "Filtering on 'sponsors' is not supported."),
        ("/v1.0/users", "nosuch eq 1", "Could not find a property named 'nosuch' on type 'microsoft.graph.user'."),
        ("/v1.0/identityGovernance/entitlementManagement/accessPackages", "catalog/nosuch eq 1", "'nosuch'"),
        (
            "/v1.0/identityGovernance/entitlementManagement/catalogs",
            "accessPackages/displayName eq 'x'",
            "any() or all()",
        ),
        ("/v1.0/identityGovernance/entitlementManagement/catalogs", "displayName has 'x'", "enumeration"),
        (
            "/v1.0/identityGovernance/entitlementManagement/catalogs",
            "year(createdDateTime) eq 2024",
            "'year' is not supported",
        ),
        ("/v1.0/identityGovernance/entitlementManagement/catalogs", "state eq 'sideways'", "'sideways'"),
        (
            "/v1.0/identityGovernance/entitlementManagement/assignmentPolicies",
            "expiration/duration eq duration'P1X'",
            "duration",
        ),
    ];
    for (path, filter, message) in cases {
        let r = s.get(&url(path, &[("$filter", filter)]), &t).await;
        assert_eq!(r.status, 400, "{filter}: {}", r.text);
        assert_eq!(r.error_code(), "InvalidFilter", "{filter}");
        let m = r.body["error"]["message"].as_str().unwrap();
        assert!(m.contains(message), "{filter}: {m}");
    }
    let r = s.get(&url(&format!("{V1}/catalogs"), &[("$orderby", "accessPackages")]), &t).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = s.get(&url(&format!("{V1}/assignmentPolicies"), &[("$orderby", "questions")]), &t).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("Sorting by 'questions' is not supported."), "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn search_matches_packages_and_catalogs_and_is_refused_elsewhere() {
    let s = TestServer::start().await;
    let t = s.admin();
    let r = s.get(&url(&format!("{V1}/accessPackages"), &[("$search", "\"engineer\"")]), &t).await;
    assert_eq!(names(&r), ["Engineering Onboarding"]);
    let r = s.get(&url(&format!("{V1}/accessPackages"), &[("$search", "\"monthly finance\"")]), &t).await;
    assert_eq!(names(&r), ["Finance Reports"]);
    let r = s.get(&url(&format!("{V1}/accessPackages"), &[("$search", "sales team")]), &t).await;
    assert_eq!(names(&r), ["Sales Tools"]);
    let r = s
        .get(
            &url(
                &format!("{V1}/accessPackages"),
                &[("$search", "\"displayName:Reports\""), ("$filter", "isHidden eq false")],
            ),
            &t,
        )
        .await;
    assert_eq!(names(&r), ["Finance Reports"]);
    let r = s.get(&url(&format!("{BETA}/accessPackageCatalogs"), &[("$search", "\"partners\"")]), &t).await;
    assert_eq!(names(&r), ["Sales Resources"]);
    for path in ["/v1.0/users".to_string(), format!("{V1}/assignmentPolicies"), "/v1.0/groups".to_string()] {
        let r = s.get(&url(&path, &[("$search", "\"x\"")]), &t).await;
        assert_eq!(r.status, 400, "{path}: {}", r.text);
        assert!(r.text.contains("$search is not supported"), "{}", r.text);
    }
    let r = s.get(&url(&format!("{V1}/accessPackages"), &[("$search", "a OR b")]), &t).await;
    assert_eq!(r.status, 400, "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn group_members_any_and_all() {
    let s = TestServer::start().await;
    let t = s.admin();
    let member = demo::user_id(4);
    let r = s.get(&url("/v1.0/groups", &[("$filter", &format!("members/any(m: m/id eq '{member}')"))]), &t).await;
    assert_eq!(names(&r), ["Sales Team"]);
    let r = s
        .get(&url("/v1.0/groups", &[("$filter", &format!("members/all(m: m/id ne '{member}') and members/any()"))]), &t)
        .await;
    assert!(!column(&r, "displayName").contains(&"Sales Team".to_string()), "{}", r.text);
    s.stop().await;
}
