import LienThongCore
import LienThongFeed

/// The query of a feed request, `after`, `limit` and `wait`, read strictly: a parameter this version does not
/// know, one given twice, or a value that is not a plain decimal integer in range is a bad request, so
/// that a typing mistake in a client is seen rather than read as the default.
struct FeedQuery: Equatable {
    static let defaultLimit = 1000

    var after: Int64 = 0
    var limit = defaultLimit
    /// How long the requester lets the publisher hold the request, in seconds; 0: answer at once. Checked
    /// against the publisher's `wait_max` by the handler.
    var wait: Int64 = 0

    /// Reads the query part of the request target, without the `?`; nil or empty gives the defaults.
    init(_ query: String?) throws(PublisherError) {
        guard let query, !query.isEmpty else { return }
        var seen: Set<Substring> = []
        for parameter in query.split(separator: "&", omittingEmptySubsequences: false) {
            guard let equals = parameter.firstIndex(of: "=") else {
                throw .badRequest("query parameters are written name=value")
            }
            let name = parameter[..<equals]
            let value = parameter[parameter.index(after: equals)...]
            guard seen.insert(name).inserted else { throw .badRequest("a query parameter is given twice") }
            switch name {
            case "after":
                guard let after = Self.integer(value) else { throw .badRequest("after must be an integer from 0") }
                self.after = after
            case "limit":
                guard let limit = Self.integer(value), (1...FeedPage.maximumLimit).contains(limit) else {
                    throw .badRequest("limit must be an integer from 1 to \(FeedPage.maximumLimit)")
                }
                self.limit = Int(limit)
            case "wait":
                guard let wait = Self.integer(value) else { throw .badRequest("wait must be an integer from 0 to wait_max") }
                self.wait = wait
            default:
                throw .badRequest("the only query parameters are after, limit and wait")
            }
        }
    }

    /// A value of 1 to 19 ASCII digits that fits in 64 bits; no sign, no space, no percent-encoding.
    private static func integer(_ text: Substring) -> Int64? {
        guard (1...19).contains(text.utf8.count), text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return nil
        }
        return Int64(text)
    }
}

/// The feed's entity tag: the same while the feed's head, the requester, the dataset, the grant's fields and the
/// stated purpose stay the same, different as soon as one changes. It leaves out `after` and `limit`: `304` is answered only
/// to a request with nothing after its `after` (docs/PROTOCOL.md), so the tag of the page that reached the
/// head also stands for the next request, from that head — a puller's first repeat of a pull gets `304`.
struct FeedEntityTag: Equatable {
    let value: String

    init(requester: AgencyID, dataset: DatasetName, head: Int64, grant: DatasetGrant, purpose: PurposeCode?) {
        // Who, what, which fields and why, hashed to keep the tag short; the numbers stay readable. Without a
        // purpose the member is left out, so that tags made before purposes existed stay the same.
        var members: [String: JSONValue] = [
            "requester": .string(requester.rawValue), "dataset": .string(dataset.rawValue),
            "fields": grant.fields.map { .array($0.map(JSONValue.string)) } ?? .null,
        ]
        if let purpose { members["purpose"] = .string(purpose.rawValue) }
        let scope = JSONValue.object(members)
        let digest = String(Self.fnv1a64(scope.serialized()), radix: 16)
        value = "\"h\(head)-\(String(repeating: "0", count: 16 - digest.count))\(digest)\""
    }

    /// Whether an `If-None-Match` header (each field line as received) names this tag. `*` matches; a weak
    /// `W/` tag matches its strong twin, as RFC 9110 §13.1.2 compares for `If-None-Match`.
    func isMatched(byIfNoneMatch lines: [String]) -> Bool {
        lines.lazy.flatMap { $0.split(separator: ",") }.contains { candidate in
            var tag = candidate.trimmingPrefix(while: \.isWhitespace)
            while tag.last?.isWhitespace == true { tag = tag.dropLast() }
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            return tag == value[...]
        }
    }

    /// FNV-1a, 64 bits: the tag needs a stable fingerprint, not a secret one.
    private static func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { hash, byte in (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    }
}
