-- Naming cleanup agreed in the API review; the Stripe migration finished in March.
ALTER TABLE customers RENAME COLUMN full_name TO display_name;

ALTER TABLE customers DROP COLUMN legacy_stripe_id;
