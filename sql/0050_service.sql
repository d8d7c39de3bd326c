-- 0050_service: the service-demand marketplace (需求项目, seeds/002
-- "Service: Status"): projects users post, and the bids other users of
-- the app make on them.
--
-- status holds the seed's values: 0 DRAFT, 100 REVIEW, 200 OPEN,
-- 300 CLOSED, 400 COMPLETED, 500 CANCELLED.  An OPEN row whose close_at
-- has passed is CLOSED for every reader (modules/service/service.c
-- applies it at once); the jobs process stores it later, with
-- closed_at = close_at.  search is a case-folded copy of title and
-- description (SQLite's lower() folds ASCII only), written with them.

CREATE TABLE service_project (
    id            INTEGER PRIMARY KEY,
    app_id        TEXT NOT NULL REFERENCES apps (id),
    owner_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL,
    category      TEXT NOT NULL DEFAULT '',
    budget_fen    INTEGER NOT NULL
                  CHECK (budget_fen BETWEEN 1 AND 10000000000),
    close_at      INTEGER NOT NULL,
    status        INTEGER NOT NULL DEFAULT 0
                  CHECK (status IN (0, 100, 200, 300, 400, 500)),
    review_note   TEXT,
    winner_bid_id INTEGER REFERENCES service_bid (id) ON DELETE SET NULL,
    search        TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    published_at  INTEGER,
    closed_at     INTEGER,
    completed_at  INTEGER,
    cancelled_at  INTEGER
);
-- The owner's list, newest first.
CREATE INDEX service_project_owner ON service_project (app_id, owner_id, id);
-- The square: OPEN projects of an app, most recently published first.
CREATE INDEX service_project_square
    ON service_project (app_id, published_at, id) WHERE status = 200;
-- The sweep: OPEN projects whose close time has come.
CREATE INDEX service_project_due
    ON service_project (close_at) WHERE status = 200;

-- One bid per user per project: a second one revises it.
CREATE TABLE service_bid (
    id          INTEGER PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps (id),
    project_id  INTEGER NOT NULL
                REFERENCES service_project (id) ON DELETE CASCADE,
    bidder_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    price_fen   INTEGER NOT NULL CHECK (price_fen >= 1),
    message     TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (project_id, bidder_id)
);
CREATE INDEX service_bid_bidder ON service_bid (bidder_id);
