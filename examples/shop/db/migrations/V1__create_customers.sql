-- Customers of the web shop. One row per sign-up; guests get a row on first checkout.
CREATE TABLE customers (
    id               serial PRIMARY KEY,
    email            text NOT NULL,
    full_name        text,
    legacy_stripe_id text,               -- copied over from the old Rails app, to be removed
    created_at       timestamp NOT NULL DEFAULT now(),
    updated_at       timestamp NOT NULL DEFAULT now()
);

-- Table is empty at this point, a plain index is fine here.
CREATE UNIQUE INDEX customers_email_key ON customers (lower(email));

COMMENT ON TABLE customers IS 'Shop customers (registered and guest checkouts)';
