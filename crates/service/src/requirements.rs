//! What a user must do to request a package: the applicable policies in priority order with
//! their requirements (`getApplicablePolicyRequirements`), the packages a user may request
//! (`filterByCurrentUser(on='allowedRequestor')`), and the facts about a user that policy
//! scoping needs (groups, member or guest, connected organization).
use crate::requests::{Ctx, ServiceError, ServiceResult};
use grantd_domain::catalog::AccessPackage;
use grantd_domain::connected::organization_of;
use grantd_domain::directory::User;
use grantd_domain::policy::Policy;
use grantd_domain::request::applicable::applicable_policies;
use grantd_domain::request::validation::{OrgMembership, TargetFacts};
use grantd_domain::request::Answer;
use grantd_domain::roles::{Caller, CatalogAction};
use grantd_domain::{AccessPackageId, DomainError, ObjectId, TenantId};
use grantd_store::Store;

/// The facts policy scoping needs about `user`; `stored` is false for a guest being created
/// by this very request (no groups yet).
pub async fn target_facts(store: &Store, tenant: TenantId, user: &User, stored: bool) -> ServiceResult<TargetFacts> {
    let is_member = user.user_type.eq_ignore_ascii_case("Member");
    let connected_organization = if is_member {
        None
    } else {
        let orgs = store.all_connected_organizations(tenant).await?;
        organization_of(&orgs, user.mail.as_deref(), &user.user_principal_name)
            .map(|o| OrgMembership { id: o.id, configured: o.is_configured() })
    };
    Ok(TargetFacts {
        id: user.id,
        is_member,
        group_ids: if stored { store.groups_of(tenant, user.id).await? } else { Vec::new() },
        manager_id: user.manager_id,
        connected_organization,
    })
}

/// One applicable policy and the subject's previous answers to its package's questions.
pub struct Requirement {
    pub policy: Policy,
    pub existing_answers: Vec<Answer>,
}

fn not_found(what: &str) -> ServiceError {
    ServiceError::Domain(DomainError::not_found(what))
}

/// `getApplicablePolicyRequirements`: for the caller, or (beta, assignment managers only) for
/// `subject`. 404 when the package does not exist, or when the caller may neither read its
/// catalog nor request it.
pub async fn applicable_requirements(
    ctx: &Ctx,
    caller: &Caller,
    package: AccessPackageId,
    subject: Option<ObjectId>,
) -> ServiceResult<Vec<Requirement>> {
    let tenant = caller.tenant;
    let p = ctx.store.get_access_package(tenant, package).await?.ok_or_else(|| not_found("access package"))?;
    let readable = caller.may_on_catalog(p.catalog_id, CatalogAction::Read);
    let who = match (subject, caller.user_id()) {
        (Some(s), me) if Some(s) != me => {
            if !caller.may_on_catalog(p.catalog_id, CatalogAction::ManageAssignments) {
                return Err(if readable {
                    ServiceError::Domain(DomainError::forbidden())
                } else {
                    not_found("access package")
                });
            }
            s
        }
        (_, Some(me)) => me,
        (_, None) => {
            return Err(ServiceError::Domain(DomainError::invalid(
                "InvalidRequest",
                "getApplicablePolicyRequirements needs a signed-in user, or a 'subject' to evaluate for.",
            )))
        }
    };
    let user = ctx.store.get_user(tenant, who).await?.ok_or_else(|| not_found("subject user"))?;
    let facts = target_facts(&ctx.store, tenant, &user, true).await?;
    let policies = ctx.store.policies_of_packages(tenant, &[p.id]).await?;
    let applicable = applicable_policies(&policies, &facts);
    if applicable.is_empty() && !readable {
        return Err(not_found("access package"));
    }
    let previous = ctx.store.latest_answered_request(tenant, p.id, who).await?;
    Ok(applicable
        .into_iter()
        .map(|policy| Requirement {
            existing_answers: previous
                .as_ref()
                .map(|r| {
                    r.answers.iter().filter(|a| policy.question(&a.question.id).is_some()).cloned().collect::<Vec<_>>()
                })
                .unwrap_or_default(),
            policy: policy.clone(),
        })
        .collect())
}

/// The packages the signed-in caller may request for themselves (not hidden ones), by name.
pub async fn allowed_requestor_packages(ctx: &Ctx, caller: &Caller) -> ServiceResult<Vec<AccessPackage>> {
    let tenant = caller.tenant;
    let Some(me) = caller.user_id() else {
        return Err(ServiceError::Domain(DomainError::invalid(
            "InvalidRequest",
            "filterByCurrentUser needs a signed-in user.",
        )));
    };
    let user = ctx.store.get_user(tenant, me).await?.ok_or_else(|| not_found("user"))?;
    let facts = target_facts(&ctx.store, tenant, &user, true).await?;
    let policies = ctx.store.self_add_policies(tenant).await?;
    let mut ids: Vec<AccessPackageId> =
        applicable_policies(&policies, &facts).into_iter().map(|p| p.access_package_id).collect();
    ids.sort();
    ids.dedup();
    let mut pkgs = ctx.store.packages_by_ids(tenant, &ids).await?;
    pkgs.retain(|p| !p.is_hidden);
    pkgs.sort_by(|a, b| a.display_name.cmp(&b.display_name).then(a.id.0.cmp(&b.id.0)));
    Ok(pkgs)
}
