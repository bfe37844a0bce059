public import LienThongCore
public import LienThongSigning
public import LienThongStore

/// Signed statements about the audit log's chain (docs/PRIVACY.md): a checkpoint says "entry `seq` has hash
/// `sha256`" under the agency's key, so that rewriting the log before it needs that key; an export checkpoint
/// says which entries an export holds, so that anyone with the agency's public key can check the export.
public enum AuditCheckpoint {
    /// The `typ` of a stored checkpoint.
    public static let type = "lienthong-audit-checkpoint+jwt"
    /// The `typ` of the checkpoint that ends an export.
    public static let exportType = "lienthong-audit-export+jwt"

    /// Signs and stores a checkpoint of the chain's head, unless the newest checkpoint already covers it.
    /// Returns the entry covered, or nil when there was nothing new to sign.
    @discardableResult
    public static func checkpointHead(
        in transaction: StoreTransaction, agency: AgencyID, signer: JWSSigner, alwaysSign: Bool = false
    ) throws -> AuditHead? {
        guard let head = try transaction.auditHead() else { return nil }
        return try checkpoint(head, in: transaction, agency: agency, signer: signer, alwaysSign: alwaysSign) ? head : nil
    }

    /// Signs and stores a checkpoint of `entry` (its `seq` and hash); false when one for it exists already
    /// and `alwaysSign` is false.
    @discardableResult
    public static func checkpoint(
        _ entry: AuditHead, in transaction: StoreTransaction, agency: AgencyID, signer: JWSSigner, alwaysSign: Bool = false
    ) throws -> Bool {
        if !alwaysSign, try transaction.hasAuditCheckpoint(seq: entry.seq) { return false }
        let payload = JSONValue.object([
            "agency": .string(agency.rawValue), "seq": .integer(entry.seq), "sha256": .string(entry.sha256),
            "made_at": .integer(transaction.now.seconds),
        ])
        try transaction.saveAuditCheckpoint(seq: entry.seq, jws: try signer.sign(json: payload, type: type))
        return true
    }

    /// The hash each stored checkpoint vouches for, by `seq`, from those signed by `agency` with one of
    /// `keys`; the first checkpoint that is not so signed, or does not say what its row says, is a problem.
    public static func vouched(
        by checkpoints: [StoredAuditCheckpoint], agency: AgencyID, keys: [PublicKey]
    ) -> (hashes: [Int64: String], problem: LocalizedMessage?) {
        let verifier = JWSVerifier(keys: keys, requiredType: type)
        var hashes: [Int64: String] = [:]
        for stored in checkpoints {
            guard let verified = try? verifier.verify(stored.jws) else {
                return (hashes, LocalizedMessage("audit.problem.checkpoint-key", ["seq": "\(stored.seq)"]))
            }
            let payload = verified.payloadJSON
            guard payload["agency"]?.stringValue == agency.rawValue, payload["seq"]?.int64Value == stored.seq,
                let sha256 = payload["sha256"]?.stringValue
            else { return (hashes, LocalizedMessage("audit.problem.checkpoint-other", ["seq": "\(stored.seq)"])) }
            hashes[stored.seq] = sha256
        }
        return (hashes, nil)
    }
}

/// What `lienthong audit verify` found.
public struct AuditVerification: Sendable {
    /// The first entry or checkpoint that does not match, in one line; nil when everything matches.
    public let problem: LocalizedMessage?
    public let chained: Int
    public let unchained: Int
    public let checkpoints: Int
    public let head: AuditHead?

    /// Recomputes every chained entry of the log in `snapshot` and checks every checkpoint against `keys`
    /// (the agency's current public key and any it signed with before).
    public static func run(in snapshot: StoreSnapshot, agency: AgencyID, keys: [PublicKey]) throws -> AuditVerification {
        let stored = try snapshot.auditCheckpoints()
        let (vouched, signatureProblem) = AuditCheckpoint.vouched(by: stored, agency: agency, keys: keys)
        var check = AuditChainCheck(checkpoints: vouched)
        let head = try snapshot.auditHead()
        var problem = signatureProblem
        if problem == nil {
            try snapshot.forEachAuditEntry { entry in check.take(entry) }
            problem = check.finish(head: head)
        }
        return AuditVerification(problem: problem, chained: check.chained, unchained: check.unchained, checkpoints: stored.count, head: head)
    }
}

/// Writes the entries of a span of days as JSON lines, then a signed checkpoint of what was written
/// (docs/PRIVACY.md, "Exporting the log").
public enum AuditExport {
    /// Calls `write` with each line (newline included) of the entries written from `start` (inclusive) to
    /// `end` (exclusive, milliseconds), then the line `{"checkpoint": JWS}`; `from` and `to` are the days named
    /// in the checkpoint. Returns how many entries were written.
    @discardableResult
    public static func write(
        store: Store, agency: AgencyID, signer: JWSSigner, from: String, to: String, start: Int64, end: Int64, now: UnixTime,
        _ write: ([UInt8]) throws -> Void
    ) throws -> Int {
        try store.read { snapshot in
            var first: AuditEntry?
            var last: AuditEntry?
            var count = 0
            try snapshot.forEachAuditEntry(from: start, to: end) { entry in
                if first == nil { first = entry }
                last = entry
                count += 1
                try write(entry.exportLine + [UInt8(ascii: "\n")])
            }
            let lastHash = try last.map { entry in try entry.sha256 ?? Digest.sha256Hex(entry.exportLine) }
            let payload = JSONValue.object([
                "agency": .string(agency.rawValue), "from": .string(from), "to": .string(to), "entries": .integer(Int64(count)),
                "first_seq": first.map { .integer($0.seq) } ?? .null, "first_prev": first?.previous.map(JSONValue.string) ?? .null,
                "last_seq": last.map { .integer($0.seq) } ?? .null, "last_sha256": lastHash.map(JSONValue.string) ?? .null,
                "made_at": .integer(now.seconds),
            ])
            let checkpoint = try signer.sign(json: payload, type: AuditCheckpoint.exportType)
            try write(JSONValue.object(["checkpoint": .string(checkpoint)]).serialized() + [UInt8(ascii: "\n")])
            return count
        }
    }
}

extension AuditExport {
    /// Milliseconds since the Unix epoch at 00:00 UTC of `day`, written `YYYY-MM-DD` (a real Gregorian date
    /// from 1970 to 9999), or nil.
    public static func startOfDay(_ day: String) -> Int64? {
        let parts = day.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } }),
            let year = Int64(parts[0]), let month = Int64(parts[1]), let dayOfMonth = Int64(parts[2]), year >= 1970, (1...12).contains(month)
        else { return nil }
        let isLeap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths: [Int64] = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...lengths[Int(month - 1)]).contains(dayOfMonth) else { return nil }
        // Days from 1970-01-01 to the date (the civil-from-days algorithm run backwards, proleptic Gregorian).
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = shiftedYear / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + dayOfMonth - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return (era * 146_097 + dayOfEra - 719_468) * 86_400_000
    }
}
