public import LienThongCore

/// The shape a dataset's records must have (docs/SCHEMA.md): the fields of the record's `data`, each with a
/// type and rules, declared by the agency that holds the dataset. Checked at every edge: `put`, the puller
/// before a page is applied, the publisher before it serves a record.
///
/// A schema is read from its declaration, a JSON value (the YAML file, read as JSON), and keeps a normalized
/// form of it, ``declaration``: defaults left out, text in NFC, enums sorted. Two agencies that declare the
/// same rules, however spelled, have the same normalized form and so the same digest in the dataset list.
public struct DatasetSchema: Sendable, Hashable {
    /// The record's top-level fields.
    public let root: ObjectShape
    /// The normalized declaration: what the dataset list carries and what its SHA-256 is computed over.
    public let declaration: JSONValue

    /// Reads a schema from its declaration; a key that is unknown, missing, given the wrong kind of value or
    /// outside its limits is an error that names its path in the declaration.
    public init(declaration: JSONValue) throws(SchemaError) {
        var budget = DeclarationBudget()
        root = try ObjectShape(reading: declaration, at: "", allowedKeys: ["fields", "additional"], depth: 1, budget: &budget)
        self.declaration = root.normalizedDeclaration
    }

    /// The paths of the fields marked `pii`, as validation names them (`ho_ten`, `dia_chi.so_nha`, `con[].ho_ten`).
    public var personalDataPaths: [String] { root.personalDataPaths(prefix: "") }

    /// The most fields a schema declares, in all its objects together.
    public static let maximumFields = 1000
    /// How deeply objects and arrays nest, counting the record itself.
    public static let maximumDepth = 8
    /// The most values of one `enum`.
    public static let maximumEnumValues = 1000
}

/// The fields of an object: the record's data, or a field of type `object`.
public struct ObjectShape: Sendable, Hashable {
    /// The declared fields by name.
    public let fields: [String: FieldRules]
    /// The same fields in the byte order of their names: validation walks them in this order, so the first
    /// violation found is the same everywhere.
    let orderedFields: [NamedField]
    /// Whether members that are not declared are allowed (`additional: allow`); refused by default.
    public let allowsAdditional: Bool
}

/// A field's name with its rules.
struct NamedField: Sendable, Hashable {
    let name: String
    let rules: FieldRules
}

/// One field's rules.
public struct FieldRules: Sendable, Hashable {
    public let type: FieldType
    /// The member must be present (it may be null only when ``nullable``).
    public let required: Bool
    /// `null` is allowed as the value.
    public let nullable: Bool
    /// The field holds personal data: never shown by default (docs/SCHEMA.md, "pii").
    public let pii: Bool
    /// What the field means, for people reading the dictionary; not checked.
    public let summary: String?
}

/// A field's type, with the rules that belong to it.
public indirect enum FieldType: Sendable, Hashable {
    case string(StringRules)
    case integer(minimum: Int64?, maximum: Int64?, allowed: Set<Int64>?)
    case number(minimum: Double?, maximum: Double?, allowed: Set<Double>?)
    case boolean
    /// `YYYY-MM-DD`, a real date of the Gregorian calendar.
    case date
    /// RFC 3339 with an offset.
    case datetime
    case object(ObjectShape)
    case array(items: FieldRules, minimumItems: Int?, maximumItems: Int?)

    /// The type's name as a declaration writes it.
    public var name: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .number: "number"
        case .boolean: "boolean"
        case .date: "date"
        case .datetime: "datetime"
        case .object: "object"
        case .array: "array"
        }
    }
}

/// The rules of a `string` field. Lengths count the Unicode scalars of the value's NFC form; `enum` values and
/// `pattern` are compared with and matched against that form.
public struct StringRules: Sendable, Hashable {
    public let minimumLength: Int?
    public let maximumLength: Int?
    public let allowed: Set<String>?
    public let pattern: LinearPattern?
    public let format: StringFormat?
}

/// A well-known kind of text (docs/SCHEMA.md, "Formats").
public enum StringFormat: Sendable, Hashable {
    /// The 12-digit citizen identity number, optionally checked against the record's birth date and sex.
    case cccd(CitizenIDCrossCheck?)
    /// A Vietnamese mobile or landline number: `+84` or `0`, then the national number.
    case phoneVN
    /// An email address in the documented subset of RFC 5322's addr-spec.
    case email

    var name: String {
        switch self {
        case .cccd: "cccd"
        case .phoneVN: "phone-vn"
        case .email: "email"
        }
    }
}

/// The record's fields that a CCCD number must agree with: its 4th digit gives the century of birth and the
/// sex, its 5th and 6th the last two digits of the birth year.
public struct CitizenIDCrossCheck: Sendable, Hashable {
    /// A `date` field of the same object: the birth date.
    public let birthDateField: String?
    /// A `string` field of the same object: the sex, whose values ``male`` and ``female`` are compared in NFC.
    public let sexField: String?
    public let male: String
    public let female: String
}

/// Why a schema declaration was not accepted: the path of the key and the problem, in one line.
public struct SchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where in the declaration, such as `fields.so_dinh_danh.format`; empty for the whole declaration.
    public let path: String
    public let problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { path.isEmpty ? problem : "\(path): \(problem)" }
}

/// Counts what a declaration adds up to, so that a declaration cannot grow without bound.
struct DeclarationBudget {
    var fields = 0
}
