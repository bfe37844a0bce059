import FuzzSupport
import LienThongCore
import LienThongFeed
import LienThongSigning

/// The request-token checks on what a pinned peer could sign: the input is signed as a token payload with
/// the reader's fixed key and checked as the publisher checks it. The raw input is also tried as a token.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestToken(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.bytes(data, size)
    let verifier = RequestTokenVerifier(
        audience: FuzzKeys.publisher, peers: [FuzzKeys.reader: [FuzzKeys.ed25519.publicKey]], clockSkewSeconds: 300, startedAt: UnixTime(seconds: 0),
        replayCapacityPerIssuer: 64
    )
    let target = "/v1/feeds/dan-cu?after=0&limit=1000"
    let now = UnixTime(seconds: 1_790_000_000)
    _ = try? verifier.verify(String(decoding: input, as: UTF8.self), method: "GET", pathAndQuery: target, now: now)
    if let token = try? JWSSigner(key: FuzzKeys.ed25519).sign(payload: input, type: RequestToken.type) {
        _ = try? verifier.verify(token, method: "GET", pathAndQuery: target, now: now)
    }
    return 0
}
