//! `/users`, `/users/{id}`, `/me`, a user's `manager` and `sponsors`. Any caller of the tenant
//! may read; writing needs a directory administrator (or an app with User.ReadWrite.All).
use super::{bad_request, not_found, parse_ref, path_id};
use crate::error::{GraphError, GraphResult};
use crate::json::{self, ApiVersion, GraphBody};
use crate::query::{Kind, OData};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use axum::{Extension, Router};
use grantd_domain::directory::{check_display_name, check_upn, User, USER_CATALOG};
use grantd_domain::roles::Caller;
use grantd_domain::{parse_guid, ObjectId, TenantId};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(list_users).post(create_user))
        .route("/users/{id}", get(get_user).patch(update_user).delete(delete_user))
        .route("/users/{id}/manager", get(get_manager))
        .route("/users/{id}/manager/$ref", put(set_manager).delete(remove_manager))
        .route("/users/{id}/sponsors", get(list_sponsors))
        .route("/users/{id}/sponsors/$ref", post(add_sponsor))
        .route("/users/{id}/sponsors/{sponsor}/$ref", delete(remove_sponsor))
        .route("/me", get(get_me))
}

/// The Graph `user` representation.
pub fn render(u: &User) -> Value {
    json!({
        "id": u.id.to_string(),
        "displayName": u.display_name,
        "userPrincipalName": u.user_principal_name,
        "mail": u.mail,
        "givenName": u.given_name,
        "surname": u.surname,
        "jobTitle": u.job_title,
        "department": u.department,
        "accountEnabled": u.account_enabled,
        "userType": u.user_type,
        "createdDateTime": crate::wire::format_datetime(&u.created_date_time),
    })
}

fn render_with_type(u: &User) -> Value {
    let mut v = json!({"@odata.type": "#microsoft.graph.user"});
    if let (Value::Object(m), Value::Object(r)) = (&mut v, render(u)) {
        m.extend(r);
    }
    v
}

const NAVIGATIONS: &[&str] = &["manager", "sponsors"];

/// Finds a user by object id or user principal name (Graph accepts both in `/users/{id}`).
pub async fn find(state: &AppState, tenant: TenantId, key: &str) -> GraphResult<User> {
    let found = match parse_guid(key) {
        Some(id) => state.store.get_user(tenant, ObjectId(id)).await?,
        None => state.store.find_user_by_upn(tenant, key).await?,
    };
    found.ok_or_else(|| not_found(key))
}

pub(crate) async fn expand(
    state: &AppState,
    tenant: TenantId,
    u: &User,
    navs: &[&str],
    out: &mut Value,
) -> GraphResult<()> {
    for nav in navs {
        match *nav {
            "manager" => {
                let m = match u.manager_id {
                    Some(id) => state.store.get_user(tenant, id).await?.map(|m| render_with_type(&m)),
                    None => None,
                };
                out["manager"] = m.unwrap_or(Value::Null);
            }
            "sponsors" => {
                let s = state.store.users_by_ids(tenant, &u.sponsor_ids).await?;
                out["sponsors"] = Value::Array(s.iter().map(render_with_type).collect());
            }
            _ => {}
        }
    }
    Ok(())
}

async fn list_users(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    q: OData,
) -> GraphResult<Response> {
    if !caller.may_read_directory() {
        return Err(GraphError::forbidden());
    }
    let navs = q.check_expand("microsoft.graph.user", NAVIGATIONS)?;
    let lq = q.list_query(&USER_CATALOG)?;
    let page = state.store.list_users(caller.tenant, &lq).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for u in &page.items {
        let mut r = render(u);
        expand(&state, caller.tenant, u, &navs, &mut r).await?;
        items.push(r);
    }
    crate::expand::finish(&state, &caller, &q, Kind::User, &mut items, &navs).await?;
    Ok(json::collection(v, "users", items, page.count, q.next_link(page.next.as_deref())))
}

async fn get_one(state: &AppState, caller: &Caller, v: ApiVersion, q: &OData, u: &User) -> GraphResult<Response> {
    let navs = q.check_expand("microsoft.graph.user", NAVIGATIONS)?;
    let mut r = render(u);
    expand(state, caller.tenant, u, &navs, &mut r).await?;
    let mut items = [r];
    crate::expand::finish(state, caller, q, Kind::User, &mut items, &navs).await?;
    let [r] = items;
    Ok(json::entity(StatusCode::OK, v, "users", r))
}

async fn get_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    q: OData,
) -> GraphResult<Response> {
    let u = find(&state, caller.tenant, &id).await?;
    get_one(&state, &caller, v, &q, &u).await
}

