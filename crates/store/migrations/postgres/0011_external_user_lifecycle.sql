-- The tenant's entitlement-management settings (one row per tenant, a fixed id) and the
-- external users grantd created for add requests, whose lifecycle follows those settings.
CREATE TABLE entitlement_settings (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    doc TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE governed_subjects (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    created_date_time TIMESTAMPTZ NOT NULL,
    doc TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
