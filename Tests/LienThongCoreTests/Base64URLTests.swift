import LienThongCore
import Testing

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator, so random tables repeat exactly.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private let base64URLAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

/// An independent, bit-by-bit encoder to check the real one against.
private func referenceBase64URL(_ bytes: [UInt8]) -> String {
    let bits = bytes.flatMap { byte in (0..<8).reversed().map { Int(byte >> $0 & 1) } }
    return String(
        stride(from: 0, to: bits.count, by: 6).map { start in
            let chunk = bits[start..<min(start + 6, bits.count)]
            let value = (chunk + Array(repeating: 0, count: 6 - chunk.count)).reduce(0) { $0 << 1 | $1 }
            return base64URLAlphabet[value]
        }
    )
}

@Suite("Base64URL encodes the RFC 4648 test vectors without padding")
struct Base64URLTestVectorTests {
    static let vectors: [(plain: String, encoded: String)] = [
        ("", ""),
        ("f", "Zg"),
        ("fo", "Zm8"),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg"),
        ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ]

    @Test("encodes the vector", arguments: vectors)
    func encodes(plain: String, encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
    }

    @Test("decodes the vector back to its bytes", arguments: vectors)
    func decodes(plain: String, encoded: String) throws {
        #expect(try Base64URL.decode(encoded) == Array(plain.utf8))
    }
}

@Suite("Base64URL uses the URL-safe alphabet")
struct Base64URLAlphabetTests {
    static let cases: [(bytes: [UInt8], encoded: String)] = [
        ([0xFB, 0xFF], "-_8"),
        ([0xFB, 0xEF, 0xBE], "----"),
        ([0xFF, 0xFF, 0xFF], "____"),
        ([0xFB, 0xFF, 0xBF], "-_-_"),
        ([0x00, 0x00, 0x00], "AAAA"),
        ([0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8B, 0x30, 0xD3, 0x8F], "ABCDEFGHIJKLMNOP"),
    ]

    @Test("bytes whose six-bit groups are 62 and 63 encode to '-' and '_'", arguments: cases)
    func encodesURLSafe(bytes: [UInt8], encoded: String) throws {
        let text = Base64URL.encode(bytes)
        #expect(text == encoded)
        #expect(!text.contains("+") && !text.contains("/") && !text.contains("="))
        #expect(try Base64URL.decode(text) == bytes)
    }

    @Test("every character of the alphabet decodes to its six-bit value")
    func everyCharacterDecodes() throws {
        let text = String(base64URLAlphabet)
        let bytes = try Base64URL.decode(text)
        #expect(bytes.count == 48)
        #expect(Base64URL.encode(bytes) == text)
    }
}

@Suite("Base64URL round trips random byte strings")
struct Base64URLRoundTripTests {
    @Test("a seeded random byte string of each length from 0 to 100 survives encode then decode", arguments: 0...100)
    func roundTrips(length: Int) throws {
        var generator = SplitMix64(seed: 0x4C49_454E_5448_4F4E &+ UInt64(length))
        let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let text = Base64URL.encode(bytes)
        #expect(text == referenceBase64URL(bytes))
        #expect(text.utf8.count == (length * 4 + 2) / 3)
        #expect(try Base64URL.decode(text) == bytes)
        #expect(try Base64URL.decode(utf8: Array(text.utf8)) == bytes)
        var appended = Array("prefix.".utf8)
        Base64URL.append(bytes, to: &appended)
        #expect(appended == Array(("prefix." + text).utf8))
    }

    @Test("decoding a substring or a slice reads only that part")
    func decodesSubsequences() throws {
        let framed = "..Zm9vYmFy.."
        let inner = framed.dropFirst(2).dropLast(2)
        #expect(try Base64URL.decode(inner) == Array("foobar".utf8))
        #expect(try Base64URL.decode(utf8: Array(framed.utf8)[2..<10]) == Array("foobar".utf8))
    }
}

@Suite("Base64URL refuses every text that is not the canonical form")
struct Base64URLRejectionTests {
    struct Rejection: Sendable, CustomTestStringConvertible {
        let text: String
        let error: Base64URLError
        let offset: Int
        var testDescription: String { "\(text.debugDescription) → \(error)" }
    }

