-- Tenants, directory (users, groups, membership), entitlement-management role assignments,
-- and the audit log. Every table is keyed by tenant first.
CREATE TABLE tenants (
    id UUID PRIMARY KEY NOT NULL,
    display_name TEXT COLLATE "C" NOT NULL
);

CREATE TABLE users (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    display_name TEXT COLLATE "C" NOT NULL,
    user_principal_name TEXT COLLATE "C" NOT NULL,
    upn_lower TEXT COLLATE "C" NOT NULL,
    mail TEXT,
    user_type TEXT COLLATE "C" NOT NULL,
    account_enabled BOOLEAN NOT NULL,
    created_date_time TIMESTAMPTZ NOT NULL,
    doc TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX users_upn ON users (tenant_id, upn_lower);
CREATE INDEX users_display_name ON users (tenant_id, display_name, id);

CREATE TABLE groups (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    display_name TEXT COLLATE "C" NOT NULL,
    mail_nickname TEXT COLLATE "C" NOT NULL,
    mail TEXT,
    security_enabled BOOLEAN NOT NULL,
    mail_enabled BOOLEAN NOT NULL,
    created_date_time TIMESTAMPTZ NOT NULL,
    doc TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX groups_display_name ON groups (tenant_id, display_name, id);

CREATE TABLE group_members (
    tenant_id UUID NOT NULL,
    group_id UUID NOT NULL,
    member_id UUID NOT NULL,
    PRIMARY KEY (tenant_id, group_id, member_id)
);
CREATE INDEX group_members_member ON group_members (tenant_id, member_id);

CREATE TABLE role_assignments (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    principal_id UUID NOT NULL,
    role_definition_id UUID NOT NULL,
    app_scope_id TEXT COLLATE "C" NOT NULL,
    catalog_id UUID,
    created_date_time TIMESTAMPTZ NOT NULL,
    doc TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX role_assignments_unique ON role_assignments (tenant_id, principal_id, role_definition_id, app_scope_id);
CREATE INDEX role_assignments_catalog ON role_assignments (tenant_id, catalog_id);

CREATE TABLE audit_log (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    actor TEXT COLLATE "C" NOT NULL,
    action TEXT COLLATE "C" NOT NULL,
    object_type TEXT COLLATE "C" NOT NULL,
    object_id UUID NOT NULL,
    detail TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_object ON audit_log (tenant_id, object_id);
