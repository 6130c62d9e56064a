-- Needed for the EU VAT report. Every order ships somewhere, so the column is required.
ALTER TABLE orders ADD COLUMN shipping_country char(2) NOT NULL;
