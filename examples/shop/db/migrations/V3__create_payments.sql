-- Payments captured through the PSP. order_id has no FK yet: the checkout service
-- writes the payment before the order row in some flows (fixed in checkout#412).
CREATE TABLE payments (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id          bigint NOT NULL,
    provider          text NOT NULL DEFAULT 'stripe',
    provider_ref      text,
    idempotency_key   text NOT NULL,
    amount_cents      integer NOT NULL,
    currency          char(3) NOT NULL,
    status            text NOT NULL DEFAULT 'pending',
    provider_response json,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX payments_order_id_idx ON payments (order_id);
