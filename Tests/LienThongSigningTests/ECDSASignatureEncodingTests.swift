import LienThongSigning
import Testing

@Suite("ECDSA signature encoding")
struct ECDSASignatureEncodingTests {
    @Test("R‖S converts to minimal DER and back", arguments: [
        ([UInt8](repeating: 0x01, count: 64), "3044022001010101010101010101010101010101010101010101010101010101010101010220" + String(repeating: "01", count: 32)),
        ([0x80] + [UInt8](repeating: 0, count: 62) + [0x05], "30260221" + "0080" + String(repeating: "00", count: 31) + "020105"),
    ])
    func conversions(raw: [UInt8], derHex: String) {
        #expect(ECDSASignatureEncoding.der(fromRaw: raw) == [UInt8](hex: derHex))
        #expect(ECDSASignatureEncoding.raw(fromDER: [UInt8](hex: derHex)) == raw)
    }

    @Test("R‖S must be exactly 64 bytes", arguments: [0, 1, 63, 65, 96])
    func rawLength(count: Int) {
        #expect(ECDSASignatureEncoding.der(fromRaw: [UInt8](repeating: 7, count: count)) == nil)
    }

    static let badDER: [(String, String)] = [
        ("empty", ""),
        ("not a sequence", "3106020101020101"),
        ("long-form length", "30810602010102010100"),
        ("length too long", "3007020101020101"),
        ("length too short", "3005020101020101"),
        ("trailing byte", "300602010102010100"),
        ("integer tag wrong", "3006030101020101"),
        ("negative r", "3006020181020101"),
        ("non-minimal r", "300702020001020101"),
        ("zero-length r", "30050200020101"),
        ("r of 33 bytes without sign byte", "30260221" + "01" + String(repeating: "02", count: 32) + "020101"),
        ("s missing", "3003020101"),
    ]

    @Test("anything but canonical DER is refused", arguments: badDER)
    func refusesNonCanonical(name: String, derHex: String) {
        #expect(ECDSASignatureEncoding.raw(fromDER: [UInt8](hex: derHex)) == nil, "\(name)")
    }
}
