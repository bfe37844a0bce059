public import LienThongCore
public import LienThongSigning

/// A feed page (protocol v1, docs/PROTOCOL.md) whose signature and page-level rules have been checked.
/// Its records are still raw: each is checked against the record rules when it is applied.
public struct FeedPage: Sendable {
    public static let type = "lienthong-page"
    /// The most records a page may hold.
    public static let maximumLimit: Int64 = 10_000
    /// The longest a page may be valid for.
    public static let maximumLifetimeSeconds: Int64 = 3600
    /// The most bytes a signed page (the compact JWS) may take: a publisher serves fewer records than `limit`
    /// to stay within it, and every conforming puller accepts a body this long (docs/PROTOCOL.md, Limits).
    public static let maximumSignedBytes = 8_388_608
    /// What the protected header, the two dots and the signature may take at most, for every algorithm.
    static let signatureAllowanceBytes = 1024
    /// The most payload bytes whose base64url, with the header and signature, fits ``maximumSignedBytes``.
    public static let maximumPayloadBytes = (maximumSignedBytes - signatureAllowanceBytes) / 4 * 3

    /// The most bytes the records of a page to `audience` may take, counted as their JSON objects with one
    /// comma between two, so that the signed page fits ``maximumSignedBytes`` whatever its numbers are.
    public static func maximumRecordBytes(publisher: AgencyID, audience: AgencyID, dataset: DatasetName) -> Int {
        let widest = payloadBytes(
            publisher: publisher, audience: audience, dataset: dataset, after: .max, head: .max, issuedAt: .max, expiresAt: .max,
            purpose: widestPurpose, joinedRecords: [], last: .max
        )
        return maximumPayloadBytes - widest.count
    }

    /// A purpose code of the most characters, so that the records' allowance holds whatever purpose is stated.
    private static let widestPurpose = try! PurposeCode(String(repeating: "a", count: 64))

    public let publisher: AgencyID
    public let audience: AgencyID
    public let dataset: DatasetName
    public let after: Int64
    public let last: Int64
    public let head: Int64
    public let issuedAt: Int64
    public let expiresAt: Int64
    /// The purpose the request stated, echoed by the publisher (`purpose`); nil when the page has none.
    public let purpose: PurposeCode?
    /// The records as sent, each with its `seq`.
    public let records: [(seq: Int64, json: JSONValue)]
}

/// What a page must match besides its signature: who sent it, to whom, and what was asked.
public struct PageExpectation: Sendable {
    public let publisher: AgencyID
    public let audience: AgencyID
    /// Datasets this agency pulls from the publisher: a page of any other dataset is refused.
    public let pulledDatasets: Set<DatasetName>
    /// The dataset asked for, when a request was made; nil for offline import, where pages come as they are.
    public let dataset: DatasetName?
    /// The `after` asked for, likewise.
    public let after: Int64?
    /// The `limit` asked for.
    public let limit: Int64
    /// Now, and how far the two clocks may disagree (pages count whole seconds).
    public let now: UnixTime
    public let clockSkewSeconds: Int64
    /// Whether an expired page may still be read (offline transfers across an air gap).
    public let allowExpired: Bool
    /// The page's `purpose` must be the one the request stated; nil for offline import, where no request was made
    /// and any purpose, or none, is read.
    public let purpose: StatedPurpose?

    public init(
        publisher: AgencyID, audience: AgencyID, pulledDatasets: Set<DatasetName>, dataset: DatasetName? = nil, after: Int64? = nil,
        limit: Int64 = FeedPage.maximumLimit, now: UnixTime, clockSkewSeconds: Int64, allowExpired: Bool = false, purpose: StatedPurpose? = nil
    ) {
        self.purpose = purpose
        self.publisher = publisher
        self.audience = audience
        self.pulledDatasets = pulledDatasets
        self.dataset = dataset
        self.after = after
        self.limit = limit
        self.now = now
        self.clockSkewSeconds = clockSkewSeconds
        self.allowExpired = allowExpired
    }
}

/// The purpose a feed request stated in its token, or none (`code` nil): its page must echo exactly that.
public struct StatedPurpose: Sendable, Hashable {
    public let code: PurposeCode?

    public init(_ code: PurposeCode?) {
        self.code = code
    }
}

