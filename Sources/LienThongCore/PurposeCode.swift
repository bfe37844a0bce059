/// Why personal data is asked for, such as `xac-minh-tiem-chung`: 1 to 64 characters of `a-z`, `0-9`, `-`
/// and `.` (docs/PROTOCOL.md, "Purposes"). A grant may name the purposes it allows; a requester states one.
public struct PurposeCode: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The validated text.
    public let rawValue: String

    /// Checks `text` against the rule and keeps it; a text that breaks the rule is an error that says how.
    public init(_ text: String) throws(IdentifierError) {
        let bytes = text.utf8
        guard !bytes.isEmpty else {
            throw IdentifierError(LocalizedMessage("identifier.empty", ["text": text.debugDescription], messages: ["kind": Self.noun]))
        }
        let allowed = { (byte: UInt8) in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
        guard bytes.allSatisfy(allowed) else {
            throw IdentifierError(LocalizedMessage("identifier.purpose-character", ["text": text.debugDescription], messages: ["kind": Self.noun]))
        }
        // Only ASCII is left, so bytes and characters are the same count.
        guard bytes.count <= 64 else {
            throw IdentifierError(LocalizedMessage("identifier.too-long", ["text": (String(text.prefix(64)) + "…").debugDescription], messages: ["kind": Self.noun]))
        }
        rawValue = text
    }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    private static let noun = LocalizedMessage("identifier.purpose-code")
}
