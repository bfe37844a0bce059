public import LienThongCore

/// Signs JSON payloads as JWS Compact Serialization (RFC 7515) with one agency key.
public struct JWSSigner: Sendable {
    public let key: PrivateKey

    public init(key: PrivateKey) {
        self.key = key
    }

    /// Signs `payload`, which must be the UTF-8 bytes of a JSON object; they are signed exactly as given.
    /// The protected header holds `alg`, `kid` and, when given, `typ`.
    public func sign(payload: [UInt8], type: String? = nil) throws(JWSSigningError) -> String {
        let parsed: JSONValue
        do {
            parsed = try JSONValue(parsing: payload)
        } catch {
            throw JWSSigningError("payload is not a JSON object: \(error)")
        }
        guard case .object = parsed else { throw JWSSigningError("payload is \(parsed.kindName), not a JSON object") }
        return try signChecked(payload: payload, type: type)
    }

    /// Signs a JSON object as its canonical serialization, with no need to parse it again.
    public func sign(json: JSONValue, type: String? = nil) throws(JWSSigningError) -> String {
        guard case .object = json else { throw JWSSigningError("payload is \(json.kindName), not a JSON object") }
        return try signChecked(payload: json.serialized(), type: type)
    }

    /// Signs bytes that lienthong itself wrote as one JSON object, without parsing them again, and gives the
    /// compact JWS as its bytes (ASCII), ready to send. Only for payloads put together by this package from
    /// values it has already checked.
    package func signedBytes(trustedObject payload: [UInt8], type: String? = nil) throws(JWSSigningError) -> [UInt8] {
        try compactBytes(payload: payload, type: type)
    }

    private func signChecked(payload: [UInt8], type: String?) throws(JWSSigningError) -> String {
        String(decoding: try compactBytes(payload: payload, type: type), as: UTF8.self)
    }

    /// The compact serialization, written once into one buffer: pages run to megabytes.
    private func compactBytes(payload: [UInt8], type: String?) throws(JWSSigningError) -> [UInt8] {
        var header: [String: JSONValue] = [
            "alg": .string(key.type.signingAlgorithm.rawValue), "kid": .string(key.publicKey.keyID),
        ]
        if let type { header["typ"] = .string(type) }
        var compact: [UInt8] = []
        // Header and signature take well under 1 KiB; the payload grows by a third.
        compact.reserveCapacity(payload.count / 3 * 4 + 1024)
        Base64URL.append(JSONValue.object(header).serialized(), to: &compact)
        compact.append(UInt8(ascii: "."))
        Base64URL.append(payload, to: &compact)
        do {
            let signature = try key.signature(for: compact)
            compact.append(UInt8(ascii: "."))
            Base64URL.append(signature, to: &compact)
            return compact
        } catch {
            throw JWSSigningError("cannot sign: \(error)")
        }
    }
}

/// Why a payload could not be signed.
public struct JWSSigningError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A JWS that passed every check, with what the checks established.
public struct VerifiedJWS: Sendable {
    /// The protected header, all of whose members were checked or are harmless.
    public let header: [String: JSONValue]
    /// The payload bytes exactly as signed.
    public let payload: [UInt8]
    /// The payload, parsed: always an object.
    public let payloadJSON: JSONValue
    /// The pinned key that verified the signature.
    public let key: PublicKey
    public let algorithm: JWSAlgorithm
}

/// Checks compact JWS against a set of pinned public keys.
///
/// The header's `kid` picks the key by exact match, and the key decides which `alg` values are allowed;
/// nothing in the JWS can bring its own key or change how it is read. The checks run in a fixed order and
/// the first that fails is the error: structure, base64url, header, key and algorithm, signature, and
/// last the payload, which is parsed only once the signature holds.
public struct JWSVerifier: Sendable {
    /// Header members refused outright: they would let the sender change how the JWS is read
    /// (`crit`, `b64`, `zip`) or which key checks it (`jku`, `jwk`, `x5u`, `x5c`).
    public static let forbiddenHeaderMembers: Set<String> = ["crit", "b64", "zip", "jku", "jwk", "x5u", "x5c"]

    private let keysByID: [String: PublicKey]
    private let requiredType: String?

    /// A verifier that knows each key by its thumbprint ``PublicKey/keyID``; when `requiredType` is set,
    /// the header's `typ` must equal it exactly.
    public init(keys: some Sequence<PublicKey>, requiredType: String? = nil) {
        self.init(keysByID: Dictionary(keys.map { ($0.keyID, $0) }, uniquingKeysWith: { first, _ in first }), requiredType: requiredType)
    }

    /// A verifier whose keys go by other ids than their thumbprints, as keys from other JOSE systems may.
    public init(keysByID: [String: PublicKey], requiredType: String? = nil) {
        self.keysByID = keysByID
        self.requiredType = requiredType
    }

    /// Verifies one compact JWS given exactly (no surrounding white space).
    public func verify(_ compact: String) throws(JWSError) -> VerifiedJWS {
        try verify(utf8: Array(compact.utf8))
    }

