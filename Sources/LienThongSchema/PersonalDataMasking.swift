public import LienThongCore

/// A record's data with its personal data masked (docs/SCHEMA.md, "pii: what is masked").
public struct MaskedData: Sendable {
    /// The data with the value of every field marked `pii` replaced by ``DatasetSchema/mask``.
    public let data: JSONValue
    /// The declared pii paths (``DatasetSchema/personalDataPaths``) that held a value other than null in the
    /// data, sorted: what showing the data unmasked reveals.
    public let maskedPaths: [String]
}

extension DatasetSchema {
    /// What a masked value is shown as.
    public static let mask = JSONValue.string("***")

    /// Masks `data`, a record's data: every value at a path the schema marks `pii` — in nested objects and in
    /// every item of an array — becomes ``mask``, whatever its type; null stays null (it holds no personal
    /// data, and masking it would claim a value that is not there) and an absent field stays absent. Members
    /// the schema does not declare are left as they are: only declared pii fields are masked. A value whose
    /// shape is not the declared one (a string where an object holding pii fields is declared: a record older
    /// than the schema) is masked whole, as are the pii paths beneath it.
    public func masking(_ data: JSONValue) -> MaskedData {
        var paths: Set<String> = []
        let masked = root.masking(data, prefix: "", paths: &paths)
        return MaskedData(data: masked, maskedPaths: paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }
}

extension ObjectShape {
    func masking(_ value: JSONValue, prefix: String, paths: inout Set<String>) -> JSONValue {
        guard case .object(var members) = value else { return value }
        for (name, member) in members {
            guard let rules = fields[name] else { continue }
            members[name] = rules.masking(member, path: prefix.isEmpty ? name : "\(prefix).\(name)", paths: &paths)
        }
        return .object(members)
    }
}

extension FieldRules {
    func masking(_ value: JSONValue, path: String, paths: inout Set<String>) -> JSONValue {
        if value == .null { return value }
        if pii {
            paths.insert(path)
            return DatasetSchema.mask
        }
        switch (type, value) {
        case (.object(let shape), .object): return shape.masking(value, prefix: path, paths: &paths)
        case (.array(let items, _, _), .array(let elements)):
            return .array(elements.map { items.masking($0, path: "\(path)[]", paths: &paths) })
        case (.object, _), (.array, _):
            let beneath = personalDataPaths(path: path)
            if beneath.isEmpty { return value }
            paths.formUnion(beneath)
            return DatasetSchema.mask
        default: return value
        }
    }
}
