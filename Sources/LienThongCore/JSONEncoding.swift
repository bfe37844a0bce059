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
