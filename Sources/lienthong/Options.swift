import ArgumentParser
import Foundation

/// Reads all of FILE, or standard input when the argument is `-` or absent.
struct InputOption: ParsableArguments {
    @Argument(help: ArgumentHelp("The input file; - or nothing reads standard input.", valueName: "FILE"))
    var file: String?

    func readAll() throws -> [UInt8] {
        guard let file, file != "-" else {
            return Array(FileHandle.standardInput.readDataToEndOfFile())
        }
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw Failure(exitCode: 2, "cannot read \(file): \(error.localizedDescription)")
        }
    }
}

/// A failure that the command reports as one line on stderr before exiting with its code.
struct Failure: Error, CustomStringConvertible {
    let exitCode: Int32
    let description: String

    init(exitCode: Int32, _ description: String) {
        self.exitCode = exitCode
        self.description = description
    }

    /// Prints the message and turns the failure into the exit code argument-parser understands.
    func report() -> ExitCode {
        FileHandle.standardError.write(Data("lienthong: \(description)\n".utf8))
        return ExitCode(exitCode)
    }
}

extension ParsableCommand {
    /// Runs `body`, turning a ``Failure`` into its message and exit code.
    func reportingFailures(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as Failure {
            throw failure.report()
        }
    }
}
