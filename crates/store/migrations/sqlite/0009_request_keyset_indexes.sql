-- Lists are ordered by id after the filter (keyset paging). An index on (tenant_id, x) alone
-- finds the rows of one requestor, target, package, catalog or state but not in id order, so
-- `$filter=requestor/objectId eq '...'&$top=100` sorted every matching row before keeping 100
-- (and, without planner statistics, SQLite preferred walking the primary key over the whole
-- tenant). Ending each index in `id` serves the filter, the order and the keyset cursor at once:
-- a page costs the same whatever the table's size. Measured in BENCHMARKS.md (1,000,000 rows).
DROP INDEX assignment_requests_requestor;
DROP INDEX assignment_requests_target;
DROP INDEX assignment_requests_package;
DROP INDEX assignment_requests_catalog;
DROP INDEX assignment_requests_state;
CREATE INDEX assignment_requests_requestor ON assignment_requests (tenant_id, requestor_id, id);
CREATE INDEX assignment_requests_target ON assignment_requests (tenant_id, target_id, id);
CREATE INDEX assignment_requests_package ON assignment_requests (tenant_id, access_package_id, id);
CREATE INDEX assignment_requests_catalog ON assignment_requests (tenant_id, catalog_id, id);
CREATE INDEX assignment_requests_state ON assignment_requests (tenant_id, state, id);
DROP INDEX assignments_target;
CREATE INDEX assignments_target ON assignments (tenant_id, target_id, id);
