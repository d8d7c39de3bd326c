-- 0070_outbox: what the jobs process delivers, one row per target device.
--
-- feat_push_queue (fcgi/store/pushq.c) writes, in the queuing
-- transaction, one outbox row per device of the users a listed push
-- reaches: a v2 push client with its switch on (channel getui) or a feat
-- APNs device token (channel apns).  A push to every user gets an
-- outbox_fanout row instead, and the jobs process writes its outbox rows
-- in batches of users (after_user is the last user id done), never a
-- request.  status: 0 pending, 1 sending (marked before the provider is
-- asked, resolved after: a row found sending at start was cut by a crash
-- and is sent again, under the same request_id), 2 sent, 3 failed for
-- good, 4 skipped (no provider or no credentials for the channel).
-- request_id is a UUID, the same for every attempt of the row (APNs'
-- apns-id, Getui's request_id): the providers drop a repeat.
-- next_at is in milliseconds, so short backoffs need no rounding.

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    push_id     INTEGER NOT NULL REFERENCES push (id) ON DELETE CASCADE,
    app_id      TEXT NOT NULL REFERENCES apps (id),
    user_id     INTEGER NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('apns', 'getui')),
    device_id   INTEGER NOT NULL,
    token       TEXT NOT NULL,
    sandbox     INTEGER NOT NULL DEFAULT 0 CHECK (sandbox IN (0, 1)),
    request_id  TEXT NOT NULL,
    status      INTEGER NOT NULL DEFAULT 0
                CHECK (status IN (0, 1, 2, 3, 4)),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (push_id, channel, device_id)
);
-- The drain picks due pending rows in order; a start finds sending rows.
CREATE INDEX outbox_due ON outbox (next_at) WHERE status = 0;
CREATE INDEX outbox_sending ON outbox (id) WHERE status = 1;
-- A push's status is judged from its rows.
CREATE INDEX outbox_push ON outbox (push_id, status);

CREATE TABLE outbox_fanout (
    push_id     INTEGER PRIMARY KEY REFERENCES push (id) ON DELETE CASCADE,
    app_id      TEXT NOT NULL REFERENCES apps (id),
    after_user  INTEGER NOT NULL DEFAULT 0
);
