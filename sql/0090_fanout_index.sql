-- 0090_fanout_index: the fan-out of a push to every user reads the
-- devices of one batch of users at a time (app_id, user_id in a range:
-- fcgi/store/outbox.c).  Without these indexes each batch searched every
-- device of the app by (app_id) alone, so a fan-out cost the square of
-- the app's devices (measured: 100,000 APNs tokens drained four times
-- slower than 1,000, per push).  The switch is in push_client's index so
-- that switched-off clients are skipped there.

CREATE INDEX apns_device_app_user ON apns_device (app_id, user_id);
CREATE INDEX push_client_app_user ON push_client (app_id, user_id, switch);
