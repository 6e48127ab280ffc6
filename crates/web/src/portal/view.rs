//! The signed-in viewer (the `Viewer` extractor: the session's user as a domain `Caller`, with
//! the entitlement-management roles the store holds for them and their groups) and the small
//! formatting helpers the pages share (dates, states, ids in URLs).
use super::page::{Chrome, PortalError};
use super::session::{Session, SessionUser};
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use grantd_domain::roles::{Caller, DirectoryRole, Principal};
use grantd_domain::{parse_guid, ObjectId, TenantId};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// Characters escaped in a query-string value.
pub const QUERY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');

/// The signed-in user of a page.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub caller: Caller,
    pub me: ObjectId,
    pub user: SessionUser,
    pub csrf: String,
}

impl Viewer {
    /// Administrators see the admin pages: tenant-wide readers and catalog-role holders.
    pub fn is_admin(&self) -> bool {
        self.caller.is_em_reader() || !self.caller.em_roles.is_empty()
    }
    pub fn chrome(&self, active: &'static str) -> Chrome {
        Chrome { user_name: Some(self.user.name.clone()), is_admin: self.is_admin(), csrf: self.csrf.clone(), active }
    }
    pub fn tenant(&self) -> TenantId {
        self.caller.tenant
    }
}

/// The caller a session user acts as (EM roles not yet loaded).
pub fn caller_of(u: &SessionUser) -> Option<(Caller, ObjectId)> {
    let tenant = TenantId(parse_guid(&u.tid)?);
    let me = ObjectId(parse_guid(&u.oid)?);
    let caller = Caller {
        tenant,
        principal: Principal::User { id: me },
        scopes: u.scp.clone(),
        app_roles: Vec::new(),
        directory_roles: u
            .wids
            .iter()
            .filter_map(|w| parse_guid(w))
            .filter_map(DirectoryRole::from_template_id)
            .collect(),
        em_roles: Vec::new(),
    };
    Some((caller, me))
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = PortalError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let next = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        let session = parts.extensions.get::<Session>().cloned().ok_or(PortalError::Internal)?;
        let Some(user) = session.user.clone() else {
            return Err(PortalError::SignIn { next });
        };
        let Some((mut caller, me)) = caller_of(&user) else {
            return Err(PortalError::SignIn { next });
        };
        // A user removed from the directory since sign-in is signed out.
        if state.store.get_user(caller.tenant, me).await?.is_none_or(|u| !u.account_enabled) {
            return Err(PortalError::SignIn { next });
        }
        caller.em_roles = crate::auth::user_em_roles(&state.store, caller.tenant, me).await?;
        Ok(Viewer { caller, me, user, csrf: session.csrf })
    }
}

/// `2026-11-28 14:05 UTC`.
pub fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn when_opt(t: Option<DateTime<Utc>>) -> String {
    t.map(when).unwrap_or_else(|| "—".into())
}

/// `pendingApproval` → `Pending approval`.
pub fn humanize(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for (i, ch) in s.chars().enumerate() {
        if i == 0 {
            out.extend(ch.to_uppercase());
        } else if ch.is_uppercase() {
            out.push(' ');
            out.extend(ch.to_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// A CSS class for a state badge.
pub fn badge(state: &str) -> &'static str {
    match state {
        "delivered" => "ok",
        "denied" | "canceled" | "deliveryFailed" | "expired" => "off",
        "partiallyDelivered" => "warn",
        _ => "wait",
    }
}

/// A uuid path segment, or 404.
pub fn path_id(raw: &str) -> Result<uuid::Uuid, PortalError> {
    parse_guid(raw).ok_or_else(|| PortalError::NotFound("No such page.".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_as_words() {
        assert_eq!(humanize("pendingApproval"), "Pending approval");
        assert_eq!(humanize("delivered"), "Delivered");
    }
}
