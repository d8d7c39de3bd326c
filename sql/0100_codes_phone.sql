-- 0100_codes_phone: the codes one phone got across every app.
--
-- code.phone_daily_limit caps the codes a phone number receives a day
-- across the whole install, on top of each app's own caps, so that N apps
-- do not multiply what one number can be sent (SMS pumping).  The count
-- is the one query that does not filter by app_id: this index serves it.
CREATE INDEX codes_phone ON codes (account, created_at);
