/// Why personal data is used, as a code an agency's purposes are named by, such as `xac-minh-tiem-chung`:
/// 1 to 64 characters of `a-z`, `0-9`, `-` and `.`.
public struct PurposeCode: Hashable, Sendable, CustomStringConvertible {
    /// The validated text.
    public let rawValue: String

    /// Checks `text` against the rule and keeps it; a text that breaks the rule is an error that says how.
    public init(_ text: String) throws(PurposeCodeError) {
        let allowed = { (byte: UInt8) in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
        guard (1...64).contains(text.utf8.count), text.utf8.allSatisfy(allowed) else { throw PurposeCodeError(text: text) }
        rawValue = text
    }

    public var description: String { rawValue }
}

/// Why a text is not a purpose code.
public struct PurposeCodeError: Error, Hashable, CustomStringConvertible {
    let text: String

    public var description: String {
        "purpose code \(String(text.prefix(64)).debugDescription) is not 1 to 64 characters of a-z, 0-9, - and ."
    }
}
