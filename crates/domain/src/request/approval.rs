//! The approval of a request (Graph `approval`, whose id is the request's id): its serial stages
//! (v1.0 `approvalStage`, beta `approvalStep`), each a snapshot of the policy's stage taken when
//! the approval opened, with its status, the approvers asked (resolved by the service when the
//! stage starts), the escalation approvers added later, the decisions given, and the review
//! (reviewer, time, result, justification). Pure: deciding, escalating, expiring and
//! withdrawing are functions of the stored approval and `now`; the request's state machine
//! turns their outcome into a transition. The approval is part of the request aggregate and is
//! stored with it (same row, same `version`), so a decision and the transition it causes are
//! one write and two racing decisions cannot both win.
use crate::ids::{ApprovalStageId, ObjectId};
use crate::policy::ApprovalStage as StageDefinition;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `approvalStage.status` (approvalstage.md: Initializing, InProgress, Completed, Expired;
/// NotStarted and Canceled are grantd's for stages not yet reached and withdrawn ones).
/// `Initializing` is a dynamic stage reached but waiting for its custom extension to supply
/// the approvers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StageStatus {
    NotStarted,
    Initializing,
    InProgress,
    Completed,
    Expired,
    Canceled,
}

impl StageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StageStatus::NotStarted => "NotStarted",
            StageStatus::Initializing => "Initializing",
            StageStatus::InProgress => "InProgress",
            StageStatus::Completed => "Completed",
            StageStatus::Expired => "Expired",
            StageStatus::Canceled => "Canceled",
        }
    }
}

/// `approvalStage.reviewResult` (stored results; the PATCH verbs are `Approve`/`Deny`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewResult {
    NotReviewed,
    Approved,
    Denied,
}

impl ReviewResult {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewResult::NotReviewed => "NotReviewed",
            ReviewResult::Approved => "Approved",
            ReviewResult::Denied => "Denied",
        }
    }
}

/// The verb of a decision (`reviewResult` in a PATCH body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    Approve,
    Deny,
}

impl Verdict {
    /// `Approve` or `Deny`, case-insensitively (the stored forms `Approved`/`Denied` too).
    pub fn parse(s: &str) -> Option<Verdict> {
        match s.trim().to_ascii_lowercase().as_str() {
            "approve" | "approved" => Some(Verdict::Approve),
            "deny" | "denied" => Some(Verdict::Deny),
            _ => None,
        }
    }
}

/// Someone who reviewed: the user's id and, for display, their name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reviewer {
    pub id: ObjectId,
    pub display_name: Option<String>,
}

/// One approver's decision in a stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub reviewer: Reviewer,
    pub verdict: Verdict,
    pub justification: String,
    pub at: DateTime<Utc>,
}

/// Who a stage asks, as the service resolved it from the directory when the stage started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageApprovers {
    /// Everyone who may decide (never the requestor or the target).
    pub approvers: Vec<ObjectId>,
    /// Per primary approver entry, who it resolved to (for `grantdRequireAllGroups`); empty
    /// entries are left out.
    pub groups: Vec<Vec<ObjectId>>,
    /// The primary approvers resolved to nobody and these are the fallback approvers.
    pub fallback: bool,
}

/// One stage of an approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageInstance {
    pub id: ApprovalStageId,
    /// The policy's stage as it was when the approval opened; for a dynamic stage, once its
    /// custom extension answered, the stage it supplied.
    pub definition: StageDefinition,
    /// A dynamic stage whose approvers the custom extension supplied (`definition` is theirs).
    #[serde(default)]
    pub supplied: bool,
    pub status: StageStatus,
    pub review_result: ReviewResult,
    /// The primary (or fallback) approvers asked when the stage started.
    #[serde(default)]
    pub approvers: Vec<ObjectId>,
    /// The resolved primary entries (all-groups rule).
    #[serde(default)]
    pub groups: Vec<Vec<ObjectId>>,
    #[serde(default)]
    pub used_fallback: bool,
    /// Added at escalation; any one of them decides the stage alone.
    #[serde(default)]
    pub escalation_approvers: Vec<ObjectId>,
    #[serde(default)]
    pub escalated: bool,
    #[serde(default)]
    pub decisions: Vec<Decision>,
    pub started_date_time: Option<DateTime<Utc>>,
    /// When the stage denies the request if nobody decided.
    pub deny_at: Option<DateTime<Utc>>,
    /// When the escalation approvers are added.
    pub escalate_at: Option<DateTime<Utc>>,
    pub reviewed_by: Option<Reviewer>,
    pub reviewed_date_time: Option<DateTime<Utc>>,
    pub justification: Option<String>,
}