async fn get_me(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    q: OData,
) -> GraphResult<Response> {
    let id =
        caller.user_id().ok_or_else(|| bad_request("/me request is only valid with delegated authentication flow."))?;
    let u = state.store.get_user(caller.tenant, id).await?.ok_or_else(|| not_found(&id.to_string()))?;
    get_one(&state, &caller, v, &q, &u).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserInput {
    id: Option<String>,
    display_name: Option<String>,
    user_principal_name: Option<String>,
    mail: Option<String>,
    given_name: Option<String>,
    surname: Option<String>,
    job_title: Option<String>,
    department: Option<String>,
    account_enabled: Option<bool>,
    user_type: Option<String>,
    #[allow(dead_code)]
    mail_nickname: Option<String>,
    #[allow(dead_code)]
    password_profile: Option<Value>,
}

fn check_user_type(t: &str) -> GraphResult<String> {
    match t.to_ascii_lowercase().as_str() {
        "member" => Ok("Member".into()),
        "guest" => Ok("Guest".into()),
        _ => Err(bad_request(format!("Invalid value specified for property 'userType': '{t}'."))),
    }
}

async fn create_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    GraphBody(input): GraphBody<UserInput>,
) -> GraphResult<Response> {
    if !caller.may_write_users() {
        return Err(GraphError::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        ));
    }
    let display_name = input.display_name.ok_or_else(|| bad_request("Property 'displayName' is required."))?;
    check_display_name(&display_name)?;
    let upn = input.user_principal_name.ok_or_else(|| bad_request("Property 'userPrincipalName' is required."))?;
    check_upn(&upn)?;
    let id = match input.id.as_deref() {
        Some(s) => ObjectId(parse_guid(s).ok_or_else(|| bad_request(format!("Invalid object identifier '{s}'.")))?),
        None => ObjectId::new(),
    };
    let user = User {
        id,
        display_name,
        user_principal_name: upn.clone(),
        mail: input.mail,
        given_name: input.given_name,
        surname: input.surname,
        job_title: input.job_title,
        department: input.department,
        account_enabled: input.account_enabled.unwrap_or(true),
        user_type: check_user_type(input.user_type.as_deref().unwrap_or("Member"))?,
        manager_id: None,
        sponsor_ids: Vec::new(),
        created_date_time: state.clock.now(),
    };
    state.store.create_user(caller.tenant, &user).await.map_err(|e| match e {
        grantd_store::StoreError::Duplicate => bad_request(format!(
            "Another object with the same value for property userPrincipalName already exists: '{upn}'."
        )),
        other => other.into(),
    })?;
    Ok(json::entity(StatusCode::CREATED, v, "users", render(&user)))
}

fn require_user_admin(caller: &Caller) -> GraphResult<()> {
    if caller.may_write_users() {
        Ok(())
    } else {
        Err(GraphError::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        ))
    }
}

async fn update_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    GraphBody(input): GraphBody<UserInput>,
) -> GraphResult<Response> {
    require_user_admin(&caller)?;
    let mut u = find(&state, caller.tenant, &id).await?;
    if let Some(n) = input.display_name {
        check_display_name(&n)?;
        u.display_name = n;
    }
    if let Some(upn) = input.user_principal_name {
        check_upn(&upn)?;
        u.user_principal_name = upn;
    }
    if let Some(t) = input.user_type {
        u.user_type = check_user_type(&t)?;
    }
    macro_rules! set {
        ($($f:ident),*) => {$( if input.$f.is_some() { u.$f = input.$f; } )*};
    }
    set!(mail, given_name, surname, job_title, department);
    if let Some(b) = input.account_enabled {
        u.account_enabled = b;
    }
    state.store.update_user(caller.tenant, &u).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

async fn delete_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    require_user_admin(&caller)?;
    let u = find(&state, caller.tenant, &id).await?;
    state.store.delete_user(caller.tenant, u.id).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

async fn get_manager(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    let u = find(&state, caller.tenant, &id).await?;
    let m = match u.manager_id {
        Some(mid) => state.store.get_user(caller.tenant, mid).await?,
        None => None,
    };
    let m = m.ok_or_else(|| not_found("manager"))?;
    Ok(json::entity(StatusCode::OK, v, "directoryObjects", render_with_type(&m)))
}

#[derive(Debug, Deserialize)]
struct RefBody {
    #[serde(rename = "@odata.id")]
    odata_id: String,
}

async fn set_manager(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    GraphBody(body): GraphBody<RefBody>,
) -> GraphResult<Response> {
    require_user_admin(&caller)?;
    let mut u = find(&state, caller.tenant, &id).await?;
    let mid = parse_ref(&body.odata_id)?;
    if mid == u.id {
        return Err(bad_request("A user cannot be their own manager."));
    }
    state.store.get_user(caller.tenant, mid).await?.ok_or_else(|| not_found(&mid.to_string()))?;
    u.manager_id = Some(mid);
    state.store.update_user(caller.tenant, &u).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

async fn remove_manager(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    require_user_admin(&caller)?;
    let mut u = find(&state, caller.tenant, &id).await?;
    if u.manager_id.take().is_none() {
        return Err(not_found("manager"));
    }
    state.store.update_user(caller.tenant, &u).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

async fn list_sponsors(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    let u = find(&state, caller.tenant, &id).await?;
    let s = state.store.users_by_ids(caller.tenant, &u.sponsor_ids).await?;
    Ok(json::collection(v, "directoryObjects", s.iter().map(render_with_type).collect(), None, None))
}

async fn add_sponsor(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    GraphBody(body): GraphBody<RefBody>,
) -> GraphResult<Response> {
    require_user_admin(&caller)?;
    let mut u = find(&state, caller.tenant, &id).await?;
    let sid = parse_ref(&body.odata_id)?;
    state.store.get_user(caller.tenant, sid).await?.ok_or_else(|| not_found(&sid.to_string()))?;
    if u.sponsor_ids.contains(&sid) {
        return Err(bad_request(
            "One or more added object references already exist for the following modified properties: 'sponsors'.",
        ));
    }
    u.sponsor_ids.push(sid);
    state.store.update_user(caller.tenant, &u).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

async fn remove_sponsor(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, sponsor)): Path<(String, String)>,
) -> GraphResult<Response> {
    require_user_admin(&caller)?;
    let mut u = find(&state, caller.tenant, &id).await?;
    let sid = path_id(&sponsor)?;
    let before = u.sponsor_ids.len();
    u.sponsor_ids.retain(|s| *s != sid);
    if u.sponsor_ids.len() == before {
        return Err(not_found(&sponsor));
    }
    state.store.update_user(caller.tenant, &u).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}
