import Foundation
import Testing

@Suite("lienthong sign and verify")
struct SignVerifyCommandTests {
    /// A folder with keys for two agencies, made by the command itself.
    final class Agencies {
        let scratch: ScratchFolder
        init() throws {
            scratch = try ScratchFolder()
            for (agency, alg) in [("bo-y-te", "Ed25519"), ("bo-cong-an", "ES256")] {
                let outcome = try CommandRunner.run(["keygen", "--agency", agency, "--alg", alg, "--out", scratch.url.path])
                #expect(outcome.status == 0, "\(outcome.stderr)")
            }
        }
        func privateKey(_ agency: String) -> String { scratch.path("\(agency).key.pem") }
        func publicKey(_ agency: String) -> String { scratch.path("\(agency).pub.pem") }
    }

    static let payload = Data(#"{"ma_dinh_danh":"001099012345","vaccine":"COVID-19","ngay_tiem":"2021-08-01"}"#.utf8 + [0x0A])

    @Test("a signed file verifies and its payload comes back byte for byte", arguments: ["bo-y-te", "bo-cong-an"])
    func roundTrip(agency: String) throws {
        let agencies = try Agencies()
        let file = agencies.scratch.path("payload.json")
        try Self.payload.write(to: URL(fileURLWithPath: file))
        let signed = try CommandRunner.run(["sign", "--key", agencies.privateKey(agency), "--typ", "lienthong-page", file])
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stdoutText.hasSuffix("\n"))

        // The JWS on stdin, with the trailing newline `sign` printed; both keys pinned, as during rotation.
        let verified = try CommandRunner.run(
            ["verify", "--key", agencies.publicKey("bo-y-te"), "--key", agencies.publicKey("bo-cong-an"), "--typ", "lienthong-page", "-"],
            stdin: signed.stdout
        )
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout == Self.payload)
        #expect(verified.stderr.isEmpty)
    }

    @Test("payload from stdin when no file is named")
    func signFromStdin() throws {
        let agencies = try Agencies()
        let signed = try CommandRunner.run(["sign", "--key", agencies.privateKey("bo-y-te")], stdin: Self.payload)
        #expect(signed.status == 0)
        let jwsFile = agencies.scratch.path("page.jws")
        try signed.stdout.write(to: URL(fileURLWithPath: jwsFile))
        let verified = try CommandRunner.run(["verify", "--key", agencies.publicKey("bo-y-te"), jwsFile])
        #expect(verified.stdout == Self.payload)
    }

    struct Failure: Sendable, CustomTestStringConvertible {
        let name: String
        let status: Int32
        let message: String
        let arguments: @Sendable (_ agencies: Agencies, _ jws: String) throws -> (arguments: [String], stdin: Data)
        var testDescription: String { name }
    }

    static let failures: [Failure] = [
        Failure(name: "another agency's key", status: 1, message: "no pinned key has kid") { agencies, jws in
            (["verify", "--key", agencies.publicKey("bo-cong-an")], Data(jws.utf8))
        },
        Failure(name: "white space inside", status: 1, message: "white space") { agencies, jws in
            (["verify", "--key", agencies.publicKey("bo-y-te")], Data((String(jws.prefix(20)) + " " + jws.dropFirst(20)).utf8))
        },
        Failure(name: "tampered payload", status: 1, message: "signature does not verify with key") { agencies, jws in
            var parts = jws.split(separator: ".").map(String.init)
            parts[1] = "eyJ4IjoxfQ"
            return (["verify", "--key", agencies.publicKey("bo-y-te")], Data(parts.joined(separator: ".").utf8))
        },
        Failure(name: "typ required but absent", status: 1, message: "typ is absent") { agencies, jws in
            (["verify", "--key", agencies.publicKey("bo-y-te"), "--typ", "lienthong-page"], Data(jws.utf8))
        },
        Failure(name: "input file missing", status: 2, message: "cannot read") { agencies, _ in
            (["verify", "--key", agencies.publicKey("bo-y-te"), agencies.scratch.path("absent.jws")], Data())
        },
        Failure(name: "key file is not a key", status: 2, message: "is not a public key") { agencies, jws in
            let notKey = agencies.scratch.path("not-a-key.pem")
            try Data("hello".utf8).write(to: URL(fileURLWithPath: notKey))
            return (["verify", "--key", notKey], Data(jws.utf8))
        },
        Failure(name: "private key given as public key", status: 2, message: "is not a public key") { agencies, jws in
            (["verify", "--key", agencies.privateKey("bo-y-te")], Data(jws.utf8))
        },
        Failure(name: "key file missing", status: 2, message: "cannot read") { agencies, jws in
            (["verify", "--key", agencies.scratch.path("absent.pem")], Data(jws.utf8))
        },
        Failure(name: "signing a non-object", status: 2, message: "not a JSON object") { agencies, _ in
            (["sign", "--key", agencies.privateKey("bo-y-te")], Data("[1,2]".utf8))
        },
        Failure(name: "signing with a public key", status: 2, message: "is not a private key") { agencies, _ in
            (["sign", "--key", agencies.publicKey("bo-y-te")], Data("{}".utf8))
        },
    ]

    @Test("failures print one line saying why and exit 1 for a bad JWS, 2 for unreadable input", arguments: failures)
    func failure(_ failure: Failure) throws {
        let agencies = try Agencies()
        let signed = try CommandRunner.run(["sign", "--key", agencies.privateKey("bo-y-te")], stdin: Self.payload)
        let (arguments, stdin) = try failure.arguments(agencies, signed.stdoutText)
        let outcome = try CommandRunner.run(arguments, stdin: stdin)
        #expect(outcome.status == failure.status, "\(outcome.stderr)")
        #expect(outcome.stderr.contains(failure.message), "\(outcome.stderr)")
        #expect(outcome.stderr.filter { $0 == "\n" }.count == 1, "\(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
    }
}

@Suite("lienthong --version and --help")
struct HelpCommandTests {
    @Test("--version names lienthong and the OpenSSL and libcurl it runs with")
    func version() throws {
        let outcome = try CommandRunner.run(["--version"])
        #expect(outcome.status == 0)
        #expect(outcome.stdoutText.hasPrefix("lienthong "))
        #expect(outcome.stdoutText.contains("OpenSSL 3"))
        #expect(outcome.stdoutText.contains("libcurl"))
    }

    @Test("every command has --help", arguments: [[], ["keygen"], ["sign"], ["verify"]])
    func help(command: [String]) throws {
        let outcome = try CommandRunner.run(command + ["--help"])
        #expect(outcome.status == 0)
        #expect(outcome.stdoutText.contains("USAGE:"))
    }
}
