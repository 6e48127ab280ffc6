//! Approver resolution: turns a stage's subject sets into users from grantd's directory when the
//! stage starts (or escalates). Kinds: `singleUser`, `groupMembers` (direct members that are
//! users), `requestorManager` / `targetManager` with `managerLevel` (1 = the manager, 2 = the
//! manager's manager; a chain shorter than the level resolves to nobody), `internalSponsors`
//! (the target's sponsors who are members), `externalSponsors` (those who are guests) and
//! `targetUserSponsors` (all of them). Disabled or unknown users are never asked, nor are the
//! requestor and the target of the request (nobody approves their own access). Reads only.
use super::super::requests::ServiceResult;
use grantd_domain::directory::User;
use grantd_domain::policy::{ApprovalStage, Subject, SubjectSet};
use grantd_domain::request::approval::StageApprovers;
use grantd_domain::request::AssignmentRequest;
use grantd_domain::{ObjectId, TenantId};
use grantd_store::Store;

/// The longest manager chain followed (a loop in the directory must not hang a stage).
const MAX_MANAGER_LEVEL: i32 = 10;

/// The users nobody may ask to approve this request: its requestor and its target.
fn excluded(r: &AssignmentRequest) -> Vec<ObjectId> {
    let mut out = vec![r.target_id];
    out.extend(r.requestor_id);
    out
}

async fn manager_chain(
    store: &Store,
    tenant: TenantId,
    from: ObjectId,
    level: Option<i32>,
) -> ServiceResult<Vec<ObjectId>> {
    let level = level.unwrap_or(1).clamp(1, MAX_MANAGER_LEVEL);
    let mut who = from;
    for _ in 0..level {
        match store.get_user(tenant, who).await?.and_then(|u| u.manager_id) {
            Some(m) => who = m,
            None => return Ok(Vec::new()),
        }
    }
    Ok(vec![who])
}

async fn sponsors(
    store: &Store,
    tenant: TenantId,
    target: ObjectId,
    keep: fn(&User) -> bool,
) -> ServiceResult<Vec<ObjectId>> {
    let Some(t) = store.get_user(tenant, target).await? else { return Ok(Vec::new()) };
    let found = store.users_by_ids(tenant, &t.sponsor_ids).await?;
    Ok(found.iter().filter(|u| keep(u)).map(|u| u.id).collect())
}

fn is_guest(u: &User) -> bool {
    u.user_type.eq_ignore_ascii_case("Guest")
}

/// The users one subject set names, before the exclusions.
async fn candidates(
    store: &Store,
    tenant: TenantId,
    s: &SubjectSet,
    r: &AssignmentRequest,
) -> ServiceResult<Vec<ObjectId>> {
    let requestor = r.requestor_id.unwrap_or(r.target_id);
    Ok(match &s.subject {
        Subject::SingleUser { user_id, .. } => grantd_domain::parse_guid(user_id).map(ObjectId).into_iter().collect(),
        Subject::GroupMembers { group_id, .. } => match grantd_domain::parse_guid(group_id) {
            Some(g) => store.member_ids(tenant, ObjectId(g)).await?,
            None => Vec::new(),
        },
        Subject::RequestorManager { manager_level } => manager_chain(store, tenant, requestor, *manager_level).await?,
        Subject::TargetManager { manager_level } => manager_chain(store, tenant, r.target_id, *manager_level).await?,
        Subject::InternalSponsors => sponsors(store, tenant, r.target_id, |u| !is_guest(u)).await?,
        Subject::ExternalSponsors => sponsors(store, tenant, r.target_id, is_guest).await?,
        Subject::TargetUserSponsors => sponsors(store, tenant, r.target_id, |_| true).await?,
        _ => Vec::new(),
    })
}

/// One subject set resolved to enabled users other than the requestor and the target.
async fn resolve_one(
    store: &Store,
    tenant: TenantId,
    s: &SubjectSet,
    r: &AssignmentRequest,
) -> ServiceResult<Vec<ObjectId>> {
    let ids = candidates(store, tenant, s, r).await?;
    let no = excluded(r);
    let users = store.users_by_ids(tenant, &ids).await?;
    let mut out: Vec<ObjectId> =
        users.iter().filter(|u| u.account_enabled && !no.contains(&u.id)).map(|u| u.id).collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Per subject set, who it resolves to (empty sets left out).
async fn resolve_sets(
    store: &Store,
    tenant: TenantId,
    sets: &[SubjectSet],
    r: &AssignmentRequest,
) -> ServiceResult<Vec<Vec<ObjectId>>> {
    let mut out = Vec::new();
    for s in sets {
        let one = resolve_one(store, tenant, s, r).await?;
        if !one.is_empty() {
            out.push(one);
        }
    }
    Ok(out)
}

fn union(groups: &[Vec<ObjectId>]) -> Vec<ObjectId> {
    let mut all: Vec<ObjectId> = groups.iter().flatten().copied().collect();
    all.sort();
    all.dedup();
    all
}

/// Who a starting stage asks: its primary approvers, else its fallback approvers; None when
/// both resolve to nobody.
pub async fn stage_approvers(
    store: &Store,
    tenant: TenantId,
    r: &AssignmentRequest,
    stage: &ApprovalStage,
) -> ServiceResult<Option<StageApprovers>> {
    let groups = resolve_sets(store, tenant, &stage.primary_approvers, r).await?;
    if !groups.is_empty() {
        return Ok(Some(StageApprovers { approvers: union(&groups), groups, fallback: false }));
    }
    let fallback = union(&resolve_sets(store, tenant, &stage.fallback_primary_approvers, r).await?);
    if fallback.is_empty() {
        return Ok(None);
    }
    Ok(Some(StageApprovers { approvers: fallback, groups: Vec::new(), fallback: true }))
}

/// Who an escalating stage adds: its escalation approvers, else its fallback escalation
/// approvers (possibly nobody).
pub async fn escalation_approvers(
    store: &Store,
    tenant: TenantId,
    r: &AssignmentRequest,
    stage: &ApprovalStage,
) -> ServiceResult<Vec<ObjectId>> {
    let first = union(&resolve_sets(store, tenant, &stage.escalation_approvers, r).await?);
    if !first.is_empty() {
        return Ok(first);
    }
    Ok(union(&resolve_sets(store, tenant, &stage.fallback_escalation_approvers, r).await?))
}
