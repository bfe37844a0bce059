import ArgumentParser
import Foundation
import LienThongConfig
import LienThongCore
import LienThongAgency
import LienThongFeed
import LienThongMerge
import LienThongSigning
import LienThongStore

/// Reads all of FILE, or standard input when the argument is `-` or absent.
struct InputOption: ParsableArguments {
    @Argument(help: ArgumentHelp(localized("help.input.file"), valueName: "FILE"))
    var file: String?

    init() {}

    /// Reads `file` (or standard input for `-`), as the argument would.
    init(file: String) {
        self.file = file
    }

    /// Reads the input whole, refusing one longer than `limit` bytes; never more than `limit + 1` bytes are
    /// read, so a huge file costs no memory. `what` names the bound in the message ("a signed page").
    func readAll(limit: Int, what: String) throws -> [UInt8] {
        let name = file ?? "-"
        let handle = if let file, file != "-" { try Self.open(file) } else { FileHandle.standardInput }
        defer { if handle !== FileHandle.standardInput { try? handle.close() } }
        var bytes: [UInt8] = []
        try Self.readChunks(of: handle, named: name, maximum: limit + 1) { bytes += $0 }
        guard bytes.count <= limit else { throw Failure.unusable(localized("error.input.too-large", ["name": name, "limit": "\(limit)", "what": what])) }
        return bytes
    }
}

extension InputOption {
    /// Runs `body` with a function that reads the whole input from its start, a megabyte at a time, as often
    /// as it is called. Standard input, which can be read once, is first copied into a temporary file in
    /// `folder` (mode 0600: it may hold personal data), removed when `body` returns.
    func withRereadableInput<Result>(spoolingInto folder: URL, _ body: (@escaping RereadableInput) throws -> Result) throws -> Result {
        if let file, file != "-" {
            return try body { chunk in try Self.readFile(file, chunk) }
        }
        let spool = folder.appending(path: ".put-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).jsonl").path
        try CreatedFile.create(atPath: spool, mode: CreatedFile.ownerOnly)
        defer { unlink(spool) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: spool))
        do {
            defer { try? output.close() }
            try Self.readChunks(of: .standardInput, named: localized("input.standard-input")) { try output.write(contentsOf: Data($0)) }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure.unusable(localized("error.input.spool", ["path": spool, "reason": error.localizedDescription]))
        }
        return try body { chunk in try Self.readFile(spool, chunk) }
    }

    /// Reads the file at `path` from its start, giving `chunk` a megabyte at a time.
    private static func readFile(_ path: String, _ chunk: ([UInt8]) throws -> Void) throws {
        let handle = try open(path)
        defer { try? handle.close() }
        try readChunks(of: handle, named: path, chunk)
    }

    /// Opens the file at `path` for reading; a failure says which file and why.
    private static func open(_ path: String) throws -> FileHandle {
        do {
            return try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        } catch {
            throw Failure.unusable(localized("error.cannot-read", ["path": path, "reason": error.localizedDescription]))
        }
    }

    /// Reads `handle` from where it stands to its end, or to `maximum` bytes, a megabyte at a time, giving each
    /// chunk to `body`; `name` says what is read in a failure's message.
    private static func readChunks(of handle: FileHandle, named name: String, maximum: Int = .max, _ body: ([UInt8]) throws -> Void) throws {
        var read = 0
        while read < maximum {
            let data: Data?
            do {
                data = try handle.read(upToCount: min(1 << 20, maximum - read))
            } catch {
                throw Failure.unusable(localized("error.cannot-read", ["path": name, "reason": error.localizedDescription]))
            }
            guard let data, !data.isEmpty else { return }
            read += data.count
            try body(Array(data))
        }
    }
}

/// How much each command reads from one input at most (docs/SECURITY.md).
enum InputLimit {
    /// A signed page or another compact JWS, with room for white space around it.
    static let signedDocument = FeedPage.maximumSignedBytes + 4096
    /// A JSON payload to sign: no payload longer than a signed page can be carried in one.
    static let payload = FeedPage.maximumSignedBytes
    /// One record's data for `conflicts resolve`.
    static let recordData = RecordVersion.maximumCanonicalBytes
}

/// Writes `message` to stderr as one line, `lienthong: ` first, escaped as ``Swift/String/terminalSafe``: a
/// message may quote a peer's strings, which must not act on the operator's terminal.
func printDiagnostic(_ message: String) {
    FileHandle.standardError.write(Data("lienthong: \(message.terminalSafe)\n".utf8))
}

/// Prints `line` to stdout as one line, escaped as ``Swift/String/terminalSafe``.
func printLine(_ line: String) {
    print(line.terminalSafe)
}

/// `--config FILE`, else `LIENTHONG_CONFIG`, else /etc/lienthong/lienthong.yaml.
struct ConfigOption: ParsableArguments {
    @Option(help: ArgumentHelp(localized("help.config.file", ["path": Configuration.defaultPath]), valueName: "FILE"))
    var config: String?

    var path: String { config ?? ProcessInfo.processInfo.environment["LIENTHONG_CONFIG"] ?? Configuration.defaultPath }

