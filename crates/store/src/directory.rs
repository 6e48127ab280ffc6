//! Users, groups, group membership and tenants.
use crate::db::Store;
use crate::error::StoreError;
use crate::filter_sql::value;
use crate::record::{self, ListQuery, Page, Record};
use grantd_domain::directory::{Group, User};
use grantd_domain::filter::{Filter, Value};
use grantd_domain::{ObjectId, TenantId};
use sea_query::{Alias, Expr, Order, Query};
use uuid::Uuid;

impl Record for User {
    const TABLE: &'static str = "users";
    fn record_id(&self) -> Uuid {
        self.id.0
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("display_name", Value::Text(self.display_name.clone())),
            ("user_principal_name", Value::Text(self.user_principal_name.clone())),
            ("upn_lower", Value::Text(self.user_principal_name.to_lowercase())),
            ("mail", self.mail.clone().map(Value::Text).unwrap_or(Value::Null)),
            ("given_name", self.given_name.clone().map(Value::Text).unwrap_or(Value::Null)),
            ("surname", self.surname.clone().map(Value::Text).unwrap_or(Value::Null)),
            ("job_title", self.job_title.clone().map(Value::Text).unwrap_or(Value::Null)),
            ("department", self.department.clone().map(Value::Text).unwrap_or(Value::Null)),
            ("manager_id", self.manager_id.map(|m| Value::Uuid(m.0)).unwrap_or(Value::Null)),
            ("user_type", Value::Text(self.user_type.clone())),
            ("account_enabled", Value::Bool(self.account_enabled)),
            ("created_date_time", Value::DateTime(self.created_date_time)),
        ]
    }
}

impl Record for Group {
    const TABLE: &'static str = "groups";
    fn record_id(&self) -> Uuid {
        self.id.0
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("display_name", Value::Text(self.display_name.clone())),
            ("mail_nickname", Value::Text(self.mail_nickname.clone())),
            ("description", self.description.clone().map(Value::Text).unwrap_or(Value::Null)),
            ("mail", self.mail.clone().map(Value::Text).unwrap_or(Value::Null)),
            ("security_enabled", Value::Bool(self.security_enabled)),
            ("mail_enabled", Value::Bool(self.mail_enabled)),
            ("created_date_time", Value::DateTime(self.created_date_time)),
        ]
    }
}

/// A member of a group: a user or a nested group.
#[derive(Debug, Clone, PartialEq)]
pub enum Member {
    User(User),
    Group(Group),
}

/// The result of adding or removing a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipChange {
    Changed,
    Unchanged,
}

