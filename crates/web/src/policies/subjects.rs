//! Subject sets on the wire: v1.0 `subjectSet` and beta `userSet` derived types, chosen by
//! `@odata.type` (accepted with or without `#`, any case; emitted as
//! `#microsoft.graph.{name}`, WIRE.md 19). v1.0 names the principal `userId`/`groupId`/
//! `connectedOrganizationId`, beta `id` (either spelling is accepted on both versions); beta
//! adds `isBackup`. An unknown or missing type is a 400 naming the property.
use super::reader::{bad, At, Obj};
use crate::error::GraphResult;
use crate::json::ApiVersion;
use grantd_domain::parse_guid;
use grantd_domain::policy::{Subject, SubjectSet};
use serde_json::{json, Map, Value};

/// A principal id: a GUID, normalised to lower-case hyphenated form.
fn principal(o: &Obj<'_>, v: ApiVersion, v1_name: &str) -> GraphResult<String> {
    let (first, second) = match v {
        ApiVersion::V1 => (v1_name, "id"),
        ApiVersion::Beta => ("id", v1_name),
    };
    let (name, value) = match o.string(first)? {
        Some(s) => (first, s),
        None => match o.string(second)? {
            Some(s) => (second, s),
            None => return Err(bad(&o.at(first), "a value is required")),
        },
    };
    parse_guid(&value).map(|u| u.to_string()).ok_or_else(|| bad(&o.at(name), format!("'{value}' is not a valid GUID")))
}

fn required(o: &Obj<'_>, name: &str) -> GraphResult<String> {
    match o.string(name)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(bad(&o.at(name), "a value is required")),
    }
}

/// Reads one subject set.
pub fn read(at: &At<'_>, v: ApiVersion) -> GraphResult<SubjectSet> {
    let o = at.obj()?;
    let Some(ty) = o.odata_type()? else {
        return Err(bad(
            &o.at("@odata.type"),
            "the type of a subject set is required (e.g. #microsoft.graph.singleUser)",
        ));
    };
    let description = o.string("description")?;
    let subject = match ty.as_str() {
        "singleuser" => Subject::SingleUser { user_id: principal(&o, v, "userId")?, description },
        "groupmembers" => Subject::GroupMembers { group_id: principal(&o, v, "groupId")?, description },
        "connectedorganizationmembers" => Subject::ConnectedOrganizationMembers {
            connected_organization_id: principal(&o, v, "connectedOrganizationId")?,
            description,
        },
        "requestormanager" => Subject::RequestorManager { manager_level: o.i32("managerLevel")? },
        "targetmanager" => Subject::TargetManager { manager_level: o.i32("managerLevel")? },
        "internalsponsors" => Subject::InternalSponsors,
        "externalsponsors" => Subject::ExternalSponsors,
        "targetusersponsors" => Subject::TargetUserSponsors,
        "targetapplicationowners" => Subject::TargetApplicationOwners,
        "targetagentidentitysponsorsorowners" => Subject::TargetAgentIdentitySponsorsOrOwners,
        "attributerulemembers" => {
            Subject::AttributeRuleMembers { membership_rule: required(&o, "membershipRule")?, description }
        }
        "singleserviceprincipal" => Subject::SingleServicePrincipal {
            service_principal_id: principal(&o, v, "servicePrincipalId")?,
            description,
        },
        "rulebasedsubjectset" => Subject::RuleBased { rule: required(&o, "rule")? },
        _ => {
            let raw = o.string("@odata.type")?.unwrap_or_default();
            return Err(bad(&o.at("@odata.type"), format!("'{raw}' is not a known subject set type")));
        }
    };
    let is_backup = match v {
        ApiVersion::Beta => o.bool_or("isBackup", false)?,
        ApiVersion::V1 => false,
    };
    Ok(SubjectSet { subject, is_backup })
}

/// Reads the subject-set array at `name` (absent or null = empty).
pub fn read_list(o: &Obj<'_>, name: &str, v: ApiVersion) -> GraphResult<Vec<SubjectSet>> {
    o.array(name)?.iter().map(|at| read(at, v)).collect()
}

