-- Separation of duties and connected organizations. `package_incompatibilities` holds one row
-- per entry of a package's incompatibleAccessPackages / incompatibleGroups; the second index
-- answers "which packages list this one" (accessPackagesIncompatibleWith) and the request check.
CREATE TABLE package_incompatibilities (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    access_package_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    incompatible_id BLOB NOT NULL,
    created_date_time TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX package_incompatibilities_pair ON package_incompatibilities (tenant_id, access_package_id, incompatible_id);
CREATE INDEX package_incompatibilities_other ON package_incompatibilities (tenant_id, incompatible_id, access_package_id);

CREATE TABLE connected_organizations (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    display_name TEXT NOT NULL,
    description TEXT,
    state TEXT NOT NULL,
    created_date_time TEXT NOT NULL,
    modified_date_time TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX connected_organizations_display_name ON connected_organizations (tenant_id, display_name, id);
