/// A JSON value (RFC 8259) as lienthong reads and writes it.
///
/// Numbers keep their exact text so that nothing an agency wrote is rounded on the way through.
/// Objects cannot hold a member name twice: the parser refuses duplicates (RFC 7493 §2.3), because two
/// readers that pick different duplicates would see different documents under one signature. Names that
/// are canonically equivalent Unicode (a precomposed and a decomposed "é") count as the same name: they
/// look the same to a person, so lienthong refuses them too, stricter than RFC 7493's code-point rule.
///
/// Two values are equal exactly when they serialize to the same bytes: strings and numbers compare by
/// their UTF-8, not by Swift's canonical equivalence.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    /// The number's text exactly as written, checked against the JSON grammar.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// A number from an integer.
    public static func integer(_ value: some BinaryInteger) -> JSONValue { .number(String(value)) }

    /// The member named `key`, when this is an object that has one.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { members } else { nil }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { elements } else { nil }
    }

    public var stringValue: String? {
        if case .string(let text) = self { text } else { nil }
    }

    public var boolValue: Bool? {
        if case .bool(let flag) = self { flag } else { nil }
    }

    /// How many arrays and objects are nested here, counting this one: 0 for a scalar, 1 for `{}` or `[1]`,
    /// 2 for `{"a":[]}`. The parser's `maximumDepth` counts the same way.
    public var nestingDepth: Int {
        switch self {
        case .null, .bool, .number, .string: 0
        case .array(let elements): 1 + (elements.lazy.map(\.nestingDepth).max() ?? 0)
        case .object(let members): 1 + (members.values.lazy.map(\.nestingDepth).max() ?? 0)
        }
    }

    /// The number as a 64-bit integer, when it is written as one (no fraction, no exponent) and fits.
    public var int64Value: Int64? {
        if case .number(let text) = self { Int64(text) } else { nil }
    }

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let left), .bool(let right)): left == right
        case (.number(let left), .number(let right)), (.string(let left), .string(let right)): left.utf8.elementsEqual(right.utf8)
        case (.array(let left), .array(let right)): left == right
        case (.object(let left), .object(let right)):
            left.count == right.count
                && left.allSatisfy { name, value in
                    guard let index = right.index(forKey: name) else { return false }
                    let (rightName, rightValue) = right[index]
                    return name.utf8.elementsEqual(rightName.utf8) && value == rightValue
                }
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let flag): hasher.combine(flag)
        case .number(let text), .string(let text): text.utf8.forEach { hasher.combine($0) }
        case .array(let elements): hasher.combine(elements)
        case .object(let members):
            // Members have no order: combine their hashes with an order-independent sum.
            var sum = 0
            for (name, value) in members {
                var memberHasher = Hasher()
                name.utf8.forEach { memberHasher.combine($0) }
                memberHasher.combine(value)
                sum &+= memberHasher.finalize()
            }
            hasher.combine(members.count)
            hasher.combine(sum)
        }
    }

    /// A short name of the value's kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

extension JSONValue {
    /// Parses exactly one JSON value from UTF-8 bytes, strictly: no byte order mark, no trailing
    /// content, no duplicate member names, no lone surrogates, at most `maximumDepth` levels of nesting.
    public init(parsing bytes: some Collection<UInt8>, maximumDepth: Int = JSONValue.defaultMaximumDepth) throws(JSONError) {
        self = try JSONParser.parse(Array(bytes), maximumDepth: maximumDepth)
    }

    /// Parses exactly one JSON value from text; see ``init(parsing:maximumDepth:)``.
    public init(parsing text: String, maximumDepth: Int = JSONValue.defaultMaximumDepth) throws(JSONError) {
        try self.init(parsing: text.utf8, maximumDepth: maximumDepth)
    }

    /// Deep enough for any record an agency shares, shallow enough that hostile input cannot exhaust the stack.
    public static let defaultMaximumDepth = 64
}
