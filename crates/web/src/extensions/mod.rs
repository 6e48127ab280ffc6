//! Custom callout extensions of a catalog: v1.0 `customWorkflowExtensions`, beta
//! `accessPackageCustomWorkflowExtensions` (the same objects) and the older beta
//! `customAccessPackageWorkflowExtensions` — list, create, get, update (PATCH, 204), delete —
//! with Graph's complex types (`endpointConfiguration`, `authenticationConfiguration`,
//! `clientConfiguration`, `callbackConfiguration`); the public JWKS of grantd's callout signing
//! key; and the v1.0 renderer the callout job builds its payload with. Reading needs catalog
//! read; writing needs the catalog owner (or EM administration). Nothing outbound here.
mod body;

use crate::entitlement::{actor, catalog_at, parse_id, require, set, EM};
use crate::error::{GraphError, GraphResult};
use crate::json::{self, ApiVersion};
use crate::query::OData;
use crate::wire::{format_datetime, format_duration};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use grantd_domain::assignment::Assignment;
use grantd_domain::catalog::{AccessPackage, Catalog};
use grantd_domain::directory::User;
use grantd_domain::extension::{CustomExtension, ExtensionKind};
use grantd_domain::fields::{field, nullable, Field, FieldCatalog, FieldKind};
use grantd_domain::filter::{Filter, Value as FValue};
use grantd_domain::request::AssignmentRequest;
use grantd_domain::roles::{Caller, CatalogAction};
use grantd_domain::CustomExtensionId;
use serde_json::{json, Value};
use std::sync::Arc;

/// What the web layer knows of custom extensions beyond the store.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// The public JWKS of the callout signing key.
    pub jwks: Arc<Value>,
    /// Plain-http endpoints to hosts other than localhost are accepted.
    pub allow_http: bool,
}

const ENTITY: &str = "microsoft.graph.customCalloutExtension";
/// The older beta set holds only `customAccessPackageWorkflowExtension`s.
const LEGACY_SET: &str = "customAccessPackageWorkflowExtensions";
const SETS: [(ApiVersion, &str, &str); 3] = [
    (ApiVersion::V1, "catalogs", "customWorkflowExtensions"),
    (ApiVersion::Beta, "accessPackageCatalogs", "accessPackageCustomWorkflowExtensions"),
    (ApiVersion::Beta, "accessPackageCatalogs", LEGACY_SET),
];

pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    for (_, catalogs, ext) in SETS {
        r = r.route(&format!("{EM}/{catalogs}/{{catalog}}/{ext}"), get(list_extensions).post(create_extension)).route(
            &format!("{EM}/{catalogs}/{{catalog}}/{ext}/{{id}}"),
            get(get_extension).patch(update_extension).delete(delete_extension),
        );
    }
    r
}

/// `GET /.well-known/jwks.json`: the keys callout tokens are signed with (no token needed).
pub async fn jwks(State(state): State<AppState>) -> Response {
    json::plain(StatusCode::OK, &state.extensions.jwks)
}

/// The set this request addresses, checked against the API version (a set of the other
/// version answers 404 like an unknown path).
fn addressed(v: ApiVersion) -> GraphResult<(&'static str, &'static str)> {
    let path = crate::ctx::current().path;
    SETS.iter()
        .find(|(ver, catalogs, ext)| {
            *ver == v && path.contains(&format!("/{catalogs}/")) && path.contains(&format!("/{ext}"))
        })
        .map(|(_, c, e)| (*c, *e))
        .ok_or_else(GraphError::no_route)
}

fn legacy(set: &str) -> bool {
    set == LEGACY_SET
}

const FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    nullable(&["description"], "description", FieldKind::Text, true),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    field(&["lastmodifieddatetime"], "last_modified_date_time", FieldKind::DateTime, true),
];
const EXTENSION_FIELDS: FieldCatalog =
    FieldCatalog { entity: ENTITY, fields: FIELDS, relations: &[], default_order: &[] };

fn not_found() -> GraphError {
    GraphError::not_found("custom extension")
}

/// The same shape on both versions (the CSDL types are shared).
pub fn render(e: &CustomExtension) -> Value {
    let mut out = json!({
        "@odata.type": e.kind.odata_type(),
        "id": e.id.to_string(),
        "displayName": e.display_name,
        "description": e.description,
        "endpointConfiguration": {
            "@odata.type": "#microsoft.graph.logicAppTriggerEndpointConfiguration",
            "subscriptionId": e.endpoint.subscription_id,
            "resourceGroupName": e.endpoint.resource_group_name,
            "logicAppWorkflowName": e.endpoint.logic_app_workflow_name,
            "url": e.endpoint.url,
        },
        "authenticationConfiguration": e.resource_id.as_ref().map(|r| json!({
            "@odata.type": "#microsoft.graph.azureAdTokenAuthentication",
            "resourceId": r,
        })),
        "clientConfiguration": {
            "@odata.type": "#microsoft.graph.customExtensionClientConfiguration",
            "maximumRetries": e.maximum_retries,
            "timeoutInMilliseconds": e.timeout_in_milliseconds,
        },
        "createdDateTime": format_datetime(&e.created_date_time),
        "lastModifiedDateTime": format_datetime(&e.last_modified_date_time),
    });
    if e.kind != ExtensionKind::Legacy {
        out["callbackConfiguration"] = match e.callback_timeout {
            Some(t) => json!({
                "@odata.type": "#microsoft.graph.customExtensionCallbackConfiguration",
                "timeoutDuration": format_duration(&t),
            }),
            None => Value::Null,
        };
        out["createdBy"] = json!(e.created_by);
        out["lastModifiedBy"] = json!(e.last_modified_by);
    }
    out
}

