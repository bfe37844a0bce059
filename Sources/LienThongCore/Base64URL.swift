/// The URL-safe base64 alphabet without padding (RFC 4648 §5), as JWS uses it (RFC 7515 §2).
///
/// Decoding is strict so that one byte string has exactly one text form: padding, characters outside
/// the alphabet and non-zero unused bits are all errors, never repaired.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Six-bit values by byte, or 0xFF for a byte outside the alphabet.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// Encodes bytes without padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        // One copy, so that the loop below is not generic: specialising it across modules is not guaranteed.
        Array(bytes).withUnsafeBufferPointer(encode)
    }

    private static func encode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let count = bytes.count
        let outputCount = (count / 3) * 4 + [0, 2, 3][count % 3]
        return alphabet.withUnsafeBufferPointer { alphabet in
            String(unsafeUninitializedCapacity: outputCount) { output in
                var input = 0
                var written = 0
                while input + 3 <= count {
                    let group = UInt32(bytes[input]) << 16 | UInt32(bytes[input + 1]) << 8 | UInt32(bytes[input + 2])
                    output[written] = alphabet[Int(group >> 18 & 0x3F)]
                    output[written + 1] = alphabet[Int(group >> 12 & 0x3F)]
                    output[written + 2] = alphabet[Int(group >> 6 & 0x3F)]
                    output[written + 3] = alphabet[Int(group & 0x3F)]
                    input += 3
                    written += 4
                }
                let remaining = count - input
                if remaining > 0 {
                    let group = UInt32(bytes[input]) << 16 | (remaining == 2 ? UInt32(bytes[input + 1]) << 8 : 0)
                    output[written] = alphabet[Int(group >> 18 & 0x3F)]
                    output[written + 1] = alphabet[Int(group >> 12 & 0x3F)]
                    if remaining == 2 { output[written + 2] = alphabet[Int(group >> 6 & 0x3F)] }
                    written += remaining + 1
                }
                return written
            }
        }
    }

    /// Decodes the canonical unpadded form; anything else is an error that says why.
    public static func decode(_ text: some StringProtocol) throws(Base64URLError) -> [UInt8] {
        try decode(utf8: text.utf8)
    }

    /// Decodes text given as its UTF-8 bytes, such as one segment of a compact JWS.
    public static func decode(utf8 text: some Collection<UInt8>) throws(Base64URLError) -> [UInt8] {
        // One copy, so that the loop below is not generic: specialising it across modules is not guaranteed.
        try Array(text).withUnsafeBufferPointer { (buffer) throws(Base64URLError) in try decode(buffer) }
    }

    private static func decode(_ text: UnsafeBufferPointer<UInt8>) throws(Base64URLError) -> [UInt8] {
        if text.count % 4 == 1 { throw .init(.impossibleLength, offset: text.count) }
        var output = [UInt8]()
        output.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits: UInt32 = 0
        let values = Self.values
        for offset in 0..<text.count {
            let byte = text[offset]
            let value = values[Int(byte)]
            if value == 0xFF {
                throw .init(byte == UInt8(ascii: "=") ? .padding : .characterOutsideAlphabet, offset: offset)
            }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> bits))
                accumulator &= (1 << bits) - 1
            }
        }
        if accumulator != 0 { throw .init(.nonCanonical, offset: text.count - 1) }
        return output
    }
}

/// Why a base64url text was refused.
public struct Base64URLError: Error, Hashable, CustomStringConvertible {
    fileprivate enum Code: Hashable {
        case padding, characterOutsideAlphabet, impossibleLength, nonCanonical
    }

    fileprivate let code: Code
    /// Where in the text the problem was found.
    public let offset: Int

    fileprivate init(_ code: Code, offset: Int) {
        self.code = code
        self.offset = offset
    }

    /// Padding (`=`) is not part of base64url as JWS uses it.
    public static var padding: Self { .init(.padding, offset: 0) }
    /// A character that is not `A-Z`, `a-z`, `0-9`, `-` or `_`.
    public static var characterOutsideAlphabet: Self { .init(.characterOutsideAlphabet, offset: 0) }
    /// A length that no byte string encodes to (4n + 1 characters).
    public static var impossibleLength: Self { .init(.impossibleLength, offset: 0) }
    /// The last character carries bits that do not belong to any byte.
    public static var nonCanonical: Self { .init(.nonCanonical, offset: 0) }

    /// Compares the kind of problem, not where it was found.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String {
        switch code {
        case .padding: "base64url is padded with '=' at offset \(offset)"
        case .characterOutsideAlphabet: "base64url has a character outside its alphabet at offset \(offset)"
        case .impossibleLength: "base64url of \(offset) characters encodes no byte string"
        case .nonCanonical: "base64url is not canonical: unused bits are set in its last character"
        }
    }
}
