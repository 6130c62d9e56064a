-- VALIDATE only takes SHARE UPDATE EXCLUSIVE: reads and writes keep going while it scans.
SET lock_timeout = '3s';

ALTER TABLE order_items VALIDATE CONSTRAINT order_items_quantity_positive;
