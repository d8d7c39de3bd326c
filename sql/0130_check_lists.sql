-- 0130_check_lists: CHECK constraints with three or more values written
-- as a chain of equalities instead of an IN list.  SQLite codes a CHECK's
-- IN list of three or more constants as an ephemeral index, built again
-- at every INSERT and UPDATE of the row: a b-tree created and dropped per
-- write (about 11,000 instructions of the 140,000 of a POST /api/feedback).
-- An OR of equalities means the same (every column here is NOT NULL) and
-- costs a few comparisons.
--
-- The constraints are rewritten in place, by the procedure SQLite
-- documents for changing a CHECK constraint (lang_altertable.html,
-- "making other kinds of table schema changes"): every stored row already
-- satisfies the new text, which is equivalent to the old, so no table is
-- rebuilt and no row is touched.  The statement text of each table is
-- matched exactly; t/unit/db-test.c checks that no such list is left.
-- The DDL at the end moves the schema cookie, so every open connection
-- reads the new text before its next statement.

PRAGMA writable_schema = ON;

UPDATE sqlite_schema
   SET sql = replace(sql, 'CHECK (status IN (0, 1, 2))',
                     'CHECK (status = 0 OR status = 1 OR status = 2)')
 WHERE type = 'table' AND name IN ('feedback', 'push');

UPDATE sqlite_schema
   SET sql = replace(sql, 'CHECK (status IN (0, 100, 200, 300, 400, 500))',
                     'CHECK (status = 0 OR status = 100 OR status = 200'
                     || ' OR status = 300 OR status = 400 OR status = 500)')
 WHERE type = 'table' AND name = 'service_project';

UPDATE sqlite_schema
   SET sql = replace(sql, 'CHECK (status IN (0, 100, 200))',
                     'CHECK (status = 0 OR status = 100 OR status = 200)')
 WHERE type = 'table' AND name = 'pay_order';

UPDATE sqlite_schema
   SET sql = replace(sql, 'CHECK (status IN (0, 1, 2, 3, 4))',
                     'CHECK (status = 0 OR status = 1 OR status = 2'
                     || ' OR status = 3 OR status = 4)')
 WHERE type = 'table' AND name = 'outbox';

PRAGMA writable_schema = OFF;

CREATE TABLE schema_cookie_0130 (x);
DROP TABLE schema_cookie_0130;
