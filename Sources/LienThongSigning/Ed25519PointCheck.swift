/// The checks OpenSSL's Ed25519 verifier leaves to the caller: it takes any 32 bytes as a public key, and
/// with a point of small order as the key one fixed signature (R the identity, S = 0, among others) verifies
/// every message. Pinning such a key, by mistake or by a peer's choice, must fail when the key is loaded.
enum Ed25519PointCheck {
    /// Refuses an encoding (RFC 8032 §5.1.2: y little-endian in the low 255 bits, x's sign in the top bit)
    /// whose y is not below p = 2^255 − 19, or whose point is one of the eight of small order: y = 1 (the
    /// identity), y = p − 1 (order 2), y = 0 (order 4), and the two y of the points of order 8; each with
    /// either sign bit.
    static func refuseUnsafe(_ encoding: [UInt8]) throws(KeyError) {
        precondition(encoding.count == 32, "an Ed25519 public key is 32 bytes")
        var y = encoding
        y[31] &= 0x7F
        if !isBelowFieldPrime(y) {
            throw .unsafeKey("the Ed25519 key is not canonically encoded (its y is not below 2^255 - 19)")
        }
        if smallOrderY.contains(y) {
            throw .unsafeKey("the Ed25519 key is a point of small order, with which one signature verifies any message")
        }
    }

    /// p = 2^255 − 19, little-endian.
    private static let fieldPrime: [UInt8] = [0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F]

    /// Whether the little-endian `value` is below p, compared from the most significant byte down.
    private static func isBelowFieldPrime(_ value: [UInt8]) -> Bool {
        for index in stride(from: 31, through: 0, by: -1) where value[index] != fieldPrime[index] {
            return value[index] < fieldPrime[index]
        }
        return false
    }

    /// The y coordinates (little-endian, sign bit clear) of the eight points of small order.
    private static let smallOrderY: Set<[UInt8]> = [
        [0x01] + [UInt8](repeating: 0, count: 31),
        [0xEC] + [UInt8](repeating: 0xFF, count: 30) + [0x7F],
        [UInt8](repeating: 0, count: 32),
        bytes(hex: "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
        bytes(hex: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    ]

    private static func bytes(hex: StaticString) -> [UInt8] {
        let digits = hex.withUTF8Buffer { Array($0) }
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }
}
