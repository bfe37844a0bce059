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
        return migrator
    }
}
