//! What authorization needs to know about a caller on every request: the groups a user is a
//! direct member of and the entitlement-management roles held by the caller (directly, through
//! those groups, or by an app's service principal ids). Loaded in one read and kept in a small
//! per-process cache for a short time (`StoreOptions::access_cache_ttl`).
//!
//! Invalidation: every store method that changes group membership or role assignments drops
//! the entries it affects after its transaction commits (a membership change drops the
//! member's entry; a role assignment, a group deletion or an import drops the tenant's
//! entries), so a change made through this process takes effect at the next request. Changes
//! made by another process on the same database (several instances on PostgreSQL) take effect
//! within the TTL. A load that raced with an invalidation is not cached (a generation counter
//! checked under the same lock), so a stale read can never outlive the change that made it
//! stale.
use crate::db::Store;
use crate::error::StoreError;
use crate::record;
use grantd_domain::filter::{Col, Filter, Value};
use grantd_domain::roles::{EmRole, RoleAssignment};
use grantd_domain::{CatalogId, ObjectId, TenantId};
use sea_query::{Alias, Expr, Query};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A caller's groups and entitlement-management roles.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallerAccess {
    /// Groups the user is a direct member of (empty for apps).
    pub groups: Vec<ObjectId>,
    /// Roles held by the user, its groups, or the app's principal ids.
    pub em_roles: Vec<(EmRole, Option<CatalogId>)>,
}

/// Entries beyond this many are dropped wholesale (a bound, not an eviction policy: the
/// working set of callers active within a few seconds is far smaller).
const MAX_ENTRIES: usize = 10_000;

/// (tenant, the user or the app's principal ids).
type Key = (TenantId, Vec<ObjectId>);

#[derive(Default)]
struct State {
    entries: HashMap<Key, (Instant, Arc<CallerAccess>)>,
    /// Bumped by every invalidation.
    generation: u64,
}

pub(crate) struct AccessCache {
    ttl: Duration,
    state: Mutex<State>,
}

impl AccessCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl, state: Mutex::new(State::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked while holding it; the map is
        // still a valid cache (at worst missing entries).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, key: &Key) -> Result<Arc<CallerAccess>, u64> {
        let s = self.lock();
        match s.entries.get(key) {
            Some((at, a)) if at.elapsed() < self.ttl => Ok(a.clone()),
            _ => Err(s.generation),
        }
    }

    fn put(&self, key: Key, generation: u64, a: Arc<CallerAccess>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut s = self.lock();
        if s.generation != generation {
            return;
        }
        if s.entries.len() >= MAX_ENTRIES {
            s.entries.clear();
        }
        s.entries.insert(key, (Instant::now(), a));
    }

    /// Drops the entry of one user (its memberships changed).
    pub(crate) fn member_changed(&self, tenant: TenantId, member: ObjectId) {
        let mut s = self.lock();
        s.generation += 1;
        s.entries.remove(&(tenant, vec![member]));
    }

    /// Drops every entry of the tenant (roles or groups changed).
    pub(crate) fn tenant_changed(&self, tenant: TenantId) {
        let mut s = self.lock();
        s.generation += 1;
        s.entries.retain(|(t, _), _| *t != tenant);
    }
}

impl Store {
    /// The groups and roles of a user (`user`), or of an app known by `principals` (its app
    /// id and service principal object id), from the cache when fresh.
    pub async fn caller_access(
        &self,
        tenant: TenantId,
        user: Option<ObjectId>,
        principals: &[ObjectId],
    ) -> Result<Arc<CallerAccess>, StoreError> {
        let key: Key = (tenant, user.map(|u| vec![u]).unwrap_or_else(|| principals.to_vec()));
        let generation = match self.access_cache().get(&key) {
            Ok(a) => return Ok(a),
            Err(g) => g,
        };
        let a = Arc::new(self.load_access(tenant, user, principals).await?);
        self.access_cache().put(key, generation, a.clone());
        Ok(a)
    }

    /// Groups and roles read in one statement each, on one connection.
    async fn load_access(
        &self,
        tenant: TenantId,
        user: Option<ObjectId>,
        principals: &[ObjectId],
    ) -> Result<CallerAccess, StoreError> {
        let mut tx = self.read().await?;
        let mut who: Vec<ObjectId> = principals.to_vec();
        let mut groups = Vec::new();
        if let Some(u) = user {
            let stmt = Query::select()
                .column(Alias::new("group_id"))
                .from(Alias::new("group_members"))
                .and_where(Expr::col(Alias::new("tenant_id")).eq(tenant.as_uuid()))
                .and_where(Expr::col(Alias::new("member_id")).eq(u.0))
                .to_owned();
            groups = tx.fetch_uuids(&stmt).await?.into_iter().map(ObjectId).collect();
            who.push(u);
            who.extend(groups.iter().copied());
        }
        if who.is_empty() {
            return Ok(CallerAccess { groups, em_roles: Vec::new() });
        }
        let f = Filter::In {
            col: Col { column: "principal_id", lower: false },
            values: who.iter().map(|p| Value::Uuid(p.0)).collect(),
        };
        let rows: Vec<RoleAssignment> = record::all_where(&mut tx, tenant, &f).await?;
        let em_roles = rows.iter().filter_map(|r| r.role().map(|role| (role, r.catalog_id))).collect();
        Ok(CallerAccess { groups, em_roles })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(n: usize) -> Arc<CallerAccess> {
        Arc::new(CallerAccess { groups: vec![ObjectId(uuid::Uuid::from_u128(n as u128)); n], em_roles: Vec::new() })
    }

    #[test]
    fn a_load_that_raced_with_an_invalidation_is_not_cached() {
        let c = AccessCache::new(Duration::from_secs(60));
        let t = TenantId(uuid::Uuid::from_u128(1));
        let u = ObjectId(uuid::Uuid::from_u128(2));
        let key = (t, vec![u]);
        let g = c.get(&key).unwrap_err();
        c.member_changed(t, u);
        c.put(key.clone(), g, access(1));
        assert!(c.get(&key).is_err());
        let g = c.get(&key).unwrap_err();
        c.put(key.clone(), g, access(2));
        assert_eq!(c.get(&key).unwrap().groups.len(), 2);
        c.member_changed(t, u);
        assert!(c.get(&key).is_err());
    }

    #[test]
    fn tenant_changes_drop_only_that_tenant_and_ttl_zero_disables() {
        let c = AccessCache::new(Duration::from_secs(60));
        let (t1, t2) = (TenantId(uuid::Uuid::from_u128(1)), TenantId(uuid::Uuid::from_u128(2)));
        let u = ObjectId(uuid::Uuid::from_u128(3));
        for t in [t1, t2] {
            let g = c.get(&(t, vec![u])).unwrap_err();
            c.put((t, vec![u]), g, access(1));
        }
        c.tenant_changed(t1);
        assert!(c.get(&(t1, vec![u])).is_err());
        assert!(c.get(&(t2, vec![u])).is_ok());
        let off = AccessCache::new(Duration::ZERO);
        let g = off.get(&(t1, vec![u])).unwrap_err();
        off.put((t1, vec![u]), g, access(1));
        assert!(off.get(&(t1, vec![u])).is_err());
    }
}
