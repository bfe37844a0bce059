internal import CLibCrypto
public import LienThongCore

/// One entry of the audit log as the chain covers it (docs/PRIVACY.md, "The audit log").
///
/// Its canonical bytes are the compact JSON object `{"at","dataset","detail","event","peer","prev","seq"}`,
/// members in byte order, `detail` exactly as stored (canonical JSON written by ``StoreTransaction/audit(_:peer:dataset:detail:)``);
/// ``sha256`` is the SHA-256 of those bytes and the next entry's ``previous``. Changing any member of a stored
/// entry, or removing one, breaks a link that ``AuditChainCheck`` finds.
public struct AuditEntry: Sendable, Equatable {
    public let seq: Int64
    /// When it was written, in milliseconds since the Unix epoch.
    public let at: Int64
    public let event: String
    public let peer: String?
    public let dataset: String?
    /// The detail as canonical JSON text; never record contents.
    public let detail: String
    /// The previous entry's ``sha256``; 64 zeros for the chain's first entry. Nil for entries written before
    /// the chain existed (migration v11).
    public let previous: String?
    /// The SHA-256 stored with the entry (hex); nil before migration v11.
    public let sha256: String?

    /// The `prev` of the chain's first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// The bytes the entry's hash covers, with `prev` = ``previous``; nil for an entry outside the chain.
    public var canonicalBytes: [UInt8]? {
        previous.map { Self.canonicalBytes(seq: seq, at: at, event: event, peer: peer, dataset: dataset, detail: detail, previous: $0) }
    }

    /// The entry as an export line: its canonical bytes (outside the chain: the same form without `prev`).
    public var exportLine: [UInt8] {
        canonicalBytes ?? Self.canonicalBytes(seq: seq, at: at, event: event, peer: peer, dataset: dataset, detail: detail, previous: nil)
    }

    /// The SHA-256 of the canonical bytes as they are now, hex; nil outside the chain.
    public var recomputedSHA256: String? { canonicalBytes.map(AuditDigest.sha256Hex) }

