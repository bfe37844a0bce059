/// Why bytes were refused as JSON, and where.
public struct JSONError: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case invalidUTF8
        case unexpectedEnd
        case unexpectedByte(UInt8)
        case trailingContent
        case duplicateMember
        case invalidNumber
        case invalidEscape
        case loneSurrogate
        case controlCharacterInString
        case tooDeep(Int)
    }

    private let code: Code
    /// The byte offset at which parsing stopped.
    public let offset: Int

    private init(_ code: Code, offset: Int) {
        self.code = code
        self.offset = offset
    }

    static func invalidUTF8(at offset: Int) -> Self { .init(.invalidUTF8, offset: offset) }
    static func unexpectedEnd(at offset: Int) -> Self { .init(.unexpectedEnd, offset: offset) }
    static func unexpectedByte(_ byte: UInt8, at offset: Int) -> Self { .init(.unexpectedByte(byte), offset: offset) }
    static func trailingContent(at offset: Int) -> Self { .init(.trailingContent, offset: offset) }
    static func duplicateMember(at offset: Int) -> Self { .init(.duplicateMember, offset: offset) }
    static func invalidNumber(at offset: Int) -> Self { .init(.invalidNumber, offset: offset) }
    static func invalidEscape(at offset: Int) -> Self { .init(.invalidEscape, offset: offset) }
    static func loneSurrogate(at offset: Int) -> Self { .init(.loneSurrogate, offset: offset) }
    static func controlCharacterInString(at offset: Int) -> Self { .init(.controlCharacterInString, offset: offset) }
    static func tooDeep(_ limit: Int, at offset: Int) -> Self { .init(.tooDeep(limit), offset: offset) }

    /// Whether the document was refused because an object names a member twice.
    public var isDuplicateMember: Bool {
        if case .duplicateMember = code { true } else { false }
    }

    public var description: String {
        let why: String =
            switch code {
            case .invalidUTF8: "the text is not valid UTF-8"
            case .unexpectedEnd: "the text ends in the middle of a value"
            case .unexpectedByte(let byte) where (0x21...0x7E).contains(byte):
                "unexpected character '\(Character(Unicode.Scalar(byte)))'"
            case .unexpectedByte(let byte): "unexpected byte 0x\(String(byte, radix: 16, uppercase: true))"
            case .trailingContent: "there is content after the value"
            case .duplicateMember: "an object names the same member twice"
            case .invalidNumber: "a number does not follow the JSON grammar"
            case .invalidEscape: "a string has an invalid escape"
            case .loneSurrogate: "a string escapes half of a surrogate pair"
            case .controlCharacterInString: "a string holds an unescaped control character"
            case .tooDeep(let limit): "values are nested deeper than \(limit) levels"
            }
        return "invalid JSON at byte \(offset): \(why)"
    }
}
