//! Generic persistence of entity documents. Each entity table has `tenant_id`, `id`, a few
//! typed columns used for filtering, ordering and uniqueness, and `doc`: the entity as JSON.
//! Lists page by keyset (the order columns of the last row, then id), so a page costs the
//! same at row one million as at row one.
use crate::db::Tx;
use crate::error::StoreError;
use crate::filter_sql::{compile, operand, value};
use grantd_domain::filter::{Filter, Order, Value};
use grantd_domain::TenantId;
use sea_query::{Alias, Cond, Expr, NullOrdering, Order as SqlOrder, Query, SimpleExpr};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

/// An entity stored as a document with indexed columns.
pub trait Record: Serialize + DeserializeOwned + Send + Sync + Sized {
    const TABLE: &'static str;
    fn record_id(&self) -> Uuid;
    /// The typed columns besides `tenant_id`, `id` and `doc`.
    fn columns(&self) -> Vec<(&'static str, Value)>;
}

/// What a list asks for. `scope` is an authorization restriction ANDed with `filter`.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    pub scope: Option<Filter>,
    pub order: Vec<Order>,
    pub limit: usize,
    /// Keyset cursor: the order-column values of the last row seen, then its id.
    pub after: Option<Vec<Value>>,
    pub count: bool,
    /// Offset for `$skip` (applied before the keyset cursor's first page only).
    pub skip: Option<u64>,
    /// Read no rows (the `/$count` segment, or `$top=0`): only the count, when `count` is set.
    pub count_only: bool,
}

#[derive(Debug, Clone)]
pub struct Page<R> {
    pub items: Vec<R>,
    /// Cursor for the next page, when there is one.
    pub next: Option<Vec<Value>>,
    pub count: Option<i64>,
}

