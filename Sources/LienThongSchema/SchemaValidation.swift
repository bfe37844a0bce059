public import LienThongCore

/// A record that breaks its dataset's schema: where, which rule, and the shape of the value found — never the
/// value itself, which may be personal data.
public struct SchemaViolation: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field's path in the record's data: `ho_ten`, `dia_chi.tinh`, `mui_tiem[2].ngay` (items from 0).
    /// Names of undeclared members are escaped for a terminal and cut to 64 characters.
    public let path: String
    /// The rule as the declaration names it: `type`, `required`, `nullable`, `enum`, `minimum`, `maximum`,
    /// `min_length`, `max_length`, `pattern`, `format`, `cccd`, `additional`, `min_items`, `max_items`.
    public let rule: String
    /// What the rule wanted, in a few words (`date`, `cccd: province code`), without the value.
    public let expected: String
    /// The shape of the value found: its kind and size (`a string of 11 characters: digits`).
    public let shape: String

    public var description: String { "field \(path) breaks \(rule) (\(expected)): found \(shape)" }
}

extension DatasetSchema {
    /// Checks a record's `data` against the schema; the first violation in a fixed order (fields by name,
    /// depth first, then undeclared members), or nil when the data keeps every rule.
    public func validate(_ data: JSONValue) -> SchemaViolation? {
        guard let members = data.objectValue else {
            return SchemaViolation(path: "(data)", rule: "type", expected: "object", shape: ValueShape.describe(data))
        }
        guard var failure = root.check(members) else { return nil }
        return failure.violation()
    }
}

/// A violation found deep in a record, its path collected on the way back up.
struct SchemaFailure {
    var reversedPath: [String]
    let rule: String
    let expected: String
    let shape: String

    init(_ name: String, rule: String, expected: String, found value: JSONValue?) {
        reversedPath = [name]
        self.rule = rule
        self.expected = expected
        shape = value.map(ValueShape.describe) ?? "no such member"
    }

    mutating func violation() -> SchemaViolation {
        var path = ""
        for component in reversedPath.reversed() {
            if !path.isEmpty, !component.hasPrefix("[") { path += "." }
            path += component
        }
        return SchemaViolation(path: path, rule: rule, expected: expected, shape: shape)
    }
}

extension ObjectShape {
    func check(_ members: [String: JSONValue]) -> SchemaFailure? {
        var declaredPresent = 0
        for field in orderedFields {
            // Swift's dictionaries match canonically equivalent keys (the Kelvin sign K for K): a member counts as
            // the field only when its name has the field's exact bytes.
            guard let index = members.index(forKey: field.name), case let (name, value) = members[index], name.utf8.elementsEqual(field.name.utf8)
            else {
                if field.rules.required { return SchemaFailure(field.name, rule: "required", expected: "present", found: nil) }
                continue
            }
            declaredPresent += 1
            if var failure = field.rules.check(value, in: members) {
                failure.reversedPath.append(field.name)
                return failure
            }
        }
        // Members beyond the declared ones present: only then are they looked for.
        if !allowsAdditional, members.count > declaredPresent {
            let undeclared = members.keys.filter { !isDeclared($0) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            if let name = undeclared.first {
                return SchemaFailure(String(name.terminalSafe.prefix(64)), rule: "additional", expected: "declared fields only", found: members[name])
            }
        }
        return nil
    }

    /// Whether `name`, byte for byte, is a declared field.
    private func isDeclared(_ name: String) -> Bool {
        guard let index = fields.index(forKey: name) else { return false }
        return fields[index].key.utf8.elementsEqual(name.utf8)
    }
}

extension FieldRules {
    /// Checks one value; the failure's path is left for the caller to complete (empty, or the part below).
    func check(_ value: JSONValue, in siblings: [String: JSONValue]) -> SchemaFailure? {
        if case .null = value {
            return nullable ? nil : Self.failure(rule: "nullable", expected: "not null", value)
        }
        switch type {
        case .string(let rules):
            guard case .string(let text) = value else { return Self.failure(rule: "type", expected: "string", value) }
            return rules.check(text, value: value, siblings: siblings)
        case .integer(let minimum, let maximum, let allowed):
            guard case .number(let text) = value, let number = Int64(text) else { return Self.failure(rule: "type", expected: "integer", value) }
            if let minimum, number < minimum { return Self.failure(rule: "minimum", expected: "at least \(minimum)", value) }
            if let maximum, number > maximum { return Self.failure(rule: "maximum", expected: "at most \(maximum)", value) }
            if let allowed, !allowed.contains(number) { return Self.failure(rule: "enum", expected: "one of \(allowed.count) values", value) }
        case .number(let minimum, let maximum, let allowed):
            guard let number = value.finiteNumber else { return Self.failure(rule: "type", expected: "number", value) }
            if let minimum, number < minimum { return Self.failure(rule: "minimum", expected: "at least \(minimum.jsonText)", value) }
            if let maximum, number > maximum { return Self.failure(rule: "maximum", expected: "at most \(maximum.jsonText)", value) }
            if let allowed, !allowed.contains(number) { return Self.failure(rule: "enum", expected: "one of \(allowed.count) values", value) }
        case .boolean:
            guard case .bool = value else { return Self.failure(rule: "type", expected: "boolean", value) }
        case .date:
            guard case .string(let text) = value, CalendarText.date(text) != nil else {
                return Self.failure(rule: "type", expected: "date YYYY-MM-DD", value)
            }
        case .datetime:
            guard case .string(let text) = value, CalendarText.isDateTime(text) else {
                return Self.failure(rule: "type", expected: "datetime RFC 3339 with offset", value)
            }
        case .object(let shape):
            guard case .object(let members) = value else { return Self.failure(rule: "type", expected: "object", value) }
            return shape.check(members)
        case .array(let items, let minimumItems, let maximumItems):
            guard case .array(let elements) = value else { return Self.failure(rule: "type", expected: "array", value) }
            if let minimumItems, elements.count < minimumItems { return Self.failure(rule: "min_items", expected: "at least \(minimumItems) items", value) }
            if let maximumItems, elements.count > maximumItems { return Self.failure(rule: "max_items", expected: "at most \(maximumItems) items", value) }
            for (index, element) in elements.enumerated() {
                if var failure = items.check(element, in: [:]) {
                    failure.reversedPath.append("[\(index)]")
                    return failure
                }
            }
        }
        return nil
    }

