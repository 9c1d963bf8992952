-- Applications (superapps) have an owner team, a description and the
-- platforms' identifiers. Mini programs have versions (code packages,
-- content-addressed), release requests and one released version.
ALTER TABLE superapps ADD COLUMN team_id TEXT;
ALTER TABLE superapps ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE superapps ADD COLUMN android_package TEXT;
ALTER TABLE superapps ADD COLUMN ios_bundle_id TEXT;
-- The code packages, by SHA-256 (one row per distinct content). `data` is
-- NULL when the bytes are the file packages/<sha256> of the data directory
-- (SQLite), and holds them on PostgreSQL.
CREATE TABLE packages (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    data BYTEA,
    created_at BIGINT NOT NULL
);
CREATE TABLE app_versions (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps (id),
    version TEXT NOT NULL,
    description TEXT NOT NULL,
    package_sha256 TEXT NOT NULL REFERENCES packages (sha256),
    size BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (app_id, version)
);
CREATE TABLE releases (
    id TEXT PRIMARY KEY,
    superapp_id TEXT NOT NULL REFERENCES superapps (id),
    app_id TEXT NOT NULL REFERENCES apps (id),
    version TEXT NOT NULL,
    package_sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    decided_by TEXT,
    note TEXT,
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX releases_by_superapp ON releases (superapp_id, status);
-- The released version (what the bundle's `apps[].release` says) and
-- whether the superapp removed the app (`apps[].removed`).
ALTER TABLE apps ADD COLUMN release_version TEXT;
ALTER TABLE apps ADD COLUMN release_sha256 TEXT;
ALTER TABLE apps ADD COLUMN release_id TEXT;
ALTER TABLE apps ADD COLUMN removed BIGINT NOT NULL DEFAULT 0
