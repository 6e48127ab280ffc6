//! `resume`: the callback of a launch-and-wait custom extension. It names the callout it
//! answers (`customExtensionStageInstanceId`); only that extension's caller identity (an app
//! whose id is the extension's `authenticationConfiguration.resourceId`) or an assignment
//! manager of the catalog may send it. The first answer moves the request on (`data.state`
//! Denied/Canceled ends it at `assignmentRequestCreated`; later stages go on); the very same
//! answer again changes nothing and succeeds; any other answer to an answered, timed-out or
//! failed callout, an unknown callout, or a stage that does not match is refused. An answer to
//! a dynamic approval stage's callout (`assignmentRequestDeterminingApprovalRequirements`)
//! carries that stage's approvers (`approvalStage`), and the stage opens with them.
use super::callout::{edit_request, Change};
use crate::requests::{actor_of, refused, Ctx, ResumeDecision, ServiceError, ServiceResult};
use grantd_domain::extension::CalloutStatus;
use grantd_domain::policy::{ApprovalStage, CustomExtensionStage};
use grantd_domain::request::{AssignmentRequest, CalloutDecision, Event, RequestStatus};
use grantd_domain::roles::{Caller, CatalogAction, Principal};
use grantd_domain::{parse_guid, AssignmentRequestId, DomainError};
use serde::Serialize;

/// A resume body, read at the edge.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Callback {
    pub source: Option<String>,
    /// `type`: `microsoft.graph.accessPackageCustomExtensionStage.<stage>`.
    pub kind: Option<String>,
    pub stage: Option<CustomExtensionStage>,
    /// As sent (it may not be a GUID at all).
    pub instance_id: Option<String>,
    pub detail: Option<String>,
    pub decision: Option<ResumeDecision>,
    /// `assignmentRequestApprovalStageCallbackData.approvalStage`, as sent.
    pub approval_stage: Option<serde_json::Value>,
    /// The same, read into a stage (the approvers a dynamic approval stage asks).
    #[serde(skip)]
    pub supplied_stage: Option<ApprovalStage>,
}

impl Callback {
    /// The normalised answer, compared to recognise a repeat.
    fn fingerprint(&self) -> String {
        let mut c = self.clone();
        c.source = None;
        c.kind = c.kind.map(|k| k.to_ascii_lowercase());
        serde_json::to_string(&c).unwrap_or_default()
    }
}

fn conflict(code: &'static str, message: String) -> ServiceError {
    ServiceError::Domain(DomainError::conflict(code, message))
}

fn invalid(code: &'static str, message: String) -> ServiceError {
    ServiceError::Domain(DomainError::invalid(code, message))
}

fn decision(d: Option<ResumeDecision>) -> CalloutDecision {
    match d {
        Some(ResumeDecision::Deny) => CalloutDecision::Deny,
        Some(ResumeDecision::Cancel) => CalloutDecision::Cancel,
        _ => CalloutDecision::Continue,
    }
}

/// May the caller answer callouts of this request? Assignment managers may; so may an app
/// whose id is the `resourceId` of an extension the request called.
fn may_answer(caller: &Caller, r: &AssignmentRequest, resource_ids: &[String]) -> bool {
    if caller.may_on_catalog(r.catalog_id, CatalogAction::ManageAssignments) {
        return true;
    }
    match &caller.principal {
        Principal::App { app_id } => {
            resource_ids.iter().any(|rid| !rid.trim().is_empty() && app_id.eq_ignore_ascii_case(rid.trim()))
        }
        Principal::User { .. } => false,
    }
}

