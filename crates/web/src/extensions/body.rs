//! Reading custom extension bodies (create and PATCH) into the domain value. Unknown members
//! are refused with a 400 naming them; read-only members (`id`, dates, `createdBy`) are ignored.
use crate::error::GraphResult;
use crate::policies::reader::{bad, Obj};
use chrono::{DateTime, Utc};
use grantd_domain::extension::{CustomExtension, Endpoint, ExtensionKind};
use grantd_domain::{CatalogId, CustomExtensionId};
use serde_json::Value;

const WRITABLE: [&str; 7] = [
    "displayName",
    "description",
    "endpointConfiguration",
    "authenticationConfiguration",
    "clientConfiguration",
    "callbackConfiguration",
    "@odata.type",
];
const READ_ONLY: [&str; 6] =
    ["id", "createdDateTime", "lastModifiedDateTime", "createdBy", "lastModifiedBy", "modifiedDateTime"];

fn check_members(o: &Obj<'_>, body: &Value) -> GraphResult<()> {
    if let Value::Object(m) = body {
        for k in m.keys() {
            let known = WRITABLE.contains(&k.as_str()) || READ_ONLY.contains(&k.as_str()) || k.starts_with("@odata.");
            if !known {
                return Err(bad(&o.at(k), "is not a property of a custom extension"));
            }
        }
    }
    Ok(())
}

/// The extension type named by `@odata.type` (None when absent).
fn kind(o: &Obj<'_>) -> GraphResult<Option<ExtensionKind>> {
    match o.string("@odata.type")? {
        None => Ok(None),
        Some(t) => ExtensionKind::parse(&t).map(Some).ok_or_else(|| {
            bad(
                &o.at("@odata.type"),
                format!(
                    "'{t}' is not a custom extension type; use #microsoft.graph.accessPackageAssignmentRequestWorkflowExtension or #microsoft.graph.accessPackageAssignmentWorkflowExtension"
                ),
            )
        }),
    }
}

/// Applies the members present in `body` to `e`.
fn apply(e: &mut CustomExtension, o: &Obj<'_>) -> GraphResult<()> {
    if o.map_has("displayName") {
        e.display_name = o.string("displayName")?.ok_or_else(|| bad(&o.at("displayName"), "must not be null"))?;
    }
    if o.map_has("description") {
        e.description = o.string("description")?;
    }
    if let Some(at) = o.child("endpointConfiguration") {
        let ep = at.obj()?;
        if let Some(t) = ep.odata_type()? {
            if t != "logicapptriggerendpointconfiguration" {
                return Err(bad(
                    &ep.at("@odata.type"),
                    "only #microsoft.graph.logicAppTriggerEndpointConfiguration is supported (grantd POSTs to its 'url')",
                ));
            }
        }
        e.endpoint = Endpoint {
            url: ep.string("url")?.ok_or_else(|| bad(&ep.at("url"), "a value is required"))?.trim().to_string(),
            subscription_id: ep.string("subscriptionId")?,
            resource_group_name: ep.string("resourceGroupName")?,
            logic_app_workflow_name: ep.string("logicAppWorkflowName")?,
        };
    } else if o.map_has("endpointConfiguration") {
        return Err(bad(&o.at("endpointConfiguration"), "must not be null"));
    }
    if o.map_has("authenticationConfiguration") {
        e.resource_id = match o.child("authenticationConfiguration") {
            None => None,
            Some(at) => {
                let a = at.obj()?;
                if let Some(t) = a.odata_type()? {
                    if t != "azureadtokenauthentication" {
                        return Err(bad(
                            &a.at("@odata.type"),
                            "only #microsoft.graph.azureAdTokenAuthentication is supported (grantd signs a token for 'resourceId')",
                        ));
                    }
                }
                Some(a.string("resourceId")?.ok_or_else(|| bad(&a.at("resourceId"), "a value is required"))?)
            }
        };
    }
    if o.map_has("clientConfiguration") {
        match o.child("clientConfiguration") {
            None => {
                e.maximum_retries = None;
                e.timeout_in_milliseconds = None;
            }
            Some(at) => {
                let c = at.obj()?;
                e.maximum_retries = c.i32("maximumRetries")?;
                e.timeout_in_milliseconds = c.i32("timeoutInMilliseconds")?;
            }
        }
    }
    if o.map_has("callbackConfiguration") {
        e.callback_timeout = match o.child("callbackConfiguration") {
            None => None,
            Some(at) => {
                let c = at.obj()?;
                Some(
                    c.duration("timeoutDuration")?
                        .ok_or_else(|| bad(&c.at("timeoutDuration"), "a value is required"))?,
                )
            }
        };
        if e.callback_timeout.is_some() && e.kind == ExtensionKind::Legacy {
            return Err(bad(
                &o.at("callbackConfiguration"),
                "is not a property of customAccessPackageWorkflowExtension",
            ));
        }
    }
    Ok(())
}

