//! The request state machine (reference/graph/workflow.md §3):
//!
//! ```text
//! submitted --(callout at assignmentRequestCreated: WaitingForCallback)--> denied | canceled | on
//! submitted --approval required--> pendingApproval --all stages approve--> (scheduled) --> delivering
//! submitted --no approval--------> (scheduled if the start is in the future) ----------> delivering
//! pendingApproval --deny | stage timeout | no approvers--> denied;  --escalation--> pendingApproval (Escalated)
//! pendingApproval --a stage (not the last) approves--> pendingApproval (next stage opens)
//! pendingApproval --a dynamic stage opens--> pendingApproval (WaitingForCallback: the custom
//!   extension is asked for the approvers) --approvers supplied--> pendingApproval (the stage
//!   opens with them) | --none in time, or the callout failed--> denied (TimedOut)
//! delivering --> delivered | partiallyDelivered | deliveryFailed
//! partiallyDelivered | deliveryFailed --reprocess within 14 days--> delivering
//! submitted | pendingApproval (WaitingForCallback) --callout timed out--> denied (TimedOut) | on
//! cancel while Accepted, WaitingForCallback, PendingApproval(Escalated) or PendingNotBefore --> canceled
//! ```
//!
//! `transition` is pure: it returns the next state and status and the effects the service must
//! persist with it (as job rows) in the same transaction.
use super::types::{RequestState as S, RequestStatus as St};
use chrono::{DateTime, Duration, Utc};

/// What the policy and request say about the path ahead (fixed at creation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub needs_approval: bool,
    /// Start of access; a future start parks the request in `scheduled`.
    pub start: Option<DateTime<Utc>>,
    /// A custom extension runs at `assignmentRequestCreated` (the request waits for it).
    pub callout_on_created: bool,
    /// A custom extension runs at `assignmentRequestApproved` (the request waits for it).
    pub callout_on_approved: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalloutDecision {
    Continue,
    Deny,
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    PartiallyDelivered,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The request was accepted (after create-time validation).
    Submitted(Route),
    /// A waiting callout answered through `resume`.
    Resumed {
        decision: CalloutDecision,
        route: Route,
    },
    /// A waiting callout was not answered in time (or could not be delivered at all).
    CalloutTimedOut(Route),
    /// The last approval stage approved.
    Approved(Route),
    /// A stage other than the last approved: the next one opens.
    StageApproved,
    /// A stage starting found no approvers and no fallback approvers.
    NoApprovers,
    /// A dynamic approval stage opened: its custom extension is asked for the approvers.
    ApproversRequested,
    /// The custom extension supplied the dynamic stage's approvers (`resume`): the stage opens.
    ApproversSupplied,
    /// The custom extension did not supply them in time (or could not be called).
    ApproversNotSupplied,
    /// An approver denied.
    Denied,
    /// A stage passed its automatic-denial time.
    ApprovalTimedOut,
    /// The escalation time passed without a decision.
    Escalated,
    /// The scheduled start arrived.
    StartReached,
    /// The delivery job finished.
    DeliveryFinished(Outcome),
    Cancel,
    /// Reprocess a failed or partial delivery; `completed` is when it ended.
    Reprocess {
        completed: Option<DateTime<Utc>>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Enqueue the delivery job (grant or remove, by request type).
    Deliver,
    /// Enqueue the custom-extension callout for the stage.
    CalloutOnCreated,
    CalloutOnApproved,
    /// Open the approval (first stage).
    OpenApproval,
    /// Start the next approval stage.
    OpenNextStage,
    /// Close any open approval stages (cancel).
    CloseApproval,
    /// Wake the request at its start time.
    WakeAt(DateTime<Utc>),
    /// Set `completedDateTime` to now.
    Complete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub state: S,
    pub status: St,
    pub effects: Vec<Effect>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("The request cannot be canceled in its current state '{0}'.")]
    NotCancelable(&'static str),
    #[error("Only requests that failed or were partially delivered can be reprocessed; this one is '{0}'.")]
    NotReprocessable(&'static str),
    #[error("The request completed more than 14 days ago; cancel it and request access again.")]
    ReprocessWindowPassed,
    #[error("The request is not waiting for a custom extension callback.")]
    NotWaitingForCallback,
    #[error("The event '{event}' does not apply to a request in state '{state}'.")]
    NotApplicable { event: &'static str, state: &'static str },
}

pub const REPROCESS_WINDOW_DAYS: i64 = 14;

fn to(state: S, status: St, effects: Vec<Effect>) -> Transition {
    Transition { state, status, effects }
}

/// After creation (and its callout): approval, a scheduled start, or delivery.
fn after_submission(route: Route, now: DateTime<Utc>) -> Transition {
    if route.needs_approval {
        return to(S::PendingApproval, St::PendingApproval, vec![Effect::OpenApproval]);
    }
    after_approval(route, now)
}

/// After approval (and its callout): a scheduled start or delivery.
fn after_approval(route: Route, now: DateTime<Utc>) -> Transition {
    match route.start {
        Some(at) if at > now => to(S::Scheduled, St::PendingNotBefore, vec![Effect::WakeAt(at)]),
        _ => to(S::Delivering, St::Delivering, vec![Effect::Deliver]),
    }
}

impl Event {
    /// The event's name, as recorded in a request's history.
    pub fn name(&self) -> &'static str {
        event_name(self)
    }
}

fn event_name(e: &Event) -> &'static str {
    match e {
        Event::Submitted(_) => "submitted",
        Event::Resumed { .. } => "resume",
        Event::CalloutTimedOut(_) => "calloutTimedOut",
        Event::Approved(_) => "approved",
        Event::StageApproved => "stageApproved",
        Event::NoApprovers => "noApprovers",
        Event::ApproversRequested => "approversRequested",
        Event::ApproversSupplied => "approversSupplied",
        Event::ApproversNotSupplied => "approversNotSupplied",
        Event::Denied => "denied",
        Event::ApprovalTimedOut => "approvalTimedOut",
        Event::Escalated => "escalated",
        Event::StartReached => "startReached",
        Event::DeliveryFinished(_) => "deliveryFinished",
        Event::Cancel => "cancel",
        Event::Reprocess { .. } => "reprocess",
    }
}