    static let rejections: [Rejection] = [
        .init(text: "Zg==", error: .padding, offset: 2),
        .init(text: "Zg=", error: .padding, offset: 2),
        .init(text: "Zm9vYg==", error: .padding, offset: 6),
        .init(text: "Zm9+", error: .characterOutsideAlphabet, offset: 3),
        .init(text: "Zm9/", error: .characterOutsideAlphabet, offset: 3),
        .init(text: "Zm 9", error: .characterOutsideAlphabet, offset: 2),
        .init(text: "Zm9.", error: .characterOutsideAlphabet, offset: 3),
        .init(text: "Zm9v\n", error: .impossibleLength, offset: 5),
        .init(text: "Zm\n", error: .characterOutsideAlphabet, offset: 2),
        .init(text: "Zé", error: .characterOutsideAlphabet, offset: 1),
        .init(text: "Z", error: .impossibleLength, offset: 1),
        .init(text: "Zm9vY", error: .impossibleLength, offset: 5),
        .init(text: "=", error: .impossibleLength, offset: 1),
        .init(text: "Zh", error: .nonCanonical, offset: 1),
        .init(text: "Zm9", error: .nonCanonical, offset: 2),
        .init(text: "Zm9vYh", error: .nonCanonical, offset: 5),
        .init(text: "Zm9vYmF", error: .nonCanonical, offset: 6),
    ]

    @Test("the text is refused for the expected reason at the expected offset", arguments: rejections)
    func refuses(rejection: Rejection) {
        let error = #expect(throws: Base64URLError.self) { try Base64URL.decode(rejection.text) }
        #expect(error == rejection.error)
        #expect(error?.offset == rejection.offset)
    }

    @Test("error offsets count from the start of the slice, not of its base")
    func sliceOffsets() {
        let bytes = Array("xxZm9+".utf8)[2...]
        let error = #expect(throws: Base64URLError.self) { try Base64URL.decode(utf8: bytes) }
        #expect(error == .characterOutsideAlphabet)
        #expect(error?.offset == 3)
    }

    @Test("errors compare by kind only")
    func errorEqualityIgnoresOffset() {
        #expect(Base64URLError.padding == Base64URLError.padding)
        #expect(Base64URLError.padding != Base64URLError.characterOutsideAlphabet)
        #expect(Base64URLError.impossibleLength != Base64URLError.nonCanonical)
        #expect(Set([Base64URLError.padding, .padding, .nonCanonical]).count == 2)
    }

    @Test("each kind of error has a description that names it")
    func descriptions() {
        #expect(Base64URLError.padding.description.contains("padded"))
        #expect(Base64URLError.characterOutsideAlphabet.description.contains("outside its alphabet"))
        #expect(Base64URLError.impossibleLength.description.contains("encodes no byte string"))
        #expect(Base64URLError.nonCanonical.description.contains("not canonical"))
    }
}

@Suite("Base64URL accepts a last character only when its unused bits are zero")
struct Base64URLCanonicalLastCharacterTests {
    /// A tail of one character leaves four unused bits in the last; a tail of two leaves two.
    struct Tail: Sendable, CustomTestStringConvertible {
        let prefix: String
        let unusedBits: Int
        let byteCount: Int
        var testDescription: String { "after \(prefix), \(unusedBits) unused bits" }
    }

    @Test("the last character's unused bits must be zero", arguments: [
        Tail(prefix: "Z", unusedBits: 0x0F, byteCount: 1), Tail(prefix: "Zm", unusedBits: 0x03, byteCount: 2),
    ], base64URLAlphabet)
    func lastCharacter(tail: Tail, last: Character) throws {
        let value = base64URLAlphabet.firstIndex(of: last)!
        let text = tail.prefix + String(last)
        if value & tail.unusedBits == 0 {
            let bytes = try Base64URL.decode(text)
            #expect(bytes.count == tail.byteCount)
            #expect(Base64URL.encode(bytes) == text)
        } else {
            #expect(throws: Base64URLError.nonCanonical) { try Base64URL.decode(text) }
        }
    }

    @Test("'Zh' would decode to the same byte as 'Zg' but is refused")
    func aliasOfZg() throws {
        #expect(try Base64URL.decode("Zg") == [0x66])
        #expect(throws: Base64URLError.nonCanonical) { try Base64URL.decode("Zh") }
    }

    @Test("'Zm8' is canonical for \"fo\" and its aliases 'Zm9', 'Zm-', 'Zm_' are refused", arguments: ["Zm9", "Zm-", "Zm_"])
    func aliasesOfZm8(alias: String) throws {
        #expect(try Base64URL.decode("Zm8") == Array("fo".utf8))
        #expect(throws: Base64URLError.nonCanonical) { try Base64URL.decode(alias) }
    }

    @Test("a full four-character group has no unused bits, so any last character is accepted", arguments: base64URLAlphabet)
    func fullGroup(last: Character) throws {
        let text = "Zm9" + String(last)
        let bytes = try Base64URL.decode(text)
        #expect(bytes.count == 3)
        #expect(Base64URL.encode(bytes) == text)
    }
}
