-- 0121_user_deletion: erased accounts (issue 12, "Users' rights").
--
-- Deleting an account erases what identifies the person (phone, email,
-- nickname, avatar, profile, images, bindings, devices, sessions) and
-- keeps the users row as a tombstone with deleted_at set, is_active 0 and
-- an empty account, so that the rows kept on purpose (feedback, made
-- anonymous; orders and projects, which are records) still reference a
-- user, and the phone or email can register anew.

ALTER TABLE users ADD COLUMN deleted_at INTEGER;
