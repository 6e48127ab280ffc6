-- Covering index for "which groups is this member in" (checked on every authenticated request):
-- with (tenant_id, member_id) alone, SQLite without statistics preferred the covering primary key
-- and scanned the tenant's memberships.
DROP INDEX group_members_member;
CREATE INDEX group_members_member ON group_members (tenant_id, member_id, group_id);
