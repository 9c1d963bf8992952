-- Ed25519 signing keys per superapp (policy.md §2 v2, distribution/keyring.rs).
-- `sealed` is the seed sealed with the key-encryption key, which is never in
-- the database, and `x` is the public key (base64url).
CREATE TABLE signing_keys (
    superapp_id TEXT NOT NULL REFERENCES superapps(id),
    kid TEXT NOT NULL,
    status TEXT NOT NULL,
    x TEXT NOT NULL,
    sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT,
    PRIMARY KEY (superapp_id, kid)
);
-- How the superapp's bundles are signed: EdDSA for new superapps, HS256 (the
-- bundle key their devices hold) for superapps from before.
ALTER TABLE superapps ADD COLUMN bundle_alg TEXT NOT NULL DEFAULT 'HS256'
