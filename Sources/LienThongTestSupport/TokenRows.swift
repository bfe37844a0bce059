public import LienThongCore
public import LienThongFeed
public import LienThongSigning

/// The target every token row is made for.
public let tokenTarget = "/v1/feeds/dan-cu?after=0&limit=5"

/// A request token by bo-y-te for a GET of `target` at `now`, whose claims `edit` may bend.
public func handMadeToken(
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

/// A request token that breaks one rule, with the reason it must be refused for.
public struct TokenRow: Sendable, CustomStringConvertible {
    public let name: String
    public let reason: RequestTokenRejection.Reason
    /// The token for a request at `now`; nil sends none.
    public let make: @Sendable (_ now: Int64) throws -> String?
    /// Whether the token is first used once, successfully.
    public var usedBefore = false
    // How Swift Testing names each row.
    public var description: String { "\(name) → \(reason)" }

    public init(
        _ name: String, _ reason: RequestTokenRejection.Reason, usedBefore: Bool = false, _ make: @escaping @Sendable (_ now: Int64) throws -> String?
    ) {
        self.name = name
        self.reason = reason
        self.usedBefore = usedBefore
        self.make = make
    }

    public static let all: [TokenRow] = [
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
        TokenRow("a purpose that is not a string", .malformed) { now in try handMadeToken(now: now) { $0["purpose"] = .integer(7) } },
        TokenRow("a purpose with characters other than a-z 0-9 - .", .malformed) { now in
            try handMadeToken(now: now) { $0["purpose"] = .string("Xac_Minh") }
        },
        TokenRow("a purpose of 65 characters", .malformed) { now in
            try handMadeToken(now: now) { $0["purpose"] = .string(String(repeating: "a", count: 65)) }
        },
    ]
}
