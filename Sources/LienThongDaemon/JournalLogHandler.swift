public import Logging
public import Foundation
import LienThongCore

/// A swift-log handler that writes one line per event to stderr, in the form journald reads best.
///
/// Under systemd (`JOURNAL_STREAM` set) each line starts with its syslog priority, `<4>` for a warning, so
/// that `journalctl -p` filters by level; journald adds the time itself. Elsewhere a line starts with the
/// time and the level. Metadata follows the message as `key=value`, sorted. Message and values are escaped as
/// ``Swift/String/terminalSafe``: a newline never splits a line and no control reaches a terminal.
/// Callers must keep record contents, keys and tokens out of messages and metadata.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let forJournal: Bool

    public init(label: String, level: Logger.Level, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.label = label
        logLevel = level
        forJournal = environment["JOURNAL_STREAM"] != nil
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String, file: String, function: String,
        line: UInt
    ) {
        let line = Self.line(
            level: level, label: label, message: "\(message)", metadata: metadata.merging(explicit ?? [:]) { $1 },
            forJournal: forJournal, now: Date()
        )
        Self.output.withLock { $0.write(Data(line.utf8)) }
    }

    /// One event as written, newline included.
    static func line(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, forJournal: Bool, now: Date) -> String {
        let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\(quoted("\($0.value)"))" }
        let text = ([message.terminalSafe] + fields).joined(separator: " ")
        if forJournal { return "<\(priority(level))>\(label): \(text)\n" }
        return "\(now.formatted(.iso8601)) \(level) \(label): \(text)\n"
    }

    /// The syslog priority journald files the line under.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// A metadata value as written: bare when it is one plain word, otherwise in double quotes, escaped as
    /// a ``Swift/String/terminalField`` with `"` as `\"`.
    private static func quoted(_ value: String) -> String {
        let field = value.terminalField
        let plain = !field.isEmpty && field.allSatisfy { !$0.isWhitespace && $0 != "\"" && $0 != "=" && $0 != "\\" }
        return plain ? field : "\"" + field.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Serialises writes so that lines from different threads never interleave.
    private static let output = Locked(FileHandle.standardError)
}