fn context(catalogs: &str, catalog: &str, ext: &str) -> String {
    set(&format!("{catalogs}('{catalog}')/{ext}"))
}

/// The extension `id` of catalog `catalog` in the addressed set, readable by the caller.
async fn load(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    catalog: &str,
    id: &str,
) -> GraphResult<(Catalog, CustomExtension, &'static str, &'static str)> {
    let (catalogs, ext) = addressed(v)?;
    let c = catalog_at(state, caller, catalog).await?;
    let id = parse_id::<CustomExtensionId>(id).ok_or_else(not_found)?;
    let e = state.store.get_custom_extension(caller.tenant, id).await?.ok_or_else(not_found)?;
    if e.catalog_id != c.id || legacy(ext) != (e.kind == ExtensionKind::Legacy) {
        return Err(not_found());
    }
    Ok((c, e, catalogs, ext))
}

async fn list_extensions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(catalog): Path<String>,
    q: OData,
) -> GraphResult<Response> {
    let (catalogs, ext) = addressed(v)?;
    q.check_expand(ENTITY, &[])?;
    let c = catalog_at(&state, &caller, &catalog).await?;
    let mut lq = q.list_query(&EXTENSION_FIELDS)?;
    let legacy_kind = Filter::eq("kind", FValue::Text("legacy".into()));
    let mut scope = vec![Filter::eq("catalog_id", FValue::Uuid(c.id.0))];
    scope.push(if legacy(ext) { legacy_kind } else { Filter::Not(Box::new(legacy_kind)) });
    lq.scope = Some(Filter::and(scope));
    let page = state.store.list_custom_extensions(caller.tenant, &lq).await?;
    let items = page.items.iter().map(render).collect();
    Ok(json::collection(v, &context(catalogs, &catalog, ext), items, page.count, q.next_link(page.next.as_deref())))
}

async fn get_extension(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path((catalog, id)): Path<(String, String)>,
) -> GraphResult<Response> {
    let (_, e, catalogs, ext) = load(&state, &caller, v, &catalog, &id).await?;
    Ok(json::entity(StatusCode::OK, v, &context(catalogs, &catalog, ext), render(&e)))
}

async fn create_extension(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(catalog): Path<String>,
    raw: Bytes,
) -> GraphResult<Response> {
    let (catalogs, ext) = addressed(v)?;
    let c = catalog_at(&state, &caller, &catalog).await?;
    require(&caller, c.id, CatalogAction::ManageCatalog)?;
    let input: Value = json::parse_body(&raw)?;
    let now = state.clock.now();
    let who = actor(&state, &caller).await?;
    let e = body::create(&input, c.id, legacy(ext), now, who, state.extensions.allow_http)?;
    state.store.create_custom_extension(caller.tenant, &e).await?;
    Ok(json::entity(StatusCode::CREATED, v, &context(catalogs, &catalog, ext), render(&e)))
}

async fn update_extension(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path((catalog, id)): Path<(String, String)>,
    raw: Bytes,
) -> GraphResult<Response> {
    let (c, mut e, _, _) = load(&state, &caller, v, &catalog, &id).await?;
    require(&caller, c.id, CatalogAction::ManageCatalog)?;
    let input: Value = json::parse_body(&raw)?;
    body::update(&mut e, &input, state.extensions.allow_http)?;
    e.last_modified_by = actor(&state, &caller).await?;
    e.last_modified_date_time = state.clock.now();
    state.store.update_custom_extension(caller.tenant, &e).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

async fn delete_extension(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path((catalog, id)): Path<(String, String)>,
) -> GraphResult<Response> {
    let (c, e, _, _) = load(&state, &caller, v, &catalog, &id).await?;
    require(&caller, c.id, CatalogAction::ManageCatalog)?;
    if !state.store.delete_custom_extension(caller.tenant, e.id).await? {
        return Err(not_found());
    }
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

/// The v1.0 documents of a callout payload.
pub struct GraphDocuments;

impl grantd_service::extensions::Documents for GraphDocuments {
    fn request(&self, r: &AssignmentRequest) -> Value {
        crate::requests::render(r, ApiVersion::V1, false)
    }
    fn access_package(&self, p: &AccessPackage) -> Value {
        crate::entitlement::access_packages::render(p, ApiVersion::V1)
    }
    fn catalog(&self, c: &Catalog) -> Value {
        crate::entitlement::catalogs::render(c, ApiVersion::V1)
    }
    fn assignment(&self, a: &Assignment) -> Value {
        crate::assignments::render(a, ApiVersion::V1)
    }
    fn user(&self, u: &User) -> Value {
        crate::directory::users::render(u)
    }
}
