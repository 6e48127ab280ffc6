//! Authentication: every Graph route needs a bearer JWT. Two modes: `dev` (grantd signs its own
//! HS256 tokens with a key kept in the data directory) and `oidc` (tokens from an external
//! issuer, verified against its discovery document and JWKS). The verified claims become a
//! domain `Caller`, with the caller's entitlement-management roles loaded from the store.
//! Tokens are never logged.
mod oidc;

use crate::error::GraphError;
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use grantd_domain::roles::{Caller, DirectoryRole, Principal};
use grantd_domain::{parse_guid, ObjectId, TenantId};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
pub use oidc::{OidcConfig, OidcVerifier};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Audiences every mode accepts: Graph's resource URI and its application id.
pub const GRAPH_AUDIENCES: [&str; 2] = ["https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"];
pub const DEV_ISSUER: &str = "grantd-dev";

/// The claims grantd reads (Microsoft identity platform names).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: serde_json::Value,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    pub tid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Delegated scopes (Microsoft: `scp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    /// Delegated scopes under the standard OAuth name (Keycloak and most other issuers), read
    /// when `scp` is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idtyp: Option<String>,
}

pub enum AuthMode {
    Dev { key: Vec<u8> },
    Oidc(Arc<OidcVerifier>),
}

pub struct Authenticator {
    mode: AuthMode,
    audiences: Vec<String>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = match self.mode {
            AuthMode::Dev { .. } => "dev",
            AuthMode::Oidc(_) => "oidc",
        };
        write!(f, "Authenticator({m})")
    }
}

fn token_error(kind: &ErrorKind) -> GraphError {
    let msg = match kind {
        ErrorKind::ExpiredSignature => "Lifetime validation failed, the token is expired.",
        ErrorKind::ImmatureSignature => "Lifetime validation failed, the token is not yet valid.",
        ErrorKind::InvalidAudience => "Access token validation failure. Invalid audience.",
        ErrorKind::InvalidIssuer => "Access token validation failure. Invalid issuer.",
        ErrorKind::InvalidSignature => "Access token validation failure. Invalid signature.",
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            "Access token validation failure. The signing algorithm is not accepted."
        }
        ErrorKind::MissingRequiredClaim(_) => "Access token validation failure. A required claim is missing.",
        _ => "Invalid JWT token. The token is malformed or cannot be validated.",
    };
    GraphError::unauthenticated(msg)
}

impl Authenticator {
    pub fn dev(key: Vec<u8>, extra_audiences: Vec<String>) -> Self {
        Self { mode: AuthMode::Dev { key }, audiences: audiences(extra_audiences) }
    }
    pub fn oidc(verifier: OidcVerifier, extra_audiences: Vec<String>) -> Self {
        Self { mode: AuthMode::Oidc(Arc::new(verifier)), audiences: audiences(extra_audiences) }
    }

    /// Verifies a bearer token and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, GraphError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| token_error(e.kind()))?;
        let (key, alg, issuers) = match &self.mode {
            AuthMode::Dev { key } => {
                if header.alg != Algorithm::HS256 {
                    return Err(token_error(&ErrorKind::InvalidAlgorithm));
                }
                (DecodingKey::from_secret(key), Algorithm::HS256, vec![DEV_ISSUER.to_string()])
            }
            AuthMode::Oidc(v) => {
                if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
                    return Err(token_error(&ErrorKind::InvalidAlgorithm));
                }
                let kid = header.kid.clone().ok_or_else(|| {
                    GraphError::unauthenticated("Access token validation failure. The token has no key id.")
                })?;
                let issuers = v.issuers_for(token);
                if issuers.is_empty() {
                    return Err(token_error(&ErrorKind::InvalidIssuer));
                }
                let key = v.key(&kid, header.alg).await?;
                (key, header.alg, issuers)
            }
        };
        let mut validation = Validation::new(alg);
        validation.leeway = 60;
        validation.validate_nbf = true;
        validation.set_audience(&self.audiences);
        validation.set_issuer(&issuers);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| token_error(e.kind()))?;
        Ok(data.claims)
    }
}

fn audiences(extra: Vec<String>) -> Vec<String> {
    let mut v: Vec<String> = GRAPH_AUDIENCES.iter().map(|s| s.to_string()).collect();
    v.extend(extra);
    v
}

/// Signs a dev-mode token (for `grantd token`, the demo and tests).
pub fn issue_dev_token(key: &[u8], claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(key))
}

