//! Nested `$expand` (`$expand=accessPackage($expand=catalog)`): each entity module renders its
//! own first-level navigations; this loads the entities that a nested item names, by the ids of
//! the objects already expanded, renders their navigations with the same module code, and
//! merges them in, level by level (the depth is bounded by `query::MAX_EXPAND_DEPTH`).
use crate::error::{GraphError, GraphResult};
use crate::json::ApiVersion;
use crate::query::{ExpandNode, Kind, OData};
use crate::AppState;
use grantd_domain::roles::Caller;
use grantd_domain::{parse_guid, AccessPackageId, CatalogId, ObjectId, PolicyId, ResourceId};
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use uuid::Uuid;

type Boxed<'a> = Pin<Box<dyn Future<Output = GraphResult<()>> + Send + 'a>>;

/// Performs the nested levels of `$expand` on rendered `items` of `kind` (whose first level the
/// caller has rendered, from the navigations in `allowed`), then applies `$select` everywhere.
pub async fn finish(
    state: &AppState,
    caller: &Caller,
    q: &OData,
    kind: Kind,
    items: &mut [Value],
    allowed: &[&str],
) -> GraphResult<()> {
    let tree = q.expand_tree(kind.entity(), allowed)?;
    levels(state, caller, q.version(), &tree, items).await?;
    q.select(kind.entity(), items, allowed_expanded(&tree).as_slice())
}

fn allowed_expanded(tree: &[ExpandNode]) -> Vec<&str> {
    tree.iter().map(|n| n.name.as_str()).collect()
}

/// The expanded objects under `name` in each item (the object, or each element of an array).
fn objects<'a>(items: &'a mut [Value], name: &str) -> Vec<&'a mut Value> {
    let mut out = Vec::new();
    for item in items.iter_mut() {
        match item.get_mut(name) {
            Some(Value::Array(xs)) => out.extend(xs.iter_mut().filter(|x| x.is_object())),
            Some(x) if x.is_object() => out.push(x),
            _ => {}
        }
    }
    out
}

fn levels<'a>(
    state: &'a AppState,
    caller: &'a Caller,
    v: ApiVersion,
    tree: &'a [ExpandNode],
    items: &'a mut [Value],
) -> Boxed<'a> {
    Box::pin(async move {
        for node in tree {
            let (Some(target), false) = (node.target, node.children.is_empty()) else { continue };
            let mut children: Vec<Value> = objects(items, &node.name).into_iter().map(|x| x.clone()).collect();
            let ids: Vec<Uuid> =
                children.iter().filter_map(|c| c.get("id").and_then(Value::as_str).and_then(parse_guid)).collect();
            // Some renderers embed a navigation anyway (a role scope's role and scope): only
            // what is missing is loaded.
            let names: Vec<&str> = node
                .children
                .iter()
                .map(|c| c.name.as_str())
                .filter(|n| children.iter().any(|c| c.get(*n).is_none()))
                .collect();
            let rendered =
                if names.is_empty() { HashMap::new() } else { load(state, caller, v, target, &ids, &names).await? };
            for child in children.iter_mut() {
                let id = child.get("id").and_then(Value::as_str).and_then(parse_guid);
                let (Some(Value::Object(from)), Value::Object(to)) = (id.and_then(|i| rendered.get(&i)), child) else {
                    continue;
                };
                for name in &names {
                    if let Some(x) = from.get(*name) {
                        to.insert((*name).to_string(), x.clone());
                    }
                }
            }
            levels(state, caller, v, &node.children, &mut children).await?;
            for (slot, x) in objects(items, &node.name).into_iter().zip(children) {
                *slot = x;
            }
        }
        Ok(())
    })
}

fn by_id(values: Vec<Value>) -> HashMap<Uuid, Value> {
    values.into_iter().filter_map(|x| Some((x.get("id").and_then(Value::as_str).and_then(parse_guid)?, x))).collect()
}

/// Renders the entities of `kind` with these ids with the navigations `names` expanded.
async fn load(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    kind: Kind,
    ids: &[Uuid],
    names: &[&str],
) -> GraphResult<HashMap<Uuid, Value>> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let t = caller.tenant;
    Ok(match kind {
        Kind::Catalog => {
            let ids: Vec<CatalogId> = ids.into_iter().map(CatalogId).collect();
            let cats = state.store.catalogs_by_ids(t, &ids).await?;
            by_id(crate::entitlement::catalogs::render_all(state, caller, v, &cats, names).await?)
        }
        Kind::Package => {
            let ids: Vec<AccessPackageId> = ids.into_iter().map(AccessPackageId).collect();
            let pkgs = state.store.packages_by_ids(t, &ids).await?;
            by_id(crate::entitlement::access_packages::render_all(state, caller, v, &pkgs, names).await?)
        }
        Kind::Policy => {
            let ids: Vec<PolicyId> = ids.into_iter().map(PolicyId).collect();
            let ps = state.store.policies_by_ids(t, &ids).await?;
            by_id(crate::policies::render_policies(state, caller, v, &ps, names).await?)
        }
        Kind::Resource => {
            let ids: Vec<ResourceId> = ids.into_iter().map(ResourceId).collect();
            let rs = state.store.resources_by_ids(t, &ids).await?;
            by_id(crate::entitlement::resources::render_resources(state, caller, v, &rs, names).await?)
        }
        Kind::User => {
            let ids: Vec<ObjectId> = ids.into_iter().map(ObjectId).collect();
            let mut out = Vec::new();
            for u in state.store.users_by_ids(t, &ids).await? {
                let mut r = crate::directory::users::render(&u);
                crate::directory::users::expand(state, t, &u, names, &mut r).await?;
                out.push(r);
            }
            by_id(out)
        }
        other => {
            return Err(GraphError::bad_request(
                "BadRequest",
                format!("A nested $expand below '{}' is not supported.", other.entity()),
            ))
        }
    })
}
