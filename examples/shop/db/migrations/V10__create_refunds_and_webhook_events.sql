CREATE TABLE refunds (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id    bigint NOT NULL REFERENCES payments (id),
    amount_cents  bigint NOT NULL CHECK (amount_cents > 0),
    reason        text,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX refunds_payment_id_idx ON refunds (payment_id);

-- Raw PSP webhooks, stored before processing so that a crash never loses one.
CREATE TABLE webhook_events (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider           text NOT NULL,
    provider_event_id  text NOT NULL,
    event_type         text NOT NULL,
    payload            jsonb NOT NULL,
    received_at        timestamptz NOT NULL DEFAULT now(),
    processed_at       timestamptz,
    CONSTRAINT webhook_events_provider_event_key UNIQUE (provider, provider_event_id)
);
