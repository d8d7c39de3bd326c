-- 0160_pay_order_app: the admin API lists every order of an app, newest
-- first (modules/pay/pay.c feat_pay_order_all), where the users' index
-- (app_id, user_id, id) could only filter by app and then sort them all.
CREATE INDEX pay_order_app ON pay_order (app_id, id);
