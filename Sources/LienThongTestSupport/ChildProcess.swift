import Subprocess

/// How a child process ended and what it wrote.
public struct ChildOutcome: Sendable {
    /// Its exit status, or 128 + the signal that ended it, as a shell reports it.
    public let status: Int32
    public let standardOutput: [UInt8]
    public let standardError: String

    public var standardOutputText: String { String(decoding: standardOutput, as: UTF8.self) }
}

/// Runs `executable` (a path) with `arguments` to its end, with no input, and collects what it writes (at most
/// `limit` bytes of each stream). Through swift-subprocess: the child starts with a clean signal mask, so a
/// program that times itself with signals (`openssl speed` uses SIGALRM) works even when started from a
/// thread of Swift's concurrency pool, and the wait holds no thread.
public func runChild(_ executable: String, _ arguments: [String], limit: Int = 16 << 20) async throws -> ChildOutcome {
    let result = try await run(
        .path(.init(executable)), arguments: Arguments(arguments), output: .bytes(limit: limit), error: .string(limit: limit)
    )
    let status: Int32 = switch result.terminationStatus {
    case .exited(let code): code
    case .signaled(let signal): 128 + signal
    }
    return ChildOutcome(status: status, standardOutput: result.standardOutput, standardError: result.standardError ?? "")
}

/// Starts `executable` (a path) with `arguments` and runs `body` while the child runs: `body` reads the lines
/// the child writes to its standard output, as they come, through `nextLine` (nil at its end). When `body`
/// returns or throws, the child is sent SIGTERM and waited for. For children that serve until told to stop.
public func withChild<Result: Sendable>(
    _ executable: String, _ arguments: [String], _ body: (_ nextLine: () async throws -> String?) async throws -> Result
) async throws -> Result {
    let execution = try await run(
        .path(.init(executable)), arguments: Arguments(arguments), input: .none, output: .sequence, error: .discarded
    ) { execution in
        var lines = execution.standardOutput.strings().makeAsyncIterator()
        defer { try? execution.send(signal: .terminate) }
        return try await body { try await lines.next() }
    }
    return execution.closureResult
}
