import Foundation
import LienThongCore

/// Reading a declaration (docs/SCHEMA.md, "Grammar") and writing its normalized form.
extension ObjectShape {
    init(reading value: JSONValue, at path: String, allowedKeys: Set<String>, depth: Int, budget: inout DeclarationBudget) throws(SchemaError) {
        let members = try DeclarationReader.members(of: value, at: path, allowed: allowedKeys)
        guard depth <= DatasetSchema.maximumDepth else {
            throw SchemaError(path: path, problem: "objects and arrays nest more than \(DatasetSchema.maximumDepth) deep")
        }
        guard let fieldsValue = members["fields"], let declared = fieldsValue.objectValue else {
            throw SchemaError(path: DeclarationReader.join(path, "fields"), problem: "expected a mapping of field names to their rules")
        }
        var fields: [String: FieldRules] = [:]
        for (name, rules) in declared {
            let fieldPath = DeclarationReader.join(path, "fields", name)
            guard Self.isFieldName(name) else {
                throw SchemaError(path: fieldPath, problem: "a field name is 1 to 64 of A-Z a-z 0-9 _ -")
            }
            budget.fields += 1
            guard budget.fields <= DatasetSchema.maximumFields else {
                throw SchemaError(path: fieldPath, problem: "a schema declares at most \(DatasetSchema.maximumFields) fields")
            }
            fields[name] = try FieldRules(reading: rules, at: fieldPath, isItem: false, depth: depth, budget: &budget)
        }
        switch members["additional"] {
        case nil, .string("refuse"): allowsAdditional = false
        case .string("allow"): allowsAdditional = true
        default: throw SchemaError(path: DeclarationReader.join(path, "additional"), problem: "expected refuse or allow")
        }
        self.fields = fields
        orderedFields = fields.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { NamedField(name: $0.key, rules: $0.value) }
        for field in orderedFields {
            guard case .string(let rules) = field.rules.type, case .cccd(let crossCheck?) = rules.format else { continue }
            try checkCrossCheckFields(crossCheck, at: DeclarationReader.join(path, "fields", field.name, "cccd"))
        }
    }

    /// The fields a CCCD cross-check names must be declared beside it with the right types.
    private func checkCrossCheckFields(_ crossCheck: CitizenIDCrossCheck, at path: String) throws(SchemaError) {
        if let birthDate = crossCheck.birthDateField {
            guard case .date = fields[birthDate]?.type else {
                throw SchemaError(path: "\(path).birth_date", problem: "names \(birthDate), which is not a date field of the same object")
            }
        }
        if let sex = crossCheck.sexField {
            guard case .string = fields[sex]?.type else {
                throw SchemaError(path: "\(path).sex", problem: "names \(sex), which is not a string field of the same object")
            }
        }
    }

    static func isFieldName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                case UInt8(ascii: "_"), UInt8(ascii: "-"): true
                default: false
                }
            }
    }

    var normalizedDeclaration: JSONValue {
        .object([
            "additional": .string(allowsAdditional ? "allow" : "refuse"),
            "fields": .object(fields.mapValues(\.normalizedDeclaration)),
        ])
    }

    func personalDataPaths(prefix: String) -> [String] {
        orderedFields.flatMap { field in field.rules.personalDataPaths(path: prefix.isEmpty ? field.name : "\(prefix).\(field.name)") }
    }
}

