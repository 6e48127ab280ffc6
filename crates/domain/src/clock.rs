//! Time comes from an injected Clock so that tests can move it. Times are truncated to whole
//! microseconds, the precision both SQLite (text) and PostgreSQL (timestamptz) keep.
use chrono::{DateTime, SubsecRound, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

/// A clock that starts at the real time and can be moved forward by tests or by an operator
/// endpoint guarded in config; never moves backwards.
#[derive(Debug, Default, Clone)]
pub struct OffsetClock {
    offset_micros: Arc<AtomicI64>,
}

impl OffsetClock {
    pub fn advance(&self, by: chrono::Duration) {
        if let Some(us) = by.num_microseconds() {
            if us > 0 {
                self.offset_micros.fetch_add(us, Ordering::SeqCst);
            }
        }
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        let off = chrono::Duration::microseconds(self.offset_micros.load(Ordering::SeqCst));
        (Utc::now() + off).trunc_subsecs(6)
    }
}
