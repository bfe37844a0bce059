/// A recursive-descent parser over a byte buffer, strict where RFC 8259 leaves room.
struct JSONParser: ~Copyable {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let maximumDepth: Int
    private var position = 0
    private var depth = 0

    private init(bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    static func parse(_ input: [UInt8], maximumDepth: Int) throws(JSONError) -> JSONValue {
        // Outside strings the grammar admits ASCII only, so a byte of any other kind is refused where it
        // stands; inside strings each run of raw text is checked as UTF-8 when it becomes a String.
        let result: Result<JSONValue, JSONError> = input.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(bytes: buffer, maximumDepth: maximumDepth)
            return Result { () throws(JSONError) -> JSONValue in
                parser.skipWhitespace()
                let value = try parser.parseValue()
                parser.skipWhitespace()
                if parser.position != buffer.count { throw .trailingContent(at: parser.position) }
                return value
            }
        }
        return try result.get()
    }

    /// Where the first byte that breaks UTF-8 is in `input`, or nil if it is all valid.
    private static func firstInvalidUTF8Offset(_ input: UnsafeBufferPointer<UInt8>) -> Int? {
        var decoder = UTF8()
        var iterator = input.makeIterator()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private func peek() throws(JSONError) -> UInt8 {
        guard position < bytes.count else { throw .unexpectedEnd(at: position) }
        return bytes[position]
    }

    private mutating func expect(_ byte: UInt8) throws(JSONError) {
        let found = try peek()
        guard found == byte else { throw .unexpectedByte(found, at: position) }
        position += 1
    }

    private mutating func parseValue() throws(JSONError) -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case let other: throw .unexpectedByte(other, at: position)
        }
    }

    private mutating func parseLiteral(_ word: StaticString) throws(JSONError) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for byte in expected { try expect(byte) }
    }

    private mutating func enterContainer() throws(JSONError) {
        depth += 1
        if depth > maximumDepth { throw .tooDeep(maximumDepth, at: position) }
        position += 1
        skipWhitespace()
    }

    private mutating func parseObject() throws(JSONError) -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        var members: [String: JSONValue] = [:]
        if try peek() == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            let nameOffset = position
            guard try peek() == UInt8(ascii: "\"") else { throw .unexpectedByte(bytes[position], at: position) }
            let name = try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            let value = try parseValue()
            if members.updateValue(value, forKey: name) != nil { throw .duplicateMember(at: nameOffset) }
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                position += 1
                return .object(members)
            case let other:
                throw .unexpectedByte(other, at: position)
            }
        }
    }

    private mutating func parseArray() throws(JSONError) -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        var elements: [JSONValue] = []
        if try peek() == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
            case UInt8(ascii: "]"):
                position += 1
                return .array(elements)
            case let other:
                throw .unexpectedByte(other, at: position)
            }
        }
    }

    private mutating func parseNumber() throws(JSONError) -> String {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw .invalidNumber(at: position) }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if position < bytes.count, isDigit(bytes[position]) { throw .invalidNumber(at: position) }
        } else {
            skipDigits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw .invalidNumber(at: position) }
            skipDigits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw .invalidNumber(at: position) }
            skipDigits()
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while position < bytes.count, isDigit(bytes[position]) { position += 1 }
    }

    /// The raw text between `start` and `end` as a String, refused with the offset of its first bad byte
    /// when it is not UTF-8.
    private func validatedText(from start: Int, to end: Int) throws(JSONError) -> String {
        let run = UnsafeBufferPointer(rebasing: bytes[start..<end])
        if let text = String(validating: run, as: UTF8.self) { return text }
        throw .invalidUTF8(at: start + (Self.firstInvalidUTF8Offset(run) ?? 0))
    }

    /// Parses a string starting at its opening quote.
    private mutating func parseString() throws(JSONError) -> String {
        position += 1
        var runStart = position
        // Most strings have no escapes: they are cut straight from the buffer.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = try validatedText(from: runStart, to: position)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw .controlCharacterInString(at: position) }
            position += 1
        }
        var decoded = Array(try validatedText(from: runStart, to: position).utf8)
        while true {
            guard position < bytes.count else { throw .unexpectedEnd(at: position) }
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                // Escapes only ever add valid UTF-8, and every raw run was checked.
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try appendEscape(to: &decoded)
            case ..<0x20:
                throw .controlCharacterInString(at: position)
            default:
                runStart = position
                while position < bytes.count, bytes[position] != UInt8(ascii: "\""), bytes[position] != UInt8(ascii: "\\"),
                    bytes[position] >= 0x20
                {
                    position += 1
                }
                decoded.append(contentsOf: try validatedText(from: runStart, to: position).utf8)
            }
        }
    }

    private mutating func appendEscape(to decoded: inout [UInt8]) throws(JSONError) {
        let escapeOffset = position
        position += 1
        guard position < bytes.count else { throw .unexpectedEnd(at: position) }
        let letter = bytes[position]
        position += 1
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(letter)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try parseHexUnit(escapeOffset: escapeOffset)
            let scalarValue: UInt32
            switch unit {
            case 0xD800...0xDBFF:
                // A high surrogate must be followed at once by an escaped low surrogate.
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                else { throw .loneSurrogate(at: escapeOffset) }
                position += 2
                let low = try parseHexUnit(escapeOffset: escapeOffset)
                guard (0xDC00...0xDFFF).contains(low) else { throw .loneSurrogate(at: escapeOffset) }
                scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            case 0xDC00...0xDFFF:
                throw .loneSurrogate(at: escapeOffset)
            default:
                scalarValue = UInt32(unit)
            }
            guard let scalar = Unicode.Scalar(scalarValue) else { throw .loneSurrogate(at: escapeOffset) }
            decoded.append(contentsOf: String(scalar).utf8)
        default:
            throw .invalidEscape(at: escapeOffset)
        }
    }

    private mutating func parseHexUnit(escapeOffset: Int) throws(JSONError) -> UInt16 {
        guard position + 4 <= bytes.count else { throw .unexpectedEnd(at: bytes.count) }
        var unit: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .invalidEscape(at: escapeOffset)
            }
            unit = unit << 4 | UInt16(digit)
            position += 1
        }
        return unit
    }
}