    static func canonicalBytes(
        seq: Int64, at: Int64, event: String, peer: String?, dataset: String?, detail: String, previous: String?
    ) -> [UInt8] {
        func text(_ value: String?) -> [UInt8] { value.map { JSONValue.string($0).serialized() } ?? Array("null".utf8) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(detail.utf8.count + event.utf8.count + 160)
        bytes += #"{"at":\#(at),"dataset":"#.utf8
        bytes += text(dataset)
        bytes += #","detail":"#.utf8
        bytes += detail.utf8
        bytes += #","event":"#.utf8
        bytes += text(event)
        bytes += #","peer":"#.utf8
        bytes += text(peer)
        if let previous { bytes += #","prev":"\#(previous)""#.utf8 }
        bytes += #","seq":\#(seq)}"#.utf8
        return bytes
    }

    init(row: SQLRow) {
        self.init(
            seq: row.int64(0), at: row.int64(1), event: row.text(2), peer: row.optionalText(3), dataset: row.optionalText(4),
            detail: row.text(5), previous: row.optionalText(6), sha256: row.optionalText(7)
        )
    }

    public init(seq: Int64, at: Int64, event: String, peer: String?, dataset: String?, detail: String, previous: String?, sha256: String?) {
        self.seq = seq
        self.at = at
        self.event = event
        self.peer = peer
        self.dataset = dataset
        self.detail = detail
        self.previous = previous
        self.sha256 = sha256
    }
}

/// The last entry of the chain: its `seq` and hash, kept in a row of its own so that removing the newest
/// entries is found too (``AuditChainCheck``).
public struct AuditHead: Sendable, Equatable {
    public let seq: Int64
    public let sha256: String

    public init(seq: Int64, sha256: String) {
        self.seq = seq
        self.sha256 = sha256
    }
}

/// A checkpoint as stored: the entry it covers, when it was made, and the agency's signature over them
/// (a compact JWS that the feed layer makes and reads, docs/PRIVACY.md).
public struct StoredAuditCheckpoint: Sendable, Equatable {
    public let seq: Int64
    public let madeAt: Int64
    public let jws: String
}

/// SHA-256 through libcrypto, for the chain.
enum AuditDigest {
    static func sha256Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        // EVP_Digest with SHA-256 fails only when libcrypto cannot allocate: nothing can be logged then.
        precondition(EVP_Digest(bytes, bytes.count, &digest, &length, EVP_sha256(), nil) == 1 && length == 32, "SHA-256 failed")
        let hexDigits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in digest {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Migration v11 (both backends) and the chain's statements.
enum AuditChainSQL {
    static let migrationIdentifier = "v11: the audit log's hash chain and checkpoints"
    static let migration = """
        ALTER TABLE audit_log ADD COLUMN prev_sha256 TEXT;
        ALTER TABLE audit_log ADD COLUMN sha256 TEXT;
        CREATE TABLE audit_head (
            singleton BIGINT PRIMARY KEY CHECK (singleton = 1),
            seq BIGINT NOT NULL,
            sha256 TEXT NOT NULL
        );
        CREATE TABLE audit_checkpoint (
            seq BIGINT PRIMARY KEY,
            made_at BIGINT NOT NULL,
            jws TEXT NOT NULL
        );
        """
    static let columns = "seq, at, event, peer, dataset, detail, prev_sha256, sha256"
    static let head = SQLStatement("SELECT seq, sha256 FROM audit_head WHERE singleton = 1")
    static let lastSeq = SQLStatement("SELECT MAX(seq) FROM audit_log")
    static let insert = SQLStatement(
        "INSERT INTO audit_log (seq, at, event, peer, dataset, detail, prev_sha256, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )
    static let saveHead = SQLStatement("""
        INSERT INTO audit_head (singleton, seq, sha256) VALUES (1, ?, ?)
        ON CONFLICT (singleton) DO UPDATE SET seq = excluded.seq, sha256 = excluded.sha256
        """)
    static let entriesAfter = SQLStatement("SELECT \(columns) FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?")
    static let entriesBetween = SQLStatement("SELECT \(columns) FROM audit_log WHERE at >= ? AND at < ? AND seq > ? ORDER BY seq LIMIT ?")
    static let entry = SQLStatement("SELECT \(columns) FROM audit_log WHERE seq = ?")
    static let saveCheckpoint = SQLStatement("""
        INSERT INTO audit_checkpoint (seq, made_at, jws) VALUES (?, ?, ?)
        ON CONFLICT (seq) DO UPDATE SET made_at = excluded.made_at, jws = excluded.jws
        """)
    static let checkpoints = SQLStatement("SELECT seq, made_at, jws FROM audit_checkpoint ORDER BY seq")
    static let checkpointOf = SQLStatement("SELECT 1 FROM audit_checkpoint WHERE seq = ?")
    static let lastCheckpoint = SQLStatement("SELECT seq, made_at, jws FROM audit_checkpoint ORDER BY seq DESC LIMIT 1")
    static let pruneBefore = SQLStatement("DELETE FROM audit_log WHERE seq <= ?")
    static let lastSeqBefore = SQLStatement("SELECT MAX(seq) FROM audit_log WHERE at < ? AND seq < ?")
    static let countThrough = SQLStatement("SELECT COUNT(*) FROM audit_log WHERE seq <= ?")
    /// How many entries one read returns.
    static let batch = 1000
}

extension StoreTransaction {
    /// Writes one event to the audit log, chained to the one before it. `detail` must not hold record contents.
    public func audit(_ event: String, peer: AgencyID?, dataset: DatasetName?, detail: JSONValue) throws {
        let head = try session.row(AuditChainSQL.head).map { AuditHead(seq: $0.int64(0), sha256: $0.text(1)) }
        // The first chained entry follows any written before the chain existed.
        let seq = try head.map { $0.seq + 1 } ?? ((try session.row(AuditChainSQL.lastSeq)?.optionalInt64(0) ?? 0) + 1)
        let previous = head?.sha256 ?? AuditEntry.genesis
        let detailText = detail.serializedText
        let bytes = AuditEntry.canonicalBytes(
            seq: seq, at: nowMilliseconds, event: event, peer: peer?.rawValue, dataset: dataset?.rawValue, detail: detailText, previous: previous
        )
        let sha256 = AuditDigest.sha256Hex(bytes)
        try session.execute(
            AuditChainSQL.insert, seq, nowMilliseconds, event, peer?.rawValue, dataset?.rawValue, detailText, previous, sha256
        )
        try session.execute(AuditChainSQL.saveHead, seq, sha256)
    }

    /// Keeps a signed checkpoint of the entry `seq` (made by the caller, who holds the agency's key).
    public func saveAuditCheckpoint(seq: Int64, jws: String) throws {
        try session.execute(AuditChainSQL.saveCheckpoint, seq, nowMilliseconds, jws)
    }

    /// The chain's last entry, or nil when none is chained yet.
    public func auditHead() throws -> AuditHead? {
        try session.row(AuditChainSQL.head).map { AuditHead(seq: $0.int64(0), sha256: $0.text(1)) }
    }

    /// Whether a checkpoint of the entry `seq` is stored.
    public func hasAuditCheckpoint(seq: Int64) throws -> Bool {
        try session.row(AuditChainSQL.checkpointOf, seq) != nil
    }

    /// The last entry written before `time` (milliseconds) with a `seq` below `seq`, or nil.
    public func lastAuditEntry(before time: Int64, below seq: Int64) throws -> AuditEntry? {
        guard let found = try session.row(AuditChainSQL.lastSeqBefore, time, seq)?.optionalInt64(0) else { return nil }
        return try session.row(AuditChainSQL.entry, found).map(AuditEntry.init(row:))
    }

    /// Deletes (or, when `dryRun`, counts) every entry up to `seq`; the caller has checkpointed `seq` first,
    /// so that the first entry kept stays verifiable. Returns how many.
    public func pruneAudit(through seq: Int64, dryRun: Bool) throws -> Int {
        dryRun ? Int(try session.row(AuditChainSQL.countThrough, seq)?.int64(0) ?? 0) : try session.execute(AuditChainSQL.pruneBefore, seq)
    }
}

extension StoreSnapshot {
    /// The chain's last entry, or nil when none is chained yet.
    public func auditHead() throws -> AuditHead? {
        try session.row(AuditChainSQL.head).map { AuditHead(seq: $0.int64(0), sha256: $0.text(1)) }
    }

    /// Calls `body` with every entry after `seq` in order, a batch at a time.
    public func forEachAuditEntry(after seq: Int64 = 0, _ body: (AuditEntry) throws -> Void) throws {
        var after = seq
        while true {
            let rows = try session.rows(AuditChainSQL.entriesAfter, after, AuditChainSQL.batch)
            for row in rows { try body(AuditEntry(row: row)) }
            guard rows.count == AuditChainSQL.batch, let last = rows.last else { return }
            after = last.int64(0)
        }
    }

    /// Calls `body` with every entry written from `start` (inclusive) to `end` (exclusive), milliseconds.
    public func forEachAuditEntry(from start: Int64, to end: Int64, _ body: (AuditEntry) throws -> Void) throws {
        var after: Int64 = 0
        while true {
            let rows = try session.rows(AuditChainSQL.entriesBetween, start, end, after, AuditChainSQL.batch)
            for row in rows { try body(AuditEntry(row: row)) }
            guard rows.count == AuditChainSQL.batch, let last = rows.last else { return }
            after = last.int64(0)
        }
    }

    /// The entry `seq`, or nil when there is none.
    public func auditEntry(seq: Int64) throws -> AuditEntry? {
        try session.row(AuditChainSQL.entry, seq).map(AuditEntry.init(row:))
    }

    /// Every stored checkpoint, oldest first.
    public func auditCheckpoints() throws -> [StoredAuditCheckpoint] {
        try session.rows(AuditChainSQL.checkpoints).map { StoredAuditCheckpoint(seq: $0.int64(0), madeAt: $0.int64(1), jws: $0.text(2)) }
    }

    /// The newest checkpoint, or nil.
    public func lastAuditCheckpoint() throws -> StoredAuditCheckpoint? {
        try session.row(AuditChainSQL.lastCheckpoint).map { StoredAuditCheckpoint(seq: $0.int64(0), madeAt: $0.int64(1), jws: $0.text(2)) }
    }
}
