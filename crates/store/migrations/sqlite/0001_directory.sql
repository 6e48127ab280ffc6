-- Tenants, directory (users, groups, membership), entitlement-management role assignments,
-- and the audit log. Every table is keyed by tenant first.
CREATE TABLE tenants (
    id BLOB PRIMARY KEY NOT NULL,
    display_name TEXT NOT NULL
);

CREATE TABLE users (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    display_name TEXT NOT NULL,
    user_principal_name TEXT NOT NULL,
    upn_lower TEXT NOT NULL,
    mail TEXT,
    user_type TEXT NOT NULL,
    account_enabled BOOLEAN NOT NULL,
    created_date_time TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX users_upn ON users (tenant_id, upn_lower);
CREATE INDEX users_display_name ON users (tenant_id, display_name, id);

CREATE TABLE groups (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    display_name TEXT NOT NULL,
    mail_nickname TEXT NOT NULL,
    mail TEXT,
    security_enabled BOOLEAN NOT NULL,
    mail_enabled BOOLEAN NOT NULL,
    created_date_time TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX groups_display_name ON groups (tenant_id, display_name, id);

CREATE TABLE group_members (
    tenant_id BLOB NOT NULL,
    group_id BLOB NOT NULL,
    member_id BLOB NOT NULL,
    PRIMARY KEY (tenant_id, group_id, member_id)
);
CREATE INDEX group_members_member ON group_members (tenant_id, member_id);

CREATE TABLE role_assignments (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    principal_id BLOB NOT NULL,
    role_definition_id BLOB NOT NULL,
    app_scope_id TEXT NOT NULL,
    catalog_id BLOB,
    created_date_time TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX role_assignments_unique ON role_assignments (tenant_id, principal_id, role_definition_id, app_scope_id);
CREATE INDEX role_assignments_catalog ON role_assignments (tenant_id, catalog_id);

CREATE TABLE audit_log (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id BLOB NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_object ON audit_log (tenant_id, object_id);
