import Foundation

/// Runs `openssl speed` and reads the figures it prints.
enum OpenSSLSpeed {
    /// Verifications per second for each algorithm row of `openssl speed ALGORITHM…`, keyed by the
    /// name in its parentheses (`Ed25519`, `nistp256`).
    static func verifyRates(_ algorithms: [String], seconds: Int) throws -> [String: Double] {
        let output = try run(["speed", "-seconds", String(seconds)] + algorithms)
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
    static func digestRate(_ digest: String, bytes: Int, seconds: Int) throws -> Double {
        let output = try run(["speed", "-seconds", String(seconds), "-bytes", String(bytes), "-evp", digest])
        // The last line reads like "sha256   1234567.89k": thousands of bytes per second.
        guard let last = output.split(separator: "\n").last, let figure = last.split(separator: " ").last,
            figure.hasSuffix("k"), let thousands = Double(figure.dropLast())
        else { throw BenchmarkFailure(description: "cannot read openssl speed -evp \(digest) output: \(output)") }
        return thousands * 1000
    }

    private static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        // `openssl speed` times itself with SIGALRM. This thread belongs to Swift's concurrency pool, which
        // blocks signals, and a child inherits the mask: unblock SIGALRM around the spawn, or the child
        // never hears its alarm and runs forever.
        var alarm = sigset_t()
        var previous = sigset_t()
        sigemptyset(&alarm)
        sigaddset(&alarm, SIGALRM)
        pthread_sigmask(SIG_UNBLOCK, &alarm, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchmarkFailure(description: "openssl \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
        return text
    }
}
