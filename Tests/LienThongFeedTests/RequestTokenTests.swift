import LienThongCore
import LienThongFeed
import LienThongSigning
import Testing

/// The target every token row is made for.
let tokenTarget = "/v1/feeds/dan-cu?after=0&limit=5"

/// A request token by bo-y-te for a GET of `target` at `now`, whose claims `edit` may bend.
func handMadeToken(
    target: String = tokenTarget, now: Int64, key: PrivateKey = requesterKey, type: String = RequestToken.type,
    edit: (inout [String: JSONValue]) -> Void = { _ in }
) throws -> String {
    var claims: [String: JSONValue] = [
        "iss": .string(boYTe.rawValue), "aud": .string(boCongAn.rawValue), "iat": .integer(now), "exp": .integer(now + 60),
        "jti": .string("jti-\(now)-\(Int.random(in: 0..<Int.max))"), "htm": .string("GET"), "htu": .string(target),
    ]
    edit(&claims)
    return try JWSSigner(key: key).sign(payload: JSONValue.object(claims).serialized(), type: type)
}

struct TokenRow: Sendable, CustomTestStringConvertible {
    let name: String
    let reason: RequestTokenRejection.Reason
    /// The token for a request at `now`; nil sends none.
    let make: @Sendable (_ now: Int64) throws -> String?
    /// Whether the token is first used once, successfully.
    var usedBefore = false
    var testDescription: String { "\(name) → \(reason)" }

    init(
        _ name: String, _ reason: RequestTokenRejection.Reason, usedBefore: Bool = false, _ make: @escaping @Sendable (_ now: Int64) throws -> String?
    ) {
        self.name = name
        self.reason = reason
        self.usedBefore = usedBefore
        self.make = make
    }

    static let all: [TokenRow] = [
        TokenRow("no token", .missing) { _ in nil },
        TokenRow("a flipped signature bit", .signature) { now in
            var token = Array(try handMadeToken(now: now).utf8)
            token[token.count - 3] = token[token.count - 3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            return String(decoding: token, as: UTF8.self)
        },
        TokenRow("signed by a stranger's key", .signature) { now in
            try handMadeToken(now: now, key: strangerKey) { $0["iss"] = .string("so-ngoai-vu") }
        },
        TokenRow("an issuer that is not a peer, with a peer's key", .unknownIssuer) { now in
            try handMadeToken(now: now) { $0["iss"] = .string("so-ngoai-vu") }
        },
        TokenRow("one peer's key under another peer's name", .signature) { now in try handMadeToken(now: now, key: soTuPhapKey) },
        TokenRow("the typ of a page", .signature) { now in try handMadeToken(now: now, type: FeedPage.type) },
        TokenRow("addressed to another agency", .wrongAudience) { now in
            try handMadeToken(now: now) { $0["aud"] = .string(soTuPhap.rawValue) }
        },
        TokenRow("expired", .expired) { now in
            try handMadeToken(now: now) { $0["iat"] = .integer(now - 400); $0["exp"] = .integer(now - 100) }
        },
        TokenRow("expiring this second", .expired) { now in
            try handMadeToken(now: now) { $0["iat"] = .integer(now - 60); $0["exp"] = .integer(now) }
        },
        TokenRow("issued beyond the clock skew", .issuedInFuture) { now in
            try handMadeToken(now: now) { $0["iat"] = .integer(now + 400); $0["exp"] = .integer(now + 460) }
        },
        TokenRow("valid for 301 s", .lifetime) { now in try handMadeToken(now: now) { $0["exp"] = .integer(now + 301) } },
        TokenRow("times at the ends of Int64", .lifetime) { now in
            try handMadeToken(now: now) { $0["iat"] = .integer(Int64.min); $0["exp"] = .integer(Int64.max) }
        },
        TokenRow("expiring before it is issued", .lifetime) { now in
            try handMadeToken(now: now) { $0["iat"] = .integer(now + 100); $0["exp"] = .integer(now + 50) }
        },
        TokenRow("used twice", .replayed, usedBefore: true) { now in try handMadeToken(now: now) },
        TokenRow("for another query", .wrongTarget) { now in try handMadeToken(target: "/v1/feeds/dan-cu?after=0", now: now) },
        TokenRow("for the same path percent-encoded", .wrongTarget) { now in
            try handMadeToken(target: "/v1/feeds/dan%2Dcu?after=0&limit=5", now: now)
        },
        TokenRow("for another method", .wrongMethod) { now in try handMadeToken(now: now) { $0["htm"] = .string("POST") } },
        TokenRow("a jti of 15 characters", .malformed) { now in
            try handMadeToken(now: now) { $0["jti"] = .string(String(repeating: "a", count: 15)) }
        },
        TokenRow("no exp", .malformed) { now in try handMadeToken(now: now) { $0["exp"] = nil } },
    ]
}

@Suite("Request tokens")
struct RequestTokenTests {
    let now = wallClock()
    let verifier = RequestTokenVerifier(
        audience: boCongAn, peers: [boYTe: [requesterKey.publicKey], soTuPhap: [soTuPhapKey.publicKey]], clockSkewSeconds: 300,
        startedAt: wallClock() - 1000
    )

