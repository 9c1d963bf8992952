-- The key that signs a superapp's HS256 bundles: every device holds it, so it
-- must not be the SecretKey, which authenticates the superapp's backend
-- (policy.md §2, v2). Random, 32 characters, filled in by the server at start
-- for superapps created before it existed.
ALTER TABLE superapps ADD COLUMN bundle_key TEXT;
