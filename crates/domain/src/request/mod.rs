//! Assignment requests: request types, states and statuses, and the state machine as a pure
//! function (`transition`): given the request's current state and an event, the next state,
//! status and the effects to run (jobs to enqueue). No I/O; the service layer persists the result
//! and its effects in one transaction.
mod machine;
mod types;

pub use machine::{
    transition, CalloutDecision, Effect, Event, Outcome, Route, Transition, TransitionError, REPROCESS_WINDOW_DAYS,
};
pub use types::{RequestState, RequestStatus, RequestType};