extension FieldRules {
    init(reading value: JSONValue, at path: String, isItem: Bool, depth: Int, budget: inout DeclarationBudget) throws(SchemaError) {
        let common: Set<String> = isItem ? ["type", "nullable", "pii", "description"] : ["type", "required", "nullable", "pii", "description"]
        let typeName = try DeclarationReader.members(of: value, at: path, allowed: nil)["type"]
        let specific: Set<String> =
            switch typeName?.stringValue {
            case "string": ["min_length", "max_length", "enum", "pattern", "format", "cccd"]
            case "integer", "number": ["minimum", "maximum", "enum"]
            case "object": ["fields", "additional"]
            case "array": ["items", "min_items", "max_items"]
            case "boolean", "date", "datetime": []
            default:
                throw SchemaError(
                    path: DeclarationReader.join(path, "type"),
                    problem: "expected one of string, integer, number, boolean, date, datetime, object, array"
                )
            }
        let members = try DeclarationReader.members(of: value, at: path, allowed: common.union(specific))
        var reader = DeclarationReader(members: members, path: path)
        required = try reader.flag("required")
        nullable = try reader.flag("nullable")
        pii = try reader.flag("pii")
        summary = try reader.text("description", maximumScalars: 1000)
        switch typeName?.stringValue {
        case "string": type = .string(try StringRules(reading: &reader))
        case "integer":
            let minimum = try reader.integer("minimum")
            let maximum = try reader.integer("maximum")
            if let minimum, let maximum, minimum > maximum { throw reader.error("minimum", "is above maximum") }
            type = .integer(minimum: minimum, maximum: maximum, allowed: try reader.values("enum") { $0.int64Value }.map(Set.init))
        case "number":
            let minimum = try reader.number("minimum")
            let maximum = try reader.number("maximum")
            if let minimum, let maximum, minimum > maximum { throw reader.error("minimum", "is above maximum") }
            type = .number(minimum: minimum, maximum: maximum, allowed: try reader.values("enum") { $0.finiteNumber }.map(Set.init))
        case "boolean": type = .boolean
        case "date": type = .date
        case "datetime": type = .datetime
        case "object":
            type = .object(try ObjectShape(reading: value, at: path, allowedKeys: Set(members.keys), depth: depth + 1, budget: &budget))
        default:
            guard depth + 1 <= DatasetSchema.maximumDepth else {
                throw SchemaError(path: path, problem: "objects and arrays nest more than \(DatasetSchema.maximumDepth) deep")
            }
            guard let itemsValue = members["items"] else { throw reader.error("items", "an array declares the rules of its items") }
            let items = try FieldRules(reading: itemsValue, at: DeclarationReader.join(path, "items"), isItem: true, depth: depth + 1, budget: &budget)
            let minimumItems = try reader.count("min_items")
            let maximumItems = try reader.count("max_items")
            if let minimumItems, let maximumItems, minimumItems > maximumItems { throw reader.error("min_items", "is above max_items") }
            type = .array(items: items, minimumItems: minimumItems, maximumItems: maximumItems)
        }
    }

    var normalizedDeclaration: JSONValue {
        var members: [String: JSONValue] = ["type": .string(type.name)]
        if required { members["required"] = .bool(true) }
        if nullable { members["nullable"] = .bool(true) }
        if pii { members["pii"] = .bool(true) }
        if let summary { members["description"] = .string(summary) }
        switch type {
        case .string(let rules): rules.normalizedMembers(into: &members)
        case .integer(let minimum, let maximum, let allowed):
            if let minimum { members["minimum"] = .integer(minimum) }
            if let maximum { members["maximum"] = .integer(maximum) }
            if let allowed { members["enum"] = .array(allowed.sorted().map { .integer($0) }) }
        case .number(let minimum, let maximum, let allowed):
            if let minimum { members["minimum"] = .number(minimum.jsonText) }
            if let maximum { members["maximum"] = .number(maximum.jsonText) }
            if let allowed { members["enum"] = .array(allowed.sorted().map { .number($0.jsonText) }) }
        case .boolean, .date, .datetime: break
        case .object(let shape):
            members.merge(shape.normalizedDeclaration.objectValue ?? [:]) { _, new in new }
        case .array(let items, let minimumItems, let maximumItems):
            members["items"] = items.normalizedDeclaration
            if let minimumItems { members["min_items"] = .integer(minimumItems) }
            if let maximumItems { members["max_items"] = .integer(maximumItems) }
        }
        return .object(members)
    }

