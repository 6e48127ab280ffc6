//! `$expand` validation (names, nested options, `*`) into an [`ExpandNode`] tree, and `$select`
//! applied to rendered JSON, at the top level and inside expanded navigation properties.
use super::schema::Kind;
use crate::error::{GraphError, GraphResult};
use crate::json::ApiVersion;
use grantd_odata::ExpandItem;
use serde_json::Value as Json;

/// One validated `$expand` item.
#[derive(Debug, Clone)]
pub struct ExpandNode {
    /// The navigation's canonical name.
    pub name: String,
    /// The entity it leads to, when grantd can expand further from it.
    pub target: Option<Kind>,
    /// Nested `$select`.
    pub select: Option<Vec<Vec<String>>>,
    /// Nested `$expand`.
    pub children: Vec<ExpandNode>,
}

fn not_found(name: &str, entity: &str) -> GraphError {
    GraphError::bad_request(
        "BadRequest",
        format!("Parsing OData Select and Expand failed: Could not find a property named '{name}' on type '{entity}'."),
    )
}

fn bad(message: String) -> GraphError {
    GraphError::bad_request("BadRequest", message)
}

/// Validates `items` against the navigations `allowed` at the top level (the handler's list)
/// and the schema below it.
pub(crate) fn expand_tree(
    v: ApiVersion,
    kind: Option<Kind>,
    entity: &str,
    allowed: &[&str],
    items: &[ExpandItem],
) -> GraphResult<Vec<ExpandNode>> {
    let mut out: Vec<ExpandNode> = Vec::new();
    for item in items {
        let first = item.path.first().map(String::as_str).unwrap_or("");
        if item.path.len() > 1 {
            return Err(bad(format!(
                "The $expand path '{}' has more than one segment; nest it instead, as {first}($expand={}).",
                item.path.join("/"),
                item.path[1..].join("/")
            )));
        }
        let names: Vec<&str> = if first == "*" {
            allowed.to_vec()
        } else {
            let found =
                allowed.iter().find(|a| a.eq_ignore_ascii_case(first)).ok_or_else(|| not_found(first, entity))?;
            vec![*found]
        };
        for name in names {
            if out.iter().any(|n| n.name == name) {
                continue;
            }
            let target = kind.and_then(|k| k.nav(v, name)).and_then(|(_, t)| *t);
            let o = &item.options;
            let refused = [
                ("$filter", o.filter.is_some()),
                ("$orderby", o.orderby.is_some()),
                ("$top", o.top.is_some()),
                ("$skip", o.skip.is_some()),
                ("$count", o.count.is_some()),
            ];
            if let Some((opt, _)) = refused.iter().find(|(_, set)| *set) {
                return Err(bad(format!(
                    "{opt} inside $expand is not supported (on '{name}'); only $select and $expand may be nested."
                )));
            }
            let children = match (&o.expand, target) {
                (None, _) => Vec::new(),
                (Some(nested), Some(t)) => {
                    let below: Vec<&str> = t.navs(v).iter().map(|(n, _)| *n).collect();
                    expand_tree(v, Some(t), t.entity(), &below, nested)?
                }
                (Some(_), None) => {
                    return Err(bad(format!(
                        "'{name}' cannot be expanded further: $expand is not supported inside it."
                    )))
                }
            };
            out.push(ExpandNode { name: name.to_string(), target, select: o.select.clone(), children });
        }
    }
    Ok(out)
}

/// Applies `select` to `items` of `entity` (`kind`, when known). A selected name must be a
/// property of the rendered item, a navigation of the entity, or one of `keep` (expanded
/// navigations, which stay whatever `$select` says).
pub(crate) fn apply_select(
    v: ApiVersion,
    kind: Option<Kind>,
    entity: &str,
    select: Option<&[Vec<String>]>,
    items: &mut [Json],
    keep: &[&str],
) -> GraphResult<()> {
    let Some(sel) = select else { return Ok(()) };
    let names: Vec<&str> = sel.iter().filter_map(|p| p.first().map(String::as_str)).collect();
    if names.contains(&"*") {
        return Ok(());
    }
    let is_nav = |n: &str| kind.is_some_and(|k| k.nav(v, n).is_some());
    for item in items.iter_mut() {
        let Json::Object(m) = item else { continue };
        for n in &names {
            if !m.keys().any(|k| k.eq_ignore_ascii_case(n))
                && !keep.iter().any(|k| k.eq_ignore_ascii_case(n))
                && !is_nav(n)
            {
                return Err(not_found(n, entity));
            }
        }
        m.retain(|k, _| {
            k.starts_with('@')
                || names.iter().any(|n| n.eq_ignore_ascii_case(k))
                || keep.iter().any(|n| n.eq_ignore_ascii_case(k))
        });
    }
    Ok(())
}

/// The expanded objects under `name` in each item (the object, or each element of an array).
fn expanded<'a>(items: &'a mut [Json], name: &str) -> Vec<&'a mut Json> {
    let mut out = Vec::new();
    for item in items.iter_mut() {
        match item.get_mut(name) {
            Some(Json::Array(xs)) => out.extend(xs.iter_mut().filter(|x| x.is_object())),
            Some(x) if x.is_object() => out.push(x),
            _ => {}
        }
    }
    out
}

/// Applies the nested `$select` of every expanded navigation, depth first.
pub(crate) fn apply_nested_select(v: ApiVersion, tree: &[ExpandNode], items: &mut [Json]) -> GraphResult<()> {
    for node in tree {
        let mut children: Vec<Json> = expanded(items, &node.name).into_iter().map(|x| x.clone()).collect();
        let keep: Vec<&str> = node.children.iter().map(|c| c.name.as_str()).collect();
        let entity = node.target.map(Kind::entity).unwrap_or(&node.name);
        let result = apply_nested_select(v, &node.children, &mut children)
            .and_then(|()| apply_select(v, node.target, entity, node.select.as_deref(), &mut children, &keep));
        // Put the (possibly trimmed) objects back where they were.
        for (slot, x) in expanded(items, &node.name).into_iter().zip(children) {
            *slot = x;
        }
        result?;
    }
    Ok(())
}
