import Foundation
import LienThongHTTP
import LienThongSigning
import LienThongTestSupport
import Testing

/// libcurl against `openssl s_server` on loopback: a real TLS server that asks for client certificates.
@Suite("Mutual TLS against openssl s_server")
struct ClientCertificateTests {
    let client = runningForTheProcess(try! HTTPClient())

    /// Runs `openssl s_server` with `arguments` added, answering each request with a status page, while `body`
    /// runs with the port it accepts on.
    private func withServer<Result: Sendable>(
        _ pki: TestPKI, _ arguments: [String], _ body: (Int) async throws -> Result
    ) async throws -> Result {
        try await withChild("/usr/bin/openssl", [
            "s_server", "-accept", "127.0.0.1:0", "-cert", pki.certificate("server").path, "-key", pki.key("server").path,
            "-CAfile", pki.certificate("ca").path, "-www",
        ] + arguments) { nextLine in
            while let line = try await nextLine() {
                if line.hasPrefix("ACCEPT "), let port = line.split(separator: ":").last.flatMap({ Int($0) }) { return try await body(port) }
            }
            throw TestPKIError(description: "openssl s_server did not start")
        }
    }

    private func options(_ pki: TestPKI, presenting name: String?) throws -> TransferOptions {
        var options = TransferOptions()
        options.caFile = pki.certificate("ca").path
        options.connectTimeout = .seconds(5)
        options.totalTimeout = .seconds(10)
        if let name {
            let identity = try TLSClientIdentity(certificateURL: pki.certificate(name), keyURL: pki.key(name))
            options.clientCertificate = ClientCertificate(chainPEM: identity.chainPEM, keyPEM: identity.keyPEM)
        }
        return options
    }

    @Test("a server that requires a certificate: ours from its CA is accepted; none, or one from another CA, is refused")
    func requiredCertificate() async throws {
        let pki = try await TestPKI()
        try await withServer(pki, ["-Verify", "1", "-verify_return_error"]) { port in
            let url = "https://localhost:\(port)/"
            let accepted = try await client.get(HTTPRequest(url: url, options: try options(pki, presenting: "client")))
            #expect(accepted.status == 200)
            for presented in [nil, "stranger"] {
                let request = HTTPRequest(url: url, options: try options(pki, presenting: presented))
                do {
                    _ = try await client.get(request)
                    Issue.record("presenting \(presented ?? "no certificate"), the transfer was answered")
                } catch let error as HTTPError {
                    // TLS 1.3 sends the server's refusal after the handshake: libcurl may see it as a failed read.
                    #expect(error.reason == .tls || error.reason == .connectionLost, "\(error)")
                }
            }
        }
    }
}

@Suite("A client certificate and key, read from their files")
struct TLSClientIdentityTests {
    @Test("a matching pair is read: the chain and key as PEM, the end of validity, and a description without the key")
    func matchingPair() async throws {
        let pki = try await TestPKI()
        let identity = try TLSClientIdentity(certificateURL: pki.certificate("client"), keyURL: pki.key("client"))
        #expect(String(decoding: identity.chainPEM, as: UTF8.self).hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(String(decoding: identity.keyPEM, as: UTF8.self).hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let secondsLeft = identity.notAfter.seconds - Int64(Date().timeIntervalSince1970)
        #expect((86_400...(3 * 86_400)).contains(secondsLeft))
        #expect(!identity.description.contains("PRIVATE"))
        #expect(identity.keyWarning == nil)
    }

    @Test("refused, naming the file: a key of another certificate, a key others may read, a key given as the certificate")
    func refused() async throws {
        let pki = try await TestPKI()
        let mismatch = #expect(throws: KeyFileError.self) {
            try TLSClientIdentity(certificateURL: pki.certificate("client"), keyURL: pki.key("stranger"))
        }
        #expect(mismatch?.description.contains("does not belong") == true, "\(String(describing: mismatch))")
        let notCertificate = #expect(throws: KeyFileError.self) {
            try TLSClientIdentity(certificateURL: pki.key("client"), keyURL: pki.key("client"))
        }
        #expect(notCertificate?.description.contains("CERTIFICATE") == true, "\(String(describing: notCertificate))")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: pki.key("client").path)
        let exposed = #expect(throws: KeyFileError.self) {
            try TLSClientIdentity(certificateURL: pki.certificate("client"), keyURL: pki.key("client"))
        }
        #expect(exposed?.description.contains("chmod 600") == true, "\(String(describing: exposed))")
        let allowed = try TLSClientIdentity(certificateURL: pki.certificate("client"), keyURL: pki.key("client"), access: .groupOrOthersAllowed)
        #expect(allowed.keyWarning?.description.contains("others read it") == true)
    }
}
