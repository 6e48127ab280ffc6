-- Per-resource delivery: one row per resource role scope a request grants or revokes. The
-- document holds the item; the typed columns serve the lookups by request and the one item
-- per (request, resource, role) guarantee that makes planning a delivery race-proof.
CREATE TABLE delivery_items (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    request_id UUID NOT NULL,
    resource_id UUID NOT NULL,
    role_id UUID NOT NULL,
    state TEXT COLLATE "C" NOT NULL,
    version BIGINT NOT NULL,
    doc TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX delivery_items_scope ON delivery_items (tenant_id, request_id, resource_id, role_id);
