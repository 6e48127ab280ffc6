-- Columns for `$filter`/`$orderby` on every stored property of users and groups (the values
-- were only in `doc` before), filled from the documents already stored. `mail` sorts and
-- folds case in byte order like every other text column.
ALTER TABLE users ADD COLUMN given_name TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN surname TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN job_title TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN department TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN manager_id UUID;
ALTER TABLE users ALTER COLUMN mail TYPE TEXT COLLATE "C";
UPDATE users SET
    given_name = doc::jsonb ->> 'givenName',
    surname = doc::jsonb ->> 'surname',
    job_title = doc::jsonb ->> 'jobTitle',
    department = doc::jsonb ->> 'department',
    manager_id = (doc::jsonb ->> 'managerId')::uuid;
CREATE INDEX users_manager ON users (tenant_id, manager_id);

ALTER TABLE groups ADD COLUMN description TEXT COLLATE "C";
ALTER TABLE groups ALTER COLUMN mail TYPE TEXT COLLATE "C";
UPDATE groups SET description = doc::jsonb ->> 'description';
