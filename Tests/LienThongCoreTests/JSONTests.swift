import LienThongCore
import Testing

private func parse(_ text: String, maximumDepth: Int = JSONValue.defaultMaximumDepth) throws(JSONError) -> JSONValue {
    try JSONValue(parsing: text, maximumDepth: maximumDepth)
}

@Suite("JSON parsing accepts every form of RFC 8259 value")
struct JSONParsingAcceptanceTests {
    struct Acceptance: Sendable, CustomTestStringConvertible {
        let text: String
        let value: JSONValue
        var testDescription: String { text.debugDescription }
    }

    static let literals: [Acceptance] = [
        .init(text: "null", value: .null),
        .init(text: "true", value: .bool(true)),
        .init(text: "false", value: .bool(false)),
        .init(text: "[]", value: .array([])),
        .init(text: "{}", value: .object([:])),
        .init(text: #""""#, value: .string("")),
    ]

    static let numbers: [String] = [
        "0", "-0", "7", "-7", "10", "1234567890", "0.5", "-0.0", "1.50", "1e5", "1E5", "1e+5", "1e-5", "1.50e+3",
        "-12.5E-07", "0e0", "123456789012345678901234567890.123456789e-999",
    ]

    static let strings: [Acceptance] = [
        .init(text: #""plain""#, value: .string("plain")),
        .init(text: #""\"\\\/\b\f\n\r\t""#, value: .string("\"\\/\u{08}\u{0C}\n\r\t")),
        .init(text: #""a\nb c\td""#, value: .string("a\nb c\td")),
        .init(text: #""\u0041\u00e9\u00E9\u4e2d""#, value: .string("Aéé中")),
        .init(text: #""\u0000""#, value: .string("\u{0}")),
        .init(text: #""\u001f\u007f""#, value: .string("\u{1F}\u{7F}")),
        .init(text: #""\ud83d\ude00""#, value: .string("😀")),
        .init(text: #""\uD83D\uDE00""#, value: .string("😀")),
        .init(text: #""\udbff\udfff""#, value: .string("\u{10FFFF}")),
        .init(text: #""x\ud800\udc00y""#, value: .string("x\u{10000}y")),
        .init(text: #""\uffff""#, value: .string("\u{FFFF}")),
        .init(text: #""Nguyễn Văn A""#, value: .string("Nguyễn Văn A")),
        .init(text: #""Bộ Y tế \n Sở""#, value: .string("Bộ Y tế \n Sở")),
        .init(text: #""😀 raw""#, value: .string("😀 raw")),
        .init(text: "\"\u{7F}\"", value: .string("\u{7F}")),
    ]

    static let structures: [Acceptance] = [
        .init(text: " \t\r\n[ 1 , 2 ] \n", value: .array([.number("1"), .number("2")])),
        .init(text: "\n{\n  \"a\" : true ,\r\n  \"b\":null\t}\n", value: .object(["a": .bool(true), "b": .null])),
        .init(
            text: #"{"a":[1,{"b":null}],"c":{"d":"e"}}"#,
            value: .object([
                "a": .array([.number("1"), .object(["b": .null])]),
                "c": .object(["d": .string("e")]),
            ])
        ),
        .init(text: "[[[]]]", value: .array([.array([.array([])])])),
        .init(text: #"{"":0}"#, value: .object(["": .number("0")])),
        .init(text: #"[{"a":1},{"a":1}]"#, value: .array([.object(["a": .number("1")]), .object(["a": .number("1")])])),
        .init(text: #"{"a":{"a":{"a":1}}}"#, value: .object(["a": .object(["a": .object(["a": .number("1")])])])),
        .init(text: #"{"họ tên":"Nguyễn Văn A"}"#, value: .object(["họ tên": .string("Nguyễn Văn A")])),
        .init(text: #"[true,false,null,"",0]"#, value: .array([.bool(true), .bool(false), .null, .string(""), .number("0")])),
    ]

    @Test("literals and empty containers", arguments: literals)
    func literal(_ row: Acceptance) throws {
        #expect(try parse(row.text) == row.value)
    }

    @Test("a number keeps the exact text it was written with", arguments: numbers)
    func number(_ text: String) throws {
        #expect(try parse(text) == .number(text))
        #expect(try parse("[\(text)]") == .array([.number(text)]))
    }

    @Test("strings decode every escape, surrogate pairs and raw UTF-8", arguments: strings)
    func string(_ row: Acceptance) throws {
        #expect(try parse(row.text) == row.value)
    }

    @Test("nested structures and whitespace around tokens", arguments: structures)
    func structure(_ row: Acceptance) throws {
        #expect(try parse(row.text) == row.value)
    }

    @Test("bytes parse the same as the text they spell")
    func bytesAndTextAgree() throws {
        let text = #"{"tên":"Nguyễn Văn A","tuổi":42}"#
        #expect(try JSONValue(parsing: Array(text.utf8)) == parse(text))
        #expect(try JSONValue(parsing: Array(("xx" + text).utf8).dropFirst(2)) == parse(text))
    }

    @Test("an escaped name and a raw name that spell the same text are the same member")
    func escapedNamesResolve() throws {
        let value = try parse(#"{"\u0061\u00e9":1}"#)
        #expect(value["aé"] == .number("1"))
    }
}

@Suite("JSON parsing refuses everything RFC 8259 or lienthong's strictness rules out")
struct JSONParsingRejectionTests {
    struct Rejection: Sendable, CustomTestStringConvertible {
        let reason: String
        let bytes: [UInt8]
        let fragment: String
        let offset: Int

        init(_ reason: String, _ text: String, says fragment: String, at offset: Int) {
            self.init(reason, bytes: Array(text.utf8), says: fragment, at: offset)
        }

        init(_ reason: String, bytes: [UInt8], says fragment: String, at offset: Int) {
            self.reason = reason
            self.bytes = bytes
            self.fragment = fragment
            self.offset = offset
        }

        var testDescription: String { reason }
    }

    static let syntax: [Rejection] = [
        .init("empty input", "", says: "ends in the middle of a value", at: 0),
        .init("whitespace only", " \n ", says: "ends in the middle of a value", at: 3),
        .init("content after the value", "{} x", says: "content after the value", at: 3),
        .init("two values", "1 2", says: "content after the value", at: 2),
        .init("trailing comma in an array", "[1,]", says: "unexpected character ']'", at: 3),
        .init("trailing comma in an object", #"{"a":1,}"#, says: "unexpected character '}'", at: 7),
        .init("missing comma", "[1 2]", says: "unexpected character '2'", at: 3),
        .init("missing colon", #"{"a" 1}"#, says: "unexpected character '1'", at: 5),
        .init("missing member value", #"{"a":}"#, says: "unexpected character '}'", at: 5),
        .init("unquoted member name", "{a:1}", says: "unexpected character 'a'", at: 1),
        .init("unclosed array", "[1", says: "ends in the middle of a value", at: 2),
        .init("unclosed object", #"{"a":1"#, says: "ends in the middle of a value", at: 6),
        .init("unclosed string", #""abc"#, says: "ends in the middle of a value", at: 4),
        .init("truncated literal", "tru", says: "ends in the middle of a value", at: 3),
        .init("misspelt literal", "nul1", says: "unexpected character '1'", at: 3),
        .init("capitalised literal", "True", says: "unexpected character 'T'", at: 0),
        .init("single-quoted string", "'a'", says: "unexpected character '''", at: 0),
        .init("single-quoted member name", "{'a':1}", says: "unexpected character '''", at: 1),
        .init("form feed is not whitespace", "\u{0C}1", says: "unexpected byte 0xC", at: 0),
    ]

    static let numbers: [Rejection] = [
        .init("leading zero", "01", says: "number does not follow the JSON grammar", at: 1),
        .init("negative leading zero", "-01", says: "number does not follow the JSON grammar", at: 2),
        .init("plus sign", "+1", says: "unexpected character '+'", at: 0),
        .init("no integer part", ".5", says: "unexpected character '.'", at: 0),
        .init("no fraction digits", "1.", says: "number does not follow the JSON grammar", at: 2),
        .init("no fraction digits before exponent", "1.e5", says: "number does not follow the JSON grammar", at: 2),
        .init("no exponent digits", "1e", says: "number does not follow the JSON grammar", at: 2),
        .init("signed exponent without digits", "1e+", says: "number does not follow the JSON grammar", at: 3),
        .init("bare minus", "-", says: "number does not follow the JSON grammar", at: 1),
        .init("minus before a non-digit", "[-a]", says: "number does not follow the JSON grammar", at: 2),
        .init("hexadecimal", "0x10", says: "content after the value", at: 1),
        .init("NaN", "NaN", says: "unexpected character 'N'", at: 0),
        .init("Infinity", "Infinity", says: "unexpected character 'I'", at: 0),
        .init("negative Infinity", "-Infinity", says: "number does not follow the JSON grammar", at: 1),
    ]

    static let strings: [Rejection] = [
        .init("unescaped control character", "\"a\u{01}b\"", says: "unescaped control character", at: 2),
        .init("unescaped newline", "\"a\nb\"", says: "unescaped control character", at: 2),
        .init("unescaped tab", "\"\t\"", says: "unescaped control character", at: 1),
        .init("unescaped unit separator, the highest control character", "\"a\u{1F}\"", says: "unescaped control character", at: 2),
        .init("unescaped control character after an escape", "\"a\\nb\u{1F}\"", says: "unescaped control character", at: 5),
        .init("invalid escape letter", #""\x""#, says: "invalid escape", at: 1),
        .init("escaped single quote", #""\'""#, says: "invalid escape", at: 1),
        .init("non-hex digit in a unicode escape", #""\u12G4""#, says: "invalid escape", at: 1),
        .init("short unicode escape at the end", #""\u12"#, says: "ends in the middle of a value", at: 5),
        .init("lone high surrogate", #""\ud83d""#, says: "half of a surrogate pair", at: 1),
        .init("lone low surrogate", #""\ude00""#, says: "half of a surrogate pair", at: 1),
        .init("high surrogate followed by a non-surrogate escape", #""\ud83d\u0041""#, says: "half of a surrogate pair", at: 1),
        .init("high surrogate followed by another high surrogate", #""\ud83d\ud83d""#, says: "half of a surrogate pair", at: 1),
        .init("high surrogate followed by raw text", #""\ud83dx""#, says: "half of a surrogate pair", at: 1),
        .init("low surrogate before high surrogate", #""\ude00\ud83d""#, says: "half of a surrogate pair", at: 1),
    ]

    static let encodings: [Rejection] = [
        .init("invalid continuation byte", bytes: [0x22, 0xC3, 0x28, 0x22], says: "not valid UTF-8", at: 1),
        .init("overlong encoding of NUL", bytes: [0x22, 0xC0, 0x80, 0x22], says: "not valid UTF-8", at: 1),
        .init("UTF-8-encoded surrogate", bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], says: "not valid UTF-8", at: 1),
        .init("truncated sequence at the end", bytes: [0x22, 0xE1, 0xBB], says: "not valid UTF-8", at: 1),
        .init("byte that never occurs in UTF-8", bytes: [0x22, 0x61, 0xFF, 0x22], says: "not valid UTF-8", at: 2),
        .init("code point above U+10FFFF", bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], says: "not valid UTF-8", at: 1),
        .init("invalid byte after valid multibyte text", bytes: Array("\"ễ".utf8) + [0x80, 0x22], says: "not valid UTF-8", at: 4),
        .init("UTF-8 byte order mark", bytes: [0xEF, 0xBB, 0xBF] + Array("{}".utf8), says: "unexpected byte 0xEF", at: 0),
    ]

    private func check(_ row: Rejection) {
        let error = #expect(throws: JSONError.self) { try JSONValue(parsing: row.bytes) }
        #expect(error?.description.contains(row.fragment) == true, "\(String(describing: error))")
        #expect(error?.offset == row.offset)
        #expect(error?.description.hasPrefix("invalid JSON at byte \(row.offset): ") == true)
        #expect(error?.isDuplicateMember == false)
    }

    @Test("malformed structure", arguments: syntax)
    func malformedStructure(_ row: Rejection) { check(row) }

    @Test("numbers outside the JSON grammar", arguments: numbers)
    func malformedNumber(_ row: Rejection) { check(row) }

    @Test("malformed strings and escapes", arguments: strings)
    func malformedString(_ row: Rejection) { check(row) }

    @Test("bytes that are not UTF-8 without a byte order mark", arguments: encodings)
    func malformedEncoding(_ row: Rejection) { check(row) }
}

@Suite("JSON parsing refuses an object that names a member twice")
struct JSONDuplicateMemberTests {
    static let documents: [(text: String, offset: Int)] = [
        (#"{"a":1,"a":2}"#, 7),
        (#"{"a":1,"a":1}"#, 7),
        (#"{"a":1,"b":2,"a":3}"#, 13),
        (#"{"x":{"a":1,"a":2}}"#, 12),
        (#"[0,{"a":null,"a":null}]"#, 13),
        (#"{"a":1,"\u0061":2}"#, 7),
        (#"{"é":1,"\u00e9":2}"#, 8),
    ]

    @Test("the duplicate is reported where its name starts", arguments: documents)
    func refusesDuplicate(text: String, offset: Int) {
        let error = #expect(throws: JSONError.self) { try parse(text) }
        #expect(error?.isDuplicateMember == true)
        #expect(error?.offset == offset)
        #expect(error?.description.contains("same member twice") == true)
    }

    @Test("the same name in sibling objects is not a duplicate")
    func siblingsMayShareNames() throws {
        #expect(try parse(#"{"a":{"x":1},"b":{"x":2}}"#)["b"]?["x"] == .number("2"))
    }

    @Test("names that differ only in case are different members")
    func caseMatters() throws {
        #expect(try parse(#"{"a":1,"A":2}"#).objectValue?.count == 2)
    }

    @Test("a precomposed and a decomposed 'é' count as the same name, since they look the same")
    func canonicallyEquivalentNamesAreDuplicates() {
        let error = #expect(throws: JSONError.self) { try parse(#"{"\u00e9":1,"e\u0301":2}"#) }
        #expect(error?.isDuplicateMember == true)
    }
}

@Suite("JSON parsing limits nesting depth")
struct JSONDepthLimitTests {
    private func nestedArrays(_ depth: Int) -> String {
        String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    }

    private func nestedObjects(_ depth: Int) -> String {
        String(repeating: #"{"a":"#, count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
    }

    @Test("the default limit is 64")
    func defaultLimit() {
        #expect(JSONValue.defaultMaximumDepth == 64)
    }

    @Test("64 nested arrays parse under the default limit")
    func arraysAtLimit() throws {
        var value = try parse(nestedArrays(64))
        var depth = 0
        while let elements = value.arrayValue {
            depth += 1
            guard let first = elements.first else { break }
            value = first
        }
        #expect(depth == 64)
    }

    @Test("65 nested arrays are refused")
    func arraysOverLimit() {
        let error = #expect(throws: JSONError.self) { try parse(nestedArrays(65)) }
        #expect(error?.description.contains("nested deeper than 64 levels") == true)
        #expect(error?.offset == 64)
    }

    @Test("objects count towards the same limit")
    func objects() throws {
        _ = try parse(nestedObjects(64))
        let error = #expect(throws: JSONError.self) { try parse(nestedObjects(65)) }
        #expect(error?.description.contains("nested deeper than 64 levels") == true)
    }

    @Test("arrays and objects mixed count towards one limit")
    func mixed() throws {
        let mixed32 = String(repeating: #"[{"a":"#, count: 32) + "0" + String(repeating: "}]", count: 32)
        _ = try parse(mixed32)
        let error = #expect(throws: JSONError.self) { try parse("[" + mixed32 + "]") }
        #expect(error?.description.contains("deeper than 64") == true)
    }

    @Test("a custom limit is honoured exactly", arguments: [0, 1, 2, 10])
    func customLimit(limit: Int) throws {
        _ = try parse("0", maximumDepth: limit)
        if limit > 0 { _ = try parse(nestedArrays(limit), maximumDepth: limit) }
        let error = #expect(throws: JSONError.self) { try parse(nestedArrays(limit + 1), maximumDepth: limit) }
        #expect(error?.description.contains("deeper than \(limit) levels") == true)
    }

    @Test("sibling containers do not add up to depth")
    func siblingsDoNotAccumulate() throws {
        let wide = "[" + Array(repeating: nestedArrays(63), count: 100).joined(separator: ",") + "]"
        #expect(try parse(wide).arrayValue?.count == 100)
    }

    @Test("a hostile document of 100 000 opening brackets fails fast without exhausting the stack")
    func hostileDepth() {
        let hostile = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        let clock = ContinuousClock()
        let start = clock.now
        let error = #expect(throws: JSONError.self) { try JSONValue(parsing: hostile) }
        #expect(clock.now - start < .seconds(2))
        #expect(error?.description.contains("deeper than 64") == true)
        #expect(error?.offset == 64)
    }

    @Test("a hostile document of 100 000 nested objects fails the same way")
    func hostileObjectDepth() {
        let hostile = Array(String(repeating: #"{"a":"#, count: 100_000).utf8)
        let error = #expect(throws: JSONError.self) { try JSONValue(parsing: hostile) }
        #expect(error?.description.contains("deeper than 64") == true)
    }
}

@Suite("JSON serialization is compact and deterministic")
struct JSONSerializationTests {
    @Test("members are sorted by the UTF-8 bytes of their names")
    func sortedByUTF8() {
        let value = JSONValue.object([
            "b": .number("1"), "a": .number("2"), "B": .number("3"), "é": .number("4"), "aa": .number("5"),
            "": .number("6"), "z": .number("7"), "😀": .number("8"), "\u{FF61}": .number("9"), "a-": .number("10"),
        ])
        #expect(value.serializedText == #"{"":6,"B":3,"a":2,"a-":10,"aa":5,"b":1,"z":7,"é":4,"｡":9,"😀":8}"#)
    }

    @Test("nested objects are sorted too and nothing is indented")
    func compactNested() {
        let value = JSONValue.array([
            .number("1"),
            .object(["y": .array([.bool(true), .null]), "x": .object(["d": .string("v"), "c": .bool(false)])]),
            .array([]),
            .object([:]),
        ])
        #expect(value.serializedText == #"[1,{"x":{"c":false,"d":"v"},"y":[true,null]},[],{}]"#)
    }

    @Test("numbers are written with exactly their text", arguments: ["1.50e+3", "-0", "0.10", "1E5", "123456789012345678901234567890"])
    func numbersKeepText(text: String) {
        #expect(JSONValue.number(text).serializedText == text)
    }

    static let escapes: [(string: String, json: String)] = [
        ("\"", #""\"""#),
        ("\\", #""\\""#),
        ("\n\r\t", #""\n\r\t""#),
        ("\u{01}", #""\u0001""#),
        ("\u{00}", #""\u0000""#),
        ("\u{08}\u{0C}", #""\u0008\u000c""#),
        ("\u{1F}", #""\u001f""#),
        ("\u{1B}[0m", #""\u001b[0m""#),
        ("/", #""/""#),
        ("\u{7F}", "\"\u{7F}\""),
        ("a\"b\\c", #""a\"b\\c""#),
    ]

    @Test("quote, backslash and control characters are escaped", arguments: escapes)
    func escaping(string: String, json: String) {
        #expect(JSONValue.string(string).serializedText == json)
    }

    @Test("member names are escaped like strings")
    func escapedNames() {
        #expect(JSONValue.object(["a\"b\n": .null]).serializedText == #"{"a\"b\n":null}"#)
    }

    @Test("non-ASCII text is written as raw UTF-8", arguments: ["Nguyễn Văn A", "Bộ Y tế", "中文", "😀", "\u{2028}"])
    func nonASCIIRaw(text: String) {
        let bytes = JSONValue.string(text).serialized()
        #expect(bytes == [0x22] + Array(text.utf8) + [0x22])
    }

    @Test("serialized() and serializedText hold the same bytes")
    func bytesMatchText() {
        let value = JSONValue.object(["tên": .string("Nguyễn\tVăn"), "n": .number("1")])
        #expect(value.serialized() == Array(value.serializedText.utf8))
    }

    @Test("a document in canonical form serializes back to its exact text", arguments: [
        #"{"a":[1,2.5e-3,{"b":null}],"c":"Nguyễn Văn A","d":true}"#,
        #"[]"#,
        #"{"":{"":""}}"#,
        #""\u0001\"\\""#,
    ])
    func canonicalTextRoundTrips(text: String) throws {
        #expect(try parse(text).serializedText == text)
    }

    @Test("a document with whitespace and unsorted members serializes to the canonical form")
    func canonicalises() throws {
        let value = try parse(" { \"b\" : [ 1 , \"\\u00e9\\/\" ] , \"a\" : { } } ")
        #expect(value.serializedText == #"{"a":{},"b":[1,"é/"]}"#)
    }

    @Test("values that serialize to different bytes are not equal")
    func equalityAgreesWithBytes() {
        let precomposed = JSONValue.string("\u{E9}")
        let decomposed = JSONValue.string("e\u{301}")
        #expect(precomposed.serialized() != decomposed.serialized())
        #expect(precomposed != decomposed)
        #expect(JSONValue.object(["\u{E9}": .null]) != JSONValue.object(["e\u{301}": .null]))
        #expect(JSONValue.number("1.0") != JSONValue.number("1"))
        #expect(JSONValue.object(["a": .string("x"), "b": .null]) == JSONValue.object(["b": .null, "a": .string("x")]))
        #expect(Set([precomposed, decomposed, precomposed]).count == 2)
    }
}

@Suite("JSON written piece by piece as bytes matches the serializer")
struct JSONPieceTests {
    static let integers: [Int64] = [0, 1, 9, 10, 99, 100, -1, -10, 1_700_000_000_123, 999_999_999_999_999_999, .max, .min]

    @Test("an integer in decimal, as the serializer writes its number", arguments: integers)
    func decimal(value: Int64) {
        var output = Array("x".utf8)
        JSONValue.appendDecimal(value, to: &output)
        #expect(output == Array("x\(value)".utf8))
    }

    static let strings = ["", "plain", "Nguyễn Văn A", "quote \" and \\", "line\nbreak", "\u{1}\u{1F}", "tab\t"]

    @Test("a string from its UTF-8, escaped as the serializer escapes it", arguments: strings)
    func string(text: String) {
        var output: [UInt8] = []
        Array(text.utf8).withUnsafeBufferPointer { JSONValue.appendString(utf8: $0, to: &output) }
        #expect(output == JSONValue.string(text).serialized())
    }
}

@Suite("JSON serialization round trips through the parser")
struct JSONRoundTripTests {
    static let values: [JSONValue] = [
        .null,
        .bool(true),
        .bool(false),
        .number("0"),
        .number("-12.5E-07"),
        .string(""),
        .string("Nguyễn Văn A"),
        .string("\"\\/\u{0}\u{1}\u{08}\u{0C}\n\r\t\u{1F}\u{7F}"),
        .string("😀 \u{10FFFF} \u{FFFF}"),
        .array([]),
        .object([:]),
        .array([.null, .bool(false), .number("1"), .string("x"), .array([.array([])]), .object(["k": .null])]),
        .object([
            "họ tên": .string("Nguyễn Văn A"),
            "ngày sinh": .string("1990-01-02"),
            "mũi tiêm": .array([.object(["số": .integer(1), "vắc xin": .string("AstraZeneca")])]),
            "a\"b": .object(["\n": .bool(true)]),
        ]),
    ]

    @Test("parse(serialize(v)) == v", arguments: values)
    func roundTrips(value: JSONValue) throws {
        #expect(try JSONValue(parsing: value.serialized()) == value)
    }

    @Test("serializing twice gives the same bytes", arguments: values)
    func deterministic(value: JSONValue) throws {
        let reparsed = try JSONValue(parsing: value.serialized())
        #expect(reparsed.serialized() == value.serialized())
    }

    @Test("random strings of every scalar class survive a round trip", arguments: 0..<20)
    func randomStrings(seed: Int) throws {
        var generator = SplitMix64(seed: UInt64(seed))
        let ranges: [ClosedRange<UInt32>] = [0x00...0x1F, 0x20...0x7F, 0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFF, 0x10000...0x10FFFF]
        var scalars = String.UnicodeScalarView()
        for _ in 0..<64 {
            let range = ranges.randomElement(using: &generator)!
            scalars.append(Unicode.Scalar(UInt32.random(in: range, using: &generator))!)
        }
        let value = JSONValue.object([String(scalars): .string(String(scalars))])
        let reparsed = try JSONValue(parsing: value.serialized())
        #expect(reparsed.serialized() == value.serialized())
        #expect(reparsed.objectValue?.values.first?.stringValue?.unicodeScalars.elementsEqual(scalars) == true)
    }
}

@Suite("JSONValue accessors answer only for their own kind")
struct JSONValueAccessorTests {
    @Test("int64Value reads integers written as such", arguments: [
        ("12", Int64(12)), ("-7", -7), ("0", 0), ("-0", 0),
        ("9223372036854775807", .max), ("-9223372036854775808", .min),
    ])
    func int64Integers(text: String, expected: Int64) {
        #expect(JSONValue.number(text).int64Value == expected)
    }

    @Test("int64Value is nil for fractions, exponents and overflow", arguments: ["1.0", "1e2", "1E0", "0.5", "9223372036854775808", "-9223372036854775809"])
    func int64NonIntegers(text: String) {
        #expect(JSONValue.number(text).int64Value == nil)
    }

    @Test("int64Value is nil for a string that looks like a number")
    func int64OfString() {
        #expect(JSONValue.string("12").int64Value == nil)
    }

    @Test("integer(_:) writes the decimal text of any integer type")
    func integerFactory() throws {
        #expect(JSONValue.integer(42) == .number("42"))
        #expect(JSONValue.integer(Int8(-7)) == .number("-7"))
        #expect(JSONValue.integer(UInt64.max) == .number("18446744073709551615"))
        #expect(JSONValue.integer(Int64.min).int64Value == .min)
        #expect(try parse(JSONValue.integer(-123).serializedText) == .number("-123"))
    }

    @Test("stringValue, boolValue, arrayValue and objectValue")
    func typedAccessors() {
        #expect(JSONValue.string("x").stringValue == "x")
        #expect(JSONValue.number("1").stringValue == nil)
        #expect(JSONValue.null.stringValue == nil)
        #expect(JSONValue.bool(false).boolValue == false)
        #expect(JSONValue.string("true").boolValue == nil)
        #expect(JSONValue.array([.null]).arrayValue == [.null])
        #expect(JSONValue.object([:]).arrayValue == nil)
        #expect(JSONValue.object(["a": .null]).objectValue == ["a": .null])
        #expect(JSONValue.array([]).objectValue == nil)
    }

    @Test("subscript finds a member of an object and nothing elsewhere")
    func subscriptLookup() throws {
        let value = try parse(#"{"a":{"b":"c"},"n":null}"#)
        #expect(value["a"]?["b"] == .string("c"))
        #expect(value["n"] == .some(.null))
        #expect(value["missing"] == nil)
        #expect(value["a"]?["b"]?["c"] == nil)
        #expect(JSONValue.array([.string("a")])["a"] == nil)
    }

    @Test("kindName names each kind", arguments: [
        (JSONValue.null, "null"), (.bool(true), "a boolean"), (.number("1"), "a number"),
        (.string(""), "a string"), (.array([]), "an array"), (.object([:]), "an object"),
    ])
    func kindNames(value: JSONValue, name: String) {
        #expect(value.kindName == name)
    }
}
