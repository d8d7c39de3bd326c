-- 0080_pay_query: the orderquery fallback (issue 10): reading an UNPAID
-- order whose pay was started asks the gateway whether it was paid, so a
-- lost notify still ends PAID.
--
-- wx_appid and alipay_app_id are the provider app ids the order's pay
-- was last started with at each provider (an order offered through both
-- is asked at both); queried_at is the last query's time, which keeps
-- the queries of one order at most one a minute (modules/pay/pay.c).
ALTER TABLE pay_order ADD COLUMN wx_appid TEXT;
ALTER TABLE pay_order ADD COLUMN alipay_app_id TEXT;
ALTER TABLE pay_order ADD COLUMN queried_at INTEGER;
