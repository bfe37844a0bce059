import Foundation
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

/// This process's environment for a child that must speak English whatever the locale the tests run under
/// (lienthong reads LC_ALL, LC_MESSAGES and LANG): those three neutral, then `overrides` set (nil removes).
public func childEnvironment(_ overrides: [String: String?] = [:]) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["LC_ALL"] = nil
    environment["LC_MESSAGES"] = nil
    environment["LANG"] = "C.UTF-8"
    for (name, value) in overrides { environment[name] = value }
    return environment
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

/// Starts `command` (a path, then its arguments) reading the file at `standardInput` and writing the files at
/// `standardOutput` and `standardError`, and waits for it on this thread: posix_spawn and waitpid, because
/// Foundation's Process has missed the end of a child in a test run (a zombie never reaped, its waiter waiting
/// for ever). Returns its exit status, or 128 + the signal that ended it. With `environment`, the child has exactly
/// that environment, else this process's.
public func spawnAndWait(
    _ command: [String], standardInput: String = "/dev/null", standardOutput: String, standardError: String, environment: [String: String]? = nil
) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, standardInput, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
    var pid: pid_t = 0
    let arguments = command.map { strdup($0) } + [nil]
    defer { arguments.forEach { free($0) } }
    let variables = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { variables.forEach { free($0) } }
    let started = posix_spawn(&pid, command[0], &actions, &attributes, arguments, variables)
    guard started == 0 else { throw POSIXError(POSIXErrorCode(rawValue: started) ?? .EIO) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

