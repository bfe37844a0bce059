import LienThongCore
import LienThongMerge
import Testing

/// One row for each way a received record can break the record rules, each made by changing one member
/// of a valid record, so that a row fails only when its own rule is not enforced.
@Suite("RecordVersion(json:) checks the record rules")
struct RecordRuleTests {
    static let secret = "SECRET-5f3a"
    static let publisher = Fixture.agency("so-y-te")
    static let now: Int64 = 1_767_225_600_000
    static let skewSeconds: Int64 = 300
    static let valid: [String: JSONValue] = [
        "seq": .integer(7),
        "id": .string("hồ-sơ \(secret)"),
        "origin": .string("so-y-te"),
        "hlc": .array([.integer(now - 5_000), .integer(3)]),
        "vv": .object(["so-y-te": .integer(2), "bo-y-te": .integer(1)]),
        "deleted": .bool(false),
        "data": .object(["name": .string("Nguyễn \(secret)"), "n": .number("1.50")]),
    ]

    static func read(_ json: JSONValue) throws(RecordRuleViolation) -> RecordVersion {
        try RecordVersion(json: json, dataset: Fixture.dataset, publisher: publisher, now: UnixTime(milliseconds: now), clockSkewSeconds: skewSeconds)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let name: String
        /// The rule broken, or nil when the change keeps the record valid.
        let reason: RecordRuleViolation.Reason?
        let change: @Sendable (inout [String: JSONValue]) -> Void
        var testDescription: String { "\(name) → \(reason?.description ?? "accepted")" }

        init(_ name: String, _ reason: RecordRuleViolation.Reason?, _ change: @escaping @Sendable (inout [String: JSONValue]) -> Void) {
            self.name = name
            self.reason = reason
            self.change = change
        }
    }

    static func setting(_ name: String, _ value: JSONValue?) -> @Sendable (inout [String: JSONValue]) -> Void {
        { $0[name] = value }
    }

    static func settingVV(_ name: String, _ value: JSONValue?) -> @Sendable (inout [String: JSONValue]) -> Void {
        { members in
            var counters = members["vv"]?.objectValue ?? [:]
            counters[name] = value
            members["vv"] = .object(counters)
        }
    }

    static let limit = now + skewSeconds * 1_000

    static let rows: [Row] = [
        Row("as written", nil) { _ in },
        Row("without seq", nil, setting("seq", nil)),
        Row("with an unknown member", nil, setting("extra", .string(secret))),
        Row("id of 1 character", nil, setting("id", .string("x"))),
        Row("id of 256 characters", nil, setting("id", .string(String(repeating: "a", count: 256)))),
        Row("id of 256 two-byte characters", nil, setting("id", .string(String(repeating: "ơ", count: 256)))),
        Row("hlc exactly at the skew limit", nil, setting("hlc", .array([.integer(limit), .integer(0)]))),
        Row("hlc long ago", nil, setting("hlc", .array([.integer(0), .integer(0)]))),
        Row("a tombstone with empty data", nil) { $0["deleted"] = .bool(true); $0["data"] = .object([:]) },
        Row("vv with only the origin", nil, setting("vv", .object(["so-y-te": .integer(1)]))),
        Row("an erasure: a tombstone with erasure true", nil) { $0["deleted"] = .bool(true); $0["data"] = .object([:]); $0["erasure"] = .bool(true) },
        Row("erasure false, as if absent", nil, setting("erasure", .bool(false))),

        Row("no id", .malformed, setting("id", nil)),
        Row("no origin", .malformed, setting("origin", nil)),
        Row("no hlc", .malformed, setting("hlc", nil)),
        Row("no vv", .malformed, setting("vv", nil)),
        Row("no deleted", .malformed, setting("deleted", nil)),
        Row("no data", .malformed, setting("data", nil)),
        Row("id a number", .malformed, setting("id", .integer(12))),
        Row("origin not an agency id", .malformed, setting("origin", .string("So_Y_Te"))),
        Row("origin a number", .malformed, setting("origin", .integer(1))),
        Row("hlc an object", .malformed, setting("hlc", .object([:]))),
        Row("hlc of one element", .malformed, setting("hlc", .array([.integer(now)]))),
        Row("hlc of three elements", .malformed, setting("hlc", .array([.integer(now), .integer(0), .integer(0)]))),
        Row("hlc with negative milliseconds", .malformed, setting("hlc", .array([.integer(-1), .integer(0)]))),
        Row("hlc with negative counter", .malformed, setting("hlc", .array([.integer(now), .integer(-1)]))),
        Row("hlc with a fraction", .malformed, setting("hlc", .array([.number("1767225600000.5"), .integer(0)]))),
        Row("hlc with an exponent", .malformed, setting("hlc", .array([.number("1e12"), .integer(0)]))),
        Row("hlc of strings", .malformed, setting("hlc", .array([.string("1767225600000"), .string("0")]))),
        Row("vv an array", .malformed, setting("vv", .array([]))),
        Row("vv counter negative", .malformed, settingVV("bo-y-te", .integer(-1))),
        Row("vv counter zero", .malformed, settingVV("bo-y-te", .integer(0))),
        Row("vv counter above 2^53 - 1", .malformed, settingVV("bo-y-te", .integer(Int64(1) << 53))),
        Row("vv counter at Int64.max", .malformed, settingVV("bo-y-te", .integer(Int64.max))),
        Row("vv counter with a fraction", .malformed, settingVV("bo-y-te", .number("1.5"))),
        Row("vv counter a string", .malformed, settingVV("bo-y-te", .string("1"))),
        Row("vv counter beyond 64 bits", .malformed, settingVV("bo-y-te", .number("9223372036854775808"))),
        Row("vv member name not an agency id", .malformed, settingVV("Bo Y Te \(secret)", .integer(1))),
        Row("deleted a string", .malformed, setting("deleted", .string("false"))),
        Row("deleted a number", .malformed, setting("deleted", .integer(0))),
        Row("deleted null", .malformed, setting("deleted", .null)),

        Row("origin another agency", .originNotPublisher) { $0["origin"] = .string("bo-y-te"); $0["vv"] = .object(["bo-y-te": .integer(1)]) },
        Row("vv without the origin", .originCounterMissing, settingVV("so-y-te", nil)),
        Row("vv origin counter zero", .originCounterMissing, settingVV("so-y-te", .integer(0))),
        Row("vv origin counter negative", .originCounterMissing, settingVV("so-y-te", .integer(-4))),
        Row("hlc one millisecond past the skew limit", .hlcTooFarInFuture, setting("hlc", .array([.integer(limit + 1), .integer(0)]))),
        Row("hlc a day ahead", .hlcTooFarInFuture, setting("hlc", .array([.integer(now + 86_400_000), .integer(0)]))),
        Row("id empty", .idLength, setting("id", .string(""))),
        Row("id of 257 characters", .idLength, setting("id", .string(String(repeating: "a", count: 256) + secret.prefix(1)))),
        Row("id of 257 two-byte characters", .idLength, setting("id", .string(String(repeating: "ơ", count: 257)))),
        Row("data an array", .dataNotObject, setting("data", .array([.string(secret)]))),
        Row("data a string", .dataNotObject, setting("data", .string(secret))),
        Row("data null", .dataNotObject, setting("data", .null)),
        Row("erasure true on a version that is not deleted", .erasureNotTombstone, setting("erasure", .bool(true))),
        Row("erasure a string", .erasureNotBoolean) { $0["deleted"] = .bool(true); $0["erasure"] = .string("true") },
        Row("erasure null", .erasureNotBoolean, setting("erasure", .null)),
    ]

