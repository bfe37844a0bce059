import LienThongCore
import LienThongFeed
import LienThongSigning
import LienThongTestSupport
import Testing

@Suite("Request tokens")
struct RequestTokenTests {
    let now = wallClock()
    let verifier = RequestTokenVerifier(
        audience: boCongAn, peers: [boYTe: [requesterKey.publicKey], soTuPhap: [soTuPhapKey.publicKey]], clockSkewSeconds: 300,
        startedAt: UnixTime(seconds: wallClock() - 1000)
    )

    @Test("a token that breaks a rule is refused with its reason", arguments: TokenRow.all.filter { $0.reason != .missing })
    func refused(row: TokenRow) throws {
        let token = try #require(try row.make(now))
        if row.usedBefore {
            #expect(try verifier.verify(token, method: "GET", pathAndQuery: tokenTarget, now: UnixTime(seconds: now)) == boYTe)
        }
        let error = #expect(throws: RequestTokenRejection.self) {
            try verifier.verify(token, method: "GET", pathAndQuery: tokenTarget, now: UnixTime(seconds: now))
        }
        #expect(error?.reason == row.reason, "\(String(describing: error))")
        #expect(error.map { !$0.description.contains(token) } ?? false)
    }

    @Test("a signer's token passes; its lifetime is at most 300 s and every jti is new")
    func signerAndVerifierAgree() throws {
        let signer = RequestTokenSigner(agency: boYTe, key: requesterKey, lifetimeSeconds: 1000)
        #expect(signer.lifetimeSeconds == RequestToken.maximumLifetimeSeconds)
        let first = try signer.token(audience: boCongAn, pathAndQuery: tokenTarget, now: UnixTime(seconds: now))
        let second = try signer.token(audience: boCongAn, pathAndQuery: tokenTarget, now: UnixTime(seconds: now))
        #expect(try verifier.verify(first, method: "GET", pathAndQuery: tokenTarget, now: UnixTime(seconds: now)) == boYTe)
        #expect(try verifier.verify(second, method: "GET", pathAndQuery: tokenTarget, now: UnixTime(seconds: now)) == boYTe)
        let claims = try JWSVerifier(keys: [requesterKey.publicKey], requiredType: RequestToken.type).verify(first).payloadJSON
        #expect(claims["exp"]?.int64Value == now + 300)
        let jti = try #require(claims["jti"]?.stringValue)
        #expect(jti.count >= 16)
        #expect(jti != (try JWSVerifier(keys: [requesterKey.publicKey]).verify(second).payloadJSON["jti"]?.stringValue))
    }

    @Test("a token's purpose is optional; stated, the checked token carries it, at 64 characters too", arguments: [nil, "xac-minh", "thong-ke.2026", String(repeating: "a", count: 64)])
    func purposeClaim(purpose: String?) throws {
        let code = try purpose.map { try PurposeCode($0) }
        let token = try boYTeSigner.token(audience: boCongAn, pathAndQuery: tokenTarget, now: UnixTime(seconds: now), purpose: code)
        let claims = try JWSVerifier(keys: [requesterKey.publicKey], requiredType: RequestToken.type).verify(token).payloadJSON
        #expect(claims["purpose"] == purpose.map(JSONValue.string))
        let checked = try verifier.check(token, method: "GET", pathAndQuery: tokenTarget, now: UnixTime(seconds: now))
        #expect(checked.issuer == boYTe)
        #expect(checked.purpose == code)
    }

    @Test("a verifier made from another keeps its memory of used tokens")
    func reconfiguredVerifierRemembers() throws {
        let token = try handMadeToken(now: now)
        #expect(try verifier.verify(token, method: "GET", pathAndQuery: tokenTarget, now: UnixTime(seconds: now)) == boYTe)
        let reloaded = verifier.reconfigured(audience: boCongAn, peers: [boYTe: [requesterKey.publicKey]], clockSkewSeconds: 60)
        let error = #expect(throws: RequestTokenRejection.self) { try reloaded.verify(token, method: "GET", pathAndQuery: tokenTarget, now: UnixTime(seconds: now)) }
        #expect(error?.reason == .replayed)
    }

    @Test("when the replay cache is full of live tokens, new ones wait; expired ones make room")
    func boundedReplayCache() throws {
        let small = RequestTokenVerifier(
            audience: boCongAn, peers: [boYTe: [requesterKey.publicKey]], clockSkewSeconds: 300, startedAt: UnixTime(seconds: now), replayCapacityPerIssuer: 2
        )
        for _ in 0..<2 { _ = try small.verify(try handMadeToken(now: now), method: "GET", pathAndQuery: tokenTarget, now: UnixTime(seconds: now)) }
        let error = #expect(throws: RequestTokenRejection.self) {
            try small.verify(try handMadeToken(now: now), method: "GET", pathAndQuery: tokenTarget, now: UnixTime(seconds: now))
        }
        #expect(error?.reason == .replayCacheFull)
        let later = now + 61
        #expect(try small.verify(try handMadeToken(now: later), method: "GET", pathAndQuery: tokenTarget, now: UnixTime(seconds: later)) == boYTe)
        #expect(small.rememberedTokenCount == 1)
    }
}
