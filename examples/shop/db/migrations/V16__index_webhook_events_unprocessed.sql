-- The webhook processor looks for unprocessed events in arrival order.
SET lock_timeout = '2s';
SET statement_timeout = '1min';

-- plumbline-ignore require-concurrent-index: webhook_events only has writes from the webhook ingester, which is paused during deploys; the table holds a few thousand rows
CREATE INDEX webhook_events_unprocessed_idx ON webhook_events (received_at)
    WHERE processed_at IS NULL;
