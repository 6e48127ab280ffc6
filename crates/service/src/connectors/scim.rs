//! SCIM 2.0 client (RFC 7643 resources, RFC 7644 protocol). A resource's origin id is the SCIM
//! `Group` id at the service provider; granting makes the user a member, revoking takes the
//! membership away. The user is found by `userName` (the subject's principal name) with a
//! filter, and created if missing (a 409 on create means someone else just did, so it is
//! found again). Membership changes are PATCH operations on the group, which are no-ops when
//! the member is already there (or already gone), so a retried grant never duplicates.
use super::http::Client;
use super::{Access, Connector, ConnectorError, Subject};
use async_trait::async_trait;
use serde_json::{json, Value};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SCIM_JSON: &str = "application/scim+json";

pub struct ScimConnector {
    client: Client,
}

/// A SCIM filter string literal (RFC 7644 §3.4.2.2: JSON string rules).
fn literal(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

fn bad_answer(what: &str, e: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Transient(format!("{what}: unreadable answer: {e}"))
}

impl ScimConnector {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.client.base_url)
    }

    /// The SCIM id of the user whose `userName` is the subject's principal name.
    async fn find_user(&self, s: &Subject) -> Result<Option<String>, ConnectorError> {
        let filter = format!("userName eq {}", literal(&s.user_principal_name));
        let rb = self
            .client
            .http
            .get(self.url("/Users"))
            .query(&[("filter", filter.as_str()), ("attributes", "id,userName")])
            .header("accept", SCIM_JSON);
        let resp = self.client.send(rb, "SCIM user lookup").await?;
        let v: Value = resp.json().await.map_err(|e| bad_answer("SCIM user lookup", e))?;
        let found = v["Resources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|u| u["userName"].as_str().is_none_or(|n| n.eq_ignore_ascii_case(&s.user_principal_name)))
            .and_then(|u| u["id"].as_str())
            .map(str::to_string);
        Ok(found)
    }

    async fn create_user(&self, s: &Subject) -> Result<String, ConnectorError> {
        let mut body = json!({
            "schemas": [USER_SCHEMA],
            "userName": s.user_principal_name,
            "externalId": s.id.to_string(),
            "displayName": s.display_name,
            "active": true,
        });
        if s.given_name.is_some() || s.surname.is_some() {
            body["name"] = json!({"givenName": s.given_name, "familyName": s.surname});
        }
        if let Some(m) = &s.mail {
            body["emails"] = json!([{"value": m, "type": "work", "primary": true}]);
        }
        let rb = self
            .client
            .http
            .post(self.url("/Users"))
            .header("content-type", SCIM_JSON)
            .header("accept", SCIM_JSON)
            .body(body.to_string());
        match self.client.send(rb, "SCIM user create").await {
            Ok(resp) => {
                let v: Value = resp.json().await.map_err(|e| bad_answer("SCIM user create", e))?;
                v["id"].as_str().map(str::to_string).ok_or_else(|| bad_answer("SCIM user create", "no id"))
            }
            // 409 uniqueness: created meanwhile (by an earlier attempt of this very delivery).
            Err(ConnectorError::Permanent(m)) if m.contains("409") => self
                .find_user(s)
                .await?
                .ok_or(ConnectorError::Transient(format!("{m}; and the user is not found by userName"))),
            Err(e) => Err(e),
        }
    }

    async fn patch_group(&self, group: &str, op: Value, what: &str) -> Result<reqwest::Response, ConnectorError> {
        let body = json!({"schemas": [PATCH_SCHEMA], "Operations": [op]});
        let rb = self
            .client
            .http
            .patch(self.url(&format!("/Groups/{}", path_segment(group))))
            .header("content-type", SCIM_JSON)
            .header("accept", SCIM_JSON)
            .body(body.to_string());
        self.client.send(rb, what).await
    }
}

/// A group id as one URL path segment.
fn path_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[async_trait]
impl Connector for ScimConnector {
    async fn grant(&self, a: &Access) -> Result<(), ConnectorError> {
        let user = match self.find_user(&a.subject).await? {
            Some(id) => id,
            None => self.create_user(&a.subject).await?,
        };
        let op = json!({"op": "add", "path": "members", "value": [{"value": user}]});
        self.patch_group(&a.resource_origin_id, op, "SCIM group membership add").await?;
        Ok(())
    }

    async fn revoke(&self, a: &Access) -> Result<(), ConnectorError> {
        let Some(user) = self.find_user(&a.subject).await? else { return Ok(()) };
        let op = json!({"op": "remove", "path": format!("members[value eq {}]", literal(&user))});
        match self.patch_group(&a.resource_origin_id, op, "SCIM group membership remove").await {
            Ok(_) => Ok(()),
            // The group is gone at the target: nothing left to revoke.
            Err(ConnectorError::Permanent(m)) if m.contains("404") => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_literals_and_path_segments_are_escaped() {
        assert_eq!(literal(r#"a"b@x"#), r#""a\"b@x""#);
        assert_eq!(path_segment("g 1/2"), "g%201%2F2");
    }
}
