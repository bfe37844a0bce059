public import LienThongCore
public import LienThongSigning

/// What every fuzz target shares: the bytes of one input, and a way to stop loudly when a property that
/// must hold for every input does not (libFuzzer keeps the input that made it stop).
public enum Fuzz {
    /// The input libFuzzer passes, copied into an array.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Stops the run: a property that must hold for every input was broken by this one.
    public static func broken(_ property: String) -> Never {
        fatalError("fuzz property broken: \(property)")
    }
}

/// Keys made once per run, so a target can sign what the fuzzer wrote and reach the checks behind the
/// signature. Which key signs does not matter to any check being fuzzed.
public enum FuzzKeys {
    public static let publisher = try! AgencyID("bo-cong-an")
    public static let reader = try! AgencyID("ubnd-ha-noi")
    public static let dataset = try! DatasetName("dan-cu")
    public static let ed25519 = try! PrivateKey.generate(.ed25519)
    public static let es256 = try! PrivateKey.generate(.p256)
    /// Verifies with both keys, whatever `typ`.
    public static let verifier = JWSVerifier(keys: [ed25519.publicKey, es256.publicKey])
}
