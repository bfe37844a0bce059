public import LienThongCore
public import LienThongMerge
public import LienThongSchema
public import LienThongStore

/// What applying one page did.
public struct PageApplication: Sendable, Equatable {
    public var applied = 0
    public var redundant = 0
    public var quarantined = 0
    /// Versions held back until the edits their vectors claim arrive (docs/MERGE.md).
    public var held = 0
    /// Where the cursor stands after the page, and whether this page moved it.
    public var cursor: Int64 = 0
    public var cursorAdvanced = false
}

/// One record of a page, read and checked against the record rules and the dataset's schema.
public enum CheckedRecord: Sendable {
    /// A version that keeps every record rule and the schema.
    case version(RecordVersion)
    /// A record that broke a record rule or the schema: quarantined with `reason` and `detail` when the page is
    /// applied, with its id if it had one and its JSON text.
    case broken(reason: QuarantineReason, detail: String, id: String?, text: String)
}

/// A verified page whose records have been read and checked against the record rules, ready to apply: what
/// the poller holds while a page waits its turn. The page's JSON is not kept, only its versions (whose data
/// is canonical text), so a page waiting costs little more than its records' bytes.
public struct CheckedPage: Sendable {
    public let publisher: AgencyID
    public let dataset: DatasetName
    public let after: Int64
    public let last: Int64
    public let head: Int64
    public let records: [CheckedRecord]
    /// The response's ETag, already checked as safe to keep (``FeedPage/keepableEntityTag(_:)``): kept with the
    /// cursor when the page leaves it at the head, and sent as `If-None-Match` with the next request.
    public var entityTag: String?
}

extension FeedPage {
    /// Reads every record and checks it against the record rules at `now` (the time the page was received),
    /// then the data of every version that is not a deletion against `schema`, the receiver's own declared
    /// shape of the dataset (docs/SCHEMA.md): a record that breaks it is quarantined with reason `schema`.
    public func checked(now: UnixTime, clockSkewSeconds: Int64, schema: DatasetSchema? = nil) -> CheckedPage {
        CheckedPage(
            publisher: publisher, dataset: dataset, after: after, last: last, head: head,
            records: records.map { _, json -> CheckedRecord in
                let version: RecordVersion
                do throws(RecordRuleViolation) {
                    version = try RecordVersion(json: json, dataset: dataset, publisher: publisher, now: now, clockSkewSeconds: clockSkewSeconds)
                } catch {
                    return .broken(reason: .recordRule(error.reason), detail: error.description, id: json["id"]?.stringValue, text: json.serializedText)
                }
                if let schema, !version.deleted, let data = json["data"], let violation = schema.validate(data) {
                    return .broken(reason: .schema, detail: violation.description, id: version.id, text: json.serializedText)
                }
                return .version(version)
            }
        )
    }

    /// The ETag a response carried, if it is worth keeping: at most ``maximumEntityTagBytes`` of visible ASCII
    /// (a peer's bytes, kept in the store and sent back). Anything else is not kept.
    public static func keepableEntityTag(_ tag: String?) -> String? {
        guard let tag, (1...maximumEntityTagBytes).contains(tag.utf8.count), tag.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            return nil
        }
        return tag
    }

    /// The longest ETag kept; lienthong's own are about 30 bytes.
    public static let maximumEntityTagBytes = 256

    /// Checks the page's records at `now` (and against `schema`), then applies it (``CheckedPage/apply(to:rules:now:)``).
    public func apply(to store: Store, rules: MergeRules, clockSkewSeconds: Int64, now: UnixTime, schema: DatasetSchema? = nil) throws -> PageApplication {
        try checked(now: now, clockSkewSeconds: clockSkewSeconds, schema: schema).apply(to: store, rules: rules, now: now)
    }
}

extension CheckedPage {
    /// Applies the page's records and moves the publisher's cursor, in one transaction: a crash or an
    /// error leaves either both or neither. Records that break the record rules are quarantined while the
    /// rest apply, under the dataset's `rules`. When the page leaves the cursor at the publisher's head,
    /// versions held for claims about the publisher that are still false are quarantined. The cursor moves
    /// to `last` only when the page continues it (`after` at or before the cursor), so pages may arrive in
    /// any order. A `head` below the cursor is a rollback by the publisher: the page is refused.
    public func apply(to store: Store, rules: MergeRules, now: UnixTime) throws -> PageApplication {
        try store.write(at: now) { try apply(in: $0, rules: rules) }
    }

