public import LienThongCore

/// What a puller notes of the schema a peer lists for a dataset (docs/SCHEMA.md, "The shared dictionary"),
/// so that `status` can say whether it matches this agency's own.
public enum PeerSchema {
    /// Stored when the peer's list declares no schema for the dataset.
    public static let none = "none"
}

/// The column that keeps it (migration v9, both backends), and the schema tag of each own-feed version
/// (migration v10): the first 64 bits of the SHA-256 of the schema `put` checked it against, 0 when none did.
/// A publisher serves a version whose tag is its schema's without checking it again.
enum PeerSchemaSQL {
    static let migrationIdentifier = "v9: the schema digest each peer lists"
    static let migration = "ALTER TABLE pull_status ADD COLUMN peer_schema_sha256 TEXT"
    static let record = SQLStatement("UPDATE pull_status SET peer_schema_sha256 = ?3 WHERE peer = ?1 AND dataset = ?2")
    static let ownFeedTagIdentifier = "v10: the schema each own-feed version was checked against"
    static let ownFeedTag = "ALTER TABLE own_feed ADD COLUMN schema_tag BIGINT NOT NULL DEFAULT 0"
}

extension StoreTransaction {
    /// Notes the SHA-256 of the schema `peer` lists for `dataset` (nil: it lists none). Call it after the pull
    /// status exists (``recordPullSuccess(peer:dataset:)`` or a failure).
    public func recordPeerSchema(peer: AgencyID, dataset: DatasetName, sha256: String?) throws {
        try session.execute(PeerSchemaSQL.record, peer.rawValue, dataset.rawValue, sha256 ?? PeerSchema.none)
    }
}