    /// Verifies one compact JWS given as bytes.
    public func verify(utf8 compact: [UInt8]) throws(JWSError) -> VerifiedJWS {
        if let space = compact.firstIndex(where: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            throw JWSError(.whiteSpace, LocalizedMessage("jws.white-space", ["offset": "\(space)"]))
        }
        let dots = compact.indices.filter { compact[$0] == UInt8(ascii: ".") }
        guard dots.count == 2 else { throw JWSError(.segmentCount, LocalizedMessage("jws.segment-count", ["count": "\(dots.count + 1)"])) }
        let headerText = compact[..<dots[0]]
        let payloadText = compact[(dots[0] + 1)..<dots[1]]
        let signatureText = compact[(dots[1] + 1)...]
        guard !signatureText.isEmpty else { throw JWSError(.emptySignature, LocalizedMessage("jws.empty-signature")) }

        let headerBytes = try decodeSegment(headerText, named: "header")
        let payload = try decodeSegment(payloadText, named: "payload")
        let signature = try decodeSegment(signatureText, named: "signature")

        let header = try parseHeader(headerBytes)
        let (key, algorithm) = try pickKey(for: header)
        if let requiredType {
            let found = header["typ"]
            guard found == .string(requiredType) else {
                let shown = found.map { $0.stringValue?.quotedForMessage ?? $0.kindName } ?? "absent"
                throw JWSError(.typeMismatch, LocalizedMessage("jws.type-mismatch", ["found": shown, "expected": requiredType.debugDescription]))
            }
        }
        guard signature.count == 64 else {
            throw JWSError(.signatureLength, LocalizedMessage("jws.signature-length", ["algorithm": "\(algorithm)", "count": "\(signature.count)"]))
        }
        guard key.isValidSignature(signature, for: Array(compact[..<dots[1]])) else {
            throw JWSError(.signatureInvalid, LocalizedMessage("jws.signature-invalid", ["kid": "\(key.keyID)"]))
        }

        let payloadJSON: JSONValue
        do {
            payloadJSON = try JSONValue(parsing: payload)
        } catch {
            throw JWSError(.payloadNotJSONObject, LocalizedMessage("jws.payload-not-json", ["reason": "\(error)"]))
        }
        guard case .object = payloadJSON else {
            throw JWSError(.payloadNotJSONObject, LocalizedMessage("jws.payload-kind", ["kind": payloadJSON.kindName]))
        }
        return VerifiedJWS(header: header, payload: payload, payloadJSON: payloadJSON, key: key, algorithm: algorithm)
    }

    private func decodeSegment(_ text: ArraySlice<UInt8>, named name: String) throws(JWSError) -> [UInt8] {
        do {
            return try Base64URL.decode(utf8: text)
        } catch {
            throw JWSError(.invalidBase64URL, LocalizedMessage("jws.base64url", ["segment": name, "reason": "\(error)"]))
        }
    }

    private func parseHeader(_ bytes: [UInt8]) throws(JWSError) -> [String: JSONValue] {
        let parsed: JSONValue
        do {
            parsed = try JSONValue(parsing: bytes)
        } catch where error.isDuplicateMember {
            throw JWSError(.duplicateHeaderMember, LocalizedMessage("jws.header-duplicate"))
        } catch {
            throw JWSError(.headerNotJSONObject, LocalizedMessage("jws.header-not-json", ["reason": "\(error)"]))
        }
        guard case .object(let header) = parsed else {
            throw JWSError(.headerNotJSONObject, LocalizedMessage("jws.header-kind", ["kind": parsed.kindName]))
        }
        if let forbidden = header.keys.filter(Self.forbiddenHeaderMembers.contains).sorted().first {
            throw JWSError(.forbiddenHeaderMember, LocalizedMessage("jws.header-forbidden", ["member": forbidden.debugDescription]))
        }
        return header
    }

    private func pickKey(for header: [String: JSONValue]) throws(JWSError) -> (PublicKey, JWSAlgorithm) {
        guard let algorithmName = header["alg"]?.stringValue else {
            throw JWSError(.missingAlgorithm, LocalizedMessage("jws.no-alg"))
        }
        guard let keyID = header["kid"]?.stringValue else {
            throw JWSError(.missingKeyID, LocalizedMessage("jws.no-kid"))
        }
        guard let key = keysByID[keyID] else {
            throw JWSError(.unknownKeyID, LocalizedMessage("jws.unknown-kid", ["kid": keyID.quotedForMessage]))
        }
        guard let algorithm = JWSAlgorithm(rawValue: algorithmName), key.type.acceptedAlgorithms.contains(algorithm) else {
            throw JWSError(.algorithmNotAllowed, LocalizedMessage("jws.algorithm", ["algorithm": algorithmName.quotedForMessage, "type": "\(key.type)"]))
        }
        return (key, algorithm)
    }
}
