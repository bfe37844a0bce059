/// A name that lienthong uses in file names, URLs and SQL: 1 to 64 characters of `a-z`, `0-9` and `-`,
/// starting with a letter. The narrow alphabet is what makes such names safe to put anywhere.
public struct Identifier<Kind: IdentifierKind>: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The validated text.
    public let rawValue: String

    /// Checks `text` against the rule and keeps it; a text that breaks the rule is an error that says how.
    public init(_ text: String) throws(IdentifierError) {
        let bytes = text.utf8
        guard let first = bytes.first else {
            throw IdentifierError(LocalizedMessage("identifier.empty", ["text": text.debugDescription], messages: ["kind": Kind.noun]))
        }
        guard (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else {
            throw IdentifierError(LocalizedMessage("identifier.first-letter", ["text": text.debugDescription], messages: ["kind": Kind.noun]))
        }
        let allowed = { (byte: UInt8) in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
        }
        guard bytes.allSatisfy(allowed) else {
            throw IdentifierError(LocalizedMessage("identifier.character", ["text": text.debugDescription], messages: ["kind": Kind.noun]))
        }
        // Only ASCII is left, so bytes and characters are the same count.
        guard bytes.count <= 64 else {
            throw IdentifierError(LocalizedMessage("identifier.too-long", ["text": (String(text.prefix(64)) + "…").debugDescription], messages: ["kind": Kind.noun]))
        }
        rawValue = text
    }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What an ``Identifier`` names, for its error messages.
public protocol IdentifierKind: Sendable {
    static var noun: LocalizedMessage { get }
}

public enum AgencyKind: IdentifierKind {
    public static let noun = LocalizedMessage("identifier.agency-id")
}

public enum DatasetKind: IdentifierKind {
    public static let noun = LocalizedMessage("identifier.dataset-name")
}

/// An agency's id, such as `bo-y-te`.
public typealias AgencyID = Identifier<AgencyKind>
/// A dataset's name, such as `tiem-chung`.
public typealias DatasetName = Identifier<DatasetKind>

/// Why a text is not a valid identifier or ``PurposeCode``.
public struct IdentifierError: Error, Hashable, LocalizedError {
    public let message: LocalizedMessage

    init(_ message: LocalizedMessage) { self.message = message }
}
