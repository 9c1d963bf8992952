-- Disabled accounts (the console's Platform > Accounts). While set, the
-- account's bearer token, console sessions, password and invites do nothing.
-- Unix seconds of the disabling, or NULL for an active account.
ALTER TABLE accounts ADD COLUMN disabled_at BIGINT
