-- The durable job queue: background work (delivery, callouts, notifications, timers) written
-- in the same transaction as the state change that needs it, claimed by runners with a lease.
-- A job is deleted when done; one that keeps failing is parked with state 'dead'.
CREATE TABLE jobs (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    kind TEXT NOT NULL,
    subject_id BLOB NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    run_at TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    locked_until TEXT,
    locked_by TEXT,
    last_error TEXT,
    created_date_time TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
-- Claiming scans due jobs across tenants; a sharded deployment claims per shard with the same index.
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_subject ON jobs (tenant_id, subject_id);
