internal import CLibCrypto

/// Small helpers over libcrypto calls that every key operation needs.
enum LibCrypto {
    /// Empties this thread's OpenSSL error queue and returns its first entry as text.
    static func drainErrors() -> String {
        let first = ERR_get_error()
        ERR_clear_error()
        guard first != 0 else { return "no detail from OpenSSL" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(first, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// SHA-256 of `bytes`.
    static func sha256(_ bytes: [UInt8]) throws(KeyError) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard EVP_Digest(bytes, bytes.count, &digest, &length, EVP_sha256(), nil) == 1, length == 32 else {
            throw .libcrypto("compute SHA-256")
        }
        return digest
    }

    /// The version of the libcrypto this process runs with, such as `OpenSSL 3.0.19 27 Jan 2026`.
    static var version: String { String(cString: OpenSSL_version(OPENSSL_VERSION)) }
}

/// Facts about the libcrypto this process is linked with.
public enum LibCryptoRuntime {
    /// Such as `OpenSSL 3.0.19 27 Jan 2026`.
    public static var versionDescription: String { LibCrypto.version }
}