/// The next state of a request in `(state, status)` when `event` happens at `now`.
pub fn transition(state: S, status: St, event: Event, now: DateTime<Utc>) -> Result<Transition, TransitionError> {
    let na = || TransitionError::NotApplicable { event: event_name(&event), state: state.v1() };
    match event {
        Event::Submitted(route) => {
            if state != S::Submitted || status != St::Accepted {
                return Err(na());
            }
            if route.callout_on_created {
                return Ok(to(S::Submitted, St::WaitingForCallback, vec![Effect::CalloutOnCreated]));
            }
            Ok(after_submission(route, now))
        }
        Event::Resumed { decision, route } => {
            if status != St::WaitingForCallback {
                return Err(TransitionError::NotWaitingForCallback);
            }
            match (state, decision) {
                (S::Submitted, CalloutDecision::Continue) => Ok(after_submission(route, now)),
                (S::Submitted, CalloutDecision::Deny) => Ok(to(S::Denied, St::Denied, vec![Effect::Complete])),
                (S::Submitted, CalloutDecision::Cancel) => Ok(to(S::Canceled, St::Canceled, vec![Effect::Complete])),
                // Denied/Canceled are only honoured at assignmentRequestCreated; later stages continue.
                (S::PendingApproval, _) => Ok(after_approval(route, now)),
                _ => Err(TransitionError::NotWaitingForCallback),
            }
        }
        // Nobody confirmed the request at creation: it ends (fail closed) with status TimedOut.
        // After approval the extension could not have stopped it, so it goes on.
        Event::CalloutTimedOut(route) => {
            if status != St::WaitingForCallback {
                return Err(TransitionError::NotWaitingForCallback);
            }
            match state {
                S::Submitted => Ok(to(S::Denied, St::TimedOut, vec![Effect::Complete])),
                S::PendingApproval => Ok(after_approval(route, now)),
                _ => Err(TransitionError::NotWaitingForCallback),
            }
        }
        Event::Approved(route) => {
            if state != S::PendingApproval {
                return Err(na());
            }
            if route.callout_on_approved {
                return Ok(to(S::PendingApproval, St::WaitingForCallback, vec![Effect::CalloutOnApproved]));
            }
            Ok(after_approval(route, now))
        }
        Event::Denied | Event::ApprovalTimedOut | Event::NoApprovers => {
            if state != S::PendingApproval || status == St::WaitingForCallback {
                return Err(na());
            }
            // The status says why: an approver denied, nobody decided in time, nobody to ask.
            let why = match event {
                Event::ApprovalTimedOut => St::TimedOut,
                Event::NoApprovers => St::NoApproversAvailable,
                _ => St::Denied,
            };
            Ok(to(S::Denied, why, vec![Effect::Complete]))
        }
        Event::ApproversRequested => {
            if state != S::PendingApproval || !matches!(status, St::PendingApproval | St::PendingApprovalEscalated) {
                return Err(na());
            }
            Ok(to(S::PendingApproval, St::WaitingForCallback, vec![]))
        }
        Event::ApproversSupplied => {
            if state != S::PendingApproval || status != St::WaitingForCallback {
                return Err(TransitionError::NotWaitingForCallback);
            }
            Ok(to(S::PendingApproval, St::PendingApproval, vec![Effect::OpenNextStage]))
        }
        // Nobody can be asked: fail closed, as a callout unanswered at creation does.
        Event::ApproversNotSupplied => {
            if state != S::PendingApproval || status != St::WaitingForCallback {
                return Err(TransitionError::NotWaitingForCallback);
            }
            Ok(to(S::Denied, St::TimedOut, vec![Effect::Complete]))
        }
        Event::StageApproved => {
            if state != S::PendingApproval || !matches!(status, St::PendingApproval | St::PendingApprovalEscalated) {
                return Err(na());
            }
            Ok(to(S::PendingApproval, St::PendingApproval, vec![Effect::OpenNextStage]))
        }
        Event::Escalated => {
            if state != S::PendingApproval || status != St::PendingApproval {
                return Err(na());
            }
            Ok(to(S::PendingApproval, St::PendingApprovalEscalated, vec![]))
        }
        Event::StartReached => {
            if state != S::Scheduled {
                return Err(na());
            }
            Ok(to(S::Delivering, St::Delivering, vec![Effect::Deliver]))
        }
        Event::DeliveryFinished(outcome) => {
            if state != S::Delivering {
                return Err(na());
            }
            Ok(match outcome {
                Outcome::Delivered => to(S::Delivered, St::Delivered, vec![Effect::Complete]),
                Outcome::PartiallyDelivered => {
                    to(S::PartiallyDelivered, St::PartiallyDelivered, vec![Effect::Complete])
                }
                Outcome::Failed => to(S::DeliveryFailed, St::DeliveryFailed, vec![Effect::Complete]),
            })
        }
        Event::Cancel => {
            let cancelable =
                matches!(state, S::Submitted | S::PendingApproval | S::Scheduled) && status.is_cancelable();
            if !cancelable {
                return Err(TransitionError::NotCancelable(state.v1()));
            }
            let mut effects = vec![Effect::Complete];
            if state == S::PendingApproval {
                effects.insert(0, Effect::CloseApproval);
            }
            Ok(to(S::Canceled, St::Canceled, effects))
        }
        Event::Reprocess { completed } => {
            if !matches!(state, S::DeliveryFailed | S::PartiallyDelivered) {
                return Err(TransitionError::NotReprocessable(state.v1()));
            }
            if completed.is_some_and(|c| now - c > Duration::days(REPROCESS_WINDOW_DAYS)) {
                return Err(TransitionError::ReprocessWindowPassed);
            }
            Ok(to(S::Delivering, St::Delivering, vec![Effect::Deliver]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z").unwrap().with_timezone(&Utc)
    }
    const PLAIN: Route =
        Route { needs_approval: false, start: None, callout_on_created: false, callout_on_approved: false };
    const APPROVAL: Route = Route { needs_approval: true, ..PLAIN };

    #[test]
    fn allowed_transitions() {
        let later = now() + Duration::days(3);
        let future = Route { start: Some(later), ..PLAIN };
        let callout = Route { callout_on_created: true, ..PLAIN };
        let approved_callout = Route { callout_on_approved: true, ..APPROVAL };
        use Effect as E;
        #[rustfmt::skip]
        let table: Vec<(S, St, Event, S, St, Vec<Effect>)> = vec![
            (S::Submitted, St::Accepted, Event::Submitted(PLAIN), S::Delivering, St::Delivering, vec![E::Deliver]),
            (S::Submitted, St::Accepted, Event::Submitted(APPROVAL), S::PendingApproval, St::PendingApproval, vec![E::OpenApproval]),
            (S::Submitted, St::Accepted, Event::Submitted(future), S::Scheduled, St::PendingNotBefore, vec![E::WakeAt(later)]),
            (S::Submitted, St::Accepted, Event::Submitted(callout), S::Submitted, St::WaitingForCallback, vec![E::CalloutOnCreated]),
            (S::Submitted, St::WaitingForCallback, Event::Resumed { decision: CalloutDecision::Continue, route: callout }, S::Delivering, St::Delivering, vec![E::Deliver]),
            (S::Submitted, St::WaitingForCallback, Event::Resumed { decision: CalloutDecision::Deny, route: callout }, S::Denied, St::Denied, vec![E::Complete]),
            (S::Submitted, St::WaitingForCallback, Event::Resumed { decision: CalloutDecision::Cancel, route: callout }, S::Canceled, St::Canceled, vec![E::Complete]),
            (S::PendingApproval, St::PendingApproval, Event::Approved(APPROVAL), S::Delivering, St::Delivering, vec![E::Deliver]),
            (S::PendingApproval, St::PendingApprovalEscalated, Event::Approved(Route { start: Some(later), ..APPROVAL }), S::Scheduled, St::PendingNotBefore, vec![E::WakeAt(later)]),
            (S::PendingApproval, St::PendingApproval, Event::Approved(approved_callout), S::PendingApproval, St::WaitingForCallback, vec![E::CalloutOnApproved]),
            (S::PendingApproval, St::WaitingForCallback, Event::Resumed { decision: CalloutDecision::Deny, route: approved_callout }, S::Delivering, St::Delivering, vec![E::Deliver]),
            (S::Submitted, St::WaitingForCallback, Event::CalloutTimedOut(callout), S::Denied, St::TimedOut, vec![E::Complete]),
            (S::PendingApproval, St::WaitingForCallback, Event::CalloutTimedOut(approved_callout), S::Delivering, St::Delivering, vec![E::Deliver]),
            (S::PendingApproval, St::PendingApproval, Event::Denied, S::Denied, St::Denied, vec![E::Complete]),
            (S::PendingApproval, St::PendingApprovalEscalated, Event::ApprovalTimedOut, S::Denied, St::TimedOut, vec![E::Complete]),
            (S::PendingApproval, St::PendingApproval, Event::NoApprovers, S::Denied, St::NoApproversAvailable, vec![E::Complete]),
            (S::PendingApproval, St::PendingApproval, Event::StageApproved, S::PendingApproval, St::PendingApproval, vec![E::OpenNextStage]),
            (S::PendingApproval, St::PendingApprovalEscalated, Event::StageApproved, S::PendingApproval, St::PendingApproval, vec![E::OpenNextStage]),
            (S::PendingApproval, St::PendingApproval, Event::Escalated, S::PendingApproval, St::PendingApprovalEscalated, vec![]),
            (S::PendingApproval, St::PendingApproval, Event::ApproversRequested, S::PendingApproval, St::WaitingForCallback, vec![]),
            (S::PendingApproval, St::WaitingForCallback, Event::ApproversSupplied, S::PendingApproval, St::PendingApproval, vec![E::OpenNextStage]),
            (S::PendingApproval, St::WaitingForCallback, Event::ApproversNotSupplied, S::Denied, St::TimedOut, vec![E::Complete]),
            (S::PendingApproval, St::WaitingForCallback, Event::Cancel, S::Canceled, St::Canceled, vec![E::CloseApproval, E::Complete]),
            (S::Scheduled, St::PendingNotBefore, Event::StartReached, S::Delivering, St::Delivering, vec![E::Deliver]),
            (S::Delivering, St::Delivering, Event::DeliveryFinished(Outcome::Delivered), S::Delivered, St::Delivered, vec![E::Complete]),
            (S::Delivering, St::Delivering, Event::DeliveryFinished(Outcome::PartiallyDelivered), S::PartiallyDelivered, St::PartiallyDelivered, vec![E::Complete]),
            (S::Delivering, St::Delivering, Event::DeliveryFinished(Outcome::Failed), S::DeliveryFailed, St::DeliveryFailed, vec![E::Complete]),
            (S::Submitted, St::Accepted, Event::Cancel, S::Canceled, St::Canceled, vec![E::Complete]),
            (S::Submitted, St::WaitingForCallback, Event::Cancel, S::Canceled, St::Canceled, vec![E::Complete]),
            (S::PendingApproval, St::PendingApproval, Event::Cancel, S::Canceled, St::Canceled, vec![E::CloseApproval, E::Complete]),
            (S::PendingApproval, St::PendingApprovalEscalated, Event::Cancel, S::Canceled, St::Canceled, vec![E::CloseApproval, E::Complete]),
            (S::Scheduled, St::PendingNotBefore, Event::Cancel, S::Canceled, St::Canceled, vec![E::Complete]),
            (S::DeliveryFailed, St::DeliveryFailed, Event::Reprocess { completed: Some(now() - Duration::days(13)) }, S::Delivering, St::Delivering, vec![E::Deliver]),
            (S::PartiallyDelivered, St::PartiallyDelivered, Event::Reprocess { completed: Some(now()) }, S::Delivering, St::Delivering, vec![E::Deliver]),
        ];
        for (state, status, event, ns, nst, effects) in table {
            let t = transition(state, status, event, now())
                .unwrap_or_else(|e| panic!("{state:?}/{status:?} {event:?}: {e}"));
            assert_eq!((t.state, t.status, t.effects), (ns, nst, effects), "{state:?}/{status:?} {event:?}");
        }
    }

    #[test]
    fn refused_transitions() {
        #[rustfmt::skip]
        let table: Vec<(S, St, Event)> = vec![
            (S::Delivered, St::Delivered, Event::Cancel),
            (S::Delivering, St::Delivering, Event::Cancel),
            (S::Denied, St::Denied, Event::Cancel),
            (S::Canceled, St::Canceled, Event::Cancel),
            (S::DeliveryFailed, St::DeliveryFailed, Event::Cancel),
            (S::Delivered, St::Delivered, Event::Reprocess { completed: None }),
            (S::Submitted, St::Accepted, Event::Reprocess { completed: None }),
            (S::DeliveryFailed, St::DeliveryFailed, Event::Reprocess { completed: Some(now() - Duration::days(15)) }),
            (S::Submitted, St::Accepted, Event::Resumed { decision: CalloutDecision::Continue, route: PLAIN }),
            (S::Delivered, St::Delivered, Event::Resumed { decision: CalloutDecision::Continue, route: PLAIN }),
            (S::Submitted, St::Accepted, Event::Approved(APPROVAL)),
            (S::Submitted, St::Accepted, Event::CalloutTimedOut(PLAIN)),
            (S::Delivered, St::Delivered, Event::CalloutTimedOut(PLAIN)),
            (S::Delivered, St::Delivered, Event::Denied),
            (S::PendingApproval, St::WaitingForCallback, Event::Denied),
            (S::PendingApproval, St::PendingApprovalEscalated, Event::Escalated),
            (S::PendingApproval, St::WaitingForCallback, Event::StageApproved),
            (S::Submitted, St::Accepted, Event::StageApproved),
            (S::PendingApproval, St::WaitingForCallback, Event::ApproversRequested),
            (S::Submitted, St::WaitingForCallback, Event::ApproversSupplied),
            (S::PendingApproval, St::PendingApproval, Event::ApproversSupplied),
            (S::PendingApproval, St::PendingApproval, Event::ApproversNotSupplied),
            (S::Denied, St::Denied, Event::NoApprovers),
            (S::Canceled, St::Canceled, Event::ApprovalTimedOut),
            (S::Submitted, St::Accepted, Event::StartReached),
            (S::Delivered, St::Delivered, Event::DeliveryFinished(Outcome::Delivered)),
            (S::Delivering, St::Delivering, Event::Submitted(PLAIN)),
        ];
        for (state, status, event) in table {
            assert!(
                transition(state, status, event, now()).is_err(),
                "{state:?}/{status:?} {event:?} should be refused"
            );
        }
    }

    #[test]
    fn every_state_status_pair_answers_every_event_without_panicking() {
        use crate::request::types::{RequestState, RequestStatus};
        let events = [
            Event::Submitted(PLAIN),
            Event::Cancel,
            Event::Denied,
            Event::ApprovalTimedOut,
            Event::Escalated,
            Event::StartReached,
            Event::DeliveryFinished(Outcome::Failed),
            Event::Reprocess { completed: None },
            Event::Approved(PLAIN),
            Event::StageApproved,
            Event::NoApprovers,
            Event::ApproversRequested,
            Event::ApproversSupplied,
            Event::ApproversNotSupplied,
            Event::Resumed { decision: CalloutDecision::Cancel, route: PLAIN },
            Event::CalloutTimedOut(PLAIN),
        ];
        for s in RequestState::ALL {
            for st in RequestStatus::ALL {
                for e in events {
                    if let Ok(t) = transition(*s, *st, e, now()) {
                        // Terminal states are only left through reprocess.
                        if s.is_terminal() {
                            assert!(matches!(e, Event::Reprocess { .. }), "{s:?} left by {e:?}");
                        }
                        if t.state.is_terminal() {
                            assert!(t.effects.contains(&Effect::Complete));
                        }
                    }
                }
            }
        }
    }
}
