public import LienThongCore

/// Reads the JSON Lines that `lienthong put` takes: `{"id": "...", "data": {...}}` or `{"id": "...", "deleted": true}`
/// a line. Blank lines are skipped; the first bad line stops the reading with its number.
public enum LocalEditLines {
    /// One line's edit.
    public struct Edit: Sendable {
        public let id: String
        public let deleted: Bool
        public let data: JSONValue
        /// Its line number, from 1.
        public internal(set) var line = 0
        /// The length of its line in bytes.
        public internal(set) var bytes = 0
    }

    /// A line that is not an edit, with its number.
    public struct LineError: Error, LienThongCore.LocalizedError {
        public let line: Int
        let problem: LocalizedMessage
        public var message: LocalizedMessage { LocalizedMessage("edit-line.error", ["line": "\(line)"], messages: ["problem": problem]) }

        /// Line `line` has `problem`, said in a few words.
        public init(line: Int, problem: String) {
            self.init(line: line, problem: LocalizedMessage("verbatim", ["text": problem]))
        }

        /// A bad line whose problem is shown in the operator's language.
        public init(line: Int, problem: LocalizedMessage) {
            self.line = line
            self.problem = problem
        }
    }

    /// The longest line read: a record's data is at most ``RecordVersion/maximumCanonicalBytes`` in canonical
    /// form, and a line may spell it with white space and escapes.
    public static let maximumLineBytes = 4 * RecordVersion.maximumCanonicalBytes

    /// Calls `body` with each line's edit of `bytes`, in order.
    public static func forEach(in bytes: [UInt8], _ body: (Edit) throws -> Void) throws {
        var reader = Reader()
        try reader.read(bytes, body)
        try reader.finish(body)
    }

    /// Reads edits from input that comes in chunks, such as a file read a megabyte at a time, holding only
    /// the line being read: give it each chunk in order with ``read(_:_:)``, then call ``finish(_:)``.
    public struct Reader {
        private var pending: [UInt8] = []
        private var lineNumber = 0

        public init() {}

        /// How many lines were read so far.
        public var lines: Int { lineNumber }

        /// Calls `body` with the edit of each line that `chunk` completes.
        public mutating func read(_ chunk: [UInt8], _ body: (Edit) throws -> Void) throws {
            var start = chunk.startIndex
            while let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
                if pending.isEmpty {
                    try line(chunk[start..<newline], body)
                } else {
                    pending += chunk[start..<newline]
                    try line(pending[...], body)
                    pending.removeAll(keepingCapacity: true)
                }
                start = newline + 1
            }
            pending += chunk[start...]
            guard pending.count <= LocalEditLines.maximumLineBytes else {
                throw LineError(line: lineNumber + 1, problem: LocalizedMessage("edit-line.too-long", ["limit": "\(LocalEditLines.maximumLineBytes)"]))
            }
        }

        /// Calls `body` with the edit of the last line, when the input does not end with a newline.
        public mutating func finish(_ body: (Edit) throws -> Void) throws {
            guard !pending.isEmpty else { return }
            try line(pending[...], body)
            pending.removeAll()
        }

        private mutating func line(_ bytes: ArraySlice<UInt8>, _ body: (Edit) throws -> Void) throws {
            lineNumber += 1
            guard bytes.count <= LocalEditLines.maximumLineBytes else {
                throw LineError(line: lineNumber, problem: LocalizedMessage("edit-line.too-long", ["limit": "\(LocalEditLines.maximumLineBytes)"]))
            }
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
            var edit: Edit
            do {
                edit = try LocalEditLines.edit(from: bytes)
                edit.line = lineNumber
                edit.bytes = bytes.count
            } catch {
                throw LineError(line: lineNumber, problem: error.problem)
            }
            try body(edit)
        }
    }

    private struct Problem: Error {
        let problem: LocalizedMessage
        init(_ problem: LocalizedMessage) { self.problem = problem }
        /// A broken record rule, named as receivers name it, so that the line says which rule.
        init(_ violation: RecordRuleViolation) {
            problem = LocalizedMessage("edit-line.rule", ["violation": "\(violation)", "rule": "\(violation.reason)"])
        }
    }

    private static func edit(from line: ArraySlice<UInt8>) throws(Problem) -> Edit {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: line)
        } catch {
            throw Problem(LocalizedMessage("verbatim", ["text": "\(error)"]))
        }
        guard let members = value.objectValue else { throw Problem(LocalizedMessage("edit-line.not-object")) }
        if let unknown = Set(members.keys).subtracting(["id", "data", "deleted"]).sorted().first {
            throw Problem(LocalizedMessage("edit-line.unknown-member", ["member": unknown.debugDescription]))
        }
        guard let id = members["id"]?.stringValue else { throw Problem(LocalizedMessage("edit-line.id")) }
        do {
            try RecordVersion.checkID(id)
        } catch {
            throw Problem(error)
        }
        switch (members["data"], members["deleted"]) {
        case (.some(let data), nil), (.some(let data), .bool(false)?):
            do {
                try RecordVersion.checkData(data)
            } catch {
                throw Problem(error)
            }
            return Edit(id: id, deleted: false, data: data)
        case (nil, .bool(true)?):
            return Edit(id: id, deleted: true, data: .object([:]))
        default:
            throw Problem(LocalizedMessage("edit-line.data-or-deleted"))
        }
    }
}
