//! `entitlementManagement/settings` (`entitlementManagementSettings`, entitlementmanagementsettings-get.md
//! and -update.md): GET for entitlement-management readers, PATCH (204) for administrators.
//! v1.0 `externalUserLifecycleAction` (enum, camelCase) and `durationUntilExternalUserDeletedAfterBlocked`
//! (Duration); beta the same action in PascalCase and `daysUntilExternalUserDeletedAfterBlocked`
//! (Int64). One document per tenant; what it does is in grantd_service::external_users.
use super::{set, EM};
use crate::error::{GraphError, GraphResult};
use crate::json::{self, ApiVersion, GraphBody};
use crate::policies::reader::{bad, Obj};
use crate::wire::{format_duration, parse_duration};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use grantd_domain::external_users::{EntitlementSettings, ExternalUserLifecycleAction};
use grantd_domain::roles::Caller;
use serde_json::{json, Value};

const SET: &str = "settings";
/// Graph's `id` of the settings: "A constant".
const SETTINGS_ID: &str = "00000000-0000-0000-0000-000000000000";
/// The longest delay accepted before deletion (a year).
const MAX_DAYS: i64 = 365;

pub fn shared_routes() -> Router<AppState> {
    Router::new().route(&format!("{EM}/{SET}"), get(get_settings).patch(update_settings))
}

fn render(s: &EntitlementSettings, v: ApiVersion) -> Value {
    match v {
        ApiVersion::V1 => json!({
            "id": SETTINGS_ID,
            "durationUntilExternalUserDeletedAfterBlocked": format_duration(&s.delete_after_blocked()),
            "externalUserLifecycleAction": s.external_user_lifecycle_action.v1(),
        }),
        ApiVersion::Beta => json!({
            "id": SETTINGS_ID,
            "daysUntilExternalUserDeletedAfterBlocked": s.delete_after_blocked_secs / 86_400,
            "externalUserLifecycleAction": s.external_user_lifecycle_action.beta(),
        }),
    }
}

fn apply(s: &mut EntitlementSettings, body: &Value, v: ApiVersion) -> GraphResult<()> {
    let o = Obj::root(body)?;
    let (days_key, other_key) = match v {
        ApiVersion::V1 => ("durationUntilExternalUserDeletedAfterBlocked", "daysUntilExternalUserDeletedAfterBlocked"),
        ApiVersion::Beta => {
            ("daysUntilExternalUserDeletedAfterBlocked", "durationUntilExternalUserDeletedAfterBlocked")
        }
    };
    if let Value::Object(m) = body {
        for k in m.keys() {
            let known = k == "externalUserLifecycleAction" || k == days_key || k == "id" || k.starts_with('@');
            if !known {
                let hint = if k == other_key { " (the other API version's name)" } else { "" };
                return Err(bad(k, format!("'{k}' is not a property of entitlementManagementSettings{hint}")));
            }
        }
    }
    if let Some(a) = o.enumeration("externalUserLifecycleAction", ExternalUserLifecycleAction::parse)? {
        s.external_user_lifecycle_action = a;
    }
    let secs = match (v, o.get(days_key)) {
        (_, None) => None,
        (ApiVersion::V1, Some(Value::String(d))) => Some(
            parse_duration(d)
                .map(|d| d.num_seconds())
                .ok_or_else(|| bad(days_key, format!("'{d}' is not an ISO 8601 duration")))?,
        ),
        (ApiVersion::Beta, Some(n)) if n.is_i64() => n.as_i64().map(|d| d.saturating_mul(86_400)),
        (_, Some(_)) => return Err(bad(days_key, "expected a duration (v1.0) or a number of days (beta)")),
    };
    if let Some(secs) = secs {
        if !(0..=MAX_DAYS * 86_400).contains(&secs) {
            return Err(bad(days_key, format!("must be between 0 and {MAX_DAYS} days")));
        }
        s.delete_after_blocked_secs = secs;
    }
    Ok(())
}

async fn get_settings(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
) -> GraphResult<Response> {
    if !caller.is_em_reader() {
        return Err(GraphError::forbidden());
    }
    let s = state.store.entitlement_settings(caller.tenant).await?;
    Ok(json::entity(StatusCode::OK, v, &set(SET), render(&s, v)))
}

async fn update_settings(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    GraphBody(body): GraphBody<Value>,
) -> GraphResult<Response> {
    if !caller.is_em_admin() {
        return Err(GraphError::forbidden());
    }
    let mut s = state.store.entitlement_settings(caller.tenant).await?;
    apply(&mut s, &body, v)?;
    state.store.put_entitlement_settings(caller.tenant, &s).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}
