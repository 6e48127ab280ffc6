//! Portal sessions and CSRF. A session is an HS256-signed token in the `grantd_session`
//! cookie (HttpOnly, SameSite=Lax, Secure when the portal is reached over https, Path=/); it
//! holds the signed-in user (tenant, object id, scopes and directory roles, as their token had
//! them), a CSRF token, and, during an OIDC sign-in, the PKCE verifier, state and nonce. Every
//! visitor gets one (anonymous at first), so even the sign-in form carries a CSRF token.
//!
//! CSRF: every POST must carry a `csrf` form field equal to the session's token (a synchronizer
//! token, compared in constant time); this middleware refuses any other POST with the 403
//! page before a handler runs. The token is rotated at sign-in and sign-out.
use super::page::{self, PortalError};
use super::PortalOptions;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const COOKIE: &str = "grantd_session";
const ISSUER: &str = "grantd-portal";
/// An anonymous session (before sign-in) lasts this long.
const ANONYMOUS_TTL_SECS: i64 = 3600;
/// The largest form the portal accepts.
const FORM_LIMIT: usize = 64 * 1024;

/// The user a session is signed in as.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SessionUser {
    pub tid: String,
    pub oid: String,
    pub name: String,
    /// Delegated scopes.
    #[serde(default)]
    pub scp: Vec<String>,
    /// Directory role template ids (`wids`).
    #[serde(default)]
    pub wids: Vec<String>,
}

/// An OIDC sign-in under way.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PendingLogin {
    pub state: String,
    pub verifier: String,
    pub nonce: String,
    pub next: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Session {
    iss: String,
    pub exp: i64,
    pub csrf: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<SessionUser>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<PendingLogin>,
}

/// A random URL-safe token of 32 bytes.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

impl Session {
    pub fn anonymous() -> Session {
        Session {
            iss: ISSUER.into(),
            exp: chrono::Utc::now().timestamp() + ANONYMOUS_TTL_SECS,
            csrf: random_token(),
            user: None,
            login: None,
        }
    }

    /// A new session for `user` (a fresh CSRF token: no token from before sign-in survives).
    pub fn signed_in(user: SessionUser, ttl: chrono::Duration) -> Session {
        Session {
            iss: ISSUER.into(),
            exp: chrono::Utc::now().timestamp() + ttl.num_seconds().max(60),
            csrf: random_token(),
            user: Some(user),
            login: None,
        }
    }

    fn encode(&self, key: &[u8]) -> Option<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), self, &EncodingKey::from_secret(key)).ok()
    }

    fn decode(token: &str, key: &[u8]) -> Option<Session> {
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 0;
        v.set_issuer(&[ISSUER]);
        v.validate_aud = false;
        v.set_required_spec_claims(&["exp", "iss"]);
        jsonwebtoken::decode::<Session>(token, &DecodingKey::from_secret(key), &v).ok().map(|d| d.claims)
    }
}

/// Put on a response to replace the session (sign-in, sign-out, OIDC start).
#[derive(Debug, Clone)]
pub struct SetSession(pub Session);

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The Set-Cookie value for a session.
fn set_cookie(s: &Session, key: &[u8]) -> Option<HeaderValue> {
    let token = s.encode(key)?;
    let max_age = (s.exp - chrono::Utc::now().timestamp()).max(0);
    let secure = if crate::ctx::current().base_url.starts_with("https://") { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")).ok()
}

/// Constant-time comparison of two tokens.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `csrf` field of a url-encoded form body.
fn csrf_field(body: &[u8]) -> Option<String> {
    let fields: Vec<(String, String)> = form_pairs(body)?;
    fields.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v)
}

/// Parses `application/x-www-form-urlencoded` into pairs, keeping repeated names.
pub fn form_pairs(body: &[u8]) -> Option<Vec<(String, String)>> {
    let text = std::str::from_utf8(body).ok()?;
    let decode = |s: &str| -> Option<String> {
        let s = s.replace('+', " ");
        percent_encoding::percent_decode_str(&s).decode_utf8().ok().map(|c| c.into_owned())
    };
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((decode(k)?, decode(v)?))
        })
        .collect()
}

/// Loads (or starts) the session, refuses POSTs without the session's CSRF token, and writes
/// the cookie back when the session is new or a handler replaced it. Portal pages are never
/// cached and never framed.
pub async fn layer(Extension(opts): Extension<Arc<PortalOptions>>, req: Request, next: Next) -> Response {
    let key = opts.session_key.as_slice();
    let existing = cookie_value(req.headers(), COOKIE).and_then(|t| Session::decode(t, key));
    let fresh = existing.is_none();
    let session = existing.unwrap_or_else(Session::anonymous);
    let (parts, body) = req.into_parts();
    let mut req = if parts.method == Method::POST {
        let bytes = match to_bytes(body, FORM_LIMIT).await {
            Ok(b) => b,
            Err(_) => {
                return finish(
                    PortalError::BadRequest("The form is too large.".into()).into_response(),
                    &session,
                    fresh,
                    key,
                )
            }
        };
        let ok = csrf_field(&bytes).is_some_and(|t| same(&t, &session.csrf));
        if !ok {
            let resp = PortalError::Csrf.into_response();
            return finish(resp, &session, fresh, key);
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        Request::from_parts(parts, body)
    };
    req.extensions_mut().insert(session.clone());
    let resp = next.run(req).await;
    finish(resp, &session, fresh, key)
}

fn finish(mut resp: Response, session: &Session, fresh: bool, key: &[u8]) -> Response {
    let replaced = resp.extensions_mut().remove::<SetSession>().map(|s| s.0);
    let to_write = match (&replaced, fresh) {
        (Some(s), _) => Some(s),
        (None, true) => Some(session),
        (None, false) => None,
    };
    let h = resp.headers_mut();
    if let Some(v) = to_write.and_then(|s| set_cookie(s, key)) {
        h.append(header::SET_COOKIE, v);
    }
    page::security_headers(h);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_round_trips_and_a_forged_one_does_not() {
        let key = [7u8; 32];
        let s = Session::anonymous();
        let t = s.encode(&key).unwrap();
        assert_eq!(Session::decode(&t, &key), Some(s));
        assert_eq!(Session::decode(&t, &[8u8; 32]), None);
    }

    #[test]
    fn form_pairs_keep_repeats_and_decode() {
        let p = form_pairs(b"a=1&a=2&b=x+y%21&csrf=abc").unwrap();
        assert_eq!(p.len(), 4);
        assert_eq!(p[2], ("b".into(), "x y!".into()));
        assert_eq!(csrf_field(b"x=1&csrf=abc").as_deref(), Some("abc"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
