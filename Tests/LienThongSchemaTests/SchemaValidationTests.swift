import LienThongCore
import LienThongSchema
import Testing

/// A schema in its JSON declaration, as the YAML file reads.
private func schema(_ json: String) throws -> DatasetSchema {
    try DatasetSchema(declaration: try JSONValue(parsing: json))
}

/// One field `f` with `rules` (a JSON object's members), not required.
private func oneField(_ rules: String) throws -> DatasetSchema {
    try schema(#"{"fields": {"f": {\#(rules)}}}"#)
}

/// The rule `value` (JSON text) breaks as the single field `f`, or nil.
private func brokenRule(_ rules: String, _ value: String) throws -> String? {
    try oneField(rules).validate(try JSONValue(parsing: #"{"f": \#(value)}"#))?.rule
}

@Suite("Schema rules: one row per rule, valid and invalid")
struct SchemaRuleTests {
    @Test(arguments: [
        // type
        (#""type": "string""#, #""abc""#, nil), (#""type": "string""#, "12", "type"),
        (#""type": "integer""#, "12", nil), (#""type": "integer""#, "-0", nil), (#""type": "integer""#, "1.5", "type"),
        (#""type": "integer""#, "1e3", "type"), (#""type": "integer""#, #""12""#, "type"), (#""type": "integer""#, "99999999999999999999", "type"),
        (#""type": "number""#, "1.5", nil), (#""type": "number""#, "-2e-3", nil), (#""type": "number""#, "true", "type"),
        (#""type": "number""#, "1e999", "type"),
        (#""type": "boolean""#, "false", nil), (#""type": "boolean""#, "0", "type"),
        (#""type": "date""#, #""2024-02-29""#, nil), (#""type": "date""#, #""2023-02-29""#, "type"), (#""type": "date""#, #""1900-02-29""#, "type"),
        (#""type": "date""#, #""2000-02-29""#, nil), (#""type": "date""#, #""1/2/90""#, "type"), (#""type": "date""#, #""2024-04-31""#, "type"),
        (#""type": "date""#, #""2024-13-01""#, "type"), (#""type": "date""#, #""0000-01-01""#, "type"), (#""type": "date""#, #""2024-1-01""#, "type"),
        (#""type": "datetime""#, #""2024-05-01T08:30:00+07:00""#, nil), (#""type": "datetime""#, #""2024-05-01t08:30:00.123456z""#, nil),
        (#""type": "datetime""#, #""2024-05-01T08:30:00""#, "type"), (#""type": "datetime""#, #""2024-05-01 08:30:00Z""#, "type"),
        (#""type": "datetime""#, #""2024-05-01T24:00:00Z""#, "type"), (#""type": "datetime""#, #""2024-05-01T08:30:00+7:00""#, "type"),
        (#""type": "datetime""#, #""2024-05-01T08:30:00.Z""#, "type"), (#""type": "datetime""#, #""2024-02-30T08:30:00Z""#, "type"),
        (#""type": "object", "fields": {"a": {"type": "integer"}}"#, #"{"a": 1}"#, nil),
        (#""type": "object", "fields": {"a": {"type": "integer"}}"#, "[1]", "type"),
        (#""type": "array", "items": {"type": "string"}"#, #"["x", "y"]"#, nil),
        (#""type": "array", "items": {"type": "string"}"#, #"["x", 2]"#, "type"),
        // nullable
        (#""type": "string""#, "null", "nullable"), (#""type": "string", "nullable": true"#, "null", nil),
        // enum
        (#""type": "string", "enum": ["nam", "nữ"]"#, #""nam""#, nil), (#""type": "string", "enum": ["nam", "nữ"]"#, #""Nam""#, "enum"),
        (#""type": "integer", "enum": [1, 2]"#, "2", nil), (#""type": "integer", "enum": [1, 2]"#, "3", "enum"),
        (#""type": "number", "enum": [0.5, 1]"#, "1.0", nil), (#""type": "number", "enum": [0.5, 1]"#, "0.25", "enum"),
        // minimum, maximum
        (#""type": "integer", "minimum": 0, "maximum": 150"#, "150", nil), (#""type": "integer", "minimum": 0, "maximum": 150"#, "151", "maximum"),
        (#""type": "integer", "minimum": 0, "maximum": 150"#, "-1", "minimum"), (#""type": "number", "minimum": 0.5"#, "0.49", "minimum"),
        (#""type": "number", "maximum": 36.6"#, "36.6", nil), (#""type": "number", "maximum": 36.6"#, "36.61", "maximum"),
        // min_length, max_length (NFC scalars)
        (#""type": "string", "min_length": 2, "max_length": 3"#, #""ab""#, nil), (#""type": "string", "min_length": 2, "max_length": 3"#, #""a""#, "min_length"),
        (#""type": "string", "min_length": 2, "max_length": 3"#, #""abcd""#, "max_length"),
        // pattern
        (#""type": "string", "pattern": "[A-Z]{2}[0-9]{4}""#, #""HN0042""#, nil), (#""type": "string", "pattern": "[A-Z]{2}[0-9]{4}""#, #""HN00421""#, "pattern"),
        (#""type": "string", "pattern": "[A-Z]{2}[0-9]{4}""#, #""xHN0042""#, "pattern"),
        // formats
        (#""type": "string", "format": "phone-vn""#, #""0912345678""#, nil), (#""type": "string", "format": "phone-vn""#, #""+84912345678""#, nil),
        (#""type": "string", "format": "phone-vn""#, #""02439876543""#, nil), (#""type": "string", "format": "phone-vn""#, #""02033123456""#, nil),
        (#""type": "string", "format": "phone-vn""#, #""0112345678""#, "format"), (#""type": "string", "format": "phone-vn""#, #""091234567""#, "format"),
        (#""type": "string", "format": "phone-vn""#, #""0912 345 678""#, "format"), (#""type": "string", "format": "phone-vn""#, #""84912345678""#, "format"),
        (#""type": "string", "format": "phone-vn""#, #""02173123456""#, "format"), (#""type": "string", "format": "phone-vn""#, #""+8402439876543""#, "format"),
        (#""type": "string", "format": "email""#, #""an.nguyen@moh.gov.vn""#, nil), (#""type": "string", "format": "email""#, #""a+b@xn--bcher-kva.example""#, nil),
        (#""type": "string", "format": "email""#, #""an..nguyen@moh.gov.vn""#, "format"), (#""type": "string", "format": "email""#, #""an@localhost""#, "format"),
        (#""type": "string", "format": "email""#, #""an@-moh.gov.vn""#, "format"), (#""type": "string", "format": "email""#, #""\"an\"@moh.gov.vn""#, "format"),
        (#""type": "string", "format": "email""#, #""an@[10.0.0.1]""#, "format"), (#""type": "string", "format": "email""#, #""an@moh.123""#, "format"),
        (#""type": "string", "format": "email""#, #""nguyễn@moh.gov.vn""#, "format"),
        // min_items, max_items
        (#""type": "array", "items": {"type": "integer"}, "min_items": 1, "max_items": 2"#, "[1, 2]", nil),
        (#""type": "array", "items": {"type": "integer"}, "min_items": 1, "max_items": 2"#, "[]", "min_items"),
        (#""type": "array", "items": {"type": "integer"}, "min_items": 1, "max_items": 2"#, "[1, 2, 3]", "max_items"),
        (#""type": "array", "items": {"type": "integer", "nullable": true}"#, "[1, null]", nil),
    ] as [(String, String, String?)])
    func rule(rules: String, value: String, broken: String?) throws {
        #expect(try brokenRule(rules, value) == broken)
    }

    @Test func requiredAndAdditional() throws {
        let declared = try schema(#"{"fields": {"a": {"type": "string", "required": true}, "b": {"type": "integer"}}}"#)
        #expect(declared.validate(try JSONValue(parsing: #"{"a": "x"}"#)) == nil)
        #expect(declared.validate(try JSONValue(parsing: #"{"b": 1}"#))?.rule == "required")
        let undeclared = try #require(declared.validate(try JSONValue(parsing: #"{"a": "x", "zz\u001b": 1}"#)))
        #expect(undeclared.rule == "additional")
        #expect(undeclared.path == #"zz\u{1B}"#)
        // The Kelvin sign is canonically equivalent to K, but it is not the declared field's name.
        let kelvin = try schema(#"{"fields": {"K": {"type": "integer"}}}"#)
        #expect(kelvin.validate(.object(["K": .integer(1)])) == nil)
        #expect(kelvin.validate(.object(["\u{212A}": .string("x")]))?.rule == "additional")
        let open = try schema(#"{"additional": "allow", "fields": {"a": {"type": "string"}}}"#)
        #expect(open.validate(try JSONValue(parsing: #"{"a": "x", "other": [1]}"#)) == nil)
    }

    @Test func pathsOfNestedFields() throws {
        let declared = try schema(#"""
            {"fields": {"dia_chi": {"type": "object", "fields": {"tinh": {"type": "string", "max_length": 3}}},
             "mui_tiem": {"type": "array", "items": {"type": "object", "fields": {"ngay": {"type": "date", "required": true}}}}}}
            """#)
        #expect(declared.validate(try JSONValue(parsing: #"{"dia_chi": {"tinh": "Hà Nội"}}"#))?.path == "dia_chi.tinh")
        let violation = try #require(declared.validate(try JSONValue(parsing: #"{"mui_tiem": [{"ngay": "2021-07-01"}, {"ngay": "1/7/21"}]}"#)))
        #expect(violation.path == "mui_tiem[1].ngay")
        #expect(violation.rule == "type")
        #expect(violation.shape == "a string of 6 characters: digits, other characters")
        #expect(declared.validate(try JSONValue(parsing: #"{"mui_tiem": [{}]}"#))?.path == "mui_tiem[0].ngay")
        #expect(declared.validate(.array([]))?.rule == "type")
    }

    /// Patterns are matched against at most 10,000 characters: a longer value breaks the rule unmatched.
    @Test func patternInputIsBounded() throws {
        let declared = try oneField(#""type": "string", "pattern": "(a|a)*b""#)
        let atLimit = String(repeating: "a", count: StringRules.maximumPatternInput - 1) + "b"
        #expect(declared.validate(.object(["f": .string(atLimit)])) == nil)
        let noMatch = try #require(declared.validate(.object(["f": .string(String(repeating: "a", count: StringRules.maximumPatternInput))])))
        #expect(noMatch.expected == "the field's pattern")
        let tooLong = try #require(declared.validate(.object(["f": .string(atLimit + "b")])))
        #expect(tooLong.rule == "pattern" && tooLong.expected == "at most 10000 characters to match")
    }

    /// A message names the path, the rule and the value's shape, never the value.
    @Test func messagesNeverShowTheValue() throws {
        let declared = try oneField(#""type": "string", "pii": true, "format": "cccd""#)
        let violation = try #require(declared.validate(try JSONValue(parsing: #"{"f": "03719001234"}"#)))
        #expect(violation.description == "field f breaks format (cccd: 12 digits): found a string of 11 characters: digits")
        #expect(!violation.description.contains("03719001234"))
        #expect(declared.personalDataPaths == ["f"])
    }
}

@Suite("NFC: lengths, enums and patterns see the composed form")
struct NormalizationTests {
    /// "Nguyễn" precomposed (6 scalars) and with combining marks (8 scalars) are the same text.
    static let composed = "Nguy\u{1EC5}n"
    static let decomposed = "Nguye\u{0302}\u{0303}n"

    @Test(arguments: [composed, decomposed])
    func lengthCountsNFCScalars(name: String) throws {
        // Swift compares strings by canonical equivalence: the scalars tell the two forms apart.
        #expect(name.unicodeScalars.count == (name.utf8.elementsEqual(Self.composed.utf8) ? 6 : 8))
        let exact = try oneField(#""type": "string", "min_length": 6, "max_length": 6"#)
        #expect(exact.validate(.object(["f": .string(name)])) == nil)
    }

    @Test(arguments: ["n\u{1EEF}", "nu\u{031B}\u{0303}"])
    func enumComparesNFC(sex: String) throws {
        let declared = try oneField(#""type": "string", "enum": ["nam", "n\u1eef"]"#)
        #expect(declared.validate(.object(["f": .string(sex)])) == nil)
    }

    @Test(arguments: [composed, decomposed])
    func patternMatchesNFC(name: String) throws {
        let declared = try oneField(#""type": "string", "pattern": "Nguy\u1ec5n""#)
        #expect(declared.validate(.object(["f": .string(name)])) == nil)
    }

    /// The normalized declaration is the same however the schema spelled its text, so its digest is too.
    @Test func declarationIsNormalized() throws {
        let first = try oneField(#""type": "string", "enum": ["n\u1eef", "nam"], "required": false"#)
        let second = try oneField(#""enum": ["nam", "nu\u031b\u0303"], "type": "string""#)
        #expect(first.declaration == second.declaration)
        #expect(first.declaration.serializedText == #"{"additional":"refuse","fields":{"f":{"enum":["nam","nữ"],"type":"string"}}}"#)
    }
}

@Suite("CCCD numbers, by Circular 07/2016/TT-BCA")
struct CitizenIDTests {
    static let checked = #"""
        {"fields": {
          "so_dinh_danh": {"type": "string", "format": "cccd", "cccd": {"birth_date": "ngay_sinh", "sex": "gioi_tinh"}},
          "ngay_sinh": {"type": "date"}, "gioi_tinh": {"type": "string", "enum": ["nam", "nữ"]}}}
        """#

    /// Numbers made from the published rules: (number, birth date, sex, the rule it breaks or nil).
    @Test(arguments: [
        // Valid, across provinces, centuries and both sexes.
        ("001090123456", "1990-05-01", "nam", nil), ("079185000321", "1985-12-31", "nữ", nil), ("036205004512", "2005-01-15", "nam", nil),
        ("048312000077", "2012-08-08", "nữ", nil), ("096400000001", "2100-01-01", "nam", nil), ("001599999999", "2199-06-30", "nữ", nil),
        ("002601000002", "2201-02-03", "nam", nil), ("004750000003", "2250-04-05", "nữ", nil), ("006800000004", "2300-07-07", "nam", nil),
        ("008999000005", "2399-09-09", "nữ", nil), ("010000000006", "1900-01-01", "nam", nil), ("011199000007", "1999-12-31", "nữ", nil),
        ("012201000008", "2001-03-04", "nam", nil), ("014345000009", "2045-05-06", "nữ", nil), ("015060000010", "1960-10-10", "nam", nil),
        ("017170000011", "1970-11-11", "nữ", nil), ("019280000012", "2080-02-29", "nam", nil), ("031099000013", "1999-01-01", "nam", nil),
        ("038302000014", "2002-02-02", "nữ", nil), ("040175000015", "1975-04-30", "nữ", nil), ("052067000016", "1967-06-06", "nam", nil),
        ("075288000017", "2088-08-08", "nam", nil), ("092393000018", "2093-09-03", "nữ", nil), ("095155000019", "1955-05-05", "nữ", nil),
        // Not 12 ASCII digits.
        ("00109012345", "1990-05-01", "nam", "format"), ("0010901234567", "1990-05-01", "nam", "format"),
        ("00109012345A", "1990-05-01", "nam", "format"), ("001 90123456", "1990-05-01", "nam", "format"),
        ("００１０９０１２３４５６", "1990-05-01", "nam", "format"), ("", "1990-05-01", "nam", "format"),
        // Province codes not in the table.
        ("003090123456", "1990-05-01", "nam", "format"), ("097090123456", "1990-05-01", "nam", "format"),
        ("000090123456", "1990-05-01", "nam", "format"), ("099090123456", "1990-05-01", "nam", "format"),
        ("005090123456", "1990-05-01", "nam", "format"), ("013090123456", "1990-05-01", "nam", "format"),
        ("050090123456", "1990-05-01", "nam", "format"), ("081090123456", "1990-05-01", "nam", "format"),
        // A century digit that contradicts the birth date, and year digits that do.
        ("001290123456", "1990-05-01", "nam", "cccd"), ("001090123456", "2090-05-01", "nam", "cccd"),
        ("001091123456", "1990-05-01", "nam", "cccd"), ("001099123456", "1899-12-31", "nam", "cccd"),
        ("001405123456", "2005-01-01", "nam", "cccd"),
        // A sex digit that contradicts the record.
        ("001190123456", "1990-05-01", "nam", "cccd"), ("079085000321", "1985-12-31", "nữ", "cccd"),
        ("036305004512", "2005-01-15", "nam", "cccd"), ("096500000001", "2100-01-01", "nam", "cccd"),
    ] as [(String, String, String, String?)])
    func number(_ number: String, birthDate: String, sex: String, broken: String?) throws {
        let data = JSONValue.object(["so_dinh_danh": .string(number), "ngay_sinh": .string(birthDate), "gioi_tinh": .string(sex)])
        #expect(try schema(Self.checked).validate(data)?.rule == broken)
    }

    /// Without the cross-check, only the number itself is checked; without the fields, their part is skipped.
    @Test func crossCheckIsOptional() throws {
        let plain = try oneField(#""type": "string", "format": "cccd""#)
        #expect(plain.validate(.object(["f": .string("001290123456")])) == nil)
        #expect(plain.validate(.object(["f": .string("003290123456")]))?.rule == "format")
        #expect(try schema(Self.checked).validate(.object(["so_dinh_danh": .string("001290123456")])) == nil)
    }

    @Test func crossCheckNamesFieldsOfTheRightType() throws {
        #expect(throws: SchemaError.self) {
            try schema(#"{"fields": {"s": {"type": "string", "format": "cccd", "cccd": {"birth_date": "missing"}}}}"#)
        }
        #expect(throws: SchemaError.self) {
            try schema(#"{"fields": {"s": {"type": "string", "format": "cccd", "cccd": {"sex": "n"}}, "n": {"type": "integer"}}}"#)
        }
    }
}

@Suite("Schema declarations that are refused")
struct SchemaDeclarationTests {
    @Test(arguments: [
        (#"{"fields": {"f": {"type": "text"}}}"#, "fields.f.type"),
        (#"{"fields": {"f": {"type": "string", "minimum": 1}}}"#, "fields.f.minimum"),
        (#"{"fields": {"f": {"type": "integer", "minimum": 5, "maximum": 1}}}"#, "fields.f.minimum"),
        (#"{"fields": {"f": {"type": "string", "min_length": -1}}}"#, "fields.f.min_length"),
        (#"{"fields": {"f": {"type": "string", "pattern": "(a"}}}"#, "fields.f.pattern"),
        (#"{"fields": {"f": {"type": "string", "format": "cmnd"}}}"#, "fields.f.format"),
        (#"{"fields": {"f": {"type": "string", "cccd": {}}}}"#, "fields.f.cccd"),
        (#"{"fields": {"f": {"type": "string", "enum": ["a", "a"]}}}"#, "fields.f.enum[1]"),
        (#"{"fields": {"f": {"type": "integer", "enum": ["a"]}}}"#, "fields.f.enum[0]"),
        (#"{"fields": {"f": {"type": "string", "required": "yes"}}}"#, "fields.f.required"),
        (#"{"fields": {"f g": {"type": "string"}}}"#, "fields.f g"),
        (#"{"fields": {"f": {"type": "array"}}}"#, "fields.f.items"),
        (#"{"fields": {"f": {"type": "array", "items": {"type": "string", "required": true}}}}"#, "fields.f.items.required"),
        (#"{"fields": {}, "additional": "ignore"}"#, "additional"),
        (#"{"fields": {}, "version": 2}"#, "version"),
        (#"{"field": {}}"#, "field"),
    ])
    func refused(declaration: String, path: String) throws {
        let error = #expect(throws: SchemaError.self) { try schema(declaration) }
        #expect(error?.path == path)
    }

    /// Fields in all, values of one enum: accepted at the limit, refused one past it.
    @Test(arguments: [DatasetSchema.maximumFields, DatasetSchema.maximumFields + 1])
    func fieldsAreBounded(count: Int) throws {
        let fields = (0..<count).map { #""f\#($0)": {"type": "boolean"}"# }.joined(separator: ", ")
        let read = Result { try schema(#"{"fields": {\#(fields)}}"#) }
        #expect(((try? read.get()) != nil) == (count <= DatasetSchema.maximumFields))
    }

    @Test(arguments: [DatasetSchema.maximumEnumValues, DatasetSchema.maximumEnumValues + 1])
    func enumIsBounded(count: Int) throws {
        let values = (0..<count).map(String.init).joined(separator: ", ")
        let read = Result { try oneField(#""type": "integer", "enum": [\#(values)]"#) }
        #expect(((try? read.get()) != nil) == (count <= DatasetSchema.maximumEnumValues))
    }

    /// Objects nested to the limit (the record counts as the first level) are accepted, one more is refused.
    @Test(arguments: [DatasetSchema.maximumDepth, DatasetSchema.maximumDepth + 1])
    func depthAtTheLimit(depth: Int) throws {
        var declaration = #"{"type": "integer"}"#
        for _ in 1..<depth { declaration = #"{"type": "object", "fields": {"a": \#(declaration)}}"# }
        let read = Result { try schema(#"{"fields": {"a": \#(declaration)}}"#) }
        #expect(((try? read.get()) != nil) == (depth <= DatasetSchema.maximumDepth))
    }

    @Test func nestingIsBounded() throws {
        var declaration = #"{"type": "integer"}"#
        for _ in 0..<8 { declaration = #"{"type": "object", "fields": {"a": \#(declaration)}}"# }
        let error = #expect(throws: SchemaError.self) { try schema(#"{"fields": {"a": \#(declaration)}}"#) }
        #expect(error?.problem.contains("nest") == true)
    }
}
