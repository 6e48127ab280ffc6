//! Resource requests: adding a directory group to a catalog (`adminAdd`) and removing it
//! (`adminRemove`). v1.0 `resourceRequests` (`resource`, `catalog: {id}`, `state`), beta
//! `accessPackageResourceRequests` (`accessPackageResource`, `catalogId`, `requestState`,
//! `requestStatus`). Group requests complete at once: the answer is `delivered`/`Delivered`.
//! Needs ManageCatalog on the catalog. grantd keeps no group owners, so Graph's
//! `CallerNotResourceOwner` rule does not apply.
use super::resources::render_resource;
use super::{actor, catalog_ref, catalog_scope, catalogs, enum_out, not_found, parse_id, require, set, IdRef, EM};
use crate::error::{GraphError, GraphResult};
use crate::json::{self, ApiVersion, GraphBody};
use crate::query::OData;
use crate::wire::format_datetime;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use grantd_domain::catalog::enum_value;
use grantd_domain::resource::{
    onboard_group, GroupFacts, ResourceRequest, AAD_GROUP, ORIGIN_SYSTEMS, REQUEST_BETA, REQUEST_TYPES, REQUEST_V1,
};
use grantd_domain::roles::{Caller, CatalogAction};
use grantd_domain::{CatalogId, ObjectId, ResourceId, ResourceRequestId};
use grantd_store::{RemoveResource, StoreError};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

const ENTITY: &str = "microsoft.graph.accessPackageResourceRequest";

pub fn v1_routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{EM}/resourceRequests"), get(list_requests).post(create_request))
        .route(&format!("{EM}/resourceRequests/{{id}}"), get(get_request))
}

pub fn beta_routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{EM}/accessPackageResourceRequests"), get(list_requests).post(create_request))
        .route(&format!("{EM}/accessPackageResourceRequests/{{id}}"), get(get_request))
}

fn set_name(v: ApiVersion) -> &'static str {
    match v {
        ApiVersion::V1 => "resourceRequests",
        ApiVersion::Beta => "accessPackageResourceRequests",
    }
}

fn expandable(v: ApiVersion) -> &'static [&'static str] {
    match v {
        ApiVersion::V1 => &["catalog", "resource"],
        ApiVersion::Beta => &["accessPackageResource"],
    }
}

pub fn render(r: &ResourceRequest, v: ApiVersion) -> Value {
    match v {
        ApiVersion::V1 => json!({
            "id": r.id.to_string(),
            "requestType": r.request_type,
            "state": r.state,
            "createdDateTime": format_datetime(&r.created_date_time),
        }),
        ApiVersion::Beta => json!({
            "id": r.id.to_string(),
            "catalogId": r.catalog_id.to_string(),
            "requestType": enum_out(v, &r.request_type),
            "requestState": enum_out(v, &r.state),
            "requestStatus": "Fulfilled",
            "justification": r.justification,
            "isValidationOnly": false,
            "executeImmediately": false,
            "expirationDateTime": null,
        }),
    }
}

async fn render_all(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    reqs: &[ResourceRequest],
    expand: &[&str],
) -> GraphResult<Vec<Value>> {
    let mut items: Vec<Value> = reqs.iter().map(|r| render(r, v)).collect();
    let resource_nav = match v {
        ApiVersion::V1 => "resource",
        ApiVersion::Beta => "accessPackageResource",
    };
    if expand.contains(&resource_nav) {
        for (item, r) in items.iter_mut().zip(reqs) {
            item[resource_nav] = render_resource(&r.resource, v);
        }
    }
    if expand.contains(&"catalog") {
        let mut ids: Vec<CatalogId> = reqs.iter().map(|r| r.catalog_id).collect();
        ids.sort();
        ids.dedup();
        let cats: HashMap<CatalogId, Value> = state
            .store
            .catalogs_by_ids(caller.tenant, &ids)
            .await?
            .iter()
            .map(|c| (c.id, catalogs::render(c, v)))
            .collect();
        for (item, r) in items.iter_mut().zip(reqs) {
            item["catalog"] = cats.get(&r.catalog_id).cloned().unwrap_or(Value::Null);
        }
    }
    Ok(items)
}