impl StageInstance {
    /// Everyone who may decide now: the approvers asked and, once escalated, the escalation
    /// approvers.
    pub fn assigned(&self) -> Vec<ObjectId> {
        let mut all = self.approvers.clone();
        for e in &self.escalation_approvers {
            if !all.contains(e) {
                all.push(*e);
            }
        }
        all
    }

    pub fn is_assigned(&self, who: ObjectId) -> bool {
        self.approvers.contains(&who) || self.escalation_approvers.contains(&who)
    }

    /// The number of approvals the stage needs from its primary approvers: the quorum, capped
    /// at the number of approvers asked (a quorum no one can reach would leave the request
    /// unapprovable), at least one. Fallback approvers decide as in Graph (one approval).
    pub fn needed(&self) -> usize {
        if self.used_fallback {
            return 1;
        }
        let q = self.definition.quorum.unwrap_or(1).max(1) as usize;
        q.min(self.approvers.len()).max(1)
    }

    fn approvals_by_primary(&self) -> Vec<ObjectId> {
        self.decisions
            .iter()
            .filter(|d| d.verdict == Verdict::Approve && self.approvers.contains(&d.reviewer.id))
            .map(|d| d.reviewer.id)
            .collect()
    }

    /// The approvals given satisfy the stage's rule (quorum and, opted in, one per entry).
    fn satisfied(&self) -> bool {
        let approvals = self.approvals_by_primary();
        if approvals.len() < self.needed() {
            return false;
        }
        if self.definition.require_all_groups && !self.used_fallback {
            return self.groups.iter().all(|g| g.iter().any(|m| approvals.contains(m)));
        }
        true
    }
}

/// What a decision did to the approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionOutcome {
    /// Recorded; the stage still waits for more approvals (quorum or all-groups).
    Recorded,
    /// The stage approved; `last` when it was the final stage.
    StageApproved { last: bool },
    /// The stage, and so the request, is denied.
    Denied,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    #[error("The approval stage was not found.")]
    UnknownStage,
    #[error("The caller is not an approver of this approval stage.")]
    NotAnApprover,
    #[error("The approval stage is not in progress; it is '{0}'.")]
    NotInProgress(&'static str),
    #[error("The approval stage was already reviewed by this approver.")]
    AlreadyReviewed,
    #[error("This approval stage requires a justification from the approver.")]
    JustificationRequired,
}

/// The approval of a request: its stages, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    pub stages: Vec<StageInstance>,
}

fn after(start: DateTime<Utc>, d: Option<chrono::Duration>) -> Option<DateTime<Utc>> {
    d.filter(|d| *d > chrono::Duration::zero()).map(|d| start + d)
}

impl Approval {
    /// An approval with one not-started stage per policy stage; `ids` supplies the stage ids.
    pub fn open(definitions: &[StageDefinition], mut ids: impl FnMut() -> ApprovalStageId) -> Approval {
        Approval {
            stages: definitions
                .iter()
                .map(|d| StageInstance {
                    id: ids(),
                    definition: d.clone(),
                    supplied: false,
                    status: StageStatus::NotStarted,
                    review_result: ReviewResult::NotReviewed,
                    approvers: Vec::new(),
                    groups: Vec::new(),
                    used_fallback: false,
                    escalation_approvers: Vec::new(),
                    escalated: false,
                    decisions: Vec::new(),
                    started_date_time: None,
                    deny_at: None,
                    escalate_at: None,
                    reviewed_by: None,
                    reviewed_date_time: None,
                    justification: None,
                })
                .collect(),
        }
    }

    /// The index of the stage in progress, if any.
    pub fn current(&self) -> Option<usize> {
        self.stages.iter().position(|s| s.status == StageStatus::InProgress)
    }

    /// The first stage not started yet (a dynamic stage waiting for its approvers included).
    pub fn next_to_start(&self) -> Option<usize> {
        self.stages.iter().position(|s| matches!(s.status, StageStatus::NotStarted | StageStatus::Initializing))
    }

    /// The dynamic stage waiting for its custom extension to supply the approvers.
    pub fn awaiting_approvers(&self) -> Option<usize> {
        self.stages.iter().position(|s| s.status == StageStatus::Initializing && !s.supplied)
    }

    /// Stage `index` (dynamic) waits for its custom extension to supply the approvers.
    pub fn await_approvers(&mut self, index: usize, now: DateTime<Utc>) {
        if let Some(s) = self.stages.get_mut(index) {
            s.status = StageStatus::Initializing;
            s.started_date_time = Some(now);
        }
    }

