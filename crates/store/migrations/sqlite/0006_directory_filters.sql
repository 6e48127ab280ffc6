-- Columns for `$filter`/`$orderby` on every stored property of users and groups (the values
-- were only in `doc` before), filled from the documents already stored.
ALTER TABLE users ADD COLUMN given_name TEXT;
ALTER TABLE users ADD COLUMN surname TEXT;
ALTER TABLE users ADD COLUMN job_title TEXT;
ALTER TABLE users ADD COLUMN department TEXT;
ALTER TABLE users ADD COLUMN manager_id BLOB;
UPDATE users SET
    given_name = json_extract(doc, '$.givenName'),
    surname = json_extract(doc, '$.surname'),
    job_title = json_extract(doc, '$.jobTitle'),
    department = json_extract(doc, '$.department'),
    manager_id = unhex(replace(json_extract(doc, '$.managerId'), '-', ''));
CREATE INDEX users_manager ON users (tenant_id, manager_id);

ALTER TABLE groups ADD COLUMN description TEXT;
UPDATE groups SET description = json_extract(doc, '$.description');
