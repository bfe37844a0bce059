import ArgumentParser
import LienThongAgency
import LienThongConfig
import LienThongCore
import LienThongDaemon
import LienThongHTTP
import LienThongMerge
import LienThongSigning
import LienThongStore

/// Every command's exit status, decided here from what went wrong (docs/DEPLOY.md lists them):
/// - 0: done;
/// - 1: the command ran and the answer is no: a record or conflict not found, a signature or page refused, a
///   demo that did not converge, or a failure while working (the store could not be read);
/// - 2: the command could not run as asked: arguments, configuration, keys, input files, a store that cannot
///   be opened, the HTTP client;
/// - 3: `sync` ran, and some peers failed.
enum ExitStatus {
    static let refused: Int32 = 1
    static let unusable: Int32 = 2
    static let peersFailed: Int32 = 3

    /// The status for `error`.
    static func of(_ error: any Error) -> Int32 {
        switch error {
        case let failure as Failure: failure.status
        case let error as DaemonError: error.reason == .configuration || error.reason == .key ? unusable : refused
        case let error as StoreError: error.code == .open || error.code == .createFile ? unusable : refused
        case let error as ConflictResolutionError: error.reason == .noSuchSibling ? unusable : refused
        case let error as LocalEditImportError: error.reason == .badLine ? unusable : refused
        case is ConfigurationError, is AgencyPlanError, is HTTPError, is KeyFileError, is KeyError, is JWSSigningError,
            is CreatedFileError, is IdentifierError, is RecordRuleViolation, is LocalEditLines.LineError:
            unusable
        default: refused
        }
    }
}

/// A failure the command words itself, reported as one line on stderr; `status` is its exit status.
struct Failure: Error, CustomStringConvertible {
    let status: Int32
    let description: String

    /// The command ran and the answer is no (exit 1).
    static func refused(_ description: String) -> Failure { Failure(status: ExitStatus.refused, description: description) }
    /// The command could not run as asked (exit 2).
    static func unusable(_ description: String) -> Failure { Failure(status: ExitStatus.unusable, description: description) }
    /// Some peers failed (exit 3).
    static func peersFailed(_ description: String) -> Failure { Failure(status: ExitStatus.peersFailed, description: description) }
}

extension ParsableCommand {
    /// Runs `body`; whatever it throws but an `ExitCode` is printed as one line and turned into its
    /// ``ExitStatus``.
    func reportingFailures(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            throw Self.reported(error)
        }
    }

    /// ``reportingFailures(_:)`` for async commands.
    func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            throw Self.reported(error)
        }
    }

    private static func reported(_ error: any Error) -> ExitCode {
        if let exit = error as? ExitCode { return exit }
        printDiagnostic(localizedText(of: error))
        return ExitCode(ExitStatus.of(error))
    }
}