    func personalDataPaths(path: String) -> [String] {
        if pii { return [path] }
        switch type {
        case .object(let shape): return shape.personalDataPaths(prefix: path)
        case .array(let items, _, _): return items.personalDataPaths(path: "\(path)[]")
        default: return []
        }
    }
}

extension StringRules {
    init(reading reader: inout DeclarationReader) throws(SchemaError) {
        minimumLength = try reader.count("min_length")
        maximumLength = try reader.count("max_length")
        if let minimumLength, let maximumLength, minimumLength > maximumLength { throw reader.error("min_length", "is above max_length") }
        allowed = try reader.values("enum") { value in value.stringValue.map(NormalizedText.nfc) }.map(Set.init)
        if let source = try reader.text("pattern", maximumScalars: LinearPattern.maximumSourceScalars) {
            do {
                pattern = try LinearPattern(NormalizedText.nfc(source))
            } catch {
                throw reader.error("pattern", "\(error)")
            }
        } else {
            pattern = nil
        }
        let crossCheck = try reader.crossCheck()
        switch try reader.text("format", maximumScalars: 20) {
        case nil:
            if crossCheck != nil { throw reader.error("cccd", "only a field of format cccd has a cccd cross-check") }
            format = nil
        case "cccd": format = .cccd(crossCheck)
        case let name?:
            if crossCheck != nil { throw reader.error("cccd", "only a field of format cccd has a cccd cross-check") }
            switch name {
            case "phone-vn": format = .phoneVN
            case "email": format = .email
            default: throw reader.error("format", "expected cccd, phone-vn or email")
            }
        }
    }

    func normalizedMembers(into members: inout [String: JSONValue]) {
        if let minimumLength { members["min_length"] = .integer(minimumLength) }
        if let maximumLength { members["max_length"] = .integer(maximumLength) }
        if let allowed { members["enum"] = .array(allowed.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map(JSONValue.string)) }
        if let pattern { members["pattern"] = .string(pattern.source) }
        if let format {
            members["format"] = .string(format.name)
            if case .cccd(let crossCheck?) = format {
                var check: [String: JSONValue] = ["male": .string(crossCheck.male), "female": .string(crossCheck.female)]
                if let field = crossCheck.birthDateField { check["birth_date"] = .string(field) }
                if let field = crossCheck.sexField { check["sex"] = .string(field) }
                members["cccd"] = .object(check)
            }
        }
    }
}

/// The members of one mapping of a declaration, read with the path for every error.
struct DeclarationReader {
    let members: [String: JSONValue]
    let path: String

    static func join(_ parts: String...) -> String { parts.filter { !$0.isEmpty }.joined(separator: ".") }

