import Foundation
import LienThongTestSupport
import Testing

/// Runs the built `lienthong` binary as a child process, the way an operator would.
enum CommandRunner {
    struct Outcome {
        let status: Int32
        let stdout: Data
        let stderr: String
        var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Next to the test bundle in the build folder, or `LIENTHONG_BINARY`.
    static let binary: URL = {
        if let override = ProcessInfo.processInfo.environment["LIENTHONG_BINARY"] { return URL(fileURLWithPath: override) }
        return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appending(path: "lienthong")
    }()

    /// Another Unix user to run `lienthong` as, and the copy of the binary that user may execute (the build
    /// folder may sit in a folder only root may enter).
    struct RunAs {
        /// The user, whose primary group has the same name (`useradd -U`).
        let user: String
        let binary: URL

        /// `setpriv`'s arguments that make `executable` run as `user` with its groups.
        static func setprivArguments(_ user: String, _ executable: String) -> [String] {
            ["--reuid", user, "--regid", user, "--init-groups", "--", executable]
        }
    }

    /// Sets `process` to run `lienthong arguments…`; with `umask` (octal, such as "0077") through /bin/sh, which
    /// sets it and then becomes lienthong (same process id).
    /// With `host`, a network namespace (the test bed's agency hosts), `lienthong` runs in it through
    /// `ip netns exec`, which becomes lienthong (same process id).
    /// With `runAs`, as that user and its groups through `setpriv`, which becomes lienthong (same process id).
    static func prepare(_ process: Process, _ arguments: [String], umask: String?, host: String? = nil, runAs: RunAs? = nil) {
        if let runAs {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = RunAs.setprivArguments(runAs.user, runAs.binary.path) + arguments
        } else if let host {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", host, binary.path] + arguments
        } else if let umask {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "umask \(umask) && exec \"$0\" \"$@\"", binary.path] + arguments
        } else {
            process.executableURL = binary
            process.arguments = arguments
        }
    }

    /// Runs `lienthong arguments…` with `stdin` as its input, under `umask` when given; output goes through
    /// files so neither stream can block. The locale variables are neutral (English) unless `environment` sets them.
    @discardableResult
    static func run(_ arguments: [String], stdin: Data = Data(), umask: String? = nil, environment: [String: String?] = [:]) throws -> Outcome {
        let scratch = try ScratchFolder()
        let inputURL = scratch.url.appending(path: "stdin")
        let outputURL = scratch.url.appending(path: "stdout")
        let errorURL = scratch.url.appending(path: "stderr")
        try stdin.write(to: inputURL)
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        // Started with posix_spawn and waited for with waitpid on this thread: Foundation's Process once missed
        // the end of a child here (a zombie it never reaped, the test waiting for ever).
        let process = Process()
        prepare(process, arguments, umask: umask)
        let status = try spawnAndWait(
            [process.executableURL?.path ?? binary.path] + (process.arguments ?? []),
            standardInput: inputURL.path, standardOutput: outputURL.path, standardError: errorURL.path,
            environment: childEnvironment(environment)
        )
        return Outcome(
            status: status,
            stdout: try Data(contentsOf: outputURL),
            stderr: String(decoding: try Data(contentsOf: errorURL), as: UTF8.self)
        )
    }
}

/// A fresh folder for one test, removed afterwards.
final class ScratchFolder: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appending(path: "lienthong-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appending(path: name).path }

    /// Makes key pairs for `agencies` with `keygen` into `keys/`.
    func makeKeys(for agencies: [String] = ["bo-y-te", "bo-cong-an"]) throws {
        for agency in agencies {
            let keygen = try CommandRunner.run(["keygen", "--agency", agency, "--out", path("keys")])
            #expect(keygen.status == 0, "\(keygen.stderr)")
        }
    }

    /// ``makeKeys(for:)``, then writes bo-y-te's configuration as
    /// `lienthong.yaml`: its store and key, `datasets` under policy lww, `topLevel` lines and, with `peerURL`,
    /// bo-cong-an as a peer at that URL from which every dataset is pulled (with `peerSettings` added to its
    /// entry). Returns the configuration's path.
    func agency(
        keysFor agencies: [String] = ["bo-y-te", "bo-cong-an"], datasets: [String] = ["dan-cu"], peerURL: String? = nil,
        peerSettings: String = "", topLevel: String = ""
    ) throws -> String {
        try makeKeys(for: agencies)
        var lines = ["agency: bo-y-te", "store: store.sqlite", "signing_key: keys/bo-y-te.key.pem"]
        if !topLevel.isEmpty { lines.append(topLevel) }
        lines.append("datasets:")
        lines += datasets.map { "  \($0): { policy: lww }" }
        if let peerURL {
            lines.append("peers:")
            lines.append("  bo-cong-an: { url: \"\(peerURL)\", keys: [keys/bo-cong-an.pub.pem], pull: [\(datasets.joined(separator: ", "))]\(peerSettings) }")
        }
        let config = path("lienthong.yaml")
        try (lines.joined(separator: "\n") + "\n").write(toFile: config, atomically: true, encoding: .utf8)
        return config
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

extension CommandRunner {
    /// Like ``run(_:stdin:umask:)``, but waits for the child without holding a thread (through swift-subprocess),
    /// for tests that serve HTTP to the child from this process.
    static func runAsync(_ arguments: [String]) async throws -> Outcome {
        let outcome = try await runChild(binary.path, arguments)
        return Outcome(status: outcome.status, stdout: Data(outcome.standardOutput), stderr: outcome.standardError)
    }
}
