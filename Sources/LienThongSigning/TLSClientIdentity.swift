public import Foundation
internal import CLibCrypto
public import LienThongCore

/// The certificate chain and private key an agency presents in TLS handshakes (mutual TLS), read from their
/// files and checked before any transfer uses them: the chain is one or more PEM certificates, its first the
/// agency's own; the key is an unencrypted PKCS#8 PEM (RSA, EC or Ed25519), read under the signing key's
/// file rules, and it must belong to that first certificate. Kept as PEM text, which libcurl takes from
/// memory, so that a reload replaces both at once.
public struct TLSClientIdentity: Sendable, CustomStringConvertible {
    public let chainPEM: [UInt8]
    public let keyPEM: [UInt8]
    /// Why the key file's mode is unsafe, when it was loaded under ``PrivateKeyFileAccess/groupOrOthersAllowed``.
    public let keyWarning: LocalizedMessage?
    /// When the agency's own certificate stops being valid.
    public let notAfter: UnixTime

    /// The most certificates a chain file may hold.
    public static let maximumChainLength = 8

    public init(certificateURL: URL, keyURL: URL, access: PrivateKeyFileAccess = .ownerOnly) throws(KeyFileError) {
        let chainText: String
        do {
            chainText = try String(contentsOf: certificateURL, encoding: .utf8)
        } catch {
            throw KeyFileError(LocalizedMessage("error.key.certificate-unreadable", ["path": certificateURL.path, "reason": error.localizedDescription]))
        }
        let certificates: [PEMDocument]
        do {
            certificates = try PEMDocument.all(in: chainText)
        } catch {
            throw KeyFileError(LocalizedMessage("error.key.not-chain", ["path": certificateURL.path, "reason": "\(error)"]))
        }
        guard !certificates.isEmpty, certificates.count <= Self.maximumChainLength,
            certificates.allSatisfy({ $0.label == "CERTIFICATE" })
        else {
            throw KeyFileError(LocalizedMessage("error.key.chain-length", ["path": certificateURL.path, "most": "\(Self.maximumChainLength)"]))
        }
        var parsed: [OpaquePointer] = []
        defer { parsed.forEach { X509_free($0) } }
        for (index, document) in certificates.enumerated() {
            guard let certificate = Self.certificate(document.der) else {
                _ = LibCrypto.drainErrors()
                throw KeyFileError(LocalizedMessage("error.key.chain-der", ["path": certificateURL.path, "index": "\(index + 1)"]))
            }
            parsed.append(certificate)
        }
        let (keyText, mode) = try PrivateKeyFile.readSecret(keyURL)
        var keyDocument: PEMDocument
        do {
            keyDocument = try PEMDocument(text: keyText)
        } catch {
            throw KeyFileError(LocalizedMessage("error.key.not-private", ["path": keyURL.path, "reason": "\(error)"]))
        }
        defer { keyDocument.wipe() }
        guard keyDocument.label == "PRIVATE KEY", let key = PrivateKey.decodePKCS8(keyDocument.der) else {
            _ = LibCrypto.drainErrors()
            throw KeyFileError(LocalizedMessage("error.key.not-pkcs8", ["path": keyURL.path]))
        }
        defer { EVP_PKEY_free(key) }
        try PrivateKeyFile.checkMode(mode, of: keyURL, access: access)
        guard X509_check_private_key(parsed[0], key) == 1 else {
            _ = LibCrypto.drainErrors()
            throw KeyFileError(LocalizedMessage("error.key.mismatch", ["key": keyURL.path, "certificate": certificateURL.path]))
        }
        guard let notAfter = Self.notAfter(parsed[0]) else {
            throw KeyFileError(LocalizedMessage("error.key.validity", ["path": certificateURL.path]))
        }
        chainPEM = Array(chainText.utf8)
        keyPEM = Array(keyText.utf8)
        keyWarning = PrivateKeyFileAccess.groupOrOthersAllowed == access
            ? PrivateKeyFile.exposure(mode).map { LocalizedMessage("key.warning.client", ["path": keyURL.path, "exposure": $0]) }
            : nil
        self.notAfter = notAfter
    }

    /// Never the key.
    public var description: String { "client certificate (\(chainPEM.count) bytes of PEM chain)" }

    private static func certificate(_ der: [UInt8]) -> OpaquePointer? {
        der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            guard let certificate = d2i_X509(nil, &cursor, buffer.count) else { return nil }
            guard cursor == buffer.baseAddress.map({ $0 + buffer.count }) else {
                X509_free(certificate)
                return nil
            }
            return certificate
        }
    }

    private static func notAfter(_ certificate: OpaquePointer) -> UnixTime? {
        guard let time = X509_get0_notAfter(certificate) else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return UnixTime(milliseconds: Int64(timegm(&parts)) * 1000)
    }
}