    static func members(of value: JSONValue, at path: String, allowed: Set<String>?) throws(SchemaError) -> [String: JSONValue] {
        guard let members = value.objectValue else { throw SchemaError(path: path, problem: "expected a mapping") }
        if let allowed, let unknown = members.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw SchemaError(path: join(path, unknown.terminalSafe), problem: "unknown key here")
        }
        return members
    }

    func error(_ key: String, _ problem: String) -> SchemaError { SchemaError(path: Self.join(path, key), problem: problem) }

    func flag(_ key: String) throws(SchemaError) -> Bool {
        guard let value = members[key] else { return false }
        guard let flag = value.boolValue else { throw error(key, "expected true or false") }
        return flag
    }

    func text(_ key: String, maximumScalars: Int) throws(SchemaError) -> String? {
        guard let value = members[key] else { return nil }
        guard let text = value.stringValue, (1...maximumScalars).contains(text.unicodeScalars.count) else {
            throw error(key, "expected a text of 1 to \(maximumScalars) characters")
        }
        return text
    }

    func integer(_ key: String) throws(SchemaError) -> Int64? {
        guard let value = members[key] else { return nil }
        guard let integer = value.int64Value else { throw error(key, "expected a whole number") }
        return integer
    }

    func number(_ key: String) throws(SchemaError) -> Double? {
        guard let value = members[key] else { return nil }
        guard let number = value.finiteNumber else { throw error(key, "expected a number") }
        return number
    }

    /// A count such as `max_length`: a whole number from 0 to a million.
    func count(_ key: String) throws(SchemaError) -> Int? {
        guard let value = members[key] else { return nil }
        guard let count = value.int64Value, (0...1_000_000).contains(count) else { throw error(key, "expected a whole number from 0 to 1000000") }
        return Int(count)
    }

    /// An `enum`: 1 to ``DatasetSchema/maximumEnumValues`` distinct values, each read by `read`.
    func values<Value: Hashable>(_ key: String, _ read: (JSONValue) -> Value?) throws(SchemaError) -> [Value]? {
        guard let value = members[key] else { return nil }
        guard let items = value.arrayValue, (1...DatasetSchema.maximumEnumValues).contains(items.count) else {
            throw error(key, "expected a list of 1 to \(DatasetSchema.maximumEnumValues) values")
        }
        var result: [Value] = []
        var seen: Set<Value> = []
        for (index, item) in items.enumerated() {
            guard let read = read(item) else { throw error("\(key)[\(index)]", "is not a value of the field's type") }
            guard seen.insert(read).inserted else { throw error("\(key)[\(index)]", "is listed twice") }
            result.append(read)
        }
        return result
    }

    /// `cccd: {birth_date: F, sex: G, male: M, female: N}`, every member optional (`male` "nam", `female` "nữ").
    func crossCheck() throws(SchemaError) -> CitizenIDCrossCheck? {
        guard let value = members["cccd"] else { return nil }
        let checkPath = Self.join(path, "cccd")
        let check = DeclarationReader(members: try Self.members(of: value, at: checkPath, allowed: ["birth_date", "sex", "male", "female"]), path: checkPath)
        let male = NormalizedText.nfc(try check.text("male", maximumScalars: 64) ?? "nam")
        let female = NormalizedText.nfc(try check.text("female", maximumScalars: 64) ?? "nữ")
        guard male != female else { throw check.error("female", "is the same as male") }
        return CitizenIDCrossCheck(
            birthDateField: try check.text("birth_date", maximumScalars: 64), sexField: try check.text("sex", maximumScalars: 64), male: male,
            female: female
        )
    }
}

extension JSONValue {
    /// The number as a finite Double, when this is a number.
    var finiteNumber: Double? {
        guard case .number(let text) = self, let value = Double(text), value.isFinite else { return nil }
        return value
    }
}

extension Double {
    /// The shortest text that reads back as this value, as JSON writes a number (`1`, not `1.0`).
    var jsonText: String {
        if self == rounded(), abs(self) < 1e15 { return String(Int64(self)) }
        return "\(self)"
    }
}

/// Text in Unicode Normalization Form C, the form lengths, enums and patterns are checked in.
enum NormalizedText {
    static func nfc(_ text: String) -> String {
        // Most values are already NFC, and the Foundation call is not free: text made only of scalars that
        // are NFC in any context is returned as it is.
        if text.unicodeScalars.allSatisfy(isStableInNFC) { return text }
        return text.precomposedStringWithCanonicalMapping
    }

    /// Whether `scalar` is one of the scalars that Unicode's NFC quick check answers Yes for with combining
    /// class 0, among those Vietnamese is written with: ASCII, Latin-1, Latin Extended-A and -B (U+0000–U+024F:
    /// `à`, `ă`, `đ`, `ơ`, `ư`…) and the Vietnamese letters of Latin Extended Additional (U+1EA0–U+1EF9: `ạ`,
    /// `ễ`, `ự`…). A text of such scalars only is its own NFC; any other scalar (a combining mark, say) sends
    /// the text to the full normalization.
    private static func isStableInNFC(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x0250 || (0x1EA0...0x1EF9).contains(scalar.value)
    }
}