/// Turns verified claims into the domain's caller (without EM roles yet).
///
/// A token is app-only when `idtyp` says `app`, or when it has no delegated scopes at all
/// (Microsoft's app-only tokens never carry `scp`): a token without scopes cannot pass for a
/// user, whatever `oid` it carries. A user is `oid`, or a GUID `sub` when the issuer has no `oid`.
pub fn caller_from_claims(c: &Claims) -> Result<Caller, GraphError> {
    let bad = |what: &str| {
        GraphError::unauthenticated(format!("Access token validation failure. Claim '{what}' is missing or invalid."))
    };
    let tenant = TenantId(parse_guid(&c.tid).ok_or_else(|| bad("tid"))?);
    let scp = c.scp.as_deref().or(c.scope.as_deref());
    let is_app = match c.idtyp.as_deref() {
        Some(t) if t.eq_ignore_ascii_case("app") => true,
        Some(t) if t.eq_ignore_ascii_case("user") => false,
        _ => scp.is_none(),
    };
    let principal = if is_app {
        let app_id = c
            .appid
            .clone()
            .or_else(|| c.azp.clone())
            .or_else(|| c.sub.clone())
            .filter(|a| !a.is_empty())
            .ok_or_else(|| bad("appid"))?;
        Principal::App { app_id }
    } else {
        let oid = match &c.oid {
            Some(o) => parse_guid(o),
            None => c.sub.as_deref().and_then(parse_guid),
        };
        Principal::User { id: ObjectId(oid.ok_or_else(|| bad("oid"))?) }
    };
    let scopes = if is_app { Vec::new() } else { scp.unwrap_or("").split_whitespace().map(str::to_string).collect() };
    let directory_roles =
        c.wids.iter().filter_map(|w| parse_guid(w)).filter_map(DirectoryRole::from_template_id).collect();
    Ok(Caller {
        tenant,
        principal,
        scopes,
        app_roles: if is_app { c.roles.clone() } else { Vec::new() },
        directory_roles,
        em_roles: Vec::new(),
    })
}

/// The bearer token of the request, or the 401 to answer.
fn bearer(req: &Request) -> Result<&str, GraphError> {
    let Some(v) = req.headers().get(header::AUTHORIZATION) else {
        return Err(GraphError::unauthenticated("Access token is empty."));
    };
    let v = v.to_str().map_err(|_| GraphError::unauthenticated("Access token is malformed."))?.trim();
    let (scheme, token) = v.split_once(' ').unwrap_or((v, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(GraphError::unauthenticated(
            "The authorization scheme is not supported; send a Bearer access token.",
        ));
    }
    let t = token.trim();
    if t.is_empty() {
        return Err(GraphError::unauthenticated("Access token is empty."));
    }
    Ok(t)
}

/// Adds RFC 6750's `error="invalid_token"` to the challenge when a token was presented. The
/// challenge never carries `claims=` (that would make Graph SDKs retry for a CAE challenge).
fn rejected(e: GraphError, token_sent: bool) -> Response {
    let mut resp = e.into_response();
    if token_sent {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"grantd\", error=\"invalid_token\""),
        );
    }
    resp
}

/// The EM roles a user holds directly or through their groups.
pub async fn user_em_roles(
    store: &grantd_store::Store,
    tenant: TenantId,
    user: ObjectId,
) -> Result<Vec<(grantd_domain::roles::EmRole, Option<grantd_domain::CatalogId>)>, grantd_store::StoreError> {
    // The same briefly cached access the API's authentication uses (docs/auth.md).
    Ok(store.caller_access(tenant, Some(user), &[]).await?.em_roles.clone())
}

/// Middleware on every Graph route: authenticates and puts the `Caller` in the extensions.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let sent = req.headers().contains_key(header::AUTHORIZATION);
    let token = match bearer(&req) {
        Ok(t) => t,
        Err(e) => return rejected(e, sent),
    };
    let claims = match state.auth.verify(token).await {
        Ok(c) => c,
        Err(e) => return rejected(e, true),
    };
    let mut caller = match caller_from_claims(&claims) {
        Ok(c) => c,
        Err(e) => return rejected(e, true),
    };
    // EM roles held directly, through groups, or (for apps) by the app's service principal id;
    // cached briefly by the store (see docs/auth.md, "Roles and groups are cached").
    let (user, mut principals) = (caller.user_id(), Vec::new());
    if let Principal::App { app_id } = &caller.principal {
        principals.extend(parse_guid(app_id).map(ObjectId));
        principals.extend(claims.oid.as_deref().and_then(parse_guid).map(ObjectId));
    }
    match state.store.caller_access(caller.tenant, user, &principals).await {
        Ok(a) => caller.em_roles = a.em_roles.clone(),
        Err(e) => return GraphError::from(e).into_response(),
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}