extension FeedPage {
    /// Verifies `compact` with the publisher's pinned keys and checks every page-level rule against `expected`.
    public init(compact: [UInt8], verifier: JWSVerifier, expected: PageExpectation) throws(PageRejection) {
        let verified: VerifiedJWS
        do {
            verified = try verifier.verify(utf8: compact)
        } catch {
            throw PageRejection(.signature, LocalizedMessage(of: error))
        }
        try self.init(payload: verified.payloadJSON, expected: expected)
    }

    private init(payload: JSONValue, expected: PageExpectation) throws(PageRejection) {
        let fields = PayloadFields(payload)
        guard try fields.integer("v") == 1 else { throw PageRejection(.unsupportedVersion, "page version is not 1") }
        publisher = try fields.identifier("publisher", as: AgencyID.self)
        audience = try fields.identifier("audience", as: AgencyID.self)
        dataset = try fields.identifier("dataset", as: DatasetName.self)
        after = try fields.integer("after")
        last = try fields.integer("last")
        head = try fields.integer("head")
        issuedAt = try fields.integer("issued_at")
        expiresAt = try fields.integer("expires_at")
        purpose = try fields.purpose()
        guard let recordList = payload["records"]?.arrayValue else { throw PageRejection(.malformed, "page has no \"records\" list") }

        guard publisher == expected.publisher else {
            throw PageRejection(.wrongPublisher, LocalizedMessage("page.wrong-publisher", ["publisher": "\(publisher)", "expected": "\(expected.publisher)"]))
        }
        guard audience == expected.audience else {
            throw PageRejection(.wrongAudience, LocalizedMessage("page.wrong-audience", ["audience": "\(audience)", "expected": "\(expected.audience)"]))
        }
        if let asked = expected.dataset, dataset != asked {
            throw PageRejection(.wrongDataset, LocalizedMessage("page.wrong-dataset", ["dataset": "\(dataset)", "expected": "\(asked)"]))
        }
        guard expected.pulledDatasets.contains(dataset) else {
            throw PageRejection(.datasetNotPulled, LocalizedMessage("page.not-pulled", ["dataset": "\(dataset)", "publisher": "\(publisher)"]))
        }
        if let stated = expected.purpose, purpose != stated.code {
            throw PageRejection(
                .purpose, "page states purpose \(purpose.map { $0.rawValue.debugDescription } ?? "none"), the request \(stated.code.map { $0.rawValue.debugDescription } ?? "none")"
            )
        }
        if let asked = expected.after, after != asked {
            throw PageRejection(.wrongAfter, "page starts after \(after), expected after \(asked)")
        }
        guard after >= 0 else { throw PageRejection(.sequence, "page starts after \(after), below 0") }
        // Asked from our cursor, a head below it means the publisher lost records it had already served.
        if let asked = expected.after, head < asked {
            throw PageRejection(.rollback, LocalizedMessage("page.rollback", ["publisher": "\(publisher)", "head": "\(head)", "dataset": "\(dataset)", "applied": "\(asked)"]))
        }
        guard Int64(recordList.count) <= expected.limit else {
            throw PageRejection(.tooManyRecords, LocalizedMessage("page.too-many", ["count": "\(recordList.count)", "limit": "\(expected.limit)"]))
        }
        var records: [(seq: Int64, json: JSONValue)] = []
        records.reserveCapacity(recordList.count)
        var previous = after
        for record in recordList {
            guard let seq = record["seq"]?.int64Value else { throw PageRejection(.malformed, "a record has no integer \"seq\"") }
            guard seq > previous else {
                throw PageRejection(.sequence, "record seq \(seq) does not increase past \(previous)")
            }
            guard seq <= last else { throw PageRejection(.sequence, "record seq \(seq) is beyond the page's last \(last)") }
            records.append((seq, record))
            previous = seq
        }
        guard last == (records.last?.seq ?? after) else {
            throw PageRejection(.sequence, "page's last is \(last) but its records end at \(records.last?.seq ?? after)")
        }
        guard last <= head else { throw PageRejection(.lastAfterHead, "page's last \(last) is beyond the publisher's head \(head)") }
        let now = expected.now.seconds
        guard issuedAt <= now + expected.clockSkewSeconds else {
            let (ahead, overflow) = issuedAt.subtractingReportingOverflow(now)
            throw PageRejection(.issuedInFuture, "page is issued \(overflow ? "more than \(Int64.max)" : "\(ahead)") s in the future")
        }
        // A peer's numbers may be anything a 64-bit integer holds: no arithmetic on them may overflow.
        let (lifetime, overflow) = expiresAt.subtractingReportingOverflow(issuedAt)
        guard !overflow, lifetime >= 0, lifetime <= Self.maximumLifetimeSeconds else {
            throw PageRejection(.lifetime, "page is valid from \(issuedAt) to \(expiresAt), not for 0 to \(Self.maximumLifetimeSeconds) s")
        }
        guard expected.allowExpired || now - expected.clockSkewSeconds <= expiresAt else {
            throw PageRejection(.expired, LocalizedMessage("page.expired", ["expires": "\(expiresAt)", "now": "\(now)"]))
        }
        self.records = records
    }
}

