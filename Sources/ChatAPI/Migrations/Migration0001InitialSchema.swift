/// Version 1: every entity of CONTRACT.md. docs/schema.md explains each choice.
///
/// Conventions: ids BIGINT AUTO_INCREMENT (below 2^53 for JSON); times DATETIME(3) in UTC;
/// names compared exactly (utf8mb4_bin: the *_unicode_ci collations weigh all emoji equal,
/// which would make "🍕" and "🍔" duplicates); statements `IF NOT EXISTS` so an operator can
/// re-run a half-applied step.
enum Migration0001InitialSchema {
    static let table = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci"

    static let migration = Migration(version: 1, name: "initial schema", statements: [
        // Soft delete: the row stays for message authorship; `username_active` carries the
        // unique name while the account lives and is set NULL on delete, freeing the name.
        """
        CREATE TABLE IF NOT EXISTS users (
          id BIGINT NOT NULL AUTO_INCREMENT,
          username VARCHAR(32) COLLATE utf8mb4_bin NOT NULL,
          username_active VARCHAR(32) COLLATE utf8mb4_bin NULL,
          display_name VARCHAR(64) NOT NULL,
          password_hash VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,
          created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
          deleted_at DATETIME(3) NULL,
          PRIMARY KEY (id),
          UNIQUE KEY uq_users_username_active (username_active),
          KEY ix_users_username (username),
          CONSTRAINT ck_users_active_name CHECK ((deleted_at IS NULL AND username_active = username)
                                              OR (deleted_at IS NOT NULL AND username_active IS NULL))
        ) \(table)
        """,
        // A session is a refresh-token family: the JWT's `sid`. Revoking it revokes the family.
        """
        CREATE TABLE IF NOT EXISTS sessions (
          id BIGINT NOT NULL AUTO_INCREMENT,
          user_id BIGINT NOT NULL,
          created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          revoked_at DATETIME(3) NULL,
          revoked_reason VARCHAR(32) NULL,
          PRIMARY KEY (id),
          KEY ix_sessions_user (user_id, revoked_at),
          CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id)
        ) \(table)
        """,
        // Only a SHA-256 of the token is stored. Rotation sets spent_at; presenting a spent
        // token revokes the session. Expired rows are purged by a periodic DELETE on expires_at.
        """
        CREATE TABLE IF NOT EXISTS refresh_tokens (
          id BIGINT NOT NULL AUTO_INCREMENT,
          session_id BIGINT NOT NULL,
          user_id BIGINT NOT NULL,
          token_hash BINARY(32) NOT NULL,
          created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          expires_at DATETIME(3) NOT NULL,
          spent_at DATETIME(3) NULL,
          revoked_at DATETIME(3) NULL,
          PRIMARY KEY (id),
          UNIQUE KEY uq_refresh_tokens_hash (token_hash),
          KEY ix_refresh_tokens_session (session_id),
          KEY ix_refresh_tokens_user (user_id),
          KEY ix_refresh_tokens_expiry (expires_at),
          CONSTRAINT fk_refresh_tokens_session FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE,
          CONSTRAINT fk_refresh_tokens_user FOREIGN KEY (user_id) REFERENCES users (id)
        ) \(table)
        """,
        // One-directional: (me, them). The reverse index answers "who has me as a friend".
        """
        CREATE TABLE IF NOT EXISTS friends (
          user_id BIGINT NOT NULL,
          friend_id BIGINT NOT NULL,
          created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          PRIMARY KEY (user_id, friend_id),
          KEY ix_friends_friend (friend_id),
          CONSTRAINT fk_friends_user FOREIGN KEY (user_id) REFERENCES users (id),
          CONSTRAINT fk_friends_friend FOREIGN KEY (friend_id) REFERENCES users (id),
          CONSTRAINT ck_friends_not_self CHECK (user_id <> friend_id)
        ) \(table)
        """,
        // (id, owner_id) is unique too so members can reference group and owner together.
        """
        CREATE TABLE IF NOT EXISTS friend_groups (
          id BIGINT NOT NULL AUTO_INCREMENT,
          owner_id BIGINT NOT NULL,
          name VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
          created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          PRIMARY KEY (id),
          UNIQUE KEY uq_friend_groups_owner_name (owner_id, name),
          UNIQUE KEY uq_friend_groups_id_owner (id, owner_id),
          CONSTRAINT fk_friend_groups_owner FOREIGN KEY (owner_id) REFERENCES users (id)
        ) \(table)
        """,
        // The second foreign key makes "only my friends can be in my groups" a database fact,
        // and unfriending (DELETE FROM friends) removes them from all my groups by cascade.
        """
        CREATE TABLE IF NOT EXISTS friend_group_members (
          group_id BIGINT NOT NULL,
          owner_id BIGINT NOT NULL,
          friend_id BIGINT NOT NULL,
          added_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          PRIMARY KEY (group_id, friend_id),
          KEY ix_friend_group_members_friend (owner_id, friend_id),
          CONSTRAINT fk_friend_group_members_group FOREIGN KEY (group_id, owner_id)
            REFERENCES friend_groups (id, owner_id) ON DELETE CASCADE,
          CONSTRAINT fk_friend_group_members_friend FOREIGN KEY (owner_id, friend_id)
            REFERENCES friends (user_id, friend_id) ON DELETE CASCADE
        ) \(table)
        """,
        """
        CREATE TABLE IF NOT EXISTS blocks (
          blocker_id BIGINT NOT NULL,
          blocked_id BIGINT NOT NULL,
          created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          PRIMARY KEY (blocker_id, blocked_id),
          KEY ix_blocks_blocked (blocked_id),
          CONSTRAINT fk_blocks_blocker FOREIGN KEY (blocker_id) REFERENCES users (id),
          CONSTRAINT fk_blocks_blocked FOREIGN KEY (blocked_id) REFERENCES users (id),
          CONSTRAINT ck_blocks_not_self CHECK (blocker_id <> blocked_id)
        ) \(table)
        """,
        // direct_key = "<smaller id>:<larger id>" for direct rooms, NULL for groups: the unique
        // key makes "one direct room per pair" hold under concurrent opens.
        """
        CREATE TABLE IF NOT EXISTS rooms (
          id BIGINT NOT NULL AUTO_INCREMENT,
          type ENUM('direct','group') NOT NULL,
          name VARCHAR(64) NULL,
          created_by BIGINT NOT NULL,
          direct_key VARCHAR(41) COLLATE utf8mb4_bin NULL,
          created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          last_activity_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          last_message_id BIGINT NULL,
          PRIMARY KEY (id),
          UNIQUE KEY uq_rooms_direct_key (direct_key),
          KEY ix_rooms_activity (last_activity_at, id),
          CONSTRAINT fk_rooms_creator FOREIGN KEY (created_by) REFERENCES users (id),
          CONSTRAINT ck_rooms_direct_key CHECK ((type = 'direct') = (direct_key IS NOT NULL))
        ) \(table)
        """,
        // Leaving sets left_at (history of who was there); rejoining clears it.
        """
        CREATE TABLE IF NOT EXISTS room_members (
          room_id BIGINT NOT NULL,
          user_id BIGINT NOT NULL,
          joined_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          left_at DATETIME(3) NULL,
          PRIMARY KEY (room_id, user_id),
          KEY ix_room_members_user (user_id, left_at, room_id),
          CONSTRAINT fk_room_members_room FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
          CONSTRAINT fk_room_members_user FOREIGN KEY (user_id) REFERENCES users (id)
        ) \(table)
        """,
        // The big table. Clustered on (room_id, id): a page of a room's history is one range
        // scan of adjacent rows. Partitioned by RANGE(id) from day one (InnoDB forbids foreign
        // keys on partitioned tables and wants every unique key to contain `id`): operations
        // split `pmax` ahead of the AUTO_INCREMENT counter while it is still empty, which is
        // cheap, and drop or archive the oldest partitions whole. See docs/schema.md.
        """
        CREATE TABLE IF NOT EXISTS messages (
          id BIGINT NOT NULL AUTO_INCREMENT,
          room_id BIGINT NOT NULL,
          thread_id BIGINT NULL,
          sender_id BIGINT NOT NULL,
          body TEXT NOT NULL,
          client_message_id VARCHAR(64) COLLATE utf8mb4_bin NULL,
          created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          PRIMARY KEY (room_id, id),
          UNIQUE KEY uq_messages_id (id),
          KEY ix_messages_thread (thread_id, id)
        ) \(table)
        PARTITION BY RANGE (id) (
          PARTITION p0 VALUES LESS THAN (100000000),
          PARTITION pmax VALUES LESS THAN MAXVALUE
        )
        """,
        // Idempotency keys live apart from messages so their unique key need not contain the
        // partitioning column, and they can be pruned after the retry window.
        """
        CREATE TABLE IF NOT EXISTS message_client_ids (
          sender_id BIGINT NOT NULL,
          client_message_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
          message_id BIGINT NOT NULL,
          room_id BIGINT NOT NULL,
          created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          PRIMARY KEY (sender_id, client_message_id),
          KEY ix_message_client_ids_created (created_at)
        ) \(table)
        """,
        // One thread per root message; replies are messages with thread_id set.
        """
        CREATE TABLE IF NOT EXISTS threads (
          id BIGINT NOT NULL AUTO_INCREMENT,
          room_id BIGINT NOT NULL,
          root_message_id BIGINT NOT NULL,
          created_by BIGINT NOT NULL,
          created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          reply_count INT NOT NULL DEFAULT 0,
          last_reply_at DATETIME(3) NULL,
          PRIMARY KEY (id),
          UNIQUE KEY uq_threads_root (root_message_id),
          KEY ix_threads_room (room_id, id),
          CONSTRAINT fk_threads_room FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
          CONSTRAINT fk_threads_creator FOREIGN KEY (created_by) REFERENCES users (id)
        ) \(table)
        """,
        // Marks grow with messages, so they reference them softly and archive with them.
        """
        CREATE TABLE IF NOT EXISTS message_marks (
          message_id BIGINT NOT NULL,
          user_id BIGINT NOT NULL,
          kind VARCHAR(32) COLLATE utf8mb4_bin NOT NULL,
          room_id BIGINT NOT NULL,
          created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          PRIMARY KEY (message_id, user_id, kind),
          KEY ix_message_marks_user (user_id, kind, message_id)
        ) \(table)
        """,
        // Counts kept in the same transaction as the mark, so reading a page never aggregates.
        """
        CREATE TABLE IF NOT EXISTS message_mark_counts (
          message_id BIGINT NOT NULL,
          kind VARCHAR(32) COLLATE utf8mb4_bin NOT NULL,
          count INT NOT NULL DEFAULT 0,
          PRIMARY KEY (message_id, kind),
          CONSTRAINT ck_message_mark_counts_positive CHECK (count >= 0)
        ) \(table)
        """,
        // A cursor belongs to a membership: the foreign key keeps them consistent.
        """
        CREATE TABLE IF NOT EXISTS read_cursors (
          user_id BIGINT NOT NULL,
          room_id BIGINT NOT NULL,
          message_id BIGINT NOT NULL,
          updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
          PRIMARY KEY (user_id, room_id),
          KEY ix_read_cursors_room (room_id),
          CONSTRAINT fk_read_cursors_member FOREIGN KEY (room_id, user_id)
            REFERENCES room_members (room_id, user_id) ON DELETE CASCADE
        ) \(table)
        """,
        // Written in the state change's transaction; the publisher sends unpublished rows in
        // id order and stamps published_at / stream_id. Published rows are purged after a day.
        """
        CREATE TABLE IF NOT EXISTS event_outbox (
          id BIGINT NOT NULL AUTO_INCREMENT,
          channel VARCHAR(100) COLLATE utf8mb4_bin NOT NULL,
          type VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
          room_id BIGINT NULL,
          payload JSON NOT NULL,
          created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          published_at DATETIME(3) NULL,
          stream_id VARCHAR(40) COLLATE utf8mb4_bin NULL,
          attempts INT NOT NULL DEFAULT 0,
          PRIMARY KEY (id),
          KEY ix_event_outbox_pending (published_at, id)
        ) \(table)
        """,
        // One row the primary touches every ~0.5 s; replicas' copy shows their lag.
        """
        CREATE TABLE IF NOT EXISTS heartbeat (
          id TINYINT NOT NULL,
          ts DATETIME(6) NOT NULL,
          PRIMARY KEY (id)
        ) \(table)
        """,
        "INSERT IGNORE INTO heartbeat (id, ts) VALUES (1, NOW(6))",
    ])
}