    @Test("a token that breaks a rule is refused with its reason", arguments: TokenRow.all.filter { $0.reason != .missing })
    func refused(row: TokenRow) throws {
        let token = try #require(try row.make(now))
        if row.usedBefore {
            #expect(try verifier.verify(token, method: "GET", pathAndQuery: tokenTarget, now: now) == boYTe)
        }
        let error = #expect(throws: RequestTokenRejection.self) {
            try verifier.verify(token, method: "GET", pathAndQuery: tokenTarget, now: now)
        }
        #expect(error?.reason == row.reason, "\(String(describing: error))")
        #expect(error.map { !$0.description.contains(token) } ?? false)
    }

    @Test("a signer's token passes; its lifetime is at most 300 s and every jti is new")
    func signerAndVerifierAgree() throws {
        let signer = RequestTokenSigner(agency: boYTe, key: requesterKey, lifetimeSeconds: 1000)
        #expect(signer.lifetimeSeconds == RequestToken.maximumLifetimeSeconds)
        let first = try signer.token(audience: boCongAn, pathAndQuery: tokenTarget, now: now)
        let second = try signer.token(audience: boCongAn, pathAndQuery: tokenTarget, now: now)
        #expect(try verifier.verify(first, method: "GET", pathAndQuery: tokenTarget, now: now) == boYTe)
        #expect(try verifier.verify(second, method: "GET", pathAndQuery: tokenTarget, now: now) == boYTe)
        let claims = try JWSVerifier(keys: [requesterKey.publicKey], requiredType: RequestToken.type).verify(first).payloadJSON
        #expect(claims["exp"]?.int64Value == now + 300)
        let jti = try #require(claims["jti"]?.stringValue)
        #expect(jti.count >= 16)
        #expect(jti != (try JWSVerifier(keys: [requesterKey.publicKey]).verify(second).payloadJSON["jti"]?.stringValue))
    }

    @Test("a verifier made from another keeps its memory of used tokens")
    func reconfiguredVerifierRemembers() throws {
        let token = try handMadeToken(now: now)
        #expect(try verifier.verify(token, method: "GET", pathAndQuery: tokenTarget, now: now) == boYTe)
        let reloaded = verifier.reconfigured(audience: boCongAn, peers: [boYTe: [requesterKey.publicKey]], clockSkewSeconds: 60)
        let error = #expect(throws: RequestTokenRejection.self) { try reloaded.verify(token, method: "GET", pathAndQuery: tokenTarget, now: now) }
        #expect(error?.reason == .replayed)
    }

    @Test("when the replay cache is full of live tokens, new ones wait; expired ones make room")
    func boundedReplayCache() throws {
        let small = RequestTokenVerifier(
            audience: boCongAn, peers: [boYTe: [requesterKey.publicKey]], clockSkewSeconds: 300, startedAt: now, replayCapacityPerIssuer: 2
        )
        for _ in 0..<2 { _ = try small.verify(try handMadeToken(now: now), method: "GET", pathAndQuery: tokenTarget, now: now) }
        let error = #expect(throws: RequestTokenRejection.self) {
            try small.verify(try handMadeToken(now: now), method: "GET", pathAndQuery: tokenTarget, now: now)
        }
        #expect(error?.reason == .replayCacheFull)
        let later = now + 61
        #expect(try small.verify(try handMadeToken(now: later), method: "GET", pathAndQuery: tokenTarget, now: later) == boYTe)
        #expect(small.rememberedTokenCount == 1)
    }
}

@Suite("Publisher: request tokens over HTTP")
struct PublisherTokenTests {
    @Test("a refused token gets 401 with a JSON error that leaks nothing", arguments: TokenRow.all)
    func unauthorized(row: TokenRow) async throws {
        try await withPublisher { server in
            let token = try row.make(wallClock())
            let headers = token.map { [("Authorization", "Bearer \($0)")] } ?? []
            if row.usedBefore {
                #expect(try await httpGet(port: server.port, target: tokenTarget, headers: headers).status == 200)
            }
            let reply = try await httpGet(port: server.port, target: tokenTarget, headers: headers)
            #expect(reply.status == 401)
            #expect(reply.headers["www-authenticate"] == "Bearer")
            let body = try #require(try errorBody(reply))
            #expect(body.error == "unauthorized")
            #expect(body.message == "request token refused: \(row.reason)")
            for secret in [token, "so-ngoai-vu", "Nguyễn", withheldValue, requesterKey.publicKey.keyID].compactMap({ $0 }) {
                #expect(!reply.text.contains(secret))
            }
        }
    }
}