    /// A failure of this value itself: its path is the field's, which the caller adds.
    static func failure(rule: String, expected: String, _ value: JSONValue) -> SchemaFailure {
        var failure = SchemaFailure("", rule: rule, expected: expected, found: value)
        failure.reversedPath = []
        return failure
    }
}

extension StringRules {
    /// The longest value matched against a `pattern`; a longer one breaks the rule.
    public static let maximumPatternInput = 10_000

    func check(_ text: String, value: JSONValue, siblings: [String: JSONValue]) -> SchemaFailure? {
        if minimumLength == nil, maximumLength == nil, allowed == nil, pattern == nil, format == nil { return nil }
        let normalized = NormalizedText.nfc(text)
        if minimumLength != nil || maximumLength != nil {
            let length = normalized.unicodeScalars.count
            if let minimumLength, length < minimumLength {
                return FieldRules.failure(rule: "min_length", expected: "at least \(minimumLength) characters", value)
            }
            if let maximumLength, length > maximumLength {
                return FieldRules.failure(rule: "max_length", expected: "at most \(maximumLength) characters", value)
            }
        }
        if let allowed, !allowed.contains(normalized) { return FieldRules.failure(rule: "enum", expected: "one of \(allowed.count) values", value) }
        if let pattern {
            // The work of a match grows with the pattern (ours) times the value (a peer's): the value is bounded.
            guard normalized.unicodeScalars.count <= Self.maximumPatternInput else {
                return FieldRules.failure(rule: "pattern", expected: "at most \(Self.maximumPatternInput) characters to match", value)
            }
            if !pattern.matches(normalized) { return FieldRules.failure(rule: "pattern", expected: "the field's pattern", value) }
        }
        switch format {
        case nil: return nil
        case .phoneVN:
            return PhoneNumberVN.isValid(normalized) ? nil : FieldRules.failure(rule: "format", expected: "phone-vn", value)
        case .email:
            return EmailAddress.isValid(normalized) ? nil : FieldRules.failure(rule: "format", expected: "email", value)
        case .cccd(let crossCheck):
            guard let number = CitizenID(normalized) else {
                return FieldRules.failure(rule: "format", expected: CitizenID.problem(normalized), value)
            }
            guard let crossCheck else { return nil }
            if let field = crossCheck.birthDateField, let birth = siblings[field]?.stringValue.flatMap(CalendarText.date),
                !number.agrees(withBirthYear: birth.year)
            {
                return FieldRules.failure(rule: "cccd", expected: "digits 4-6 agree with \(field)", value)
            }
            if let field = crossCheck.sexField, let sex = siblings[field]?.stringValue.map(NormalizedText.nfc) {
                let female: Bool? = sex == crossCheck.male ? false : sex == crossCheck.female ? true : nil
                if let female, number.isFemale != female {
                    return FieldRules.failure(rule: "cccd", expected: "digit 4 agrees with \(field)", value)
                }
            }
            return nil
        }
    }
}

/// The shape of a value, for messages that must not show the value: its kind and size, and for text which
/// kinds of characters it holds.
enum ValueShape {
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number(let text):
            return Int64(text) != nil ? "an integer" : "a number"
        case .string(let text):
            let scalars = NormalizedText.nfc(text).unicodeScalars
            var kinds: [String] = []
            if scalars.contains(where: { ("0"..."9").contains($0) }) { kinds.append("digits") }
            if scalars.contains(where: { $0.properties.isAlphabetic }) { kinds.append("letters") }
            if scalars.contains(where: { $0.properties.isWhitespace }) { kinds.append("spaces") }
            if scalars.contains(where: { !("0"..."9").contains($0) && !$0.properties.isAlphabetic && !$0.properties.isWhitespace }) {
                kinds.append("other characters")
            }
            let count = scalars.count
            return "a string of \(count) character\(count == 1 ? "" : "s")" + (kinds.isEmpty ? "" : ": " + kinds.joined(separator: ", "))
        case .array(let elements): return "an array of \(elements.count) item\(elements.count == 1 ? "" : "s")"
        case .object(let members): return "an object of \(members.count) member\(members.count == 1 ? "" : "s")"
        }
    }
}
