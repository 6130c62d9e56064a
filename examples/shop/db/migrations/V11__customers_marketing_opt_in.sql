-- GDPR: explicit marketing consent. Everybody starts opted out.
ALTER TABLE customers ADD COLUMN marketing_opt_in boolean;

UPDATE customers SET marketing_opt_in = false;

ALTER TABLE customers ALTER COLUMN marketing_opt_in SET NOT NULL;
