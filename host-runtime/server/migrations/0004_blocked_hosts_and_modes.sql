-- Contract v2 (policy.md §1): hosts no app of a superapp may reach, and
-- report mode per app.
-- The console's own patterns, normalised by guard-core's HostPattern. The
-- superapp's backend host and the server's openserver host are added to every
-- bundle besides these (resources/blocked.rs).
CREATE TABLE blocked_hosts (
    superapp_id TEXT NOT NULL REFERENCES superapps(id),
    pattern TEXT NOT NULL,
    PRIMARY KEY (superapp_id, pattern)
);
-- The openserver host this superapp's bundles block, as a change recorded it
-- (NULL: none), and the server reconciles it with its configuration at start.
ALTER TABLE superapps ADD COLUMN openserver_host TEXT;
-- `enforce` or `report` for one app (NULL: the policy's mode).
ALTER TABLE apps ADD COLUMN mode TEXT
