//! `connectedOrganizations` (same names on v1.0 and beta): list, create, get, update, delete,
//! and the `internalSponsors` / `externalSponsors` navigations (list; add with
//! `POST .../$ref`; remove with `DELETE .../{id}/$ref`). Tenant-wide entitlement-management
//! readers may read, administrators may change. Identity sources are kept with their derived
//! type; domain sources place external users in the organization (grantd_domain::connected).
use super::{set, EM};
use crate::directory::{groups, parse_ref, users};
use crate::error::{GraphError, GraphResult};
use crate::json::{self, ApiVersion, GraphBody};
use crate::query::OData;
use crate::wire::format_datetime;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Extension, Router};
use grantd_domain::catalog::enum_value;
use grantd_domain::connected::{ConnectedOrganization, IdentitySource, CONNECTED_ORGANIZATION, STATES};
use grantd_domain::roles::Caller;
use grantd_domain::{parse_guid, ObjectId};
use serde_json::{json, Map, Value};

const SET: &str = "connectedOrganizations";

pub fn shared_routes() -> Router<AppState> {
    let one = format!("{EM}/{SET}/{{id}}");
    Router::new()
        .route(&format!("{EM}/{SET}"), get(list_orgs).post(create_org))
        .route(&one, get(get_org).patch(update_org).delete(delete_org))
        .route(&format!("{one}/{{nav}}"), get(list_sponsors))
        .route(&format!("{one}/{{nav}}/$ref"), post(add_sponsor))
        .route(&format!("{one}/{{nav}}/{{sponsor}}/$ref"), delete(remove_sponsor))
}

fn may_read(caller: &Caller) -> GraphResult<()> {
    if caller.is_em_reader() {
        Ok(())
    } else {
        Err(GraphError::forbidden())
    }
}

fn may_write(caller: &Caller) -> GraphResult<()> {
    if caller.is_em_admin() {
        Ok(())
    } else {
        Err(GraphError::forbidden())
    }
}

fn render_source(s: &IdentitySource) -> Value {
    let mut m = Map::new();
    m.insert("@odata.type".into(), json!(format!("#microsoft.graph.{}", s.kind)));
    m.insert("displayName".into(), json!(s.display_name));
    let mut put = |k: &str, v: &Option<String>| {
        if v.is_some() {
            m.insert(k.into(), json!(v));
        }
    };
    put("domainName", &s.domain_name);
    put("tenantId", &s.tenant_id);
    put("issuerUri", &s.issuer_uri);
    put("socialIdentitySourceType", &s.social_identity_source_type);
    put("cloudInstance", &s.cloud_instance);
    Value::Object(m)
}

pub fn render(o: &ConnectedOrganization, v: ApiVersion) -> Value {
    let mut out = json!({
        "id": o.id.to_string(),
        "displayName": o.display_name,
        "description": o.description,
        "createdDateTime": format_datetime(&o.created_date_time),
        "modifiedDateTime": format_datetime(&o.modified_date_time),
        "state": o.state,
        "identitySources": o.identity_sources.iter().map(render_source).collect::<Vec<_>>(),
    });
    if v == ApiVersion::Beta {
        out["createdBy"] = json!(o.created_by);
        out["modifiedBy"] = json!(o.modified_by);
    }
    out
}

fn text(o: &Map<String, Value>, key: &str, at: &str) -> GraphResult<Option<String>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(GraphError::invalid_model(format!("The property '{at}{key}' must be a string."))),
    }
}

fn read_sources(v: &Value) -> GraphResult<Vec<IdentitySource>> {
    let Value::Array(items) = v else {
        return Err(GraphError::invalid_model("The property 'identitySources' must be an array."));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("identitySources[{i}].");
        let Value::Object(o) = item else {
            return Err(GraphError::invalid_model(format!("The property 'identitySources[{i}]' must be an object.")));
        };
        let raw = text(o, "@odata.type", &at)?.unwrap_or_default();
        let name = raw.trim_start_matches('#').trim_start_matches("microsoft.graph.");
        let Some(kind) = IdentitySource::KINDS.iter().find(|k| k.eq_ignore_ascii_case(name)) else {
            return Err(GraphError::invalid_model(format!(
                "The property '{at}@odata.type' must name an identity source type (for example #microsoft.graph.domainIdentitySource), not '{raw}'."
            )));
        };
        out.push(IdentitySource {
            kind: (*kind).to_string(),
            display_name: text(o, "displayName", &at)?,
            domain_name: text(o, "domainName", &at)?,
            tenant_id: text(o, "tenantId", &at)?,
            issuer_uri: text(o, "issuerUri", &at)?,
            social_identity_source_type: text(o, "socialIdentitySourceType", &at)?,
            cloud_instance: text(o, "cloudInstance", &at)?,
        });
    }
    Ok(out)
}

/// Applies a create or update body; `create` requires `displayName`.
fn apply(o: &mut ConnectedOrganization, body: &Value, create: bool) -> GraphResult<()> {
    let Value::Object(m) = body else {
        return Err(GraphError::invalid_model("The request body must be a JSON object."));
    };
    match m.get("displayName") {
        Some(Value::String(s)) => o.display_name = s.clone(),
        None if !create => {}
        _ => return Err(GraphError::invalid_model("The property 'displayName' is required and must be a string.")),
    }
    if m.contains_key("description") {
        o.description = text(m, "description", "")?;
    }
    if let Some(s) = text(m, "state", "")? {
        o.state = enum_value(STATES, "state", &s)?.to_string();
    }
    if let Some(v) = m.get("identitySources") {
        o.identity_sources = if v.is_null() { Vec::new() } else { read_sources(v)? };
    }
    o.validate()?;
    Ok(())
}

