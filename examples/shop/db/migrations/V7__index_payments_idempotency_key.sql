-- Deduplicate PSP retries on the idempotency key.
-- Runs outside a transaction (see the .sql.conf next to this file): CONCURRENTLY cannot run in one.
SET lock_timeout = '5s';

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS payments_idempotency_key_key
    ON payments (idempotency_key);
