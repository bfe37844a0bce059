public import LienThongCore

/// Personal data shown unmasked on this agency's own machine (`--reveal` of `get`, `export`, `conflicts show`):
/// who saw which fields of which records, and why. Audited as `local disclosure`, without the values.
public struct LocalDisclosure: Sendable {
    /// The command that showed the data.
    public enum Command: String, Sendable {
        case get
        case export
        case conflictsShow = "conflicts show"
    }

    public let command: Command
    public let dataset: DatasetName
    /// The ids of the records shown; nil when the whole dataset was.
    public let ids: [String]?
    /// The declared pii paths revealed, as ``LienThongSchema`` names them (`ho_ten`, `dia_chi.so_nha`, `con[].ho_ten`).
    public let fields: [String]
    /// The login name of the user the command ran as.
    public let `operator`: String
    public let purpose: PurposeCode?

    public init(command: Command, dataset: DatasetName, ids: [String]?, fields: [String], operator: String, purpose: PurposeCode?) {
        self.command = command
        self.dataset = dataset
        self.ids = ids
        self.fields = fields
        self.operator = `operator`
        self.purpose = purpose
    }

    /// The audit entry's detail: exactly `command`, `ids`, `fields`, `operator` and `purpose`.
    public var detail: JSONValue {
        .object([
            "command": .string(command.rawValue), "ids": ids.map { .array($0.map(JSONValue.string)) } ?? .null,
            "fields": .array(fields.map(JSONValue.string)), "operator": .string(`operator`), "purpose": purpose.map { .string($0.rawValue) } ?? .null,
        ])
    }
}

extension StoreTransaction {
    /// Writes `disclosure` to the audit log as a `local disclosure` of its dataset.
    public func audit(_ disclosure: LocalDisclosure) throws {
        try audit("local disclosure", peer: nil, dataset: disclosure.dataset, detail: disclosure.detail)
    }
}
