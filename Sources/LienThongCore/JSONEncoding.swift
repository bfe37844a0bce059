extension JSONValue {
    /// The value as compact JSON text with members sorted by the bytes of their names.
    ///
    /// One value always gives the same bytes, so what lienthong signs or compares is reproducible.
    public func serialized() -> [UInt8] {
        var output: [UInt8] = []
        append(to: &output, forDisplay: false)
        return output
    }

    /// ``serialized()`` as a string.
    public var serializedText: String { String(decoding: serialized(), as: UTF8.self) }

    /// ``serialized()`` for printing: the same JSON value, with every character that acts on a terminal
    /// (``Unicode/Scalar/controlsTerminal``: DEL, C1 and bidirectional controls too) written as a `\u` escape,
    /// so that what a command prints can neither move the cursor nor reorder the line. Not canonical: never
    /// signed or compared.
    public func displaySerialized() -> [UInt8] {
        var output: [UInt8] = []
        append(to: &output, forDisplay: true)
        return output
    }

    /// ``displaySerialized()`` as a string.
    public var displayText: String { String(decoding: displaySerialized(), as: UTF8.self) }

    private func append(to output: inout [UInt8], forDisplay: Bool) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let text): output.append(contentsOf: text.utf8)
        case .string(let text): Self.appendString(text, to: &output, forDisplay: forDisplay)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.append(to: &output, forDisplay: forDisplay)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            let sorted = members.sorted { Self.utf8Precedes($0.key, $1.key) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.appendString(member.key, to: &output, forDisplay: forDisplay)
                output.append(UInt8(ascii: ":"))
                member.value.append(to: &output, forDisplay: forDisplay)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Whether `lhs` sorts before `rhs` by their UTF-8 bytes: the order of member names in serialized JSON.
    static func utf8Precedes(_ lhs: String, _ rhs: String) -> Bool {
        var lhs = lhs
        var rhs = rhs
        return lhs.withUTF8 { left in
            rhs.withUTF8 { right in
                for index in 0..<min(left.count, right.count) where left[index] != right[index] {
                    return left[index] < right[index]
                }
                return left.count < right.count
            }
        }
    }

    /// Appends `value` in decimal, as JSON writes an integer, without making a string of it.
    public static func appendDecimal(_ value: Int64, to output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        // The magnitude as unsigned, so that Int64.min has one too. Its digits are counted by comparisons, then
        // written from the least significant by division by the constant 10, which compiles to a multiplication.
        var magnitude = value.magnitude
        var digits = 1
        var bound: UInt64 = 10
        while digits < 19, magnitude >= bound {
            digits += 1
            bound *= 10
        }
        let start = output.count
        output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        output.withUnsafeMutableBufferPointer { buffer in
            var index = start + digits
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
        }
    }

    /// Appends the JSON string of text given as its UTF-8 bytes, escaped as ``serialized()`` escapes it.
    public static func appendString(utf8 text: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        if !text.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output.append(UInt8(ascii: "\""))
            output.append(contentsOf: text)
            output.append(UInt8(ascii: "\""))
        } else {
            appendString(String(decoding: text, as: UTF8.self), to: &output, forDisplay: false)
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendString(_ text: String, to output: inout [UInt8], forDisplay: Bool) {
        output.append(UInt8(ascii: "\""))
        // Most strings need no escapes: copy them whole. For display, DEL and anything beyond ASCII is looked at.
        let highest: UInt8 = forDisplay ? 0x7E : 0xFF
        if !text.utf8.contains(where: { $0 < 0x20 || $0 > highest || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output.append(contentsOf: text.utf8)
            output.append(UInt8(ascii: "\""))
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output.append(contentsOf: #"\""#.utf8)
            case "\\": output.append(contentsOf: #"\\"#.utf8)
            case "\n": output.append(contentsOf: #"\n"#.utf8)
            case "\r": output.append(contentsOf: #"\r"#.utf8)
            case "\t": output.append(contentsOf: #"\t"#.utf8)
            case _ where scalar.value < 0x20 || (forDisplay && scalar.controlsTerminal):
                // Every such scalar is in the Basic Multilingual Plane: four hexadecimal digits.
                output.append(contentsOf: #"\u"#.utf8)
                for shift in stride(from: 12, through: 0, by: -4) { output.append(hexDigits[Int(scalar.value >> UInt32(shift)) & 0x0F]) }
            default: output.append(contentsOf: scalar.utf8)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

extension JSONValue {
    /// The members of a JSON object given as compact text (no white space between tokens, as ``serialized()``
    /// writes), keeping those whose name `keep` accepts, as compact text in the same order — without building
    /// a value per member. Nil when `text` is not such an object; the caller then parses it.
    public static func compactObject(_ text: some Collection<UInt8>, keeping keep: (String) -> Bool) -> [UInt8]? {
        let bytes = Array(text)
        guard bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return nil }
        var output: [UInt8] = [UInt8(ascii: "{")]
        var index = 1
        let end = bytes.count - 1
        while index < end {
            let nameStart = index
            guard bytes[index] == UInt8(ascii: "\""), let nameEnd = endOfString(bytes, from: index), nameEnd < end,
                bytes[nameEnd] == UInt8(ascii: ":"), let valueEnd = endOfValue(bytes, from: nameEnd + 1, before: end)
            else { return nil }
            let rawName = bytes[(nameStart + 1)..<(nameEnd - 1)]
            let name = rawName.contains(UInt8(ascii: "\\"))
                ? (try? JSONValue(parsing: bytes[nameStart..<nameEnd]))?.stringValue : String(decoding: rawName, as: UTF8.self)
            guard let name else { return nil }
            if keep(name) {
                if output.count > 1 { output.append(UInt8(ascii: ",")) }
                output += bytes[nameStart..<valueEnd]
            }
            index = valueEnd
            if index < end {
                // A comma, and another member after it.
                guard bytes[index] == UInt8(ascii: ","), index + 1 < end else { return nil }
                index += 1
            }
        }
        output.append(UInt8(ascii: "}"))
        return output
    }

    /// The index just past the string that starts at `start` (a `"`), or nil if it does not end.
    private static func endOfString(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start + 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index + 1
            default: index += 1
            }
        }
        return nil
    }

    /// The index just past the value that starts at `start`, which must end before `limit`, or nil.
    private static func endOfValue(_ bytes: [UInt8], from start: Int, before limit: Int) -> Int? {
        var index = start
        var depth = 0
        while index < limit {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                guard let next = endOfString(bytes, from: index) else { return nil }
                index = next
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard depth > 0 else { return nil }
                depth -= 1
                index += 1
            case UInt8(ascii: ","):
                if depth == 0 { return index > start ? index : nil }
                index += 1
            default:
                index += 1
            }
            if depth == 0, index > start, bytes[start] == UInt8(ascii: "\"") || bytes[start] == UInt8(ascii: "{") || bytes[start] == UInt8(ascii: "[") {
                return index
            }
        }
        return depth == 0 && index > start ? index : nil
    }
}
