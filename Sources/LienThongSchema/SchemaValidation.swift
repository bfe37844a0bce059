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

    /// A failure of the value itself, whose path the callers add on the way back up.
    init(rule: String, expected: String, found value: JSONValue?) {
        reversedPath = []
        self.rule = rule
        self.expected = expected
        shape = value.map(ValueShape.describe) ?? "no such member"
    }

    /// A failure of the member `name` of an object.
    init(_ name: String, rule: String, expected: String, found value: JSONValue?) {
        self.init(rule: rule, expected: expected, found: value)
        reversedPath = [name]
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
            return nullable ? nil : SchemaFailure(rule: "nullable", expected: "not null", found: value)
        }
        switch type {
        case .string(let rules):
            guard case .string(let text) = value else { return SchemaFailure(rule: "type", expected: "string", found: value) }
            return rules.check(text, value: value, siblings: siblings)
        case .integer(let minimum, let maximum, let allowed):
            guard case .number(let text) = value, let number = Int64(text) else { return SchemaFailure(rule: "type", expected: "integer", found: value) }
            if let minimum, number < minimum { return SchemaFailure(rule: "minimum", expected: "at least \(minimum)", found: value) }
            if let maximum, number > maximum { return SchemaFailure(rule: "maximum", expected: "at most \(maximum)", found: value) }
            if let allowed, !allowed.contains(number) { return SchemaFailure(rule: "enum", expected: "one of \(allowed.count) values", found: value) }
        case .number(let minimum, let maximum, let allowed):
            guard let number = value.finiteNumber else { return SchemaFailure(rule: "type", expected: "number", found: value) }
            if let minimum, number < minimum { return SchemaFailure(rule: "minimum", expected: "at least \(minimum.jsonText)", found: value) }
            if let maximum, number > maximum { return SchemaFailure(rule: "maximum", expected: "at most \(maximum.jsonText)", found: value) }
            if let allowed, !allowed.contains(number) { return SchemaFailure(rule: "enum", expected: "one of \(allowed.count) values", found: value) }
        case .boolean:
            guard case .bool = value else { return SchemaFailure(rule: "type", expected: "boolean", found: value) }
        case .date:
            guard case .string(let text) = value, CalendarText.date(text) != nil else {
                return SchemaFailure(rule: "type", expected: "date YYYY-MM-DD", found: value)
            }
        case .datetime:
            guard case .string(let text) = value, CalendarText.isDateTime(text) else {
                return SchemaFailure(rule: "type", expected: "datetime RFC 3339 with offset", found: value)
            }
        case .object(let shape):
            guard case .object(let members) = value else { return SchemaFailure(rule: "type", expected: "object", found: value) }
            return shape.check(members)
        case .array(let items, let minimumItems, let maximumItems):
            guard case .array(let elements) = value else { return SchemaFailure(rule: "type", expected: "array", found: value) }
            if let minimumItems, elements.count < minimumItems { return SchemaFailure(rule: "min_items", expected: "at least \(minimumItems) items", found: value) }
            if let maximumItems, elements.count > maximumItems { return SchemaFailure(rule: "max_items", expected: "at most \(maximumItems) items", found: value) }
            for (index, element) in elements.enumerated() {
                if var failure = items.check(element, in: [:]) {
                    failure.reversedPath.append("[\(index)]")
                    return failure
                }
            }
        }
        return nil
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
                return SchemaFailure(rule: "min_length", expected: "at least \(minimumLength) characters", found: value)
            }
            if let maximumLength, length > maximumLength {
                return SchemaFailure(rule: "max_length", expected: "at most \(maximumLength) characters", found: value)
            }
        }
        if let allowed, !allowed.contains(normalized) { return SchemaFailure(rule: "enum", expected: "one of \(allowed.count) values", found: value) }
        if let pattern {
            // The work of a match grows with the pattern (ours) times the value (a peer's): the value is bounded.
            guard normalized.unicodeScalars.count <= Self.maximumPatternInput else {
                return SchemaFailure(rule: "pattern", expected: "at most \(Self.maximumPatternInput) characters to match", found: value)
            }
            if !pattern.matches(normalized) { return SchemaFailure(rule: "pattern", expected: "the field's pattern", found: value) }
        }
        switch format {
        case nil: return nil
        case .phoneVN:
            return PhoneNumberVN.isValid(normalized) ? nil : SchemaFailure(rule: "format", expected: "phone-vn", found: value)
        case .email:
            return EmailAddress.isValid(normalized) ? nil : SchemaFailure(rule: "format", expected: "email", found: value)
        case .cccd(let crossCheck):
            guard let number = CitizenID(normalized) else {
                return SchemaFailure(rule: "format", expected: CitizenID.problem(normalized), found: value)
            }
            guard let crossCheck else { return nil }
            if let field = crossCheck.birthDateField, let birth = siblings[field]?.stringValue.flatMap(CalendarText.date),
                !number.agrees(withBirthYear: birth.year)
            {
                return SchemaFailure(rule: "cccd", expected: "digits 4-6 agree with \(field)", found: value)
            }
            if let field = crossCheck.sexField, let sex = siblings[field]?.stringValue.map(NormalizedText.nfc) {
                let female: Bool? = sex == crossCheck.male ? false : sex == crossCheck.female ? true : nil
                if let female, number.isFemale != female {
                    return SchemaFailure(rule: "cccd", expected: "digit 4 agrees with \(field)", found: value)
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
