-- 0021_area_cache: answers of AMap's district API (v1 /area), kept for
-- amap.cache_ttl seconds and at most amap.cache_rows rows, the oldest
-- going first.  query is the normalized parameter set sent upstream
-- (names in a fixed order, values percent-encoded, without the key).
-- The districts are the same for every app, so the cache is the
-- install's, not a tenant's.

CREATE TABLE area_cache (
    id          INTEGER PRIMARY KEY,
    query       TEXT NOT NULL UNIQUE,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
-- Expiry and eviction go oldest first.
CREATE INDEX area_cache_age ON area_cache (created_at);
