-- 0180_pay_attempt: one out_trade_no per payment attempt.  A gateway
-- keeps one trade per out_trade_no: WeChat's pay/unifiedorder refuses a
-- number already used with other parameters (OUT_TRADE_NO_USED), and one
-- number offered at WeChat and at Alipay is payable twice.  So each pay
-- of an order with another provider, end type or key (the provider's app
-- id, and the payer's openid for JSAPI) is an attempt with its own
-- number, and the open one is closed at its gateway before the next is
-- made (modules/pay/feat.c).
--
-- The first attempt of an order takes the order's own out_trade_no (the
-- number the answers show); later ones take "<order's number>_<n>".
-- Notifies and the orderquery find the order through any attempt's
-- number.  closed_at is NULL while the attempt may be paid; at most one
-- attempt of an order is open.  prepay_id / pay_url / prepay_at are the
-- gateway's last prepay, reused while valid for the same parameters.
CREATE TABLE pay_attempt (
    id            INTEGER PRIMARY KEY,
    app_id        TEXT NOT NULL REFERENCES apps (id),
    order_id      INTEGER NOT NULL REFERENCES pay_order (id)
                  ON DELETE CASCADE,
    provider      INTEGER NOT NULL CHECK (provider IN (100, 200)),
    end_type      INTEGER NOT NULL,
    prepay_key    TEXT NOT NULL,
    provider_app  TEXT NOT NULL,
    out_trade_no  TEXT NOT NULL UNIQUE
                  CHECK (length(out_trade_no) BETWEEN 1 AND 32),
    prepay_id     TEXT,
    pay_url       TEXT,
    prepay_at     INTEGER,
    created_at    INTEGER NOT NULL,
    closed_at     INTEGER
);
CREATE INDEX pay_attempt_order ON pay_attempt (order_id, id);
CREATE UNIQUE INDEX pay_attempt_open ON pay_attempt (order_id)
    WHERE closed_at IS NULL;

-- An order paid before this migration keeps its one prepay as its first
-- attempt, under the order's number; open while the order is UNPAID.
INSERT INTO pay_attempt (app_id, order_id, provider, end_type, prepay_key,
                         provider_app, out_trade_no, prepay_id, pay_url,
                         prepay_at, created_at, closed_at)
SELECT app_id, id, pay_method, coalesce(end_type, 0),
       coalesce(prepay_key, ''),
       coalesce(CASE pay_method WHEN 200 THEN wx_appid
                                ELSE alipay_app_id END, ''),
       out_trade_no, prepay_id, pay_url, prepay_at,
       coalesce(prepay_at, created_at),
       CASE WHEN status = 0 THEN NULL ELSE updated_at END
  FROM pay_order
 WHERE pay_method IN (100, 200) AND prepay_at IS NOT NULL;
