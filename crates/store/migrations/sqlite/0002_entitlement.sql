-- Entitlement-management objects: catalogs, access packages, assignment policies, catalog
-- resources with their roles and scopes, resource role scopes of packages, resource requests,
-- and assignments (filled by assignment requests). Documents in `doc`, typed columns for
-- filtering, ordering, uniqueness and the delete rules: every property that `$filter` can
-- name has its column (policies flatten their nested settings into theirs).
CREATE TABLE catalogs (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    display_name TEXT NOT NULL,
    description TEXT,
    catalog_type TEXT NOT NULL,
    state TEXT NOT NULL,
    is_externally_visible BOOLEAN NOT NULL,
    created_by TEXT,
    modified_by TEXT,
    created_date_time TEXT NOT NULL,
    modified_date_time TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX catalogs_display_name ON catalogs (tenant_id, display_name, id);

CREATE TABLE access_packages (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    catalog_id BLOB NOT NULL,
    display_name TEXT NOT NULL,
    description TEXT,
    is_hidden BOOLEAN NOT NULL,
    is_role_scopes_visible BOOLEAN NOT NULL,
    created_by TEXT,
    modified_by TEXT,
    created_date_time TEXT NOT NULL,
    modified_date_time TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX access_packages_catalog ON access_packages (tenant_id, catalog_id, id);
CREATE INDEX access_packages_display_name ON access_packages (tenant_id, display_name, id);

CREATE TABLE assignment_policies (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    access_package_id BLOB NOT NULL,
    catalog_id BLOB NOT NULL,
    display_name TEXT NOT NULL,
    description TEXT,
    allowed_target_scope TEXT NOT NULL,
    created_by TEXT,
    modified_by TEXT,
    expiration_type TEXT NOT NULL,
    expiration_duration INTEGER,
    expiration_end_date_time TEXT,
    duration_in_days INTEGER NOT NULL,
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
    auto_grace_period INTEGER,
    created_date_time TEXT NOT NULL,
    modified_date_time TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX assignment_policies_package ON assignment_policies (tenant_id, access_package_id, id);
CREATE INDEX assignment_policies_catalog ON assignment_policies (tenant_id, catalog_id, id);

CREATE TABLE resources (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    catalog_id BLOB NOT NULL,
    origin_id TEXT NOT NULL,
    origin_system TEXT NOT NULL,
    display_name TEXT NOT NULL,
    description TEXT,
    created_date_time TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX resources_origin ON resources (tenant_id, catalog_id, origin_system, origin_id);

CREATE TABLE resource_roles (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    catalog_id BLOB NOT NULL,
    resource_id BLOB NOT NULL,
    origin_id TEXT NOT NULL,
    origin_system TEXT NOT NULL,
    display_name TEXT NOT NULL,
    description TEXT,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX resource_roles_resource ON resource_roles (tenant_id, resource_id, id);

CREATE TABLE resource_scopes (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    catalog_id BLOB NOT NULL,
    resource_id BLOB NOT NULL,
    origin_id TEXT NOT NULL,
    origin_system TEXT NOT NULL,
    display_name TEXT NOT NULL,
    description TEXT,
    is_root_scope BOOLEAN NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX resource_scopes_resource ON resource_scopes (tenant_id, resource_id, id);

CREATE TABLE resource_role_scopes (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    access_package_id BLOB NOT NULL,
    catalog_id BLOB NOT NULL,
    resource_id BLOB NOT NULL,
    role_id BLOB NOT NULL,
    scope_id BLOB NOT NULL,
    created_date_time TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX resource_role_scopes_package ON resource_role_scopes (tenant_id, access_package_id, id);
CREATE INDEX resource_role_scopes_resource ON resource_role_scopes (tenant_id, resource_id);
CREATE UNIQUE INDEX resource_role_scopes_binding ON resource_role_scopes (tenant_id, access_package_id, role_id, scope_id);

CREATE TABLE resource_requests (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    catalog_id BLOB NOT NULL,
    request_type TEXT NOT NULL,
    state TEXT NOT NULL,
    created_date_time TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX resource_requests_catalog ON resource_requests (tenant_id, catalog_id, id);

CREATE TABLE assignments (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    access_package_id BLOB NOT NULL,
    assignment_policy_id BLOB NOT NULL,
    catalog_id BLOB NOT NULL,
    target_id BLOB NOT NULL,
    state TEXT NOT NULL,
    created_date_time TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX assignments_package ON assignments (tenant_id, access_package_id, state);
CREATE INDEX assignments_policy ON assignments (tenant_id, assignment_policy_id, state);
CREATE INDEX assignments_target ON assignments (tenant_id, target_id);
