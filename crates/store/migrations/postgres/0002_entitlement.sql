-- Entitlement-management objects: catalogs, access packages, assignment policies, catalog
-- resources with their roles and scopes, resource role scopes of packages, resource requests,
-- and assignments (filled by assignment requests). Documents in `doc`, typed columns for
-- filtering, ordering, uniqueness and the delete rules: every property that `$filter` can
-- name has its column (policies flatten their nested settings into theirs).
CREATE TABLE catalogs (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    display_name TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C",
    catalog_type TEXT COLLATE "C" NOT NULL,
    state TEXT COLLATE "C" NOT NULL,
    is_externally_visible BOOLEAN NOT NULL,
    created_by TEXT COLLATE "C",
    modified_by TEXT COLLATE "C",
    created_date_time TIMESTAMPTZ NOT NULL,
    modified_date_time TIMESTAMPTZ NOT NULL,
    doc TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX catalogs_display_name ON catalogs (tenant_id, display_name, id);

CREATE TABLE access_packages (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    catalog_id UUID NOT NULL,
    display_name TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C",
    is_hidden BOOLEAN NOT NULL,
    is_role_scopes_visible BOOLEAN NOT NULL,
    created_by TEXT COLLATE "C",
    modified_by TEXT COLLATE "C",
    created_date_time TIMESTAMPTZ NOT NULL,
    modified_date_time TIMESTAMPTZ NOT NULL,
    doc TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX access_packages_catalog ON access_packages (tenant_id, catalog_id, id);
CREATE INDEX access_packages_display_name ON access_packages (tenant_id, display_name, id);

CREATE TABLE assignment_policies (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    access_package_id UUID NOT NULL,
    catalog_id UUID NOT NULL,
    display_name TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C",
    allowed_target_scope TEXT COLLATE "C" NOT NULL,
    created_by TEXT COLLATE "C",
    modified_by TEXT COLLATE "C",
    expiration_type TEXT COLLATE "C" NOT NULL,
    expiration_duration BIGINT,
    expiration_end_date_time TIMESTAMPTZ,
    duration_in_days BIGINT NOT NULL,
    accept_requests BOOLEAN NOT NULL,
    self_add BOOLEAN NOT NULL,
    self_update BOOLEAN NOT NULL,
    self_remove BOOLEAN NOT NULL,
    custom_schedule BOOLEAN NOT NULL,
    on_behalf_add BOOLEAN NOT NULL,
    on_behalf_update BOOLEAN NOT NULL,
    on_behalf_remove BOOLEAN NOT NULL,
    approval_for_add BOOLEAN NOT NULL,
    approval_for_update BOOLEAN NOT NULL,
    justification_required BOOLEAN NOT NULL,
    review_enabled BOOLEAN NOT NULL,
    auto_request BOOLEAN,
    auto_remove BOOLEAN,
    auto_grace_period BIGINT,
    created_date_time TIMESTAMPTZ NOT NULL,
    modified_date_time TIMESTAMPTZ NOT NULL,
    doc TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX assignment_policies_package ON assignment_policies (tenant_id, access_package_id, id);
CREATE INDEX assignment_policies_catalog ON assignment_policies (tenant_id, catalog_id, id);

CREATE TABLE resources (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    catalog_id UUID NOT NULL,
    origin_id TEXT COLLATE "C" NOT NULL,
    origin_system TEXT COLLATE "C" NOT NULL,
    display_name TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C",
    created_date_time TIMESTAMPTZ NOT NULL,
    doc TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX resources_origin ON resources (tenant_id, catalog_id, origin_system, origin_id);

CREATE TABLE resource_roles (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    catalog_id UUID NOT NULL,
    resource_id UUID NOT NULL,
    origin_id TEXT COLLATE "C" NOT NULL,
    origin_system TEXT COLLATE "C" NOT NULL,
    display_name TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C",
    doc TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX resource_roles_resource ON resource_roles (tenant_id, resource_id, id);

CREATE TABLE resource_scopes (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    catalog_id UUID NOT NULL,
    resource_id UUID NOT NULL,
    origin_id TEXT COLLATE "C" NOT NULL,
    origin_system TEXT COLLATE "C" NOT NULL,
    display_name TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C",
    is_root_scope BOOLEAN NOT NULL,
    doc TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX resource_scopes_resource ON resource_scopes (tenant_id, resource_id, id);

CREATE TABLE resource_role_scopes (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    access_package_id UUID NOT NULL,
    catalog_id UUID NOT NULL,
    resource_id UUID NOT NULL,
    role_id UUID NOT NULL,
    scope_id UUID NOT NULL,
    created_date_time TIMESTAMPTZ NOT NULL,
    doc TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX resource_role_scopes_package ON resource_role_scopes (tenant_id, access_package_id, id);
CREATE INDEX resource_role_scopes_resource ON resource_role_scopes (tenant_id, resource_id);
CREATE UNIQUE INDEX resource_role_scopes_binding ON resource_role_scopes (tenant_id, access_package_id, role_id, scope_id);

CREATE TABLE resource_requests (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    catalog_id UUID NOT NULL,
    request_type TEXT COLLATE "C" NOT NULL,
    state TEXT COLLATE "C" NOT NULL,
    created_date_time TIMESTAMPTZ NOT NULL,
    doc TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX resource_requests_catalog ON resource_requests (tenant_id, catalog_id, id);

CREATE TABLE assignments (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    access_package_id UUID NOT NULL,
    assignment_policy_id UUID NOT NULL,
    catalog_id UUID NOT NULL,
    target_id UUID NOT NULL,
    state TEXT COLLATE "C" NOT NULL,
    created_date_time TIMESTAMPTZ NOT NULL,
    doc TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX assignments_package ON assignments (tenant_id, access_package_id, state);
CREATE INDEX assignments_policy ON assignments (tenant_id, assignment_policy_id, state);
CREATE INDEX assignments_target ON assignments (tenant_id, target_id);
