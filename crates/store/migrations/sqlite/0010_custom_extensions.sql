-- Custom callout extensions of a catalog (customWorkflowExtensions on v1.0,
-- accessPackageCustomWorkflowExtensions / customAccessPackageWorkflowExtensions on beta). The
-- document holds the whole extension; the columns serve listing per catalog and filtering.
CREATE TABLE custom_extensions (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    catalog_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    display_name TEXT NOT NULL,
    description TEXT,
    created_date_time TEXT NOT NULL,
    last_modified_date_time TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX custom_extensions_catalog ON custom_extensions (tenant_id, catalog_id, created_date_time, id);
