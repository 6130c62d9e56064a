-- A B2B invoice above 21,474,836.47 EUR overflowed amount_cents. Widen it.
SET lock_timeout = '5s';

ALTER TABLE payments ALTER COLUMN amount_cents TYPE bigint;
