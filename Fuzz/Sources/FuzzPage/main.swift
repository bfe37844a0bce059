import FuzzSupport
import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongSigning

/// The page checks and the record rules on what a pinned publisher could sign: the input is signed as a
/// page payload with the publisher's fixed key, then checked as a puller checks it, and each record that
/// passes the page checks goes through the record rules. The raw input is also tried as a compact page.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.bytes(data, size)
    let now = UnixTime(seconds: 1_767_225_600)
    let expected = PageExpectation(
        publisher: FuzzKeys.publisher, audience: FuzzKeys.reader, pulledDatasets: [FuzzKeys.dataset], now: now, clockSkewSeconds: 300
    )
    let verifier = JWSVerifier(keys: [FuzzKeys.ed25519.publicKey], requiredType: FeedPage.type)
    _ = try? FeedPage(compact: input, verifier: verifier, expected: expected)
    guard let compact = try? JWSSigner(key: FuzzKeys.ed25519).sign(payload: input, type: FeedPage.type),
        let page = try? FeedPage(compact: Array(compact.utf8), verifier: verifier, expected: expected)
    else { return 0 }
    for (_, json) in page.records {
        _ = try? RecordVersion(
            json: json, dataset: page.dataset, publisher: page.publisher, now: now, clockSkewSeconds: 300
        )
    }
    return 0
}
