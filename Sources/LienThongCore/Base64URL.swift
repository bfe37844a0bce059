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

    /// The two characters of every 12-bit value, first character in the low byte: a group of three bytes is
    /// two lookups.
    private static let pairs: [UInt16] = (0..<4096).map { UInt16(alphabet[$0 >> 6]) | UInt16(alphabet[$0 & 0x3F]) << 8 }

    /// Encodes bytes without padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        // One copy, so that the loop below is not generic: specialising it across modules is not guaranteed.
        Array(bytes).withUnsafeBufferPointer { bytes in
            String(unsafeUninitializedCapacity: encodedCount(bytes.count)) { encode(bytes, into: $0) }
        }
    }

    /// Appends the encoding of `bytes` to `output`, as one block, without making a string of it.
    public static func append(_ bytes: [UInt8], to output: inout [UInt8]) {
        let encoded = bytes.withUnsafeBufferPointer { bytes in
            [UInt8](unsafeUninitializedCapacity: encodedCount(bytes.count)) { $1 = encode(bytes, into: $0) }
        }
        output += encoded
    }

    private static func encodedCount(_ count: Int) -> Int { (count / 3) * 4 + [0, 2, 3][count % 3] }

    /// Writes the encoding of `bytes` at the start of `output`, which has room for it; returns its length.
    private static func encode(_ bytes: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let count = bytes.count
        return pairs.withUnsafeBufferPointer { pairs in
            var input = 0
            var written = 0
            while input + 3 <= count {
                let group = Int(bytes[input]) << 16 | Int(bytes[input + 1]) << 8 | Int(bytes[input + 2])
                let high = pairs[group >> 12]
                let low = pairs[group & 0xFFF]
                output[written] = UInt8(truncatingIfNeeded: high)
                output[written + 1] = UInt8(truncatingIfNeeded: high >> 8)
                output[written + 2] = UInt8(truncatingIfNeeded: low)
                output[written + 3] = UInt8(truncatingIfNeeded: low >> 8)
                input += 3
                written += 4
            }
            let remaining = count - input
            if remaining > 0 {
                let group = Int(bytes[input]) << 16 | (remaining == 2 ? Int(bytes[input + 1]) << 8 : 0)
                let high = pairs[group >> 12]
                output[written] = UInt8(truncatingIfNeeded: high)
                output[written + 1] = UInt8(truncatingIfNeeded: high >> 8)
                if remaining == 2 { output[written + 2] = UInt8(truncatingIfNeeded: pairs[group & 0xFFF]) }
                written += remaining + 1
            }
            return written
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