    /// Applies `pages`, which follow one another in one feed, in order and in one transaction, each as
    /// ``apply(to:rules:now:)`` applies one: their records, cursors and audit lines commit together or not at
    /// all, which costs one commit (and one write of each b-tree page they touch) instead of one per page. A
    /// page the store refuses (a rollback) ends the run: the pages before it commit, and its index and
    /// rejection are returned beside their applications. Once `seconds` have passed since the transaction
    /// began, no further page is started: fewer applications than pages come back, and the rest are not applied.
    /// With `lease`, the transaction first confirms (and renews) the daemon's lease on the feed: a lease another
    /// daemon took over throws ``LeaseLostError`` and nothing is applied (docs/STORE.md, "Several daemons").
    public static func apply(
        _ pages: [CheckedPage], to store: Store, rules: MergeRules, now: UnixTime, within seconds: Double = .infinity, lease: LeaseHold? = nil
    ) async throws -> (applications: [PageApplication], refused: (index: Int, rejection: PageRejection)?) {
        try await store.write(at: now) { transaction in
            if let lease { try transaction.confirmLease(lease.lease, seconds: lease.seconds) }
            let began = ContinuousClock.now
            let limit = Duration.milliseconds(seconds.isFinite ? Int64(seconds * 1000) : Int64.max / 1_000_000)
            var applications: [PageApplication] = []
            for (index, page) in pages.enumerated() {
                if index > 0, ContinuousClock.now - began >= limit { break }
                do {
                    applications.append(try page.apply(in: transaction, rules: rules))
                } catch let rejection as PageRejection {
                    // Refused before it wrote anything: the pages before it still commit.
                    return (applications, (index, rejection))
                }
            }
            return (applications, nil)
        }
    }

    private func apply(in transaction: StoreTransaction, rules: MergeRules) throws -> PageApplication {
        let cursor = try transaction.cursor(peer: publisher, dataset: dataset)
        if let cursor, head < cursor.position {
            throw PageRejection(.rollback, LocalizedMessage("page.rollback", ["publisher": "\(publisher)", "head": "\(head)", "dataset": "\(dataset)", "applied": "\(cursor.position)"]))
        }
        var result = PageApplication()
        // A thousand records at a time, read ahead where that saves round trips to the database.
        for start in stride(from: 0, to: records.count, by: Self.readAheadRecords) {
            let chunk = records[start..<min(records.count, start + Self.readAheadRecords)]
            try transaction.readAhead(dataset: dataset, ids: chunk.compactMap { record in
                if case .version(let version) = record { return version.id }
                return nil
            })
            for record in chunk {
                switch record {
                case .broken(let reason, let detail, let id, let text):
                    try transaction.quarantine(peer: publisher, dataset: dataset, recordID: id, reason: reason, detail: detail, raw: text)
                    result.quarantined += 1
                case .version(let version):
                    switch try transaction.receive(version, from: publisher, rules: rules) {
                    case .applied: result.applied += 1
                    // A version an erasure dropped adds nothing here, as a redundant one does.
                    case .redundant, .dropped: result.redundant += 1
                    case .held: result.held += 1
                    case .equivocation, .refused: result.quarantined += 1
                    }
                }
            }
        }
        let position = cursor?.position ?? 0
        result.cursorAdvanced = after <= position && last > position
        result.cursor = result.cursorAdvanced ? last : position
        let feedHead = max(head, cursor?.head ?? 0)
        try transaction.setCursor(
            peer: publisher, dataset: dataset, position: result.cursor, head: feedHead, entityTag: result.cursor >= feedHead ? entityTag : nil
        )
        if result.cursor >= feedHead {
            result.quarantined += try transaction.feedCaughtUp(peer: publisher, dataset: dataset, rules: rules)
        }
        try transaction.audit("page applied", peer: publisher, dataset: dataset, detail: .object([
            "after": .integer(after), "last": .integer(last), "head": .integer(head), "applied": .integer(result.applied),
            "redundant": .integer(result.redundant), "quarantined": .integer(result.quarantined), "held": .integer(result.held), "cursor": .integer(result.cursor),
        ]))
        return result
    }

    /// How many records a page reads ahead at a time.
    static let readAheadRecords = 1000
}
