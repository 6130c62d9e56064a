-- A bug in the cart service let quantity 0 through. Enforce it for new rows now;
-- existing rows are validated in the next migration, after the cleanup job ran.
SET lock_timeout = '3s';

ALTER TABLE order_items
    ADD CONSTRAINT order_items_quantity_positive CHECK (quantity > 0) NOT VALID;
