import FuzzSupport
import LienThongCore

/// base64url on any bytes: decoding refuses or yields bytes whose encoding is exactly the input (only
/// canonical text is accepted), and any bytes encode to text that decodes back to them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBase64URL(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.bytes(data, size)
    if let decoded = try? Base64URL.decode(utf8: input) {
        guard Array(Base64URL.encode(decoded).utf8) == input else { Fuzz.broken("accepted text is canonical") }
    }
    guard (try? Base64URL.decode(Base64URL.encode(input))) == input else { Fuzz.broken("encoding round-trips") }
    return 0
}
