-- 0200_pay_close_due: WeChat Pay closes an order only 5 minutes after it
-- was made ("订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟",
-- pay/closeorder).  A switch away from a WeChat attempt younger than that
-- asks pay/orderquery instead: a paid attempt settles the order and the
-- switch is refused; an unpaid one is stored closed here (so the new
-- attempt may open) and close_due says when the jobs process asks
-- closeorder for it.  Until then both numbers are payable at WeChat: a
-- payment of the old one is settled as any notify, and a second payment
-- of the order is audited as pay.double_payment for a refund.  NULL: no
-- close is owed to the gateway.
ALTER TABLE pay_attempt ADD COLUMN close_due INTEGER;
CREATE INDEX pay_attempt_close_due ON pay_attempt (close_due)
    WHERE close_due IS NOT NULL;
