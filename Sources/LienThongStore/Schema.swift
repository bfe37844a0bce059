import GRDB

/// The store's tables, created by append-only migrations: a migration that has shipped is never edited;
/// a change is a new migration after it.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: records, siblings, history, cursors, own feed, quarantine, audit") { db in
            // The visible record of each (dataset, id), who sent it and when: what other programs read,
            // through `visible_records`.
            try db.execute(sql: """
                CREATE TABLE record (
                    dataset TEXT NOT NULL,
                    id TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    hlc_ms INTEGER NOT NULL,
                    hlc_counter INTEGER NOT NULL,
                    vv TEXT NOT NULL,
                    deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
                    data TEXT NOT NULL,
                    source TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    sibling_count INTEGER NOT NULL CHECK (sibling_count >= 1),
                    awaits_review INTEGER NOT NULL CHECK (awaits_review IN (0, 1)),
                    PRIMARY KEY (dataset, id)
                ) WITHOUT ROWID;

                -- The maximal versions seen of a record in open conflict (two or more of them). A record with
                -- one version keeps it in its `record` row only, so most records cost one row.
                -- One origin never has two siblings with the same vector, so the key is unique.
                CREATE TABLE sibling (
                    dataset TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    hlc_ms INTEGER NOT NULL,
                    hlc_counter INTEGER NOT NULL,
                    vv TEXT NOT NULL,
                    deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
                    data TEXT NOT NULL,
                    source TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    PRIMARY KEY (dataset, record_id, origin, vv)
                ) WITHOUT ROWID;

                -- Versions that left the sibling set, kept for review and audit: nothing is deleted.
                CREATE TABLE history (
                    seq INTEGER PRIMARY KEY,
                    dataset TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    hlc_ms INTEGER NOT NULL,
                    hlc_counter INTEGER NOT NULL,
                    vv TEXT NOT NULL,
                    deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
                    data TEXT NOT NULL,
                    source TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    superseded_at INTEGER NOT NULL
                );
                CREATE INDEX history_by_record ON history (dataset, record_id);

                -- How far each peer's feed of each dataset has been applied.
                CREATE TABLE cursor (
                    peer TEXT NOT NULL,
                    dataset TEXT NOT NULL,
                    position INTEGER NOT NULL CHECK (position >= 0),
                    head INTEGER NOT NULL CHECK (head >= 0),
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (peer, dataset)
                ) WITHOUT ROWID;

                -- The versions authored here, numbered per dataset from 1: the feed this agency publishes.
                CREATE TABLE own_feed (
                    dataset TEXT NOT NULL,
                    seq INTEGER NOT NULL CHECK (seq >= 1),
                    record_id TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    hlc_ms INTEGER NOT NULL,
                    hlc_counter INTEGER NOT NULL,
                    vv TEXT NOT NULL,
                    deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
                    data TEXT NOT NULL,
                    PRIMARY KEY (dataset, seq)
                ) WITHOUT ROWID;

                -- Everything refused from a peer, with why, exactly as it came.
                CREATE TABLE quarantine (
                    seq INTEGER PRIMARY KEY,
                    received_at INTEGER NOT NULL,
                    peer TEXT NOT NULL,
                    dataset TEXT,
                    record_id TEXT,
                    reason TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    raw TEXT NOT NULL
                );

                -- What happened, for auditors: pages applied and served, equivocations, resolutions.
                CREATE TABLE audit_log (
                    seq INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    event TEXT NOT NULL,
                    peer TEXT,
                    dataset TEXT,
                    detail TEXT NOT NULL
                );

                -- The hybrid logical clock's last stamp, so that it never runs backwards across restarts.
                CREATE TABLE clock (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    hlc_ms INTEGER NOT NULL,
                    hlc_counter INTEGER NOT NULL
                );

                -- The read-only face of the store for the agency's other programs (docs/STORE.md).
                CREATE VIEW visible_records AS
                    SELECT dataset, id, data, deleted, origin, json_array(hlc_ms, hlc_counter) AS hlc,
                           sibling_count > 1 AS conflict
                    FROM record;
                """)
        }
        migrator.registerMigration("v2: pull status") { db in
            // How each pull of a peer's feed last went, for `lienthong status` and the daemon's health:
            // the last success, the last error, and the backoff before the next attempt.
            try db.execute(sql: """
                CREATE TABLE pull_status (
                    peer TEXT NOT NULL,
                    dataset TEXT NOT NULL,
                    last_attempt_at INTEGER NOT NULL,
                    last_success_at INTEGER,
                    last_error TEXT,
                    last_error_at INTEGER,
                    consecutive_failures INTEGER NOT NULL CHECK (consecutive_failures >= 0),
                    next_attempt_at INTEGER,
                    PRIMARY KEY (peer, dataset)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v3 held versions") { db in
            // Per record and origin, the greatest vv[origin] of the versions that origin authored, received
            // or made here: what a claim about that origin is checked against (docs/MERGE.md).
            // Versions held back because their vectors claim more edits by a direct source than it has sent,
            // with the sources whose versions they wait for (docs/MERGE.md, "Claims about other agencies").
            try db.execute(sql: """
                CREATE TABLE origin_counter (
                    dataset TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    counter INTEGER NOT NULL CHECK (counter >= 1),
                    PRIMARY KEY (dataset, record_id, origin)
                ) WITHOUT ROWID;
                INSERT INTO origin_counter (dataset, record_id, origin, counter)
                    SELECT dataset, record_id, origin, MAX(json_extract(vv, '$."' || origin || '"'))
                    FROM (
                        SELECT dataset, id AS record_id, origin, vv FROM record
                        UNION ALL SELECT dataset, record_id, origin, vv FROM sibling
                        UNION ALL SELECT dataset, record_id, origin, vv FROM history
                    )
                    GROUP BY dataset, record_id, origin;

                CREATE TABLE held_version (
                    seq INTEGER PRIMARY KEY,
                    dataset TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    hlc_ms INTEGER NOT NULL,
                    hlc_counter INTEGER NOT NULL,
                    vv TEXT NOT NULL,
                    deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
                    data TEXT NOT NULL,
                    source TEXT NOT NULL,
                    received_at INTEGER NOT NULL
                );
                CREATE INDEX held_version_by_record ON held_version (dataset, record_id);
                CREATE INDEX held_version_by_source ON held_version (source, dataset);

                CREATE TABLE held_claim (
                    dataset TEXT NOT NULL,
                    agency TEXT NOT NULL,
                    held_seq INTEGER NOT NULL REFERENCES held_version (seq) ON DELETE CASCADE,
                    PRIMARY KEY (dataset, agency, held_seq)
                ) WITHOUT ROWID;
                CREATE INDEX held_claim_by_version ON held_claim (held_seq);
                """)
        }
        migrator.registerMigration("v4: quarantine digests") { db in
            // A refused page is kept as its SHA-256, its size and its first 64 KiB (in `raw`), once: the same
            // page refused again counts in `times_seen` and `last_seen_at`. Rows from before keep `raw` whole.
            try db.execute(sql: """
                ALTER TABLE quarantine ADD COLUMN raw_sha256 TEXT;
                ALTER TABLE quarantine ADD COLUMN raw_bytes INTEGER CHECK (raw_bytes >= 0);
                ALTER TABLE quarantine ADD COLUMN times_seen INTEGER NOT NULL DEFAULT 1 CHECK (times_seen >= 1);
                ALTER TABLE quarantine ADD COLUMN last_seen_at INTEGER;
                CREATE INDEX quarantine_by_digest ON quarantine (peer, raw_sha256) WHERE raw_sha256 IS NOT NULL;
                """)
        }
        migrator.registerMigration("v5: versions appended once, records point at them") { db in
            // Every version kept here, current or superseded, is one row of `version`, appended in the order it
            // arrived and never rewritten: an update costs one append and one small `record` row, where before it
            // rewrote the record row with its data, copied the old version into `history` and updated two
            // indexes placed at random (docs/STORE.md, docs/PERFORMANCE.md). `record` points at the record's
            // siblings and visible version and keeps the claims counters that `origin_counter` held.
            // `sibling`, `history` and `origin_counter` are folded in; `history` becomes a view.
            try db.execute(sql: """
                CREATE TABLE version (
                    seq INTEGER PRIMARY KEY,
                    dataset TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    hlc_ms INTEGER NOT NULL,
                    hlc_counter INTEGER NOT NULL,
                    vv TEXT NOT NULL,
                    deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
                    data TEXT NOT NULL,
                    source TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    supersedes TEXT,
                    superseded_at INTEGER
                );
                INSERT INTO version (dataset, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data, source, received_at, superseded_at)
                    SELECT dataset, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data, source, received_at, superseded_at
                    FROM history ORDER BY seq;
                INSERT INTO version (dataset, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data, source, received_at)
                    SELECT dataset, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data, source, received_at
                    FROM sibling ORDER BY dataset, record_id, origin, vv;
                INSERT INTO version (dataset, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data, source, received_at)
                    SELECT dataset, id, origin, hlc_ms, hlc_counter, vv, deleted, data, source, received_at
                    FROM record WHERE sibling_count = 1 ORDER BY dataset, id;
                CREATE INDEX migrating_current ON version (dataset, record_id) WHERE superseded_at IS NULL;

                CREATE TABLE record_v5 (
                    dataset TEXT NOT NULL,
                    id TEXT NOT NULL,
                    visible INTEGER,
                    siblings TEXT NOT NULL,
                    sibling_count INTEGER NOT NULL CHECK (sibling_count >= 0),
                    awaits_review INTEGER NOT NULL CHECK (awaits_review IN (0, 1)),
                    authored TEXT NOT NULL,
                    PRIMARY KEY (dataset, id)
                ) WITHOUT ROWID;
                INSERT INTO record_v5 (dataset, id, visible, siblings, sibling_count, awaits_review, authored)
                    SELECT r.dataset, r.id,
                        (SELECT v.seq FROM version v WHERE v.dataset = r.dataset AND v.record_id = r.id AND v.superseded_at IS NULL
                            AND v.origin = r.origin AND v.vv = r.vv AND v.data = r.data AND v.deleted = r.deleted ORDER BY v.seq LIMIT 1),
                        (SELECT json_group_array(v.seq) FROM version v WHERE v.dataset = r.dataset AND v.record_id = r.id AND v.superseded_at IS NULL),
                        r.sibling_count, r.awaits_review,
                        COALESCE((SELECT json_group_object(c.origin, c.counter) FROM origin_counter c WHERE c.dataset = r.dataset AND c.record_id = r.id), '{}')
                    FROM record r;
                -- Records known here only through versions held back for their claims: counters, no sibling yet.
                INSERT INTO record_v5 (dataset, id, visible, siblings, sibling_count, awaits_review, authored)
                    SELECT c.dataset, c.record_id, NULL, '[]', 0, 0, json_group_object(c.origin, c.counter)
                    FROM origin_counter c WHERE NOT EXISTS (SELECT 1 FROM record r WHERE r.dataset = c.dataset AND r.id = c.record_id)
                    GROUP BY c.dataset, c.record_id;
                DROP INDEX migrating_current;

                DROP VIEW visible_records;
                DROP TABLE record;
                DROP TABLE sibling;
                DROP TABLE history;
                DROP TABLE origin_counter;
                ALTER TABLE record_v5 RENAME TO record;

                CREATE VIEW visible_records AS
                    SELECT r.dataset, r.id, v.data, v.deleted, v.origin, json_array(v.hlc_ms, v.hlc_counter) AS hlc,
                           r.sibling_count > 1 AS conflict
                    FROM record r JOIN version v ON v.seq = r.visible;

                -- Versions that left the sibling set, with when: those a later version superseded (at the time
                -- that version was received) and those moved here from v4's `history` table.
                CREATE VIEW history AS
                    SELECT seq, dataset, record_id, origin, hlc_ms, hlc_counter, vv, deleted, data, source, received_at, superseded_at
                    FROM version WHERE superseded_at IS NOT NULL
                    UNION ALL
                    SELECT old.seq, old.dataset, old.record_id, old.origin, old.hlc_ms, old.hlc_counter, old.vv, old.deleted, old.data,
                           old.source, old.received_at, new.received_at
                    FROM version new JOIN json_each(new.supersedes) displaced JOIN version old ON old.seq = displaced.value
                    WHERE new.supersedes IS NOT NULL;
                """)
        }
        migrator.registerMigration("v6: changes log and views for other programs") { db in
            // One row per change to what `visible_records` shows, written in the transaction that made it, so
            // that other programs follow the store by asking what changed after the last `change_seq` they saw
            // (docs/STORE.md, "For other programs"). Pruning never deletes the newest row, so SQLite never
            // gives a number twice (without AUTOINCREMENT, whose bookkeeping costs a write per change).
            // Existing visible records are logged as created, so that a program reading the log from its
            // start sees every record.
            // `change_log_pruned` remembers the last number pruned: a request for changes after an earlier one
            // is refused rather than answered with a gap.
            try db.execute(sql: """
                CREATE TABLE change_log (
                    change_seq INTEGER PRIMARY KEY,
                    dataset TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('created', 'updated', 'deleted', 'conflict_opened', 'conflict_closed')),
                    changed_at INTEGER NOT NULL
                );
                CREATE INDEX change_log_by_dataset ON change_log (dataset, change_seq);
                CREATE TABLE change_log_pruned (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    through INTEGER NOT NULL CHECK (through >= 0)
                );
                INSERT INTO change_log (dataset, record_id, kind, changed_at)
                    SELECT r.dataset, r.id, CASE WHEN v.deleted THEN 'deleted' ELSE 'created' END,
                           CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
                    FROM record r JOIN version v ON v.seq = r.visible ORDER BY r.dataset, r.id;

                -- Records in open conflict, found without reading every record.
                CREATE INDEX record_in_conflict ON record (dataset, id) WHERE sibling_count > 1;

                CREATE VIEW changes AS
                    SELECT change_seq, dataset, record_id AS id, kind, changed_at FROM change_log;

                CREATE VIEW open_conflicts AS
                    SELECT r.dataset, r.id, r.sibling_count, r.awaits_review,
                        (SELECT json_group_array(json(sibling)) FROM (
                            SELECT json_object(
                                'origin', v.origin, 'hlc', json_array(v.hlc_ms, v.hlc_counter), 'vv', json(v.vv),
                                'deleted', json(CASE WHEN v.deleted THEN 'true' ELSE 'false' END), 'data', json(v.data),
                                'visible', json(CASE WHEN v.seq = r.visible THEN 'true' ELSE 'false' END)
                            ) AS sibling
                            FROM json_each(r.siblings) listed JOIN version v ON v.seq = listed.value ORDER BY listed.key
                        )) AS siblings
                    FROM record r WHERE r.sibling_count > 1;

                CREATE VIEW dataset_status AS
                    SELECT feed.dataset, feed.peer, c.position AS cursor, c.head, MAX(c.head - c.position, 0) AS lag,
                           c.updated_at AS cursor_moved_at, s.last_attempt_at, s.last_success_at, s.last_error, s.last_error_at,
                           COALESCE(s.consecutive_failures, 0) AS consecutive_failures, s.next_attempt_at
                    FROM (SELECT peer, dataset FROM cursor UNION SELECT peer, dataset FROM pull_status) feed
                    LEFT JOIN cursor c ON c.peer = feed.peer AND c.dataset = feed.dataset
                    LEFT JOIN pull_status s ON s.peer = feed.peer AND s.dataset = feed.dataset;
                """)
        }
        migrator.registerMigration("v7: pull leases") { db in
            // Which daemon pulls which feed while several share one store, with a fencing number (docs/STORE.md,
            // "Several daemons"). One SQLite store has one daemon, which takes every lease; the table is the
            // same on both backends.
            try db.execute(sql: LeaseSQL.createTable)
        }
        migrator.registerMigration(LiveFeedSQL.migrationIdentifier) { db in
            try db.execute(sql: LiveFeedSQL.migration)
        }
        migrator.registerMigration(PeerSchemaSQL.migrationIdentifier) { db in
            try db.execute(sql: PeerSchemaSQL.migration)
        }
        migrator.registerMigration(PeerSchemaSQL.ownFeedTagIdentifier) { db in
            try db.execute(sql: PeerSchemaSQL.ownFeedTag)
        }
        migrator.registerMigration(AuditChainSQL.migrationIdentifier) { db in
            try db.execute(sql: AuditChainSQL.migration)
        }
        migrator.registerMigration(ErasureSQL.migrationIdentifier) { db in
            try db.execute(sql: ErasureSQL.migration(integer: "INTEGER", key: "TEXT"))
        }
        return migrator
    }
}
