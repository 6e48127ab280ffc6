//! `request.deliver`: the idempotent heart of delivery. For a request in Delivering it makes
//! sure every resource role scope of the package has an item (a removal skips what another
//! assignment of the target still grants), starts failed items of an earlier round over (a
//! reprocess retries only what failed), runs local items at once, queues a job for every
//! pending external item that has none (plus the watchdog), and finishes the request when no
//! item is pending. Running it again, at any point, changes nothing that is already right.
use super::{finish, subject_job, Delivery, ITEM_JOB, WATCHDOG_JOB};
use crate::connectors::{Access, ConnectorError, Subject};
use crate::requests::ServiceError;
use chrono::{DateTime, Utc};
use grantd_domain::assignment::Assignment;
use grantd_domain::delivery::{round_of, DeliveryItem, ItemAction, ItemState};
use grantd_domain::directory::User;
use grantd_domain::request::{AssignmentRequest, RequestState};
use grantd_domain::{AccessPackageId, AssignmentRequestId, TenantId};
use grantd_store::{NewJob, Store, StoreError};
use std::collections::BTreeSet;
use uuid::Uuid;

/// What identifies a grant across packages and catalogs: (origin system, resource, role).
type GrantKey = (String, String, String);

/// One deliverable role scope of a set of packages.
pub(super) struct Scope {
    pub resource_id: grantd_domain::ResourceId,
    pub role_id: grantd_domain::ResourceRoleId,
    pub name: String,
    pub origin_system: String,
    pub origin_id: String,
    pub role_origin_id: String,
    /// The resource or role is gone from the catalog.
    pub missing: bool,
}

impl Scope {
    fn key(&self) -> GrantKey {
        (self.origin_system.to_ascii_lowercase(), self.origin_id.clone(), self.role_origin_id.to_ascii_lowercase())
    }
}

/// The role scopes of `packages`, one per (resource, role).
pub(super) async fn scopes_of(
    store: &Store,
    tenant: TenantId,
    packages: &[AccessPackageId],
) -> Result<Vec<Scope>, StoreError> {
    let scopes = store.role_scopes_of_packages(tenant, packages).await?;
    let resources = store.resources_by_ids(tenant, &scopes.iter().map(|s| s.resource_id).collect::<Vec<_>>()).await?;
    let roles = store.roles_by_ids(tenant, &scopes.iter().map(|s| s.role_id).collect::<Vec<_>>()).await?;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for s in &scopes {
        if !seen.insert((s.resource_id.0, s.role_id.0)) {
            continue;
        }
        let resource = resources.iter().find(|r| r.id == s.resource_id);
        let role = roles.iter().find(|r| r.id == s.role_id);
        out.push(match (resource, role) {
            (Some(res), Some(role)) => Scope {
                resource_id: s.resource_id,
                role_id: s.role_id,
                name: res.display_name.clone(),
                origin_system: res.origin_system.clone(),
                origin_id: res.origin_id.clone(),
                role_origin_id: role.origin_id.clone(),
                missing: false,
            },
            _ => Scope {
                resource_id: s.resource_id,
                role_id: s.role_id,
                name: resource.map(|r| r.display_name.clone()).unwrap_or_else(|| format!("resource {}", s.resource_id)),
                origin_system: resource.map(|r| r.origin_system.clone()).unwrap_or_default(),
                origin_id: resource.map(|r| r.origin_id.clone()).unwrap_or_default(),
                role_origin_id: String::new(),
                missing: true,
            },
        });
    }
    Ok(out)
}

/// The grants other assignments of the target that still hold access keep (a removal leaves
/// them in place).
async fn kept_by_others(
    store: &Store,
    tenant: TenantId,
    r: &AssignmentRequest,
) -> Result<BTreeSet<GrantKey>, StoreError> {
    let others: Vec<Assignment> = store
        .assignments_of_target(tenant, r.target_id)
        .await?
        .into_iter()
        .filter(|a| Some(a.id) != r.assignment_id && a.state.holds_access())
        .collect();
    let packages: Vec<AccessPackageId> = others.iter().map(|a| a.access_package_id).collect();
    if packages.is_empty() {
        return Ok(BTreeSet::new());
    }
    Ok(scopes_of(store, tenant, &packages).await?.iter().filter(|s| !s.missing).map(Scope::key).collect())
}

/// The items of a request that has none yet.
async fn plan_items(
    store: &Store,
    tenant: TenantId,
    r: &AssignmentRequest,
    round: i64,
    now: DateTime<Utc>,
) -> Result<Vec<DeliveryItem>, StoreError> {
    let action = if r.request_type.is_remove() { ItemAction::Revoke } else { ItemAction::Grant };
    let keep = if action == ItemAction::Revoke { kept_by_others(store, tenant, r).await? } else { BTreeSet::new() };
    let mut items = Vec::new();
    for s in scopes_of(store, tenant, &[r.access_package_id]).await? {
        if action == ItemAction::Revoke && (s.missing || keep.contains(&s.key())) {
            continue;
        }
        let mut item = DeliveryItem {
            id: Uuid::now_v7(),
            request_id: r.id,
            target_id: r.target_id,
            resource_id: s.resource_id,
            role_id: s.role_id,
            resource_name: s.name.clone(),
            origin_system: s.origin_system.clone(),
            origin_id: s.origin_id.clone(),
            role_origin_id: s.role_origin_id.clone(),
            action,
            state: ItemState::Pending,
            round,
            attempts: 0,
            error: None,
            modified_date_time: now,
            version: 1,
        };
        if s.missing {
            item.finish(Err("the resource or its role is no longer in the catalog".into()), now);
        }
        items.push(item);
    }
    Ok(items)
}

