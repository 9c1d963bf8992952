-- The web console (issue 14): passwords, one-time invites, sessions and
-- sign-in throttling. Bearer tokens (accounts.token_hash) stay for automation.
-- An argon2id PHC string, NULL until the account sets one through an invite.
ALTER TABLE accounts ADD COLUMN password_hash TEXT;
-- Invites set (or reset) an account's password once. Only the SHA-256 of the
-- code is stored, and `used_at` makes them single-use (a compare-and-set).
CREATE TABLE invites (
    code_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX invites_by_account ON invites (account_id);
-- Server-side console sessions: the cookie holds a random token, the row its
-- SHA-256. `csrf` is the synchronizer token the session's forms carry.
CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    flash TEXT
);
CREATE INDEX console_sessions_by_account ON console_sessions (account_id);
-- Failed (and in-flight) sign-in attempts per bucket (`account:<id>`,
-- `address:<ip>`) in a fixed window, kept in the database so that every
-- `guard serve` process on one PostgreSQL counts the same attempts.
CREATE TABLE signin_throttle (
    bucket TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL
)