async fn find(state: &AppState, caller: &Caller, id: &str) -> GraphResult<ConnectedOrganization> {
    let nf = || GraphError::not_found("connected organization");
    let id = parse_guid(id).ok_or_else(nf)?;
    state.store.get_connected_organization(caller.tenant, id).await?.ok_or_else(nf)
}

async fn list_orgs(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    q: OData,
) -> GraphResult<Response> {
    may_read(&caller)?;
    q.check_expand("microsoft.graph.connectedOrganization", &[])?;
    let lq = q.list_query(&CONNECTED_ORGANIZATION)?;
    let page = state.store.list_connected_organizations(caller.tenant, &lq).await?;
    let items = page.items.iter().map(|o| render(o, v)).collect();
    Ok(json::collection(v, &set(SET), items, page.count, q.next_link(page.next.as_deref())))
}

async fn get_org(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    may_read(&caller)?;
    let o = find(&state, &caller, &id).await?;
    Ok(json::entity(StatusCode::OK, v, &set(SET), render(&o, v)))
}

async fn create_org(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    GraphBody(body): GraphBody<Value>,
) -> GraphResult<Response> {
    may_write(&caller)?;
    let now = state.clock.now();
    let who = super::actor(&state, &caller).await?;
    let mut o = ConnectedOrganization {
        id: uuid::Uuid::now_v7(),
        display_name: String::new(),
        description: None,
        state: "configured".into(),
        identity_sources: Vec::new(),
        internal_sponsors: Vec::new(),
        external_sponsors: Vec::new(),
        created_by: who.clone(),
        modified_by: who,
        created_date_time: now,
        modified_date_time: now,
    };
    apply(&mut o, &body, true)?;
    state.store.create_connected_organization(caller.tenant, &o).await?;
    Ok(json::entity(StatusCode::CREATED, v, &set(SET), render(&o, v)))
}

async fn update_org(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    GraphBody(body): GraphBody<Value>,
) -> GraphResult<Response> {
    may_write(&caller)?;
    let mut o = find(&state, &caller, &id).await?;
    apply(&mut o, &body, false)?;
    o.modified_by = super::actor(&state, &caller).await?;
    o.modified_date_time = state.clock.now();
    state.store.update_connected_organization(caller.tenant, &o).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

async fn delete_org(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    may_write(&caller)?;
    let o = find(&state, &caller, &id).await?;
    state.store.delete_connected_organization(caller.tenant, o.id).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

/// `internalSponsors` or `externalSponsors` (anything else is an unknown path).
fn sponsors<'o>(o: &'o mut ConnectedOrganization, nav: &str) -> GraphResult<&'o mut Vec<ObjectId>> {
    match nav {
        "internalSponsors" => Ok(&mut o.internal_sponsors),
        "externalSponsors" => Ok(&mut o.external_sponsors),
        _ => Err(GraphError::no_route()),
    }
}

async fn list_sponsors(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path((id, nav)): Path<(String, String)>,
) -> GraphResult<Response> {
    may_read(&caller)?;
    let mut o = find(&state, &caller, &id).await?;
    let ids = sponsors(&mut o, &nav)?.clone();
    let mut items = Vec::new();
    for sid in ids {
        if let Some(u) = state.store.get_user(caller.tenant, sid).await? {
            let mut item = json!({"@odata.type": "#microsoft.graph.user"});
            if let (Value::Object(m), Value::Object(r)) = (&mut item, users::render(&u)) {
                m.extend(r);
            }
            items.push(item);
        } else if let Some(g) = state.store.get_group(caller.tenant, sid).await? {
            let mut item = json!({"@odata.type": "#microsoft.graph.group"});
            if let (Value::Object(m), Value::Object(r)) = (&mut item, groups::render(&g)) {
                m.extend(r);
            }
            items.push(item);
        }
    }
    Ok(json::collection(v, &set(&format!("{SET}('{}')/{nav}", o.id)), items, None, None))
}

#[derive(Debug, serde::Deserialize)]
struct RefBody {
    #[serde(rename = "@odata.id")]
    odata_id: String,
}

async fn add_sponsor(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, nav)): Path<(String, String)>,
    GraphBody(body): GraphBody<RefBody>,
) -> GraphResult<Response> {
    may_write(&caller)?;
    let mut o = find(&state, &caller, &id).await?;
    let sid = parse_ref(&body.odata_id)?;
    let exists = state.store.get_user(caller.tenant, sid).await?.is_some()
        || state.store.get_group(caller.tenant, sid).await?.is_some();
    if !exists {
        return Err(crate::directory::not_found(&sid.to_string()));
    }
    let list = sponsors(&mut o, &nav)?;
    if list.contains(&sid) {
        return Err(GraphError::bad_request(
            "Request_BadRequest",
            format!(
                "One or more added object references already exist for the following modified properties: '{nav}'."
            ),
        ));
    }
    list.push(sid);
    o.modified_date_time = state.clock.now();
    state.store.update_connected_organization(caller.tenant, &o).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

async fn remove_sponsor(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, nav, sponsor)): Path<(String, String, String)>,
) -> GraphResult<Response> {
    may_write(&caller)?;
    let mut o = find(&state, &caller, &id).await?;
    let sid = crate::directory::path_id(&sponsor)?;
    let list = sponsors(&mut o, &nav)?;
    let before = list.len();
    list.retain(|s| *s != sid);
    if list.len() == before {
        return Err(crate::directory::not_found(&sponsor));
    }
    o.modified_date_time = state.clock.now();
    state.store.update_connected_organization(caller.tenant, &o).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}
