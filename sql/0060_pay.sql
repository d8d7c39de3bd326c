-- 0060_pay: payments (issue 10): the products an app sells and the
-- orders its users place, for a product or for a COMPLETED service
-- project of theirs (the winning bid's price).
--
-- status: 0 UNPAID, 100 PAID, 200 CLOSED.  An UNPAID row whose
-- expires_at has passed is CLOSED for every reader (modules/pay/pay.c);
-- the jobs process stores it later, with closed_at = expires_at.  The
-- amount is always the server's: the product's price times quantity,
-- or the winning bid's price, copied when the order is made.

CREATE TABLE pay_product (
    id           INTEGER PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps (id),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    price_fen    INTEGER NOT NULL CHECK (price_fen BETWEEN 1 AND 10000000000),
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX pay_product_app ON pay_product (app_id, active, id);

CREATE TABLE pay_order (
    id              INTEGER PRIMARY KEY,
    app_id          TEXT NOT NULL REFERENCES apps (id),
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    out_trade_no    TEXT NOT NULL UNIQUE
                    CHECK (length(out_trade_no) BETWEEN 1 AND 32),
    subject         TEXT NOT NULL,
    amount_fen      INTEGER NOT NULL CHECK (amount_fen >= 1),
    product_id      INTEGER REFERENCES pay_product (id),
    quantity        INTEGER NOT NULL DEFAULT 1,
    project_id      INTEGER REFERENCES service_project (id)
                    ON DELETE SET NULL,
    status          INTEGER NOT NULL DEFAULT 0
                    CHECK (status IN (0, 100, 200)),
    pay_method      INTEGER,
    end_type        INTEGER,
    -- the last prepay a gateway gave, reused while valid for the same
    -- method, end type and prepay_key (the app id, and the payer's
    -- openid for JSAPI); pay_url is its code_url or mweb_url
    prepay_id       TEXT,
    prepay_key      TEXT,
    pay_url         TEXT,
    prepay_at       INTEGER,
    transaction_id  TEXT,
    notify          TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    paid_at         INTEGER,
    closed_at       INTEGER
);
-- The caller's list, newest first.
CREATE INDEX pay_order_user ON pay_order (app_id, user_id, id);
-- The sweep: UNPAID orders whose time has come.
CREATE INDEX pay_order_due ON pay_order (expires_at) WHERE status = 0;
-- A project's orders (the check before a new one).
CREATE INDEX pay_order_project_any ON pay_order (project_id)
    WHERE project_id IS NOT NULL;
-- One payable or paid order per service project: a second order waits
-- until the first one closes.
CREATE UNIQUE INDEX pay_order_project ON pay_order (project_id)
    WHERE project_id IS NOT NULL AND status IN (0, 100);

-- A payment a provider notified: one row per provider transaction, made
-- in the same transaction that marks its order PAID, so duplicate or
-- racing notifies of one payment leave one row and one PAID.  raw is the
-- notify as it came.
CREATE TABLE pay_transaction (
    id              INTEGER PRIMARY KEY,
    order_id        INTEGER NOT NULL REFERENCES pay_order (id)
                    ON DELETE CASCADE,
    provider        INTEGER NOT NULL,
    transaction_id  TEXT NOT NULL,
    amount_fen      INTEGER NOT NULL,
    raw             TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (provider, transaction_id)
);
CREATE INDEX pay_transaction_order ON pay_transaction (order_id);
