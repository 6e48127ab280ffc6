//! `/groups`, `/groups/{id}` and `/groups/{id}/members` (list, add and remove by `$ref`).
//! Members are users or nested groups. Delivery of access packages writes here too.
use super::{bad_request, not_found, parse_ref, path_id};
use crate::directory::users;
use crate::error::{GraphError, GraphResult};
use crate::json::{self, ApiVersion, GraphBody};
use crate::query::OData;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Extension, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use grantd_domain::directory::{check_display_name, Group, GROUP_CATALOG};
use grantd_domain::roles::Caller;
use grantd_domain::{parse_guid, ObjectId};
use grantd_store::{DirectoryMember, MembershipChange};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/groups", get(list_groups).post(create_group))
        .route("/groups/{id}", get(get_group).patch(update_group).delete(delete_group))
        .route("/groups/{id}/members", get(list_members))
        .route("/groups/{id}/members/$ref", post(add_member))
        .route("/groups/{id}/members/{member}/$ref", delete(remove_member))
}

pub fn render(g: &Group) -> Value {
    json!({
        "id": g.id.to_string(),
        "displayName": g.display_name,
        "description": g.description,
        "mailNickname": g.mail_nickname,
        "mail": g.mail,
        "mailEnabled": g.mail_enabled,
        "securityEnabled": g.security_enabled,
        "groupTypes": g.group_types,
        "createdDateTime": crate::wire::format_datetime(&g.created_date_time),
    })
}

fn forbidden() -> GraphError {
    GraphError::new(
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    )
}

async fn find(state: &AppState, caller: &Caller, id: &str) -> GraphResult<Group> {
    let gid = path_id(id)?;
    state.store.get_group(caller.tenant, gid).await?.ok_or_else(|| not_found(id))
}

async fn list_groups(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    q: OData,
) -> GraphResult<Response> {
    q.check_expand("microsoft.graph.group", &[])?;
    let lq = q.list_query(&GROUP_CATALOG)?;
    let page = state.store.list_groups(caller.tenant, &lq).await?;
    let mut items: Vec<Value> = page.items.iter().map(render).collect();
    q.select("microsoft.graph.group", &mut items, &[])?;
    Ok(json::collection(v, "groups", items, page.count, q.next_link(page.next.as_deref())))
}

