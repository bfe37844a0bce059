import LienThongCore
import Testing

@Suite("Identifier accepts names of a-z, 0-9 and - that start with a letter")
struct IdentifierAcceptanceTests {
    static let names = ["a", "z", "bo-y-te", "ubnd-ha-noi", "x9", "tiem-chung", "a-", "a--b", "a0123456789", String(repeating: "a", count: 64), "q" + String(repeating: "9-", count: 31) + "z"]

    @Test("an agency id keeps the text unchanged", arguments: names)
    func agencyID(name: String) throws {
        let id = try AgencyID(name)
        #expect(id.rawValue == name)
        #expect(id.description == name)
    }

    @Test("a dataset name keeps the text unchanged", arguments: names)
    func datasetName(name: String) throws {
        let dataset = try DatasetName(name)
        #expect(dataset.rawValue == name)
        #expect("\(dataset)" == name)
    }
}

@Suite("Identifier refuses any other text and says why")
struct IdentifierRejectionTests {
    static let rejections: [(text: String, problem: String)] = [
        ("", "is empty"),
        (String(repeating: "a", count: 65), "is longer than 64 characters"),
        ("Bo-y-te", "does not start with a letter a-z"),
        ("1abc", "does not start with a letter a-z"),
        ("-abc", "does not start with a letter a-z"),
        ("../etc", "does not start with a letter a-z"),
        (" a", "does not start with a letter a-z"),
        ("ếa", "does not start with a letter a-z"),
        ("bo_y_te", "has a character other than a-z, 0-9 and -"),
        ("bộ-y-tế", "has a character other than a-z, 0-9 and -"),
        ("a b", "has a character other than a-z, 0-9 and -"),
        ("a/b", "has a character other than a-z, 0-9 and -"),
        ("a.b", "has a character other than a-z, 0-9 and -"),
        ("boYte", "has a character other than a-z, 0-9 and -"),
        ("a\n", "has a character other than a-z, 0-9 and -"),
        ("a\u{0}", "has a character other than a-z, 0-9 and -"),
        ("a%2e", "has a character other than a-z, 0-9 and -"),
    ]

    @Test("an agency id is refused with the problem named", arguments: rejections)
    func agencyID(text: String, problem: String) {
        let error = #expect(throws: IdentifierError.self) { try AgencyID(text) }
        #expect(error?.description.hasPrefix("agency id ") == true)
        #expect(error?.description.hasSuffix(" " + problem) == true, "\(String(describing: error))")
    }

    @Test("a dataset name is refused with the problem named", arguments: rejections)
    func datasetName(text: String, problem: String) {
        let error = #expect(throws: IdentifierError.self) { try DatasetName(text) }
        #expect(error?.description.hasPrefix("dataset name ") == true)
        #expect(error?.description.hasSuffix(" " + problem) == true, "\(String(describing: error))")
    }

    @Test("the description quotes the refused text", arguments: ["Bo-y-te", "a/b", "../etc", "bộ-y-tế"])
    func quotesText(text: String) {
        let error = #expect(throws: IdentifierError.self) { try AgencyID(text) }
        #expect(error?.description.contains(text.debugDescription) == true)
    }

    @Test("a long text is quoted cut to 64 characters")
    func longTextIsCut() {
        let text = String(repeating: "a", count: 64) + String(repeating: "b", count: 100)
        let error = #expect(throws: IdentifierError.self) { try AgencyID(text) }
        #expect(error?.description.contains("\"" + String(repeating: "a", count: 64) + "…\"") == true)
        #expect(error?.description.contains("b") == false)
    }

    @Test("a short name with non-ASCII letters is refused for its alphabet, not its length")
    func nonASCIIIsNotTooLong() throws {
        let text = "a" + String(repeating: "ế", count: 30)
        #expect(text.count == 31)
        let error = #expect(throws: IdentifierError.self) { try AgencyID(text) }
        #expect(error?.description.hasSuffix("has a character other than a-z, 0-9 and -") == true, "\(String(describing: error))")
    }
}

@Suite("Identifier compares and orders by its text")
struct IdentifierOrderingTests {
    @Test("sorting follows byte order, where '-' < digits < letters")
    func sorting() throws {
        let names = ["x9", "ubnd-ha-noi", "bo-y-te", "bo", "a9", "a-b", "a", "b"]
        let sorted = try names.map { try AgencyID($0) }.sorted().map(\.rawValue)
        #expect(sorted == ["a", "a-b", "a9", "b", "bo", "bo-y-te", "ubnd-ha-noi", "x9"])
    }

    @Test("less-than is strict and agrees with the text", arguments: [("a", "b"), ("a", "aa"), ("a-z", "a0"), ("a9", "aa"), ("bo-y-te", "bo-z")])
    func lessThan(smaller: String, larger: String) throws {
        let lhs = try DatasetName(smaller)
        let rhs = try DatasetName(larger)
        #expect(lhs < rhs)
        #expect(!(rhs < lhs))
        #expect(!(lhs < lhs))
    }

    @Test("equal texts make equal, hash-equal identifiers")
    func equality() throws {
        #expect(try AgencyID("bo-y-te") == AgencyID("bo-y-te"))
        #expect(try AgencyID("bo-y-te") != AgencyID("bo-y-tf"))
        #expect(try Set(["a", "b", "a"].map { try AgencyID($0) }).count == 2)
    }
}
