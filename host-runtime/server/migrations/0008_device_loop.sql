-- The device loop (issue 15).
--
-- 1. Signing keys: one active and at most one next key per superapp, held
-- by the database. Two servers starting together used to give a superapp
-- from before signing keys an active key each. Such doubles are repaired
-- first: all but one are retired as of the superapp's last change (every
-- bundle they signed was issued by then, so the grace period outlasts it).
UPDATE signing_keys
   SET status = 'retired',
       retired_at = COALESCE((SELECT v.updated_at FROM versions v WHERE v.scope = signing_keys.superapp_id), created_at)
 WHERE status = 'active'
   AND kid <> (SELECT MIN(k.kid) FROM signing_keys k WHERE k.superapp_id = signing_keys.superapp_id AND k.status = 'active');
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (superapp_id) WHERE status = 'active';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (superapp_id) WHERE status = 'next';

-- 2. Violation reports from devices, aggregated into counters: per app at
-- most 200 rows naming a subject (an API name or a host, '' when the
-- report has none), then one `other` row per kind, code and mode for
-- everything beyond, so that no flood grows the database. Times are the
-- server's clock at receipt (device clocks are not trusted), nothing is
-- kept that the report format does not have.
CREATE TABLE violations (
    app_id TEXT NOT NULL REFERENCES apps (id),
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    other BIGINT NOT NULL,
    code TEXT NOT NULL,
    mode TEXT NOT NULL,
    calls BIGINT NOT NULL,
    policy_version BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    PRIMARY KEY (app_id, kind, subject, other, code, mode)
);
-- Per app: the row every batch of reports locks first, so that the bound
-- holds with concurrent batches, and how many reports were received.
CREATE TABLE violation_apps (
    app_id TEXT PRIMARY KEY REFERENCES apps (id),
    reports BIGINT NOT NULL,
    last_seen BIGINT NOT NULL
);
-- Per superapp: the denials devices counted but could not keep (`dropped`).
CREATE TABLE violation_drops (
    superapp_id TEXT PRIMARY KEY REFERENCES superapps (id),
    dropped BIGINT NOT NULL,
    last_seen BIGINT NOT NULL
);
