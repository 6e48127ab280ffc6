-- The durable job queue: background work (delivery, callouts, notifications, timers) written
-- in the same transaction as the state change that needs it, claimed by runners with a lease.
-- A job is deleted when done; one that keeps failing is parked with state 'dead'.
CREATE TABLE jobs (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    subject_id UUID NOT NULL,
    payload TEXT COLLATE "C" NOT NULL,
    state TEXT COLLATE "C" NOT NULL,
    run_at TIMESTAMPTZ NOT NULL,
    attempts BIGINT NOT NULL,
    locked_until TIMESTAMPTZ,
    locked_by TEXT,
    last_error TEXT,
    created_date_time TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
-- Claiming scans due jobs across tenants; a sharded deployment claims per shard with the same index.
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_subject ON jobs (tenant_id, subject_id);
