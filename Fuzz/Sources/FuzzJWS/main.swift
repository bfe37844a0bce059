import FuzzSupport
import LienThongCore
import LienThongSigning

/// The JWS verifier on any bytes as a compact JWS (refused with a reason, never a crash), and the input as
/// a payload: signed with each fixed key, it verifies and gives back exactly those bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJWS(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.bytes(data, size)
    _ = try? FuzzKeys.verifier.verify(utf8: input)
    for key in [FuzzKeys.ed25519, FuzzKeys.es256] {
        guard let compact = try? JWSSigner(key: key).sign(payload: input) else { continue }
        guard let verified = try? FuzzKeys.verifier.verify(compact) else { Fuzz.broken("a signed payload verifies") }
        guard verified.payload == input else { Fuzz.broken("verification gives back the signed bytes") }
    }
    return 0
}
