import Foundation
public import LienThongCore
public import LienThongSchema
public import LienThongStore

/// Who reveals personal data on this machine, and why: a command's `--reveal` and `--purpose`.
public struct Revealing: Sendable {
    /// The login name of the user the command runs as.
    public let `operator`: String
    public let purpose: PurposeCode?

    public init(operator: String, purpose: PurposeCode?) {
        self.operator = `operator`
        self.purpose = purpose
    }

    /// The effective user of this process, by the login name of its passwd entry (`uid N` when it has none:
    /// a container's user may have no name).
    public static func effectiveUser(purpose: PurposeCode?) -> Revealing {
        let uid = geteuid()
        let name = getpwuid(uid).flatMap { entry in entry.pointee.pw_name.map { String(cString: $0) } }
        return Revealing(operator: name ?? "uid \(uid)", purpose: purpose)
    }
}

/// How `get`, `export` and `conflicts show` show a dataset's records (docs/SCHEMA.md, "pii: what is masked"):
/// the value of every field its schema marks `pii` as `"***"`, or, when revealing, the values as they are, once
/// a `local disclosure` naming the records, the pii fields shown, the operator and the purpose is in the audit
/// log. Nothing is revealed, and so nothing audited, when the dataset has no schema or the records shown hold
/// no value of a pii field.
public struct PersonalDataDisplay: Sendable {
    public let dataset: DatasetName
    let schema: DatasetSchema?
    let revealing: Revealing?

    /// Shows `dataset`'s records under `schema` (nil: the dataset has none), masked unless `revealing`.
    public init(dataset: DatasetName, schema: DatasetSchema?, revealing: Revealing?) {
        self.dataset = dataset
        self.schema = schema
        self.revealing = revealing
    }

    /// `records`, JSON forms whose `data` member is a record's data (``VisibleRecord/exportJSON``,
    /// ``RecordVersion/json``), as they are shown by `command`. When revealing, the disclosure of the records
    /// `ids` is written to `store`'s audit log before this returns; if it cannot be, this throws and nothing
    /// may be shown.
    public func show(_ records: [JSONValue], ids: [String], by command: LocalDisclosure.Command, in store: Store) throws -> [JSONValue] {
        guard let schema else { return records }
        let masked = records.map { record in record["data"].map(schema.masking) }
        guard revealing != nil else { return zip(records, masked).map { record, masked in Self.replacingData(of: record, with: masked) } }
        try audit(command, ids: ids, fields: Set(masked.flatMap { $0?.maskedPaths ?? [] }), in: store)
        return records
    }

    /// What shows each record of a whole dataset, as ``show(_:ids:by:in:)`` shows one. When revealing, the
    /// disclosure of the whole dataset's pii fields (every path the schema declares: the records are not read
    /// twice to find which hold values) is written to `store`'s audit log before this returns; if it cannot
    /// be, this throws and nothing may be shown.
    public func showingWholeDataset(by command: LocalDisclosure.Command, in store: Store) throws -> @Sendable (JSONValue) -> JSONValue {
        guard let schema else { return { $0 } }
        guard revealing != nil else { return { record in Self.replacingData(of: record, with: record["data"].map(schema.masking)) } }
        try audit(command, ids: nil, fields: Set(schema.personalDataPaths), in: store)
        return { $0 }
    }

    /// Writes the `local disclosure` of `fields`, in the byte order of their paths, when revealing any.
    private func audit(_ command: LocalDisclosure.Command, ids: [String]?, fields: Set<String>, in store: Store) throws {
        guard let revealing, !fields.isEmpty else { return }
        let disclosure = LocalDisclosure(
            command: command, dataset: dataset, ids: ids, fields: fields.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) },
            operator: revealing.operator, purpose: revealing.purpose
        )
        try store.write { try $0.audit(disclosure) }
    }

    private static func replacingData(of record: JSONValue, with masked: MaskedData?) -> JSONValue {
        guard let masked, case .object(var members) = record else { return record }
        members["data"] = masked.data
        return .object(members)
    }
}