/// Renders one subject set in the version's shape.
pub fn render(s: &SubjectSet, v: ApiVersion) -> Value {
    let mut m = Map::new();
    m.insert("@odata.type".into(), json!(format!("#microsoft.graph.{}", s.subject.type_name())));
    if v == ApiVersion::Beta {
        m.insert("isBackup".into(), json!(s.is_backup));
    }
    let id_key = |v1: &'static str| if v == ApiVersion::Beta { "id" } else { v1 };
    match &s.subject {
        Subject::SingleUser { user_id, description } => {
            m.insert(id_key("userId").into(), json!(user_id));
            m.insert("description".into(), json!(description));
        }
        Subject::GroupMembers { group_id, description } => {
            m.insert(id_key("groupId").into(), json!(group_id));
            m.insert("description".into(), json!(description));
        }
        Subject::ConnectedOrganizationMembers { connected_organization_id, description } => {
            m.insert(id_key("connectedOrganizationId").into(), json!(connected_organization_id));
            m.insert("description".into(), json!(description));
        }
        Subject::RequestorManager { manager_level } | Subject::TargetManager { manager_level } => {
            m.insert("managerLevel".into(), json!(manager_level));
        }
        Subject::AttributeRuleMembers { membership_rule, description } => {
            m.insert("description".into(), json!(description));
            m.insert("membershipRule".into(), json!(membership_rule));
        }
        Subject::SingleServicePrincipal { service_principal_id, description } => {
            m.insert("servicePrincipalId".into(), json!(service_principal_id));
            m.insert("description".into(), json!(description));
        }
        Subject::RuleBased { rule } => {
            m.insert("rule".into(), json!(rule));
        }
        Subject::InternalSponsors
        | Subject::ExternalSponsors
        | Subject::TargetUserSponsors
        | Subject::TargetApplicationOwners
        | Subject::TargetAgentIdentitySponsorsOrOwners => {}
    }
    Value::Object(m)
}

pub fn render_list(list: &[SubjectSet], v: ApiVersion) -> Value {
    Value::Array(list.iter().map(|s| render(s, v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(v: ApiVersion, body: Value) -> GraphResult<SubjectSet> {
        let wrapper = json!({ "x": [body] });
        let o = Obj::root(&wrapper).unwrap();
        read_list(&o, "x", v).map(|mut l| l.remove(0))
    }

    #[test]
    fn every_kind_round_trips_on_both_versions() {
        let id = "7deff43e-1f17-44ef-9e5f-d516b0ba11d4";
        let subjects = [
            Subject::SingleUser { user_id: id.into(), description: Some("d".into()) },
            Subject::GroupMembers { group_id: id.into(), description: None },
            Subject::ConnectedOrganizationMembers { connected_organization_id: id.into(), description: None },
            Subject::RequestorManager { manager_level: Some(2) },
            Subject::TargetManager { manager_level: None },
            Subject::InternalSponsors,
            Subject::ExternalSponsors,
            Subject::TargetUserSponsors,
            Subject::TargetApplicationOwners,
            Subject::TargetAgentIdentitySponsorsOrOwners,
            Subject::AttributeRuleMembers {
                membership_rule: "(user.department -eq \"Sales\")".into(),
                description: None,
            },
            Subject::SingleServicePrincipal { service_principal_id: id.into(), description: None },
            Subject::RuleBased { rule: "x".into() },
        ];
        for v in [ApiVersion::V1, ApiVersion::Beta] {
            for s in &subjects {
                let set = SubjectSet { subject: s.clone(), is_backup: v == ApiVersion::Beta };
                let wire = render(&set, v);
                assert!(wire["@odata.type"].as_str().unwrap().starts_with("#microsoft.graph."));
                assert_eq!(one(v, wire).unwrap(), set, "{v:?} {s:?}");
            }
        }
    }

    #[test]
    fn id_names_differ_by_version() {
        let id = "7deff43e-1f17-44ef-9e5f-d516b0ba11d4";
        let v1 =
            render(&SubjectSet::new(Subject::SingleUser { user_id: id.into(), description: None }), ApiVersion::V1);
        assert_eq!(v1["userId"], id);
        let beta = render(
            &SubjectSet::new(Subject::GroupMembers { group_id: id.into(), description: None }),
            ApiVersion::Beta,
        );
        assert_eq!(beta["id"], id);
        assert_eq!(beta["isBackup"], false);
        // Either spelling is read on either version.
        let s = one(ApiVersion::Beta, json!({"@odata.type": "microsoft.graph.singleUser", "userId": id})).unwrap();
        assert_eq!(s.subject, Subject::SingleUser { user_id: id.into(), description: None });
    }

    #[test]
    fn unknown_missing_and_malformed_subjects_are_rejected() {
        let e = one(ApiVersion::V1, json!({"@odata.type": "#microsoft.graph.everyone"})).unwrap_err();
        assert_eq!(e.code, "InvalidModel");
        assert!(e.message.contains("x[0].@odata.type"), "{}", e.message);
        let e = one(ApiVersion::V1, json!({"userId": "x"})).unwrap_err();
        assert!(e.message.contains("@odata.type"), "{}", e.message);
        let e =
            one(ApiVersion::V1, json!({"@odata.type": "#microsoft.graph.singleUser", "userId": "nope"})).unwrap_err();
        assert!(e.message.contains("x[0].userId"), "{}", e.message);
        let e = one(ApiVersion::V1, json!({"@odata.type": "#microsoft.graph.groupMembers"})).unwrap_err();
        assert!(e.message.contains("x[0].groupId"), "{}", e.message);
    }
}