pub(super) fn subject_of(u: &User) -> Subject {
    Subject {
        id: u.id,
        user_principal_name: u.user_principal_name.clone(),
        display_name: u.display_name.clone(),
        mail: u.mail.clone(),
        given_name: u.given_name.clone(),
        surname: u.surname.clone(),
    }
}

pub(super) fn access_of(tenant: TenantId, item: &DeliveryItem, subject: Subject) -> Access {
    Access {
        tenant,
        subject,
        resource_origin_id: item.origin_id.clone(),
        role_origin_id: item.role_origin_id.clone(),
        delivery_id: item.id,
        request_id: item.request_id,
    }
}

pub(super) fn no_connector(origin_system: &str) -> String {
    format!("no connector is configured for the origin system '{origin_system}'")
}

fn item_job(item: &DeliveryItem, now: DateTime<Utc>) -> NewJob {
    subject_job(
        ITEM_JOB,
        item.id,
        serde_json::json!({"requestId": item.request_id.to_string(), "itemId": item.id.to_string()}),
        now,
    )
}

/// Delivers (or keeps delivering) a request in Delivering; does nothing in any other state.
pub async fn deliver(env: &Delivery, tenant: TenantId, id: AssignmentRequestId) -> Result<(), ServiceError> {
    let store = &env.ctx.store;
    let Some(r) = store.get_request(tenant, id).await? else { return Ok(()) };
    if r.state != RequestState::Delivering {
        return Ok(());
    }
    let now = env.ctx.clock.now();
    let round = round_of(&r.history);
    let mut items = store.delivery_items_of(tenant, r.id).await?;
    let mut fresh = BTreeSet::new();
    let mut dirty = BTreeSet::new();
    if items.is_empty() {
        items = plan_items(store, tenant, &r, round, now).await?;
        fresh.extend(items.iter().map(|i| i.id));
    }
    for i in items.iter_mut().filter(|i| i.state == ItemState::Failed && i.round < round) {
        i.retry_in(round, now);
        dirty.insert(i.id);
    }
    let subject = store.get_user(tenant, r.target_id).await?.map(|u| subject_of(&u));
    let mut remote = Vec::new();
    for i in items.iter_mut().filter(|i| i.state == ItemState::Pending) {
        let connector = env.connectors.for_origin(&i.origin_system);
        let (Some(c), Some(s)) = (connector, subject.clone()) else {
            let why = if subject.is_none() {
                "the target user no longer exists".into()
            } else {
                no_connector(&i.origin_system)
            };
            i.finish(Err(why), now);
            dirty.insert(i.id);
            continue;
        };
        if !c.is_local() {
            remote.push(i.id);
            continue;
        }
        let a = access_of(tenant, i, s);
        let result = match i.action {
            ItemAction::Grant => c.grant(&a).await,
            ItemAction::Revoke => c.revoke(&a).await,
        };
        i.attempts += 1;
        match result {
            Ok(()) => i.finish(Ok(()), now),
            Err(ConnectorError::Permanent(m)) => i.finish(Err(m), now),
            Err(ConnectorError::Transient(m)) => return Err(ServiceError::Retry(m)),
        }
        dirty.insert(i.id);
    }
    let live = store.subjects_with_live_jobs(tenant, &remote).await?;
    let mut jobs: Vec<NewJob> = remote
        .iter()
        .filter(|id| !live.contains(id))
        .filter_map(|id| items.iter().find(|i| i.id == *id).map(|i| item_job(i, now)))
        .collect();
    if !remote.is_empty() && store.live_jobs_of_kind(tenant, r.id.0, WATCHDOG_JOB).await? == 0 {
        let at = now + env.settings.watchdog_after;
        jobs.push(subject_job(WATCHDOG_JOB, r.id.0, serde_json::json!({"requestId": r.id.to_string()}), at));
    }
    let mut changed = Vec::new();
    for i in &items {
        if fresh.contains(&i.id) {
            changed.push(i.clone());
        } else if dirty.contains(&i.id) {
            let mut c = i.clone();
            c.version += 1;
            changed.push(c);
        }
    }
    if !changed.is_empty() || !jobs.is_empty() {
        store.save_delivery_items(tenant, &changed, &jobs, now).await?;
        if !jobs.is_empty() {
            env.ctx.wake.notify_one();
        }
    }
    if remote.is_empty() {
        finish::finish(env, tenant, r, &items, now).await?;
    }
    Ok(())
}
