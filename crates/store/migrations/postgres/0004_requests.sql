-- Access package assignment requests. The document holds the whole request (answers, schedule,
-- history); the typed columns serve filtering, ordering, the delete rules and two guarantees:
-- `version` for optimistic concurrency, and the partial unique index that makes "one open
-- request per target and package" hold under concurrent creates.
CREATE TABLE assignment_requests (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    request_type TEXT COLLATE "C" NOT NULL,
    state TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    access_package_id UUID NOT NULL,
    assignment_policy_id UUID NOT NULL,
    catalog_id UUID NOT NULL,
    target_id UUID NOT NULL,
    requestor_id UUID,
    assignment_id UUID,
    is_open BOOLEAN NOT NULL,
    created_date_time TIMESTAMPTZ NOT NULL,
    completed_date_time TIMESTAMPTZ,
    version BIGINT NOT NULL,
    doc TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX assignment_requests_open ON assignment_requests (tenant_id, access_package_id, target_id) WHERE is_open;
CREATE INDEX assignment_requests_requestor ON assignment_requests (tenant_id, requestor_id);
CREATE INDEX assignment_requests_target ON assignment_requests (tenant_id, target_id);
CREATE INDEX assignment_requests_package ON assignment_requests (tenant_id, access_package_id);
CREATE INDEX assignment_requests_catalog ON assignment_requests (tenant_id, catalog_id);
CREATE INDEX assignment_requests_state ON assignment_requests (tenant_id, state);
CREATE INDEX assignment_requests_created ON assignment_requests (tenant_id, created_date_time, id);
CREATE INDEX assignment_requests_assignment ON assignment_requests (tenant_id, assignment_id);

-- The primary approvers of a pending request's current stage, resolved when the stage opens
-- (users named directly, group members, the requestor's manager), for
-- filterByCurrentUser(on='approver').
CREATE TABLE request_approvers (
    tenant_id UUID NOT NULL,
    request_id UUID NOT NULL,
    approver_id UUID NOT NULL,
    PRIMARY KEY (tenant_id, request_id, approver_id)
);
CREATE INDEX request_approvers_approver ON request_approvers (tenant_id, approver_id);
