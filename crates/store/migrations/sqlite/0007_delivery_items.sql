-- Per-resource delivery: one row per resource role scope a request grants or revokes. The
-- document holds the item; the typed columns serve the lookups by request and the one item
-- per (request, resource, role) guarantee that makes planning a delivery race-proof.
CREATE TABLE delivery_items (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    request_id BLOB NOT NULL,
    resource_id BLOB NOT NULL,
    role_id BLOB NOT NULL,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX delivery_items_scope ON delivery_items (tenant_id, request_id, resource_id, role_id);