async fn get_group(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    q: OData,
) -> GraphResult<Response> {
    q.check_expand("microsoft.graph.group", &[])?;
    let g = find(&state, &caller, &id).await?;
    let mut items = [render(&g)];
    q.select("microsoft.graph.group", &mut items, &[])?;
    let [r] = items;
    Ok(json::entity(StatusCode::OK, v, "groups", r))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupInput {
    id: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    mail_nickname: Option<String>,
    mail_enabled: Option<bool>,
    security_enabled: Option<bool>,
    group_types: Option<Vec<String>>,
}

async fn create_group(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    GraphBody(input): GraphBody<GroupInput>,
) -> GraphResult<Response> {
    if !caller.may_write_groups() {
        return Err(forbidden());
    }
    let display_name = input.display_name.ok_or_else(|| bad_request("Property 'displayName' is required."))?;
    check_display_name(&display_name)?;
    let mail_nickname = input.mail_nickname.ok_or_else(|| bad_request("Property 'mailNickname' is required."))?;
    if mail_nickname.is_empty() || mail_nickname.chars().any(|c| c.is_whitespace() || "@()\\[]\";:<>,".contains(c)) {
        return Err(bad_request("Invalid value specified for property 'mailNickname' of resource 'Group'."));
    }
    let id = match input.id.as_deref() {
        Some(s) => ObjectId(parse_guid(s).ok_or_else(|| bad_request(format!("Invalid object identifier '{s}'.")))?),
        None => ObjectId::new(),
    };
    let g = Group {
        id,
        display_name,
        description: input.description,
        mail_nickname,
        mail: None,
        mail_enabled: input.mail_enabled.unwrap_or(false),
        security_enabled: input.security_enabled.unwrap_or(true),
        group_types: input.group_types.unwrap_or_default(),
        created_date_time: state.clock.now(),
    };
    state.store.create_group(caller.tenant, &g).await?;
    Ok(json::entity(StatusCode::CREATED, v, "groups", render(&g)))
}

async fn update_group(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    GraphBody(input): GraphBody<GroupInput>,
) -> GraphResult<Response> {
    if !caller.may_write_groups() {
        return Err(forbidden());
    }
    let mut g = find(&state, &caller, &id).await?;
    if let Some(n) = input.display_name {
        check_display_name(&n)?;
        g.display_name = n;
    }
    if input.description.is_some() {
        g.description = input.description;
    }
    if let Some(n) = input.mail_nickname {
        g.mail_nickname = n;
    }
    state.store.update_group_doc(caller.tenant, &g).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

async fn delete_group(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    if !caller.may_write_groups() {
        return Err(forbidden());
    }
    let g = find(&state, &caller, &id).await?;
    state.store.delete_group(caller.tenant, g.id).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

async fn list_members(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    q: OData,
) -> GraphResult<Response> {
    let g = find(&state, &caller, &id).await?;
    let limit = q
        .opts
        .top
        .map(|t| (t as usize).clamp(1, crate::query::MAX_PAGE_SIZE))
        .unwrap_or(crate::query::DEFAULT_PAGE_SIZE);
    let after = match &q.opts.skiptoken {
        Some(t) => Some(
            URL_SAFE_NO_PAD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| parse_guid(&s))
                .map(ObjectId)
                .ok_or_else(|| GraphError::bad_request("BadRequest", "The $skiptoken is invalid."))?,
        ),
        None => None,
    };
    let (members, next) = state.store.list_members(caller.tenant, g.id, after, limit).await?;
    let items = members
        .iter()
        .map(|m| {
            let (ty, mut body) = match m {
                DirectoryMember::User(u) => ("#microsoft.graph.user", users::render(u)),
                DirectoryMember::Group(g) => ("#microsoft.graph.group", render(g)),
            };
            let mut out = json!({"@odata.type": ty});
            if let (Value::Object(o), Value::Object(b)) = (&mut out, body.take()) {
                o.extend(b);
            }
            out
        })
        .collect();
    let next_link = next.map(|n| {
        let c = crate::ctx::current();
        format!("{}{}?$skiptoken={}", c.base_url, c.path, URL_SAFE_NO_PAD.encode(n.to_string()))
            + &q.opts.top.map(|t| format!("&$top={t}")).unwrap_or_default()
    });
    Ok(json::collection(v, "directoryObjects", items, None, next_link))
}

#[derive(Debug, Deserialize)]
struct RefBody {
    #[serde(rename = "@odata.id")]
    odata_id: String,
}

async fn add_member(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    GraphBody(body): GraphBody<RefBody>,
) -> GraphResult<Response> {
    if !caller.may_write_groups() {
        return Err(forbidden());
    }
    let g = find(&state, &caller, &id).await?;
    let mid = parse_ref(&body.odata_id)?;
    let is_user = state.store.get_user(caller.tenant, mid).await?.is_some();
    let is_group = !is_user && state.store.get_group(caller.tenant, mid).await?.is_some();
    if !is_user && !is_group {
        return Err(not_found(&mid.to_string()));
    }
    if mid == g.id {
        return Err(bad_request("A group cannot be a member of itself."));
    }
    match state.store.add_member(caller.tenant, g.id, mid).await? {
        MembershipChange::Changed => Ok(crate::ctx::empty(StatusCode::NO_CONTENT)),
        MembershipChange::Unchanged => Err(bad_request(
            "One or more added object references already exist for the following modified properties: 'members'.",
        )),
    }
}

async fn remove_member(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, member)): Path<(String, String)>,
) -> GraphResult<Response> {
    if !caller.may_write_groups() {
        return Err(forbidden());
    }
    let g = find(&state, &caller, &id).await?;
    let mid = path_id(&member)?;
    match state.store.remove_member(caller.tenant, g.id, mid).await? {
        MembershipChange::Changed => Ok(crate::ctx::empty(StatusCode::NO_CONTENT)),
        MembershipChange::Unchanged => Err(not_found(&member)),
    }
}
