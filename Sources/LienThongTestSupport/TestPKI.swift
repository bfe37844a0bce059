public import Foundation

/// Certificates made by the `openssl` command for one test, in a temporary folder: a CA, a server
/// certificate for `localhost` and 127.0.0.1, a client certificate from the same CA, and one from a CA the
/// server does not trust. Keys are P-256, PKCS#8, mode 0600.
public final class TestPKI: Sendable {
    public let folder: URL

    public init() async throws {
        folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try await makeCA("ca")
        try await makeCA("other-ca")
        try await makeLeaf("server", issuer: "ca", extensions: ["subjectAltName=DNS:localhost,IP:127.0.0.1", "extendedKeyUsage=serverAuth"])
        try await makeLeaf("client", issuer: "ca", extensions: ["extendedKeyUsage=clientAuth"])
        try await makeLeaf("stranger", issuer: "other-ca", extensions: ["extendedKeyUsage=clientAuth"])
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// `NAME.pem` (certificate) or `NAME.key` (its key) in the folder.
    public func certificate(_ name: String) -> URL { folder.appending(path: "\(name).pem") }
    public func key(_ name: String) -> URL { folder.appending(path: "\(name).key") }

    private func makeCA(_ name: String) async throws {
        try await openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/O=lienthong tests/CN=\(name)", "-keyout", key(name).path, "-out", certificate(name).path,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
        ])
    }

    private func makeLeaf(_ name: String, issuer: String, extensions: [String]) async throws {
        try await openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/O=lienthong tests/CN=\(name)", "-keyout", key(name).path, "-out", certificate(name).path,
            "-CA", certificate(issuer).path, "-CAkey", key(issuer).path, "-addext", "basicConstraints=CA:FALSE",
        ] + extensions.flatMap { ["-addext", $0] })
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key(name).path)
    }

    private func openssl(_ arguments: [String]) async throws {
        let outcome = try await runChild("/usr/bin/openssl", arguments)
        guard outcome.status == 0 else { throw TestPKIError(description: "openssl \(arguments[0]) failed: \(outcome.standardError)") }
    }
}

/// Why the test certificates could not be made.
public struct TestPKIError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}