    @Test("each change is accepted or refused with its own reason", arguments: rows)
    func rule(row: Row) throws {
        var members = Self.valid
        row.change(&members)
        if let reason = row.reason {
            let violation = try #require(throws: RecordRuleViolation.self) { try Self.read(.object(members)) }
            #expect(violation.reason == reason, "\(violation)")
            #expect(!violation.description.isEmpty)
            #expect(!violation.description.contains("\n"))
            #expect(!violation.description.contains(Self.secret), "\(violation)")
            #expect(!violation.description.contains("Nguyễn"))
        } else {
            let version = try Self.read(.object(members))
            #expect(version.dataset == Fixture.dataset)
            // `erasure` is written only when true.
            #expect(version.json == .object(members.filter { ["id", "origin", "hlc", "vv", "deleted", "data"].contains($0.key) || ($0.key == "erasure" && $0.value == .bool(true)) }))
            #expect(version.erasure == (members["erasure"] == .bool(true)))
        }
    }

    @Test("a record that is not an object is malformed", arguments: [JSONValue.array([]), .string(secret), .null, .integer(1)])
    func notAnObject(json: JSONValue) throws {
        let violation = try #require(throws: RecordRuleViolation.self) { try Self.read(json) }
        #expect(violation.reason == .malformed)
        #expect(!violation.description.contains(Self.secret))
    }

    @Test("the first broken rule in member order is the one reported")
    func firstRuleWins() throws {
        var members = Self.valid
        members["id"] = .string("")
        members["data"] = .null
        members["origin"] = .string("bo-y-te")
        let violation = try #require(throws: RecordRuleViolation.self) { try Self.read(.object(members)) }
        #expect(violation.reason == .idLength)
    }

    @Test("messages say what is wrong in words an operator can search for")
    func messages() throws {
        var members = Self.valid
        members["hlc"] = .array([.integer(Self.now + 400_000), .integer(0)])
        let future = try #require(throws: RecordRuleViolation.self) { try Self.read(.object(members)) }
        #expect(future.description == "record hlc is 400000 ms ahead of this clock, more than the 300 s skew allowed")
        members = Self.valid
        members["origin"] = .string("bo-y-te")
        let foreign = try #require(throws: RecordRuleViolation.self) { try Self.read(.object(members)) }
        #expect(foreign.description == "record origin bo-y-te is not the page's publisher so-y-te")
        #expect(RecordRuleViolation.Reason.originNotPublisher.description == "origin not publisher")
    }

    @Test("a version read back from its JSON is the same version")
    func roundTrip() throws {
        let version = Fixture.version("so-y-te", ["so-y-te": 3, "bo-y-te": 2], hlc: (Self.now, 7), deleted: true, data: Fixture.data("x"))
        #expect(try Self.read(version.json) == version)
        #expect(version.json.objectValue.map { Set($0.keys) } == ["id", "origin", "hlc", "vv", "deleted", "data"])
    }
}