pub fn create(
    body: &Value,
    catalog: CatalogId,
    legacy: bool,
    now: DateTime<Utc>,
    who: Option<String>,
    allow_http: bool,
) -> GraphResult<CustomExtension> {
    let o = Obj::root(body)?;
    check_members(&o, body)?;
    let kind = match (legacy, kind(&o)?) {
        (true, None | Some(ExtensionKind::Legacy)) => ExtensionKind::Legacy,
        (true, Some(_)) => {
            return Err(bad(
                &o.at("@odata.type"),
                "this set holds #microsoft.graph.customAccessPackageWorkflowExtension",
            ))
        }
        (false, None) => ExtensionKind::RequestWorkflow,
        (false, Some(ExtensionKind::Legacy)) => {
            return Err(bad(&o.at("@odata.type"), "create it in customAccessPackageWorkflowExtensions"))
        }
        (false, Some(k)) => k,
    };
    if o.get("displayName").is_none() {
        return Err(bad(&o.at("displayName"), "a value is required"));
    }
    if o.get("endpointConfiguration").is_none() {
        return Err(bad(&o.at("endpointConfiguration"), "a value is required"));
    }
    let mut e = CustomExtension {
        id: CustomExtensionId::new(),
        catalog_id: catalog,
        kind,
        display_name: String::new(),
        description: None,
        endpoint: Endpoint::default(),
        resource_id: None,
        maximum_retries: None,
        timeout_in_milliseconds: None,
        callback_timeout: None,
        created_by: who.clone(),
        last_modified_by: who,
        created_date_time: now,
        last_modified_date_time: now,
    };
    apply(&mut e, &o)?;
    e.check(allow_http)?;
    Ok(e)
}

pub fn update(e: &mut CustomExtension, body: &Value, allow_http: bool) -> GraphResult<()> {
    let o = Obj::root(body)?;
    check_members(&o, body)?;
    if let Some(k) = kind(&o)? {
        if k != e.kind {
            return Err(bad(&o.at("@odata.type"), "the type of a custom extension cannot be changed"));
        }
    }
    apply(e, &o)?;
    e.check(allow_http)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body() -> Value {
        json!({
            "@odata.type": "#microsoft.graph.accessPackageAssignmentRequestWorkflowExtension",
            "displayName": "SoD check",
            "endpointConfiguration": {"@odata.type": "#microsoft.graph.logicAppTriggerEndpointConfiguration", "url": "https://hooks.example.com/sod"},
            "authenticationConfiguration": {"@odata.type": "#microsoft.graph.azureAdTokenAuthentication", "resourceId": "api://sod"},
            "callbackConfiguration": {"@odata.type": "#microsoft.graph.customExtensionCallbackConfiguration", "timeoutDuration": "PT1H"}
        })
    }

    #[test]
    fn create_reads_every_configuration() {
        let e = create(&body(), CatalogId::new(), false, Utc::now(), None, false).unwrap();
        assert_eq!(e.endpoint.url, "https://hooks.example.com/sod");
        assert_eq!(e.resource_id.as_deref(), Some("api://sod"));
        assert_eq!(e.callback_timeout, Some(chrono::Duration::hours(1)));
        assert!(e.waits());
    }

    #[test]
    fn bad_bodies_name_the_property() {
        let cases = [
            ("callbackConfiguration", json!({"timeoutDuration": "P15D"}), "timeoutDuration"),
            ("endpointConfiguration", json!({"url": "http://hooks.example.com/"}), "https"),
            ("endpointConfiguration", json!(null), "endpointConfiguration"),
            ("clientConfiguration", json!({"maximumRetries": 99}), "maximumRetries"),
            (
                "authenticationConfiguration",
                json!({"@odata.type": "#microsoft.graph.foo", "resourceId": "x"}),
                "azureAdTokenAuthentication",
            ),
            ("colour", json!("blue"), "colour"),
        ];
        for (k, v, want) in cases {
            let mut b = body();
            b[k] = v;
            let e = create(&b, CatalogId::new(), false, Utc::now(), None, false).unwrap_err();
            assert!(e.message.contains(want), "{k}: {}", e.message);
        }
    }
}