async fn list_requests(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    q: OData,
) -> GraphResult<Response> {
    let expand = q.check_expand(ENTITY, expandable(v))?;
    let mut lq = q.list_query(match v {
        ApiVersion::V1 => &REQUEST_V1,
        ApiVersion::Beta => &REQUEST_BETA,
    })?;
    lq.scope = catalog_scope(&caller, "catalog_id")?;
    let page = state.store.list_resource_requests(caller.tenant, &lq).await?;
    let mut items = render_all(&state, &caller, v, &page.items, &expand).await?;
    q.select(ENTITY, &mut items, &expand)?;
    Ok(json::collection(v, &set(set_name(v)), items, page.count, q.next_link(page.next.as_deref())))
}

async fn get_request(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    q: OData,
) -> GraphResult<Response> {
    let expand = q.check_expand(ENTITY, expandable(v))?;
    let id = parse_id::<ResourceRequestId>(&id).ok_or_else(not_found)?;
    let r = match state.store.get_resource_request(caller.tenant, id).await? {
        Some(r) if caller.may_on_catalog(r.catalog_id, CatalogAction::Read) => r,
        _ => return Err(not_found()),
    };
    let mut items = render_all(&state, &caller, v, std::slice::from_ref(&r), &expand).await?;
    q.select(ENTITY, &mut items, &expand)?;
    let item = items.pop().ok_or_else(not_found)?;
    Ok(json::entity(StatusCode::OK, v, &set(set_name(v)), item))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceInput {
    id: Option<String>,
    origin_id: Option<String>,
    origin_system: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestInput {
    request_type: Option<String>,
    justification: Option<String>,
    /// v1.0 names.
    resource: Option<ResourceInput>,
    catalog: Option<IdRef>,
    /// beta names.
    access_package_resource: Option<ResourceInput>,
    catalog_id: Option<String>,
    is_validation_only: Option<bool>,
}

async fn create_request(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    GraphBody(input): GraphBody<RequestInput>,
) -> GraphResult<Response> {
    let (resource_prop, catalog_prop) = match v {
        ApiVersion::V1 => ("resource", "catalog"),
        ApiVersion::Beta => ("accessPackageResource", "catalogId"),
    };
    let rt = input
        .request_type
        .as_deref()
        .ok_or_else(|| GraphError::invalid_model("The property 'requestType' is required."))?;
    let request_type = enum_value(REQUEST_TYPES, "requestType", rt)?;
    if request_type != "adminAdd" && request_type != "adminRemove" {
        return Err(GraphError::invalid_model(format!(
            "The requestType '{rt}' is not supported for resource requests; use adminAdd or adminRemove."
        )));
    }
    let cat_ref = input
        .catalog
        .as_ref()
        .and_then(|c| c.id.as_deref())
        .or(input.catalog_id.as_deref())
        .ok_or_else(|| GraphError::invalid_model(format!("The property '{catalog_prop}' is required.")))?;
    let catalog = catalog_ref(&state, &caller, cat_ref).await?;
    require(&caller, catalog.id, CatalogAction::ManageCatalog)?;
    let res = input
        .resource
        .as_ref()
        .or(input.access_package_resource.as_ref())
        .ok_or_else(|| GraphError::invalid_model(format!("The property '{resource_prop}' is required.")))?;
    let system = match res.origin_system.as_deref() {
        Some(s) => {
            ORIGIN_SYSTEMS.iter().find(|(w, _)| w.eq_ignore_ascii_case(s)).map(|(_, x)| *x).ok_or_else(|| {
                GraphError::bad_request("ArgumentException", format!("Requested value '{s}' was not found."))
            })?
        }
        None if request_type == "adminRemove" => AAD_GROUP,
        None => return Err(GraphError::invalid_model("The property 'originSystem' is required.")),
    };
    if system != AAD_GROUP {
        return Err(GraphError::invalid_model(format!(
            "Resources of originSystem '{system}' are not supported; grantd catalogs hold AadGroup resources."
        )));
    }
    let who = actor(&state, &caller).await?;
    let now = state.clock.now();
    let validate_only = input.is_validation_only.unwrap_or(false) && v == ApiVersion::Beta;
    let req = if request_type == "adminAdd" {
        let origin = res
            .origin_id
            .as_deref()
            .ok_or_else(|| GraphError::invalid_model("The property 'originId' is required."))?;
        let missing = || {
            GraphError::bad_request(
                "ResourceNotFoundInOriginSystem",
                format!("The resource with originId '{origin}' was not found in the origin system '{AAD_GROUP}'."),
            )
        };
        let gid = parse_id::<ObjectId>(origin).ok_or_else(missing)?;
        let group = state.store.get_group(caller.tenant, gid).await?.ok_or_else(missing)?;
        let already = || {
            GraphError::bad_request("ResourceAlreadyOnboarded", "The specified resource is already onboarded to ELM.")
        };
        if state.store.find_resource_by_origin(caller.tenant, catalog.id, AAD_GROUP, &gid.to_string()).await?.is_some()
        {
            return Err(already());
        }
        let facts = GroupFacts {
            id: group.id,
            display_name: &group.display_name,
            description: group.description.as_deref(),
            unified: group.group_types.iter().any(|t| t.eq_ignore_ascii_case("Unified")),
        };
        let onboarded = onboard_group(catalog.id, facts, who, now);
        let req = request(&catalog.id, request_type, &input, onboarded.resource.clone(), &caller, now);
        if !validate_only {
            match state.store.add_resource(caller.tenant, &req, &onboarded).await {
                Err(StoreError::Duplicate) => return Err(already()),
                other => other?,
            }
        }
        req
    } else {
        let found = match (res.id.as_deref(), res.origin_id.as_deref()) {
            (Some(id), _) => match parse_id::<ResourceId>(id) {
                Some(rid) => state.store.get_resource(caller.tenant, rid).await?.filter(|r| r.catalog_id == catalog.id),
                None => None,
            },
            (None, Some(origin)) => {
                state.store.find_resource_by_origin(caller.tenant, catalog.id, AAD_GROUP, origin).await?
            }
            (None, None) => return Err(GraphError::invalid_model("The resource must be given by 'id' or 'originId'.")),
        };
        let resource = found.ok_or_else(not_found)?;
        let req = request(&catalog.id, request_type, &input, resource.clone(), &caller, now);
        let outcome = if validate_only {
            RemoveResource::Removed
        } else {
            state.store.remove_resource(caller.tenant, &req, resource.id).await?
        };
        match outcome {
            RemoveResource::Removed => {}
            RemoveResource::NotFound => return Err(not_found()),
            RemoveResource::HasRoleScopes => {
                return Err(GraphError::bad_request(
                    "InvalidDeleteResourceHasEntitlements",
                    format!(
                        "The resource: {} can not be deleted because there are active entitlements.",
                        resource.display_name
                    ),
                ))
            }
        }
        req
    };
    let mut body = render(&req, v);
    if validate_only {
        body["isValidationOnly"] = Value::Bool(true);
    }
    Ok(json::entity(StatusCode::CREATED, v, &set(set_name(v)), body))
}

fn request(
    catalog: &CatalogId,
    request_type: &str,
    input: &RequestInput,
    resource: grantd_domain::resource::Resource,
    caller: &Caller,
    now: chrono::DateTime<chrono::Utc>,
) -> ResourceRequest {
    ResourceRequest {
        id: ResourceRequestId::new(),
        catalog_id: *catalog,
        request_type: request_type.into(),
        state: "delivered".into(),
        justification: input.justification.clone(),
        resource,
        requestor_id: caller.user_id(),
        created_date_time: now,
    }
}
