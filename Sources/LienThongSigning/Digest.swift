/// Digests through the libcrypto this process is linked with.
public enum Digest {
    /// SHA-256 of `bytes` in lower-case hexadecimal (64 digits).
    public static func sha256Hex(_ bytes: [UInt8]) throws(KeyError) -> String {
        let hexDigits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in try LibCrypto.sha256(bytes) {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
