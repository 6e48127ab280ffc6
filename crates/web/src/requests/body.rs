//! Reading request bodies into domain values at the edge. The create body is the same on both
//! versions (the docs send v1.0-style bodies to beta and beta-style ones to v1.0): the
//! assignment comes as `assignment` or `accessPackageAssignment`, ids flat (`targetId`,
//! `assignmentPolicyId`, `accessPackageId`) or nested (`target: {objectId|email}`,
//! `assignmentPolicy: {id}`, `accessPackage: {id}`), `requestType` in any case. snake_case keys
//! (Microsoft's Python snippet, WIRE.md 12) are refused with a 400 naming the property.
use crate::error::GraphResult;
use crate::policies::common::read_schedule;
use crate::policies::reader::{bad, At, Obj};
use grantd_domain::policy::{ApprovalStage, CustomExtensionStage, StageKind};
use grantd_domain::request::validation::{Draft, DraftAnswer, TargetRef};
use grantd_domain::request::RequestType;
use grantd_domain::{parse_guid, AccessPackageId, AssignmentId, ObjectId, PolicyId};
use grantd_service::extensions::Callback;
use grantd_service::requests::ResumeDecision;
use serde_json::Value;
use uuid::Uuid;

fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut up = false;
    for ch in key.chars() {
        if ch == '_' {
            up = true;
        } else if up {
            out.extend(ch.to_uppercase());
            up = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// Refuses snake_case member names of an object (annotations excepted).
fn no_snake_case(o: &Obj<'_>, v: &Value) -> GraphResult<()> {
    if let Value::Object(m) = v {
        for k in m.keys() {
            if k.contains('_') && !k.starts_with('@') {
                return Err(bad(
                    &o.at(k),
                    format!(
                        "'{k}' is not a property of this type; property names are camelCase (did you mean '{}'?)",
                        camel(k)
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn guid<T: From<Uuid>>(path: &str, raw: &str) -> GraphResult<T> {
    parse_guid(raw).map(T::from).ok_or_else(|| bad(path, format!("'{raw}' is not a valid GUID")))
}

/// A flat id (`targetId`) or a nested navigation's id (`target: {id}`), flat first.
fn id_of<T: From<Uuid>>(o: &Obj<'_>, flat: &str, navs: &[&str]) -> GraphResult<Option<T>> {
    if let Some(raw) = o.string(flat)? {
        return guid(&o.at(flat), &raw).map(Some);
    }
    for nav in navs {
        if let Some(raw) = o.nav_id(nav)? {
            return guid(&o.at(&format!("{nav}.id")), &raw).map(Some);
        }
    }
    Ok(None)
}

fn read_target(o: &Obj<'_>) -> GraphResult<TargetRef> {
    if let Some(raw) = o.string("targetId")? {
        return Ok(TargetRef::Id(guid::<ObjectId>(&o.at("targetId"), &raw)?));
    }
    let Some(at) = o.child("target") else { return Ok(TargetRef::None) };
    let t = at.obj()?;
    no_snake_case(&t, at.value)?;
    for name in ["objectId", "id"] {
        if let Some(raw) = t.string(name)? {
            return Ok(TargetRef::Id(guid::<ObjectId>(&t.at(name), &raw)?));
        }
    }
    match t.string("email")? {
        Some(e) if !e.trim().is_empty() => Ok(TargetRef::Email(e)),
        _ => Err(bad(&t.at("objectId"), "the target needs an 'objectId' or an 'email'")),
    }
}

fn read_answers(o: &Obj<'_>) -> GraphResult<Vec<DraftAnswer>> {
    let mut out = Vec::new();
    for at in o.array("answers")? {
        let a = at.obj()?;
        no_snake_case(&a, at.value)?;
        let Some(q) = a.nav_id("answeredQuestion")? else {
            return Err(bad(&a.at("answeredQuestion.id"), "a value is required"));
        };
        let value = match a.get("value") {
            None => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Bool(b)) => b.to_string(),
            Some(_) => return Err(bad(&a.at("value"), "expected a string")),
        };
        out.push(DraftAnswer { question_id: q, value, display_value: a.string("displayValue")? });
    }
    Ok(out)
}

/// Reads a create body (`POST assignmentRequests` / `accessPackageAssignmentRequests`).
pub fn read_draft(body: &Value) -> GraphResult<Draft> {
    let o = Obj::root(body)?;
    no_snake_case(&o, body)?;
    let request_type = match o.string("requestType")? {
        None => return Err(bad("requestType", "a value is required")),
        Some(s) => RequestType::parse(&s).ok_or_else(|| bad("requestType", format!("the value '{s}' is not valid")))?,
    };
    let assignment = match (o.child("assignment"), o.child("accessPackageAssignment")) {
        (Some(a), _) | (None, Some(a)) => Some(a),
        (None, None) => None,
    };
    let mut d = Draft {
        request_type,
        access_package_id: None,
        assignment_policy_id: None,
        target: TargetRef::None,
        assignment_id: None,
        justification: o.string("justification")?,
        schedule: match o.child("schedule") {
            Some(at) => Some(read_schedule(&at.obj()?)?),
            None => None,
        },
        answers: read_answers(&o)?,
        is_validation_only: o.bool_or("isValidationOnly", false)?,
    };
    if let Some(at) = assignment {
        let a = at.obj()?;
        no_snake_case(&a, at.value)?;
        d.access_package_id = id_of::<AccessPackageId>(&a, "accessPackageId", &["accessPackage"])?;
        d.assignment_policy_id =
            id_of::<PolicyId>(&a, "assignmentPolicyId", &["assignmentPolicy", "accessPackageAssignmentPolicy"])?;
        d.target = read_target(&a)?;
        if let Some(raw) = a.string("id")? {
            d.assignment_id = Some(guid::<AssignmentId>(&a.at("id"), &raw)?);
        }
    }
    // Older beta bodies name the package at the top level.
    if d.access_package_id.is_none() {
        d.access_package_id = id_of::<AccessPackageId>(&o, "accessPackageId", &["accessPackage"])?;
    }
    Ok(d)
}

/// The verifiable credentials a create body presents (`verifiedCredentialsData`, read on both
/// versions since the create body is shared): each a compact JWT-VC, as a string or as
/// `{"credential": "<JWT-VC>"}` (Graph defines only the read-back shape, `verifiedCredentialData`;
/// docs/policies.md).
pub fn read_credentials(body: &Value) -> GraphResult<Vec<String>> {
    let o = Obj::root(body)?;
    let mut out = Vec::new();
    for at in o.array("verifiedCredentialsData")? {
        let token = match at.value {
            Value::String(s) => s.trim().to_string(),
            Value::Object(_) => {
                let c = at.obj()?;
                c.string("credential")?.ok_or_else(|| bad(&c.at("credential"), "a compact JWT-VC is required"))?
            }
            _ => return Err(bad(&at.path, "expected a compact JWT-VC or {\"credential\": \"<JWT-VC>\"}")),
        };
        if token.is_empty() {
            return Err(bad(&at.path, "a compact JWT-VC is required"));
        }
        out.push(token);
    }
    Ok(out)
}

/// The callback data types a resume body may carry (after `#` and any `microsoft.graph.`
/// prefixes, which the docs' Example 4 doubles). The docs' Example 1 names the callback
/// configuration type instead; it is read the same way.
const CALLBACK_TYPES: [&str; 3] = [
    "accesspackageassignmentrequestcallbackdata",
    "assignmentrequestapprovalstagecallbackdata",
    "accesspackagerequestapprovalstagecallbackconfiguration",
];

/// Reads a resume body `{source, type, data}` (customExtensionCalloutResponse). `data.state`
/// `Denied`/`Canceled` asks to end the request (honoured at `assignmentRequestCreated` only, by
/// the state machine); no state continues it; any other state is refused.
pub fn read_resume(body: &Value) -> GraphResult<Callback> {
    let o = Obj::root(body)?;
    let mut cb = Callback { source: o.string("source")?, kind: o.string("type")?, ..Callback::default() };
    if let Some(kind) = &cb.kind {
        let known = kind
            .trim()
            .strip_prefix("microsoft.graph.accessPackageCustomExtensionStage.")
            .and_then(CustomExtensionStage::parse)
            .is_some();
        if !known {
            return Err(bad(
                "type",
                format!("'{kind}' is not a stage event; expected 'microsoft.graph.accessPackageCustomExtensionStage.<stage>'"),
            ));
        }
    }
    let Some(at) = o.child("data") else { return Ok(cb) };
    let data = at.obj()?;
    if let Some(t) = data.odata_type()? {
        let mut t = t.as_str();
        while let Some(rest) = t.strip_prefix("microsoft.graph.") {
            t = rest;
        }
        if !CALLBACK_TYPES.contains(&t) {
            return Err(bad(&data.at("@odata.type"), format!("'{t}' is not a custom extension callback data type")));
        }
    }
    cb.stage = data.enumeration("stage", CustomExtensionStage::parse)?;
    cb.instance_id = data.string("customExtensionStageInstanceId")?;
    cb.detail = data.string("customExtensionStageInstanceDetail")?;
    cb.decision = match data.string("state")?.as_deref().map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") => None,
        Some("denied") | Some("deny") => Some(ResumeDecision::Deny),
        Some("canceled") | Some("cancelled") | Some("cancel") => Some(ResumeDecision::Cancel),
        Some(other) => {
            return Err(bad(
                &data.at("state"),
                format!("'{other}' is not allowed; send 'Denied' or 'Canceled', or omit it to continue"),
            ))
        }
    };
    cb.approval_stage = data.get("approvalStage").cloned();
    if let Some(stage) = &cb.approval_stage {
        if !stage.is_object() {
            return Err(bad(&data.at("approvalStage"), "expected an object"));
        }
    }
    Ok(cb)
}

/// Logic Apps escape a leading `@` by doubling it; the docs' Example 4 shows the escaped
/// form (`@@odata.type`). Reads such keys as their single-`@` selves.
fn unescape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = k.strip_prefix('@').filter(|rest| rest.starts_with('@')).unwrap_or(k);
                    (key.to_string(), unescape(v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(unescape).collect()),
        other => other.clone(),
    }
}

/// The stage a dynamic approval stage's custom extension supplies in a resume body
/// (`data.approvalStage`, an `accessPackageApprovalStage`: the approvers and the stage's
/// rules). Read strictly, as a policy's stage is: an approver of unknown type or without a
/// valid id is a 400 naming it. None when the body carries no stage.
pub fn read_supplied_stage(body: &Value) -> GraphResult<Option<ApprovalStage>> {
    let raw = body.get("data").and_then(|d| d.get("approvalStage")).filter(|v| !v.is_null());
    let Some(raw) = raw else { return Ok(None) };
    let value = unescape(raw);
    let mut stage = crate::policies::read_v1_stage(&At { value: &value, path: "data.approvalStage".into() })?;
    stage.kind = StageKind::Fixed;
    Ok(Some(stage))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_body_shapes_read_the_same() {
        let a = json!({"requestType": "adminAdd", "assignment": {"targetId": "46184453-e63b-4f20-86c2-c557ed5d5df9",
            "assignmentPolicyId": "2264bf65-76ba-417b-a27d-54d291f0cbc8", "accessPackageId": "a914b616-e04e-476b-aa37-91038f0b165b"}});
        let b = json!({"requestType": "AdminAdd", "accessPackageAssignment": {"target": {"objectId": "46184453-e63b-4f20-86c2-c557ed5d5df9"},
            "assignmentPolicy": {"id": "2264bf65-76ba-417b-a27d-54d291f0cbc8"}, "accessPackage": {"id": "a914b616-e04e-476b-aa37-91038f0b165b"}}});
        assert_eq!(read_draft(&a).unwrap(), read_draft(&b).unwrap());
    }

    #[test]
    fn every_docs_resume_example_reads() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../server/tests/golden");
        let mut n = 0;
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if name.contains("resume") {
                let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
                read_resume(&v).unwrap_or_else(|e| panic!("{name}: {}", e.message));
                n += 1;
            }
        }
        assert!(n >= 5, "{n} examples");
        let deny = read_resume(&json!({"data": {"stage": "AssignmentRequestCreated", "state": "denied"}})).unwrap();
        assert_eq!(deny.decision, Some(ResumeDecision::Deny));
        assert_eq!(deny.stage, Some(CustomExtensionStage::AssignmentRequestCreated));
        assert!(read_resume(&json!({"data": {"state": "approved"}})).is_err());
        assert!(read_resume(&json!({"type": "something.else"})).is_err());
        assert!(read_resume(&json!({"data": {"@odata.type": "#microsoft.graph.user"}})).is_err());
    }

    #[test]
    fn a_supplied_stage_reads_strictly_and_takes_the_logic_apps_escape() {
        let user = "46184453-e63b-4f20-86c2-c557ed5d5df9";
        let body = |approver: Value| json!({"data": {"approvalStage": {"durationBeforeAutomaticDenial": "P2D", "primaryApprovers": [approver]}}});
        let s = read_supplied_stage(&body(json!({"@@odata.type": "#microsoft.graph.singleUser", "id": user})))
            .unwrap()
            .unwrap();
        assert_eq!(s.primary_approvers.len(), 1);
        assert_eq!(s.duration_before_automatic_denial, Some(chrono::Duration::days(2)));
        assert_eq!(read_supplied_stage(&json!({"data": {}})).unwrap(), None);
        for bad in [
            json!({"@odata.type": "#microsoft.graph.singleUser", "id": ""}),
            json!({"@odata.type": "#microsoft.graph.singleUser", "userId": "x"}),
            json!({"@odata.type": "#microsoft.graph.nobody", "userId": user}),
            json!({"userId": user}),
        ] {
            let e = read_supplied_stage(&body(bad.clone())).unwrap_err();
            assert!(e.message.contains("data.approvalStage.primaryApprovers"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn snake_case_and_missing_request_type_name_the_property() {
        let e = read_draft(&json!({"requestType": "adminAdd", "assignment": {"target_id": "x"}})).unwrap_err();
        assert!(e.message.contains("'assignment.target_id'") && e.message.contains("targetId"), "{}", e.message);
        let e = read_draft(&json!({"assignment": {}})).unwrap_err();
        assert!(e.message.contains("'requestType'"), "{}", e.message);
    }
}
