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
    }

    /// A line that is not an edit, with its number.
    public struct LineError: Error, CustomStringConvertible {
        public let line: Int
        let problem: String
        public var description: String { "line \(line): \(problem)" }
    }

    /// Calls `body` with each line's edit, in order, without holding them all.
    public static func forEach(in bytes: [UInt8], _ body: (Edit) throws -> Void) throws {
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            var edit: Edit
            do {
                edit = try Self.edit(from: line)
                edit.line = lineNumber
            } catch {
                throw LineError(line: lineNumber, problem: error.problem)
            }
            try body(edit)
        }
    }

    private struct Problem: Error {
        let problem: String
        init(_ problem: String) { self.problem = problem }
        /// A broken record rule, named as receivers name it, so that the line says which rule.
        init(_ violation: RecordRuleViolation) { self.problem = "\(violation) (rule: \(violation.reason))" }
    }

    private static func edit(from line: ArraySlice<UInt8>) throws(Problem) -> Edit {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: line)
        } catch {
            throw Problem("\(error)")
        }
        guard let members = value.objectValue else { throw Problem("expected a JSON object") }
        if let unknown = Set(members.keys).subtracting(["id", "data", "deleted"]).sorted().first {
            throw Problem("unknown member \(unknown.debugDescription)")
        }
        guard let id = members["id"]?.stringValue else { throw Problem("\"id\" must be a text") }
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
            throw Problem("give either \"data\" (an object) or \"deleted\": true")
        }
    }
}
