-- "My orders" page does a seq scan on orders, p95 is 1.8s. Add the missing index.
CREATE INDEX orders_customer_id_created_at_idx ON orders (customer_id, created_at DESC);
