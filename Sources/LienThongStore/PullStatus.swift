public import LienThongCore

/// How pulling one peer's feed of one dataset last went. Times are milliseconds since the Unix epoch.
public struct PullStatus: Sendable, Equatable {
    public let peer: AgencyID
    public let dataset: DatasetName
    public let lastAttemptAt: Int64
    public let lastSuccessAt: Int64?
    /// The last failure's one-line reason, kept after a later success so that an operator still sees it.
    public let lastError: String?
    public let lastErrorAt: Int64?
    /// Failures since the last success: 0 when the last attempt succeeded.
    public let consecutiveFailures: Int
    /// When the next attempt is due after a failure (the backoff), or nil when the last attempt succeeded.
    public let nextAttemptAt: Int64?

    /// How the feed is pulled, once a daemon has pulled it since issue 15; nil before.
    public var mode: FeedMode? = nil
    /// Propagation delays of the versions pulled from the feed, from their origin's clock stamp to their
    /// application here.
    public var propagationDelays = DelayHistogram()
    /// The SHA-256 of the schema the peer lists for the dataset (`schema_sha256`), as last read from its
    /// dataset list; ``PeerSchema/none`` when it lists none; nil before a daemon read the list.
    public var peerSchemaSHA256: String? = nil

    /// Whether the last attempt succeeded.
    public var isHealthy: Bool { consecutiveFailures == 0 }

    static let select = """
        SELECT peer, dataset, last_attempt_at, last_success_at, last_error, last_error_at, consecutive_failures, next_attempt_at, mode, delay_counts,
            peer_schema_sha256 FROM pull_status
        """
}

extension PullStatus {
    init(row: SQLRow) throws {
        self.init(
            peer: try AgencyID(row.text(0)), dataset: try DatasetName(row.text(1)), lastAttemptAt: row.int64(2), lastSuccessAt: row.optionalInt64(3),
            lastError: row.optionalText(4), lastErrorAt: row.optionalInt64(5), consecutiveFailures: Int(row.int64(6)), nextAttemptAt: row.optionalInt64(7),
            mode: row.optionalText(8).flatMap(FeedMode.init(rawValue:)), propagationDelays: DelayHistogram(stored: row.optionalText(9)),
            peerSchemaSHA256: row.optionalText(10)
        )
    }
}

/// The statements of the pull status.
enum PullStatusSQL {
    static let success = SQLStatement("""
        INSERT INTO pull_status (peer, dataset, last_attempt_at, last_success_at, consecutive_failures) VALUES (?1, ?2, ?3, ?3, 0)
        ON CONFLICT (peer, dataset) DO UPDATE SET
            last_attempt_at = ?3, last_success_at = ?3, consecutive_failures = 0, next_attempt_at = NULL
        """)
    static let failure = SQLStatement("""
        INSERT INTO pull_status (peer, dataset, last_attempt_at, last_error, last_error_at, consecutive_failures, next_attempt_at)
            VALUES (?1, ?2, ?3, ?4, ?3, 1, ?5)
        ON CONFLICT (peer, dataset) DO UPDATE SET
            last_attempt_at = ?3, last_error = ?4, last_error_at = ?3, consecutive_failures = pull_status.consecutive_failures + 1, next_attempt_at = ?5
        """)
    static let one = SQLStatement("\(PullStatus.select) WHERE peer = ? AND dataset = ?")
    static let all = SQLStatement("\(PullStatus.select) ORDER BY peer, dataset")
    static let liveRecordCount = SQLStatement("SELECT COUNT(*) FROM record r JOIN version v ON v.seq = r.visible WHERE v.deleted = 0")
}

extension StoreTransaction {
    /// Notes that a pull of `peer`'s `dataset` succeeded now.
    public func recordPullSuccess(peer: AgencyID, dataset: DatasetName) throws {
        try session.execute(PullStatusSQL.success, peer.rawValue, dataset.rawValue, nowMilliseconds)
    }

    /// Notes that a pull of `peer`'s `dataset` failed now for `reason` (one line, no record contents), and
    /// that the next attempt waits until `nextAttemptAt` (nil: no attempt is scheduled, as after a one-shot
    /// sync). Returns the failures in a row, this one included.
    @discardableResult
    public func recordPullFailure(peer: AgencyID, dataset: DatasetName, reason: String, nextAttemptAt: Int64?) throws -> Int {
        try session.execute(PullStatusSQL.failure, peer.rawValue, dataset.rawValue, nowMilliseconds, reason, nextAttemptAt)
        return try pullStatus(peer: peer, dataset: dataset)?.consecutiveFailures ?? 1
    }

    /// How pulling `peer`'s `dataset` last went, or nil if it never was pulled.
    public func pullStatus(peer: AgencyID, dataset: DatasetName) throws -> PullStatus? {
        try StoreSnapshot(session: session).pullStatus(peer: peer, dataset: dataset)
    }
}

extension StoreSnapshot {
    /// How pulling `peer`'s `dataset` last went, or nil if it never was pulled.
    public func pullStatus(peer: AgencyID, dataset: DatasetName) throws -> PullStatus? {
        try session.row(PullStatusSQL.one, peer.rawValue, dataset.rawValue).map(PullStatus.init(row:))
    }

    /// Every feed's pull status, by peer and dataset.
    public func pullStatuses() throws -> [PullStatus] {
        try session.rows(PullStatusSQL.all).map(PullStatus.init(row:))
    }

    /// How many records the store holds that are not deletions, over all datasets.
    public func liveRecordCount() throws -> Int {
        Int(try session.row(PullStatusSQL.liveRecordCount)?.int64(0) ?? 0)
    }
}
