//! Assignment requests: request types, states and statuses, the state machine as a pure
//! function (`transition`): given the request's current state and an event, the next state,
//! status and the effects to run (jobs to enqueue), the stored request (`entity`) and the pure
//! create-time validation (`validation`) and the approval with its stages (`approval`). No I/O; the service layer persists the result and its
//! effects in one transaction.
pub mod applicable;
pub mod approval;
mod entity;
mod machine;
mod types;
pub mod validation;

pub use entity::{
    Actor, Answer, AssignmentRequest, HistoryEntry, VerifiedCredential, REQUEST_BETA, REQUEST_STATE_MEMBERS,
    REQUEST_STATUS_MEMBERS, REQUEST_TYPE_MEMBERS, REQUEST_V1,
};
pub use machine::{
    transition, CalloutDecision, Effect, Event, Outcome, Route, Transition, TransitionError, REPROCESS_WINDOW_DAYS,
};
pub use types::{RequestState, RequestStatus, RequestType};
