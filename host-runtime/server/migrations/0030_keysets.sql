-- Contract v3 (policy.md §2.1): root keys and the key sets they sign
-- (distribution/keysets.rs).
--
-- A root is either the server's (`sealed`: the seed sealed with the
-- key-encryption key, exactly as signing keys are) or an offline root the
-- superapp registered by its public key alone (`sealed` NULL: the server
-- cannot sign with it). A superapp with offline roots pins those and only
-- those, otherwise its devices pin the server's root.
CREATE TABLE root_keys (
    superapp_id TEXT NOT NULL REFERENCES superapps(id),
    kid TEXT NOT NULL,
    x TEXT NOT NULL,
    sealed TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (superapp_id, kid)
);
-- The key set in force per superapp, as served: the JWS bytes themselves, so
-- one version is always the same bytes. `source` is `server` (signed by the
-- server's root) or `upload` (signed elsewhere by an offline root).
CREATE TABLE keysets (
    superapp_id TEXT PRIMARY KEY REFERENCES superapps(id),
    version BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    jws TEXT NOT NULL,
    source TEXT NOT NULL
);
