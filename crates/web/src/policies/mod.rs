//! Access package assignment policies: v1.0 `/identityGovernance/entitlementManagement/
//! assignmentPolicies` and beta `.../accessPackageAssignmentPolicies` (each version serves only
//! its own collection name, as Graph does), with list ($filter/$select/$expand/$top/$count),
//! create, get, replace (PUT), merge (PATCH) and delete. One canonical domain policy; `v1` and
//! `beta` map each version's wire shape onto it, so a policy written on one version reads back
//! on the other. Must not touch packages, catalogs or assignments beyond reading them.
//!
//! Updates: Graph documents PUT for policies (the whole object replaces the old one; members the
//! body omits fall back to their defaults, members only the other version can express are
//! kept). PATCH is accepted as a convenience: the body is merged into the current
//! representation of the same version (objects merge member by member, arrays and scalars
//! replace) and the result is applied as a PUT. Both answer 200 with the updated policy.
mod beta;
pub(crate) mod common;
mod handlers;
pub(crate) use handlers::render_all as render_policies;
mod nav;
pub(crate) mod questions;
pub(crate) mod reader;
mod subjects;
mod v1;

/// Reads a v1.0 `accessPackageApprovalStage` (also what a custom extension supplies for a
/// dynamic approval stage through `resume`).
pub(crate) use v1::read_stage as read_v1_stage;

use crate::error::GraphResult;
use crate::json::ApiVersion;
use crate::AppState;
use axum::routing::get;
use axum::Router;
use grantd_domain::policy::{CustomExtensionBinding, CustomExtensionStage, Policy};
use grantd_domain::{parse_guid, AccessPackageId};
use reader::{bad, Obj};
use serde_json::{json, Value};
use std::collections::HashMap;
use uuid::Uuid;

pub(crate) const BASE: &str = "/identityGovernance/entitlementManagement";
pub(crate) const V1_SET: &str = "assignmentPolicies";
pub(crate) const BETA_SET: &str = "accessPackageAssignmentPolicies";
pub(crate) const ENTITY: &str = "microsoft.graph.accessPackageAssignmentPolicy";

pub fn router() -> Router<AppState> {
    use handlers::*;
    Router::new()
        .route(&format!("{BASE}/{V1_SET}"), get(list_v1).post(create_v1))
        .route(&format!("{BASE}/{V1_SET}/{{id}}"), get(get_v1).put(replace_v1).patch(patch_v1).delete(delete_v1))
        .route(&format!("{BASE}/{BETA_SET}"), get(list_beta).post(create_beta))
        .route(
            &format!("{BASE}/{BETA_SET}/{{id}}"),
            get(get_beta).put(replace_beta).patch(patch_beta).delete(delete_beta),
        )
}

/// The `@odata.context` entity set of a version.
pub(crate) fn entity_set(v: ApiVersion) -> String {
    let set = match v {
        ApiVersion::V1 => V1_SET,
        ApiVersion::Beta => BETA_SET,
    };
    format!("identityGovernance/entitlementManagement/{set}")
}

/// A policy in the version's shape (no navigations).
pub fn render(p: &Policy, v: ApiVersion) -> Value {
    match v {
        ApiVersion::V1 => v1::render(p),
        ApiVersion::Beta => beta::render(p),
    }
}

/// Applies a create/replace body in the version's shape onto `p`.
/// `creating` tells beta, which cannot express every v1.0 switch, whether to derive those
/// from what it was sent (create) or keep them (replace).
pub(crate) fn apply(body: &Value, v: ApiVersion, p: &mut Policy, creating: bool) -> GraphResult<()> {
    let o = Obj::root(body)?;
    match v {
        ApiVersion::V1 => v1::apply(&o, p),
        ApiVersion::Beta => beta::apply(&o, p, creating),
    }
}

/// `customExtensionStageSettings` / `customExtensionHandlers`: `[{id?, stage, customExtension: {id}}]`.
/// The extension is not looked up yet (custom extensions are not served by grantd so far).
pub(crate) fn read_extensions(o: &Obj<'_>, name: &str) -> GraphResult<Vec<CustomExtensionBinding>> {
    let mut out = Vec::new();
    for at in o.array(name)? {
        let e = at.obj()?;
        let stage = e
            .enumeration("stage", CustomExtensionStage::parse)?
            .ok_or_else(|| bad(&e.at("stage"), "a value is required"))?;
        let ext =
            e.nav_id("customExtension")?.ok_or_else(|| bad(&e.at("customExtension.id"), "a value is required"))?;
        let custom_extension_id = parse_guid(&ext)
            .map(|u| u.to_string())
            .ok_or_else(|| bad(&e.at("customExtension.id"), format!("'{ext}' is not a valid GUID")))?;
        let id = e.string("id")?.filter(|s| !s.trim().is_empty()).unwrap_or_else(|| Uuid::now_v7().to_string());
        out.push(CustomExtensionBinding { id, stage, custom_extension_id });
    }
    Ok(out)
}

pub(crate) fn render_extensions(list: &[CustomExtensionBinding]) -> Value {
    Value::Array(
        list.iter()
            .map(|b| json!({"id": b.id, "stage": b.stage.as_str(), "customExtension": {"id": b.custom_extension_id}}))
            .collect(),
    )
}

/// grantd extension on a stage: `grantdQuorum`, approvals needed from distinct approvers.
pub(crate) const QUORUM: &str = "grantdQuorum";
/// grantd extension on a stage: `grantdRequireAllGroups`, one approval per primary entry.
pub(crate) const REQUIRE_ALL_GROUPS: &str = "grantdRequireAllGroups";

/// Reads `grantdQuorum` (a positive integer, or null for Graph's first-approval-wins).
pub(crate) fn read_quorum(o: &Obj<'_>) -> GraphResult<Option<u32>> {
    match o.i32(QUORUM)? {
        None => Ok(None),
        Some(n) if n >= 1 => Ok(u32::try_from(n).ok()),
        Some(_) => Err(bad(&o.at(QUORUM), "the value must be at least 1")),
    }
}

/// Adds the grantd stage extensions to a rendered stage, only where they are set (so stages
/// that do not use them look exactly like Graph's).
pub(crate) fn render_stage_extensions(s: &grantd_domain::policy::ApprovalStage, out: &mut Value) {
    if let Some(q) = s.quorum {
        out[QUORUM] = json!(q);
    }
    if s.require_all_groups {
        out[REQUIRE_ALL_GROUPS] = json!(true);
    }
}

/// The policies of each package in the version's shape, for `$expand=assignmentPolicies` (v1.0)
/// / `accessPackageAssignmentPolicies` (beta). Every requested id has an entry.
pub async fn policies_for_packages(
    state: &AppState,
    tenant: grantd_domain::TenantId,
    version: ApiVersion,
    ids: &[AccessPackageId],
) -> GraphResult<HashMap<AccessPackageId, Vec<Value>>> {
    let mut out: HashMap<AccessPackageId, Vec<Value>> = ids.iter().map(|id| (*id, Vec::new())).collect();
    for p in state.store.policies_of_packages(tenant, ids).await? {
        out.entry(p.access_package_id).or_default().push(render(&p, version));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
