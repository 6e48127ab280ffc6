//! Separation of duties at request time: gathers what the target holds (active assignments,
//! open requests, group memberships) and asks the pure check in grantd_domain::separation.
//! Runs for every add request, administrators' included.
use super::{Ctx, ServiceResult};
use grantd_domain::separation::{check_conflicts, ConflictFacts, HeldPackage, IncompatibleKind};
use grantd_domain::{AccessPackageId, ObjectId, TenantId};

pub(crate) async fn check(
    ctx: &Ctx,
    tenant: TenantId,
    package: AccessPackageId,
    target: ObjectId,
    groups: &[ObjectId],
) -> ServiceResult<()> {
    let store = &ctx.store;
    let incompatibilities = store.incompatibilities_of(tenant, package).await?;
    let incompatible_with = store.packages_incompatible_with(tenant, package).await?;
    if incompatibilities.is_empty() && incompatible_with.is_empty() {
        return Ok(());
    }
    let mut held: Vec<(AccessPackageId, bool)> = store
        .assignments_of_target(tenant, target)
        .await?
        .into_iter()
        .filter(|a| a.state.holds_access())
        .map(|a| (a.access_package_id, true))
        .collect();
    held.extend(store.open_requests_of_target(tenant, target).await?.into_iter().map(|r| (r.access_package_id, false)));
    held.retain(|(p, _)| *p != package);
    let mut ids: Vec<AccessPackageId> = held.iter().map(|(p, _)| *p).collect();
    ids.sort();
    ids.dedup();
    let names = store.packages_by_ids(tenant, &ids).await?;
    let held: Vec<HeldPackage> = held
        .into_iter()
        .map(|(id, assigned)| HeldPackage {
            id,
            display_name: names.iter().find(|p| p.id == id).map(|p| p.display_name.clone()).unwrap_or_default(),
            assigned,
        })
        .collect();
    let mut group_names = Vec::new();
    for i in incompatibilities.iter().filter(|i| i.kind == IncompatibleKind::Group) {
        let g = ObjectId(i.incompatible_id);
        if groups.contains(&g) {
            if let Some(group) = store.get_group(tenant, g).await? {
                group_names.push((g, group.display_name));
            }
        }
    }
    check_conflicts(&ConflictFacts {
        package,
        incompatibilities: &incompatibilities,
        incompatible_with: &incompatible_with,
        held: &held,
        groups,
        group_names: &group_names,
    })?;
    Ok(())
}
