internal import CLibCrypto

/// The one owner of an `EVP_PKEY`, which it frees.
///
/// Sendable because OpenSSL 3 allows one `EVP_PKEY` to be used from many threads at once as long as
/// nobody changes it, and nothing here changes a key after it is made: every operation makes its own context.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Takes ownership of a key that libcrypto returned.
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    /// Which of the supported kinds this key is, or an error naming what it is instead.
    func keyType() throws(KeyError) -> KeyType {
        if EVP_PKEY_is_a(pointer, "ED25519") == 1 { return .ed25519 }
        if EVP_PKEY_is_a(pointer, "EC") == 1 {
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_group_name(pointer, &name, name.count, &length) == 1 else {
                throw .unsupportedKeyType("an EC key without a named curve")
            }
            let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard curve == "prime256v1" || curve == "P-256" else { throw .unsupportedKeyType("an EC key on curve \(curve)") }
            return .p256
        }
        let typeName = EVP_PKEY_get0_type_name(pointer).map { String(cString: $0) } ?? "unknown"
        throw .unsupportedKeyType("a key of type \(typeName)")
    }

    /// DER produced by one of libcrypto's `i2d_` functions for this key, sized in a first call.
    func encoded(_ operation: String, with i2d: (OpaquePointer, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32)
        throws(KeyError) -> [UInt8]
    {
        let length = i2d(pointer, nil)
        guard length > 0 else { throw .libcrypto(operation) }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return i2d(pointer, &cursor)
        }
        guard written == length else { throw .libcrypto(operation) }
        return der
    }
}