    /// Reads the configuration; a bad one is a failure that exits 2.
    func load() throws -> Configuration {
        try Configuration(contentsOf: URL(fileURLWithPath: path))
    }

    /// Reads the configuration and opens its store.
    func openStore() throws -> (Configuration, Store) {
        let configuration = try load()
        let store = try Store(opening: configuration.store)
        store.keepNoHistory(of: configuration.historylessDatasets)
        return (configuration, store)
    }

    /// Reads the configuration and opens its store for a command that only reads it (``Store/forReading(at:)``).
    func openStoreForReading() throws -> (Configuration, Store) {
        let configuration = try load()
        return (configuration, try Store.forReading(configuration.store))
    }
}

extension Store {
    /// The store `location` names, for a command that only reads it: a SQLite file read-only, as the agency's
    /// other programs open it, when it exists and this user may not write it (a member of `lienthong-readers`),
    /// otherwise opened as lienthong opens it (created if missing, brought up to date); a PostgreSQL database
    /// read without migrating it when it is up to date, so that a role allowed to read only may run the command.
    static func forReading(_ location: StoreLocation) throws -> Store {
        switch location {
        case .file(let url):
            if access(url.path, F_OK) == 0, access(url.path, W_OK) != 0 { return try Store(readingAt: url) }
            return try Store(openingAt: url)
        case .postgres:
            // Up to date, it is only read; otherwise migrated first, which a role allowed only to read cannot do.
            do { return try Store(reading: location) } catch { return try Store(opening: location) }
        }
    }
}

/// `--insecure-key-permissions`, for every command that loads the agency's private key.
struct KeyPermissionsOption: ParsableArguments {
    @Flag(help: ArgumentHelp(localized("help.key-permissions")))
    var insecureKeyPermissions = false

    var access: PrivateKeyFileAccess { insecureKeyPermissions ? .groupOrOthersAllowed : .ownerOnly }

    /// Reads the private key at `path` under this access; a refused or unreadable key is a failure (exit 2).
    func loadKey(_ path: String) throws -> PrivateKey {
        let file = try PrivateKeyFile(reading: URL(fileURLWithPath: path), access: access)
        warn(file.warning)
        return file.key
    }

    /// Prints the key's warning, if any, as one line on stderr.
    func warn(_ warning: LocalizedMessage?) {
        guard let warning else { return }
        FileHandle.standardError.write(Data("lienthong: \(localized("warning.insecure-key", ["warning": warning.text(in: .current)]))\n".utf8))
    }
}

/// `--dataset D`, which must be a dataset the configuration holds.
struct DatasetOption: ParsableArguments {
    @Option(help: ArgumentHelp(localized("help.dataset")))
    var dataset: String

    func validate() throws {
        do {
            _ = try DatasetName(dataset)
        } catch {
            throw ValidationError(localizedText(of: error))
        }
    }

    /// The dataset and its merge policy under `configuration`.
    func resolve(in configuration: Configuration) throws -> (DatasetName, MergePolicy) {
        let name = try DatasetName(dataset)
        guard let policy = configuration.policy(for: name) else {
            throw Failure.unusable(localized("error.unknown-dataset", ["dataset": "\(name)", "path": configuration.fileURL.path]))
        }
        return (name, policy)
    }
}

/// `--reveal` and `--purpose CODE`, for the commands that show records (`get`, `export`, `conflicts show`).
struct RevealOption: ParsableArguments {
    @Flag(help: ArgumentHelp(localized("help.reveal")))
    var reveal = false

    @Option(help: ArgumentHelp(localized("help.reveal.purpose"), valueName: "CODE"))
    var purpose: String?

    func validate() throws {
        guard let purpose else { return }
        guard reveal else { throw ValidationError(localized("error.reveal.purpose")) }
        do {
            _ = try PurposeCode(purpose)
        } catch {
            throw ValidationError(localizedText(of: error))
        }
    }

    /// Opens the configuration's store: for writing when revealing, since the disclosure is audited in it;
    /// otherwise as a command that only reads it does.
    func openStore(_ config: ConfigOption) throws -> (Configuration, Store) {
        reveal ? try config.openStore() : try config.openStoreForReading()
    }

    /// How `dataset`'s records are shown under `configuration`.
    func display(of dataset: DatasetName, in configuration: Configuration) throws -> PersonalDataDisplay {
        let revealing = try reveal ? Revealing.effectiveUser(purpose: purpose.map { text in try PurposeCode(text) }) : nil
        return PersonalDataDisplay(dataset: dataset, schema: configuration.schema(for: dataset), revealing: revealing)
    }
}

/// Prints `value` as one line of JSON for `--json`: the same values as the table, unescaped but with every
/// character that acts on a terminal written as a `\u` escape, which JSON reads back as the same character.
func printJSON(_ value: JSONValue) {
    print(value.displayText)
}

/// Writes bytes to standard output.
func writeStandardOutput(_ bytes: [UInt8]) {
    FileHandle.standardOutput.write(Data(bytes))
}
