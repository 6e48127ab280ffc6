//! Renders a package's assignment policies for `$expand=assignmentPolicies` (v1.0) /
//! `accessPackageAssignmentPolicies` (beta). Placeholder until the policies module renders
//! them per version: the stored documents are returned as they are.
use crate::error::GraphResult;
use crate::json::ApiVersion;
use crate::AppState;
use grantd_domain::roles::Caller;
use grantd_domain::AccessPackageId;
use serde_json::Value;
use std::collections::HashMap;

/// The policies of each package (an empty list for a package without any).
pub async fn policies_for_packages(
    state: &AppState,
    caller: &Caller,
    _version: ApiVersion,
    ids: &[AccessPackageId],
) -> GraphResult<HashMap<AccessPackageId, Vec<Value>>> {
    let mut out: HashMap<AccessPackageId, Vec<Value>> = ids.iter().map(|id| (*id, Vec::new())).collect();
    for (pkg, doc) in state.store.policy_docs_of_packages(caller.tenant, ids).await? {
        match serde_json::from_str::<Value>(&doc) {
            Ok(v) => out.entry(pkg).or_default().push(v),
            Err(e) => tracing::warn!(error = %e, package = %pkg, "unreadable stored policy document"),
        }
    }
    Ok(out)
}