fn c(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

pub(crate) async fn insert<R: Record>(tx: &mut Tx, tenant: TenantId, r: &R) -> Result<(), StoreError> {
    let cols = r.columns();
    let mut names = vec![Alias::new("tenant_id"), Alias::new("id")];
    let mut vals: Vec<SimpleExpr> = vec![tenant.as_uuid().into(), r.record_id().into()];
    for (n, v) in &cols {
        names.push(Alias::new(*n));
        vals.push(operand(v));
    }
    names.push(Alias::new("doc"));
    vals.push(serde_json::to_string(r)?.into());
    let stmt = Query::insert().into_table(Alias::new(R::TABLE)).columns(names).values_panic(vals).to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

pub(crate) async fn update<R: Record>(tx: &mut Tx, tenant: TenantId, r: &R) -> Result<(), StoreError> {
    let mut stmt = Query::update();
    stmt.table(Alias::new(R::TABLE));
    for (n, v) in r.columns() {
        stmt.value(Alias::new(n), operand(&v));
    }
    stmt.value(Alias::new("doc"), serde_json::to_string(r)?)
        .and_where(c("tenant_id").eq(tenant.as_uuid()))
        .and_where(c("id").eq(r.record_id()));
    match tx.execute(&stmt).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

pub(crate) async fn get<R: Record>(tx: &mut Tx, tenant: TenantId, id: Uuid) -> Result<Option<R>, StoreError> {
    let stmt = Query::select()
        .column(Alias::new("doc"))
        .from(Alias::new(R::TABLE))
        .and_where(c("tenant_id").eq(tenant.as_uuid()))
        .and_where(c("id").eq(id))
        .to_owned();
    match tx.fetch_text(&stmt).await?.into_iter().next() {
        Some(doc) => Ok(Some(serde_json::from_str(&doc)?)),
        None => Ok(None),
    }
}

pub(crate) async fn delete<R: Record>(tx: &mut Tx, tenant: TenantId, id: Uuid) -> Result<bool, StoreError> {
    let stmt = Query::delete()
        .from_table(Alias::new(R::TABLE))
        .and_where(c("tenant_id").eq(tenant.as_uuid()))
        .and_where(c("id").eq(id))
        .to_owned();
    Ok(tx.execute(&stmt).await? > 0)
}

/// Counts rows of `R` matching `filter` in the tenant.
#[allow(dead_code)]
pub(crate) async fn count_where<R: Record>(tx: &mut Tx, tenant: TenantId, filter: &Filter) -> Result<i64, StoreError> {
    let stmt = Query::select()
        .expr(Expr::col(sea_query::Asterisk).count())
        .from(Alias::new(R::TABLE))
        .and_where(c("tenant_id").eq(tenant.as_uuid()))
        .and_where(compile(filter, tenant))
        .to_owned();
    tx.fetch_i64(&stmt).await
}

/// Loads every row of `R` matching `filter` (for small, bounded sets such as a package's policies).
pub(crate) async fn all_where<R: Record>(tx: &mut Tx, tenant: TenantId, filter: &Filter) -> Result<Vec<R>, StoreError> {
    let stmt = Query::select()
        .column(Alias::new("doc"))
        .from(Alias::new(R::TABLE))
        .and_where(c("tenant_id").eq(tenant.as_uuid()))
        .and_where(compile(filter, tenant))
        .to_owned();
    // No ORDER BY: it made SQLite walk the primary key instead of the filter's index. Rows are
    // put in id order here instead, for deterministic results.
    let mut rows = tx
        .fetch_text(&stmt)
        .await?
        .iter()
        .map(|d| Ok(serde_json::from_str::<R>(d)?))
        .collect::<Result<Vec<R>, StoreError>>()?;
    rows.sort_by_key(|r| r.record_id());
    Ok(rows)
}

/// Every row of `R` in the tenant, by id (export).
pub(crate) async fn all_of_tenant<R: Record>(tx: &mut Tx, tenant: TenantId) -> Result<Vec<R>, StoreError> {
    let stmt = Query::select()
        .column(Alias::new("doc"))
        .from(Alias::new(R::TABLE))
        .and_where(c("tenant_id").eq(tenant.as_uuid()))
        .order_by(Alias::new("id"), SqlOrder::Asc)
        .to_owned();
    tx.fetch_text(&stmt).await?.iter().map(|d| Ok(serde_json::from_str(d)?)).collect()
}

/// `col = v`, or `col IS NULL` for a null cursor value.
fn key_eq(col: &str, v: &Value) -> SimpleExpr {
    match v {
        Value::Null => c(col).is_null(),
        v => c(col).eq(value(v)),
    }
}

/// "Strictly after `v`" on one key. Nulls sort first ascending and last descending (OData's
/// order, and SQLite's default; PostgreSQL is told so explicitly), so: ascending after null is
/// every non-null value; descending after `v` includes the nulls; nothing is after a null
/// descending.
fn key_after(col: &str, descending: bool, nullable: bool, v: &Value) -> SimpleExpr {
    match (descending, v) {
        (false, Value::Null) => c(col).is_not_null(),
        (false, v) => c(col).gt(value(v)),
        (true, Value::Null) => Expr::val(1).eq(0),
        (true, v) if nullable => Cond::any().add(c(col).lt(value(v))).add(c(col).is_null()).into(),
        (true, v) => c(col).lt(value(v)),
    }
}

/// The keyset condition "strictly after `after`" for `order` (+ id ascending as the last key).
pub(crate) fn after_condition(order: &[Order], after: &[Value]) -> Result<SimpleExpr, StoreError> {
    if after.len() != order.len() + 1 {
        return Err(StoreError::BadCursor);
    }
    let mut keys: Vec<(&str, bool, bool)> = order.iter().map(|o| (o.column, o.descending, o.nullable)).collect();
    keys.push(("id", false, false));
    let mut any = Cond::any();
    for i in 0..keys.len() {
        let mut all = Cond::all();
        for (j, (col, _, _)) in keys.iter().enumerate().take(i) {
            all = all.add(key_eq(col, &after[j]));
        }
        let (col, desc, nullable) = keys[i];
        all = all.add(key_after(col, desc, nullable, &after[i]));
        any = any.add(all);
    }
    Ok(any.into())
}

/// The SELECT of one page (without the count), as `list` runs it.
fn page_statement(table: &str, tenant: TenantId, q: &ListQuery) -> Result<sea_query::SelectStatement, StoreError> {
    let mut stmt = base_statement(table, tenant, q);
    stmt.column(Alias::new("doc"));
    if let Some(after) = &q.after {
        stmt.and_where(after_condition(&q.order, after)?);
    }
    for o in &q.order {
        let dir = if o.descending { SqlOrder::Desc } else { SqlOrder::Asc };
        if o.nullable {
            let nulls = if o.descending { NullOrdering::Last } else { NullOrdering::First };
            stmt.order_by_with_nulls(Alias::new(o.column), dir, nulls);
        } else {
            stmt.order_by(Alias::new(o.column), dir);
        }
    }
    stmt.order_by(Alias::new("id"), SqlOrder::Asc);
    let limit = q.limit.max(1);
    stmt.limit(limit as u64 + 1);
    if q.after.is_none() {
        if let Some(skip) = q.skip {
            stmt.offset(skip);
        }
    }
    Ok(stmt)
}

fn base_statement(table: &str, tenant: TenantId, q: &ListQuery) -> sea_query::SelectStatement {
    let mut base = Query::select();
    base.from(Alias::new(table)).and_where(c("tenant_id").eq(tenant.as_uuid()));
    if let Some(f) = &q.filter {
        base.and_where(compile(f, tenant));
    }
    if let Some(s) = &q.scope {
        base.and_where(compile(s, tenant));
    }
    base
}

/// The SQL text `list` runs for a page of `table` on `backend`, with its bound values printed
/// separately: for tests that check input never changes the statement, only its parameters.
pub fn page_sql(
    backend: crate::Backend,
    table: &str,
    tenant: TenantId,
    q: &ListQuery,
) -> Result<(String, String), StoreError> {
    let stmt = page_statement(table, tenant, q)?;
    let (sql, values) = match backend {
        crate::Backend::Sqlite => stmt.build(sea_query::SqliteQueryBuilder),
        crate::Backend::Postgres => stmt.build(sea_query::PostgresQueryBuilder),
    };
    Ok((sql, format!("{values:?}")))
}

pub(crate) async fn list<R: Record>(tx: &mut Tx, tenant: TenantId, q: &ListQuery) -> Result<Page<R>, StoreError> {
    let count = if q.count {
        let mut cs = base_statement(R::TABLE, tenant, q);
        cs.expr(Expr::col(sea_query::Asterisk).count());
        Some(tx.fetch_i64(&cs).await?)
    } else {
        None
    };
    if q.count_only {
        return Ok(Page { items: Vec::new(), next: None, count });
    }
    let stmt = page_statement(R::TABLE, tenant, q)?;
    let limit = q.limit.max(1);
    let docs = tx.fetch_text(&stmt).await?;
    let more = docs.len() > limit;
    let mut items = Vec::with_capacity(limit.min(docs.len()));
    for d in docs.iter().take(limit) {
        items.push(serde_json::from_str::<R>(d)?);
    }
    let next = match (more, items.last()) {
        (true, Some(last)) => {
            let cols = last.columns();
            let mut cursor = Vec::with_capacity(q.order.len() + 1);
            for o in &q.order {
                let v = match o.column {
                    "id" => Value::Uuid(last.record_id()),
                    col => cols.iter().find(|(n, _)| *n == col).map(|(_, v)| v.clone()).unwrap_or(Value::Null),
                };
                cursor.push(v);
            }
            cursor.push(Value::Uuid(last.record_id()));
            Some(cursor)
        }
        _ => None,
    };
    Ok(Page { items, next, count })
}
