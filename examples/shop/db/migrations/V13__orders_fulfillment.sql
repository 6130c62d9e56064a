-- Fulfilment tracking for the warehouse integration.
ALTER TABLE orders ADD COLUMN carrier text;

ALTER TABLE orders
    ADD COLUMN fulfilled_at timestamptz
    ADD COLUMN tracking_number text;

-- The warehouse dashboard lists open orders by status.
CREATE INDEX orders_open_status_idx ON orders (status, created_at)
    WHERE status IN ('pending', 'paid');