pub async fn resume(ctx: &Ctx, caller: &Caller, id: AssignmentRequestId, cb: Callback) -> ServiceResult<()> {
    let tenant = caller.tenant;
    let nf = || ServiceError::Domain(DomainError::not_found("access package assignment request"));
    let r = ctx.store.get_request(tenant, id).await?.ok_or_else(nf)?;
    let instance_id = cb.instance_id.as_deref().and_then(parse_guid);
    let instance = instance_id.and_then(|i| r.callout_instances.iter().find(|x| x.id == i).cloned());
    // The extension of the named call; for an unknown call, those of every call the request made.
    let mut ext_ids: Vec<_> = match &instance {
        Some(i) => vec![i.custom_extension_id],
        None => r.callout_instances.iter().map(|i| i.custom_extension_id).collect(),
    };
    ext_ids.sort();
    ext_ids.dedup();
    let resource_ids: Vec<String> =
        ctx.store.custom_extensions_by_ids(tenant, &ext_ids).await?.into_iter().filter_map(|e| e.resource_id).collect();
    if !may_answer(caller, &r, &resource_ids) {
        return Err(if crate::requests::may_read(&ctx.store, caller, &r).await? {
            ServiceError::Domain(DomainError::forbidden())
        } else {
            nf()
        });
    }
    let Some(instance) = instance else {
        if r.status != RequestStatus::WaitingForCallback {
            return Err(refused(grantd_domain::request::TransitionError::NotWaitingForCallback));
        }
        return Err(match cb.instance_id.as_deref() {
            None | Some("") => invalid(
                "InvalidCustomExtensionStageInstance",
                "The property 'data.customExtensionStageInstanceId' is required: it names the callout being answered."
                    .into(),
            ),
            Some(x) => invalid(
                "InvalidCustomExtensionStageInstance",
                format!(
                    "'{x}' is not a custom extension callout of this request (data.customExtensionStageInstanceId)."
                ),
            ),
        });
    };
    if let Some(stage) = cb.stage {
        if stage != instance.stage {
            return Err(invalid(
                "CustomExtensionStageMismatch",
                format!(
                    "The callout '{}' was made at stage '{}', not '{}' (data.stage).",
                    instance.id,
                    instance.stage.as_str(),
                    stage.as_str()
                ),
            ));
        }
    }
    let determining = instance.stage == CustomExtensionStage::AssignmentRequestDeterminingApprovalRequirements;
    if cb.approval_stage.is_some() && !determining {
        return Err(invalid(
            "InvalidCallbackData",
            format!(
                "The callout '{}' was made at stage '{}'; only a callout at 'assignmentRequestDeterminingApprovalRequirements' takes approvers (data.approvalStage).",
                instance.id,
                instance.stage.as_str()
            ),
        ));
    }
    let answer = cb.fingerprint();
    let actor = actor_of(&ctx.store, caller).await?;
    let mut outcome: Result<(), ServiceError> = Ok(());
    edit_request(ctx, tenant, id, |r, now| {
        outcome = Ok(());
        let Some(i) = r.callout_instances.iter().position(|x| x.id == instance.id) else { return Ok(None) };
        let current = r.callout_instances[i].clone();
        match current.status {
            CalloutStatus::CallbackReceived if current.answer.as_deref() == Some(answer.as_str()) => return Ok(None),
            CalloutStatus::CallbackReceived => {
                outcome = Err(conflict(
                    "CustomExtensionCallbackAlreadyReceived",
                    format!("The callout '{}' was already answered; a different answer is refused.", current.id),
                ));
                return Ok(None);
            }
            CalloutStatus::CallbackTimedOut | CalloutStatus::CalloutFailed => {
                outcome = Err(conflict(
                    "CustomExtensionCalloutClosed",
                    format!(
                        "The callout '{}' is no longer waiting for a callback (its status is '{}').",
                        current.id,
                        current.status.as_str()
                    ),
                ));
                return Ok(None);
            }
            CalloutStatus::CalloutSent | CalloutStatus::WaitingForCallback => {}
        }
        if !current.waits || r.status != RequestStatus::WaitingForCallback {
            outcome = Err(refused(grantd_domain::request::TransitionError::NotWaitingForCallback));
            return Ok(None);
        }
        let before = r.state;
        let event = if determining {
            // The approvers for the waiting dynamic stage; none supplied is a stage with nobody
            // to ask (the request is denied, NoApproversAvailable, when the stage opens).
            let supplied = cb.supplied_stage.clone().unwrap_or_default();
            if !r.approval.as_mut().is_some_and(|a| a.supply(supplied)) {
                outcome = Err(refused(grantd_domain::request::TransitionError::NotWaitingForCallback));
                return Ok(None);
            }
            Event::ApproversSupplied
        } else {
            Event::Resumed { decision: decision(cb.decision), route: r.route() }
        };
        let effects = r.apply(event, now, &actor).map_err(refused)?;
        let slot = &mut r.callout_instances[i];
        slot.status = CalloutStatus::CallbackReceived;
        slot.detail = cb.detail.clone();
        slot.answer = Some(answer.clone());
        Ok(Some(Change { transition: Some((before, effects)), jobs: Vec::new() }))
    })
    .await?;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_ignores_source_and_type_case() {
        let a = Callback {
            source: Some("A".into()),
            kind: Some("microsoft.graph.X".into()),
            instance_id: Some("1".into()),
            ..Callback::default()
        };
        let b = Callback { source: Some("B".into()), kind: Some("Microsoft.Graph.x".into()), ..a.clone() };
        assert_eq!(a.fingerprint(), b.fingerprint());
        let c = Callback { decision: Some(ResumeDecision::Deny), ..a.clone() };
        assert_ne!(a.fingerprint(), c.fingerprint());
    }
}