    /// The custom extension supplied the stage of the waiting dynamic stage: its approvers and
    /// rules replace the policy's (the kind, naming the extension, is kept). False when no
    /// stage was waiting.
    pub fn supply(&mut self, supplied: StageDefinition) -> bool {
        let Some(i) = self.awaiting_approvers() else { return false };
        let s = &mut self.stages[i];
        s.definition = StageDefinition { kind: s.definition.kind.clone(), ..supplied };
        s.supplied = true;
        true
    }

    pub fn stage(&self, id: ApprovalStageId) -> Option<&StageInstance> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// Was `who` ever asked in any stage?
    pub fn involves(&self, who: ObjectId) -> bool {
        self.stages.iter().any(|s| s.is_assigned(who))
    }

    /// Starts stage `index` with the approvers resolved for it; sets its deadlines.
    pub fn start_stage(&mut self, index: usize, who: StageApprovers, now: DateTime<Utc>) {
        if let Some(s) = self.stages.get_mut(index) {
            s.status = StageStatus::InProgress;
            s.approvers = who.approvers;
            s.groups = who.groups;
            s.used_fallback = who.fallback;
            s.started_date_time = Some(now);
            s.deny_at = after(now, s.definition.duration_before_automatic_denial);
            s.escalate_at = if s.definition.is_escalation_enabled {
                after(now, s.definition.duration_before_escalation)
            } else {
                None
            };
        }
    }