/// Reads the typed members of a page payload, refusing with the member's name.
private struct PayloadFields {
    let payload: JSONValue
    init(_ payload: JSONValue) { self.payload = payload }

    func integer(_ name: String) throws(PageRejection) -> Int64 {
        guard let value = payload[name]?.int64Value else { throw PageRejection(.malformed, "page has no integer \"\(name)\"") }
        return value
    }

    /// `purpose`, optional; present, a purpose code.
    func purpose() throws(PageRejection) -> PurposeCode? {
        guard let member = payload["purpose"] else { return nil }
        guard let text = member.stringValue, let code = try? PurposeCode(text) else {
            throw PageRejection(.malformed, "page has a \"purpose\" that is not a purpose code")
        }
        return code
    }

    func identifier<Kind>(_ name: String, as type: Identifier<Kind>.Type) throws(PageRejection) -> Identifier<Kind> {
        guard let text = payload[name]?.stringValue, let value = try? Identifier<Kind>(text) else {
            throw PageRejection(.malformed, "page has no valid \"\(name)\"")
        }
        return value
    }
}

extension FeedPage {
    /// The payload of a page as the protocol writes it; `records` are `(seq, version)` in ascending `seq`;
    /// `purpose`, the one the request stated, is echoed when given.
    public static func payload(
        publisher: AgencyID, audience: AgencyID, dataset: DatasetName, after: Int64, head: Int64, issuedAt: Int64, expiresAt: Int64,
        purpose: PurposeCode? = nil, records: [(seq: Int64, version: JSONValue)]
    ) -> JSONValue {
        let recordValues = records.map { seq, version -> JSONValue in
            guard case .object(var members) = version else { return version }
            members["seq"] = .integer(seq)
            return .object(members)
        }
        var members: [String: JSONValue] = [
            "v": .integer(1), "publisher": .string(publisher.rawValue), "audience": .string(audience.rawValue),
            "dataset": .string(dataset.rawValue), "after": .integer(after), "last": .integer(records.last?.seq ?? after),
            "head": .integer(head), "issued_at": .integer(issuedAt), "expires_at": .integer(expiresAt), "records": .array(recordValues),
        ]
        if let purpose { members["purpose"] = .string(purpose.rawValue) }
        return .object(members)
    }
}

extension FeedPage {
    /// The payload of a page as UTF-8, with its records given as the bytes of their JSON objects (each with
    /// `seq`) joined by commas, so that records already stored as JSON are not parsed and written again;
    /// `last` is the `seq` of the last of them (nil: none); `purpose` is echoed when given. Members in byte order.
    public static func payloadBytes(
        publisher: AgencyID, audience: AgencyID, dataset: DatasetName, after: Int64, head: Int64, issuedAt: Int64, expiresAt: Int64,
        purpose: PurposeCode? = nil, joinedRecords: [UInt8], last: Int64?
    ) -> [UInt8] {
        let last = last ?? after
        var bytes: [UInt8] = []
        // One buffer for pages of megabytes: the members around the records take well under 512 bytes.
        bytes.reserveCapacity(joinedRecords.count + 512)
        bytes += #"{"after":\#(after),"audience":"\#(audience)","dataset":"\#(dataset)","expires_at":\#(expiresAt),"head":\#(head),"#.utf8
        bytes += #""issued_at":\#(issuedAt),"last":\#(last),"publisher":"\#(publisher)","#.utf8
        // A purpose code needs no escaping: its alphabet is a-z, 0-9, - and .
        if let purpose { bytes += #""purpose":"\#(purpose)","#.utf8 }
        bytes += #""records":["#.utf8
        bytes += joinedRecords
        bytes += #"],"v":1}"#.utf8
        return bytes
    }
}
