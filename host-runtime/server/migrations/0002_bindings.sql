-- An app is in its superapp's bundle only once the superapp approved its
-- binding. Apps created before bindings existed stay bound.
ALTER TABLE apps ADD COLUMN bound BIGINT NOT NULL DEFAULT 1;
CREATE TABLE bindings (
    id TEXT PRIMARY KEY,
    superapp_id TEXT NOT NULL REFERENCES superapps (id),
    app_id TEXT NOT NULL REFERENCES apps (id),
    status TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    decided_by TEXT,
    note TEXT,
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX bindings_by_superapp ON bindings (superapp_id, status);