fn c(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

impl Store {
    pub async fn ensure_tenant(&self, tenant: TenantId, display_name: &str) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let stmt = Query::insert()
            .into_table(Alias::new("tenants"))
            .columns([Alias::new("id"), Alias::new("display_name")])
            .values_panic([tenant.as_uuid().into(), display_name.into()])
            .on_conflict(sea_query::OnConflict::column(Alias::new("id")).do_nothing().to_owned())
            .to_owned();
        tx.execute(&stmt).await?;
        tx.commit().await
    }

    /// All tenants' ids (for `grantd token`, which looks a user up by UPN).
    pub async fn tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        let mut tx = self.read().await?;
        let stmt = Query::select()
            .expr(Expr::col(Alias::new("id")))
            .from(Alias::new("tenants"))
            .order_by(Alias::new("id"), Order::Asc)
            .to_owned();
        let ids = tx.fetch_uuids(&stmt).await?;
        Ok(ids.into_iter().map(TenantId).collect())
    }

    pub async fn create_user(&self, tenant: TenantId, u: &User) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::insert(&mut tx, tenant, u).await?;
        tx.commit().await
    }

    pub async fn update_user(&self, tenant: TenantId, u: &User) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::update(&mut tx, tenant, u).await?;
        tx.commit().await
    }

    pub async fn get_user(&self, tenant: TenantId, id: ObjectId) -> Result<Option<User>, StoreError> {
        record::get(&mut self.read_one().await?, tenant, id.0).await
    }

    pub async fn find_user_by_upn(&self, tenant: TenantId, upn: &str) -> Result<Option<User>, StoreError> {
        let f = Filter::eq("upn_lower", Value::Text(upn.to_lowercase()));
        Ok(record::all_where::<User>(&mut self.read_one().await?, tenant, &f).await?.into_iter().next())
    }

    pub async fn list_users(&self, tenant: TenantId, q: &ListQuery) -> Result<Page<User>, StoreError> {
        record::list(&mut self.read_for(q).await?, tenant, q).await
    }

    /// Users by id, in no particular order; missing ids are skipped.
    pub async fn users_by_ids(&self, tenant: TenantId, ids: &[ObjectId]) -> Result<Vec<User>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let f = Filter::In {
            col: grantd_domain::filter::Col { column: "id", lower: false },
            values: ids.iter().map(|i| Value::Uuid(i.0)).collect(),
        };
        record::all_where(&mut self.read_one().await?, tenant, &f).await
    }

    /// Deletes a user and its group memberships, and clears it as anyone's manager.
    pub async fn delete_user(&self, tenant: TenantId, id: ObjectId) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let deleted = record::delete::<User>(&mut tx, tenant, id.0).await?;
        let stmt = Query::delete()
            .from_table(Alias::new("group_members"))
            .and_where(c("tenant_id").eq(tenant.as_uuid()))
            .and_where(c("member_id").eq(id.0))
            .to_owned();
        tx.execute(&stmt).await?;
        let done = tx.commit().await;
        self.access_cache().member_changed(tenant, id);
        done?;
        Ok(deleted)
    }

    pub async fn create_group(&self, tenant: TenantId, g: &Group) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::insert(&mut tx, tenant, g).await?;
        tx.commit().await
    }

    pub async fn get_group(&self, tenant: TenantId, id: ObjectId) -> Result<Option<Group>, StoreError> {
        record::get(&mut self.read_one().await?, tenant, id.0).await
    }

    pub async fn update_group_doc(&self, tenant: TenantId, g: &Group) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record::update(&mut tx, tenant, g).await?;
        tx.commit().await
    }

    pub async fn list_groups(&self, tenant: TenantId, q: &ListQuery) -> Result<Page<Group>, StoreError> {
        record::list(&mut self.read_for(q).await?, tenant, q).await
    }

    pub async fn delete_group(&self, tenant: TenantId, id: ObjectId) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let deleted = record::delete::<Group>(&mut tx, tenant, id.0).await?;
        for col in ["group_id", "member_id"] {
            let stmt = Query::delete()
                .from_table(Alias::new("group_members"))
                .and_where(c("tenant_id").eq(tenant.as_uuid()))
                .and_where(c(col).eq(id.0))
                .to_owned();
            tx.execute(&stmt).await?;
        }
        let done = tx.commit().await;
        self.access_cache().tenant_changed(tenant);
        done?;
        Ok(deleted)
    }

    pub async fn add_member(
        &self,
        tenant: TenantId,
        group: ObjectId,
        member: ObjectId,
    ) -> Result<MembershipChange, StoreError> {
        let mut tx = self.write().await?;
        let stmt = Query::insert()
            .into_table(Alias::new("group_members"))
            .columns([Alias::new("tenant_id"), Alias::new("group_id"), Alias::new("member_id")])
            .values_panic([tenant.as_uuid().into(), group.0.into(), member.0.into()])
            .on_conflict(
                sea_query::OnConflict::columns([
                    Alias::new("tenant_id"),
                    Alias::new("group_id"),
                    Alias::new("member_id"),
                ])
                .do_nothing()
                .to_owned(),
            )
            .to_owned();
        let n = tx.execute(&stmt).await?;
        let done = tx.commit().await;
        // Roles come through direct memberships only, so only the member's own entry changes.
        self.access_cache().member_changed(tenant, member);
        done?;
        Ok(if n > 0 { MembershipChange::Changed } else { MembershipChange::Unchanged })
    }

    pub async fn remove_member(
        &self,
        tenant: TenantId,
        group: ObjectId,
        member: ObjectId,
    ) -> Result<MembershipChange, StoreError> {
        let mut tx = self.write().await?;
        let stmt = Query::delete()
            .from_table(Alias::new("group_members"))
            .and_where(c("tenant_id").eq(tenant.as_uuid()))
            .and_where(c("group_id").eq(group.0))
            .and_where(c("member_id").eq(member.0))
            .to_owned();
        let n = tx.execute(&stmt).await?;
        let done = tx.commit().await;
        // Roles come through direct memberships only, so only the member's own entry changes.
        self.access_cache().member_changed(tenant, member);
        done?;
        Ok(if n > 0 { MembershipChange::Changed } else { MembershipChange::Unchanged })
    }

    /// One page of a group's members ordered by member id, after `after`.
    pub async fn list_members(
        &self,
        tenant: TenantId,
        group: ObjectId,
        after: Option<ObjectId>,
        limit: usize,
    ) -> Result<(Vec<Member>, Option<ObjectId>), StoreError> {
        let mut tx = self.read().await?;
        let mut stmt = Query::select();
        stmt.column(Alias::new("member_id"))
            .from(Alias::new("group_members"))
            .and_where(c("tenant_id").eq(tenant.as_uuid()))
            .and_where(c("group_id").eq(group.0))
            .order_by(Alias::new("member_id"), Order::Asc)
            .limit(limit as u64 + 1);
        if let Some(a) = after {
            stmt.and_where(c("member_id").gt(value(&Value::Uuid(a.0))));
        }
        let mut ids = tx.fetch_uuids(&stmt).await?;
        let next = if ids.len() > limit {
            ids.truncate(limit);
            ids.last().copied().map(ObjectId)
        } else {
            None
        };
        let in_ids = Filter::In {
            col: grantd_domain::filter::Col { column: "id", lower: false },
            values: ids.iter().map(|u| Value::Uuid(*u)).collect(),
        };
        let users: Vec<User> = record::all_where(&mut tx, tenant, &in_ids).await?;
        let groups: Vec<Group> = record::all_where(&mut tx, tenant, &in_ids).await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(u) = users.iter().find(|u| u.id.0 == id) {
                out.push(Member::User(u.clone()));
            } else if let Some(g) = groups.iter().find(|g| g.id.0 == id) {
                out.push(Member::Group(g.clone()));
            }
        }
        Ok((out, next))
    }

    /// Ids of the groups `member` belongs to directly.
    pub async fn groups_of(&self, tenant: TenantId, member: ObjectId) -> Result<Vec<ObjectId>, StoreError> {
        let stmt = Query::select()
            .column(Alias::new("group_id"))
            .from(Alias::new("group_members"))
            .and_where(c("tenant_id").eq(tenant.as_uuid()))
            .and_where(c("member_id").eq(member.0))
            .to_owned();
        Ok(self.read_one().await?.fetch_uuids(&stmt).await?.into_iter().map(ObjectId).collect())
    }

    pub async fn is_member(&self, tenant: TenantId, group: ObjectId, member: ObjectId) -> Result<bool, StoreError> {
        let stmt = Query::select()
            .expr(Expr::col(sea_query::Asterisk).count())
            .from(Alias::new("group_members"))
            .and_where(c("tenant_id").eq(tenant.as_uuid()))
            .and_where(c("group_id").eq(group.0))
            .and_where(c("member_id").eq(member.0))
            .to_owned();
        Ok(self.read_one().await?.fetch_i64(&stmt).await? > 0)
    }
}

pub use Member as DirectoryMember;
