-- Fulfilment service: it consumes the order events the outbox relay publishes to Kafka.
-- Delivery is at-least-once, so it records each message it has applied and skips a
-- redelivery; shipments are created from those messages.
SET lock_timeout = '3s';

CREATE TABLE fulfillment_inbox (
    message_id   text NOT NULL,
    order_id     bigint NOT NULL REFERENCES orders (id),
    event_type   text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);

-- "Have we applied this message already?" runs before every delivery.
CREATE INDEX fulfillment_inbox_message_id_idx ON fulfillment_inbox (message_id);

CREATE TABLE shipments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     bigint NOT NULL REFERENCES orders (id),
    request_id   uuid NOT NULL UNIQUE,
    carrier      text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX shipments_order_id_idx ON shipments (order_id);
CREATE INDEX shipments_request_id_idx ON shipments (request_id);