    /// Records `who`'s decision on stage `id`.
    pub fn decide(
        &mut self,
        id: ApprovalStageId,
        who: Reviewer,
        verdict: Verdict,
        justification: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<DecisionOutcome, ApprovalError> {
        let count = self.stages.len();
        let index = self.stages.iter().position(|s| s.id == id).ok_or(ApprovalError::UnknownStage)?;
        let s = &mut self.stages[index];
        if !s.is_assigned(who.id) {
            return Err(ApprovalError::NotAnApprover);
        }
        if s.status != StageStatus::InProgress {
            return Err(ApprovalError::NotInProgress(s.status.as_str()));
        }
        if s.decisions.iter().any(|d| d.reviewer.id == who.id) {
            return Err(ApprovalError::AlreadyReviewed);
        }
        let justification = justification.map(|j| j.trim().to_string()).unwrap_or_default();
        if s.definition.is_approver_justification_required && justification.is_empty() {
            return Err(ApprovalError::JustificationRequired);
        }
        let decisive_escalation = !s.approvers.contains(&who.id);
        s.decisions.push(Decision { reviewer: who.clone(), verdict, justification: justification.clone(), at: now });
        let result = match verdict {
            Verdict::Deny => ReviewResult::Denied,
            Verdict::Approve if decisive_escalation || s.satisfied() => ReviewResult::Approved,
            Verdict::Approve => return Ok(DecisionOutcome::Recorded),
        };
        s.status = StageStatus::Completed;
        s.review_result = result;
        s.reviewed_by = Some(who);
        s.reviewed_date_time = Some(now);
        s.justification = Some(justification);
        Ok(match result {
            ReviewResult::Denied => DecisionOutcome::Denied,
            _ => DecisionOutcome::StageApproved { last: index + 1 == count },
        })
    }

    /// Adds the escalation approvers to stage `index` if it is still in progress and not yet
    /// escalated. Returns the approvers newly asked (empty when nothing changed).
    pub fn escalate(&mut self, index: usize, who: Vec<ObjectId>) -> Vec<ObjectId> {
        let Some(s) = self.stages.get_mut(index) else { return Vec::new() };
        if s.status != StageStatus::InProgress || s.escalated {
            return Vec::new();
        }
        s.escalated = true;
        let added: Vec<ObjectId> = who.into_iter().filter(|w| !s.is_assigned(*w)).collect();
        s.escalation_approvers.extend(added.iter().copied());
        added
    }

    /// Ends stage `index` for lack of a decision (automatic denial). False when it is no longer
    /// in progress (nothing to do).
    pub fn expire(&mut self, index: usize, now: DateTime<Utc>) -> bool {
        match self.stages.get_mut(index) {
            Some(s) if s.status == StageStatus::InProgress => {
                s.status = StageStatus::Expired;
                s.reviewed_date_time = Some(now);
                true
            }
            _ => false,
        }
    }

    /// Withdraws the open stages (the request was canceled): the one in progress and those not
    /// reached are shown as canceled.
    pub fn withdraw(&mut self) {
        for s in &mut self.stages {
            if matches!(s.status, StageStatus::InProgress | StageStatus::NotStarted | StageStatus::Initializing) {
                s.status = StageStatus::Canceled;
            }
        }
    }

    /// Ends the stage in progress because it has nobody to ask (the request is denied).
    pub fn abandon(&mut self, index: usize, now: DateTime<Utc>) {
        self.abandon_because(index, now, "No approvers could be found for this stage.");
    }

    /// Ends stage `index` as denied for `why` (nobody to ask, or no approvers supplied).
    pub fn abandon_because(&mut self, index: usize, now: DateTime<Utc>, why: &str) {
        if let Some(s) = self.stages.get_mut(index) {
            s.status = StageStatus::Completed;
            s.review_result = ReviewResult::Denied;
            s.reviewed_date_time = Some(now);
            s.justification = Some(why.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::ApprovalStage;
    use uuid::Uuid;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z").unwrap().with_timezone(&Utc)
    }
    fn u(n: u128) -> ObjectId {
        ObjectId(Uuid::from_u128(n))
    }
    fn who(n: u128) -> Reviewer {
        Reviewer { id: u(n), display_name: None }
    }
    fn approval(defs: &[ApprovalStage]) -> Approval {
        let mut n = 100;
        Approval::open(defs, || {
            n += 1;
            ApprovalStageId(Uuid::from_u128(n))
        })
    }
    fn asked(ids: &[u128]) -> StageApprovers {
        StageApprovers { approvers: ids.iter().map(|n| u(*n)).collect(), groups: Vec::new(), fallback: false }
    }

    #[test]
    fn one_approval_decides_a_plain_stage_and_a_second_is_refused() {
        let mut a = approval(&[ApprovalStage::default(), ApprovalStage::default()]);
        a.start_stage(0, asked(&[1, 2]), now());
        let id = a.stages[0].id;
        assert_eq!(
            a.decide(id, who(1), Verdict::Approve, None, now()),
            Ok(DecisionOutcome::StageApproved { last: false })
        );
        assert_eq!(a.decide(id, who(2), Verdict::Deny, None, now()), Err(ApprovalError::NotInProgress("Completed")));
        assert_eq!(a.decide(id, who(3), Verdict::Deny, None, now()), Err(ApprovalError::NotAnApprover));
        assert_eq!(a.stages[0].reviewed_by, Some(who(1)));
        assert_eq!(a.next_to_start(), Some(1));
        a.start_stage(1, asked(&[3]), now());
        let id2 = a.stages[1].id;
        assert_eq!(a.decide(id2, who(3), Verdict::Deny, Some("no".into()), now()), Ok(DecisionOutcome::Denied));
        assert_eq!(a.stages[1].review_result, ReviewResult::Denied);
        assert_eq!(a.stages[1].justification.as_deref(), Some("no"));
    }

    #[test]
    fn a_stage_not_started_refuses_decisions_and_unknown_stages_are_reported() {
        let mut a = approval(&[ApprovalStage::default()]);
        let id = a.stages[0].id;
        assert_eq!(a.decide(id, who(1), Verdict::Approve, None, now()), Err(ApprovalError::NotAnApprover));
        let unknown = ApprovalStageId(Uuid::from_u128(9));
        assert_eq!(a.decide(unknown, who(1), Verdict::Approve, None, now()), Err(ApprovalError::UnknownStage));
    }

    #[test]
    fn justification_is_required_when_the_stage_says_so() {
        let def = ApprovalStage { is_approver_justification_required: true, ..ApprovalStage::default() };
        let mut a = approval(&[def]);
        a.start_stage(0, asked(&[1]), now());
        let id = a.stages[0].id;
        assert_eq!(
            a.decide(id, who(1), Verdict::Approve, Some("  ".into()), now()),
            Err(ApprovalError::JustificationRequired)
        );
        assert_eq!(
            a.decide(id, who(1), Verdict::Approve, Some("ok".into()), now()),
            Ok(DecisionOutcome::StageApproved { last: true })
        );
    }

    #[test]
    fn quorum_counts_distinct_primary_approvers_and_is_capped_at_the_approvers_asked() {
        let def = ApprovalStage { quorum: Some(2), ..ApprovalStage::default() };
        let mut a = approval(std::slice::from_ref(&def));
        a.start_stage(0, asked(&[1, 2, 3]), now());
        let id = a.stages[0].id;
        assert_eq!(a.decide(id, who(1), Verdict::Approve, None, now()), Ok(DecisionOutcome::Recorded));
        assert_eq!(a.decide(id, who(1), Verdict::Approve, None, now()), Err(ApprovalError::AlreadyReviewed));
        assert_eq!(a.stages[0].status, StageStatus::InProgress);
        assert_eq!(
            a.decide(id, who(2), Verdict::Approve, None, now()),
            Ok(DecisionOutcome::StageApproved { last: true })
        );

        let mut capped = approval(&[ApprovalStage { quorum: Some(5), ..def }]);
        capped.start_stage(0, asked(&[1]), now());
        assert_eq!(capped.stages[0].needed(), 1);
    }

    #[test]
    fn all_groups_needs_one_approval_per_entry_and_a_deny_vetoes() {
        let def = ApprovalStage { require_all_groups: true, ..ApprovalStage::default() };
        let mut a = approval(&[def]);
        let who_asked = StageApprovers {
            approvers: vec![u(1), u(2), u(3)],
            groups: vec![vec![u(1), u(2)], vec![u(3)]],
            fallback: false,
        };
        a.start_stage(0, who_asked.clone(), now());
        let id = a.stages[0].id;
        assert_eq!(a.decide(id, who(1), Verdict::Approve, None, now()), Ok(DecisionOutcome::Recorded));
        assert_eq!(a.decide(id, who(2), Verdict::Approve, None, now()), Ok(DecisionOutcome::Recorded));
        assert_eq!(
            a.decide(id, who(3), Verdict::Approve, None, now()),
            Ok(DecisionOutcome::StageApproved { last: true })
        );

        let mut b = approval(&[ApprovalStage { require_all_groups: true, ..ApprovalStage::default() }]);
        b.start_stage(0, who_asked, now());
        let id = b.stages[0].id;
        assert_eq!(b.decide(id, who(1), Verdict::Approve, None, now()), Ok(DecisionOutcome::Recorded));
        assert_eq!(b.decide(id, who(3), Verdict::Deny, None, now()), Ok(DecisionOutcome::Denied));
    }

    #[test]
    fn escalation_adds_approvers_once_and_an_escalation_approver_decides_alone() {
        let def = ApprovalStage {
            is_escalation_enabled: true,
            duration_before_escalation: Some(chrono::Duration::hours(2)),
            duration_before_automatic_denial: Some(chrono::Duration::days(1)),
            quorum: Some(2),
            ..ApprovalStage::default()
        };
        let mut a = approval(&[def]);
        a.start_stage(0, asked(&[1, 2]), now());
        assert_eq!(a.stages[0].escalate_at, Some(now() + chrono::Duration::hours(2)));
        assert_eq!(a.stages[0].deny_at, Some(now() + chrono::Duration::days(1)));
        assert_eq!(a.escalate(0, vec![u(2), u(5)]), vec![u(5)]);
        assert!(a.escalate(0, vec![u(6)]).is_empty());
        let id = a.stages[0].id;
        assert_eq!(
            a.decide(id, who(5), Verdict::Approve, None, now()),
            Ok(DecisionOutcome::StageApproved { last: true })
        );
    }

    #[test]
    fn a_dynamic_stage_waits_for_the_supplied_stage_then_starts_with_it() {
        let dynamic = ApprovalStage {
            kind: crate::policy::StageKind::Dynamic { custom_extension_id: Some("x".into()) },
            ..ApprovalStage::default()
        };
        let mut a = approval(std::slice::from_ref(&dynamic));
        let supplied = ApprovalStage { quorum: Some(2), ..ApprovalStage::default() };
        assert!(!a.supply(supplied.clone()), "nothing waits yet");
        a.await_approvers(0, now());
        assert_eq!(a.stages[0].status.as_str(), "Initializing");
        assert_eq!((a.awaiting_approvers(), a.next_to_start()), (Some(0), Some(0)));
        assert!(a.supply(supplied));
        assert_eq!(a.awaiting_approvers(), None);
        assert_eq!((a.stages[0].definition.quorum, &a.stages[0].definition.kind), (Some(2), &dynamic.kind));
        a.start_stage(0, asked(&[1, 2]), now());
        assert_eq!(a.stages[0].needed(), 2);
        let mut b = approval(&[dynamic]);
        b.await_approvers(0, now());
        b.withdraw();
        assert_eq!(b.stages[0].status, StageStatus::Canceled);
    }

    #[test]
    fn expiry_and_withdrawal_end_open_stages_only() {
        let mut a = approval(&[ApprovalStage::default(), ApprovalStage::default()]);
        a.start_stage(0, asked(&[1]), now());
        assert!(a.expire(0, now()));
        assert!(!a.expire(0, now()));
        assert_eq!(a.stages[0].status, StageStatus::Expired);
        let mut b = approval(&[ApprovalStage::default(), ApprovalStage::default()]);
        b.start_stage(0, asked(&[1]), now());
        b.withdraw();
        assert!(b.stages.iter().all(|s| s.status == StageStatus::Canceled));
    }
}
