/// Converts ECDSA P-256 signatures between JWS's fixed 64-byte R‖S (RFC 7518 §3.4) and the DER
/// `ECDSA-Sig-Value` that libcrypto speaks, strictly in both directions: one signature, one encoding.
package enum ECDSASignatureEncoding {
    /// Bytes in each of R and S for P-256.
    package static let scalarLength = 32

    /// DER for a raw R‖S; nil unless `raw` is exactly 64 bytes.
    package static func der(fromRaw raw: [UInt8]) -> [UInt8]? {
        guard raw.count == 2 * scalarLength else { return nil }
        let r = derInteger(raw[0..<scalarLength])
        let s = derInteger(raw[scalarLength...])
        // At most 2 × 35 bytes, so the short length form always fits.
        return [0x30, UInt8(r.count + s.count)] + r + s
    }

    /// R‖S for a DER signature; nil for anything but the one canonical DER form with both integers
    /// positive and at most 32 bytes long.
    package static func raw(fromDER der: [UInt8]) -> [UInt8]? {
        guard der.count >= 8, der[0] == 0x30, der[1] < 0x80, Int(der[1]) == der.count - 2 else { return nil }
        var position = 2
        guard let r = readInteger(der, at: &position), let s = readInteger(der, at: &position), position == der.count
        else { return nil }
        return r + s
    }

    private static func derInteger(_ scalar: ArraySlice<UInt8>) -> [UInt8] {
        var magnitude = Array(scalar.drop { $0 == 0 })
        if magnitude.isEmpty { magnitude = [0] }
        if magnitude[0] & 0x80 != 0 { magnitude.insert(0, at: 0) }
        return [0x02, UInt8(magnitude.count)] + magnitude
    }

    /// Reads one INTEGER and returns it left-padded to 32 bytes.
    private static func readInteger(_ der: [UInt8], at position: inout Int) -> [UInt8]? {
        guard position + 2 <= der.count, der[position] == 0x02 else { return nil }
        let length = Int(der[position + 1])
        let start = position + 2
        guard length >= 1, length < 0x80, start + length <= der.count else { return nil }
        let content = der[start..<start + length]
        let first = content[start]
        if first & 0x80 != 0 { return nil }  // negative
        if length > 1, first == 0, content[start + 1] & 0x80 == 0 { return nil }  // not minimal
        let magnitude = first == 0 && length > 1 ? content.dropFirst() : content
        guard magnitude.count <= scalarLength else { return nil }
        position = start + length
        return [UInt8](repeating: 0, count: scalarLength - magnitude.count) + magnitude
    }
}
