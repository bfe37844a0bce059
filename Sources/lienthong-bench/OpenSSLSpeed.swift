import Foundation
import LienThongTestSupport

/// Runs `openssl speed` and reads the figures it prints.
enum OpenSSLSpeed {
    /// Verifications per second for each algorithm row of `openssl speed ALGORITHM…`, keyed by the
    /// name in its parentheses (`Ed25519`, `nistp256`).
    static func verifyRates(_ algorithms: [String], seconds: Int) async throws -> [String: Double] {
        let output = try await run(["speed", "-seconds", String(seconds)] + algorithms)
        var rates: [String: Double] = [:]
        for line in output.split(separator: "\n") {
            guard let open = line.firstIndex(of: "("), let close = line.firstIndex(of: ")"), open < close,
                let rate = line.split(separator: " ").last.flatMap({ Double($0) })
            else { continue }
            rates[String(line[line.index(after: open)..<close])] = rate
        }
        return rates
    }

    /// Bytes per second that `openssl speed -evp DIGEST` hashes in blocks of `bytes`.
    static func digestRate(_ digest: String, bytes: Int, seconds: Int) async throws -> Double {
        let output = try await run(["speed", "-seconds", String(seconds), "-bytes", String(bytes), "-evp", digest])
        // The last line reads like "sha256   1234567.89k": thousands of bytes per second.
        guard let last = output.split(separator: "\n").last, let figure = last.split(separator: " ").last,
            figure.hasSuffix("k"), let thousands = Double(figure.dropLast())
        else { throw BenchmarkFailure(description: "cannot read openssl speed -evp \(digest) output: \(output)") }
        return thousands * 1000
    }

    /// `openssl ARGUMENTS…`'s standard output. swift-subprocess starts it with a clean signal mask, so it hears
    /// the SIGALRM it times itself with although this task runs on a thread that blocks signals.
    private static func run(_ arguments: [String]) async throws -> String {
        let outcome = try await runChild("/usr/bin/openssl", arguments)
        guard outcome.status == 0 else {
            throw BenchmarkFailure(description: "openssl \(arguments.joined(separator: " ")) exited \(outcome.status)")
        }
        return outcome.standardOutputText
    }
}
