import ArgumentParser
import Foundation
import LienThongConfig
import LienThongCore
import LienThongStore

struct Put: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make local edits from JSON Lines.",
        discussion: """
            Each line is {"id": "...", "data": {...}} or {"id": "...", "deleted": true}. Each becomes a local edit
            that this agency publishes. A bad line is reported with its number and nothing from the file is applied.
            """
    )

    @OptionGroup var config: ConfigOption
    @OptionGroup var dataset: DatasetOption
    @OptionGroup var input: InputOption

    func run() throws {
        try reportingFailures {
            let (configuration, store) = try config.openStore()
            let (dataset, policy) = try dataset.resolve(in: configuration)
            let bytes = try input.readAll()
            let count = try store.write { transaction in
                var count = 0
                try LocalEditLines.forEach(in: bytes) { edit in
                    try transaction.edit(
                        dataset: dataset, id: edit.id, agency: configuration.agency, deleted: edit.deleted, data: edit.data, policy: policy
                    )
                    count += 1
                }
                return count
            }
            FileHandle.standardError.write(Data("lienthong: \(count) edits applied to \(dataset)\n".utf8))
        }
    }
}

/// Reads the JSON Lines of `put`, stopping at the first bad line with its number.
enum LocalEditLines {
    struct Edit {
        let id: String
        let deleted: Bool
        let data: JSONValue
    }

    static func forEach(in bytes: [UInt8], _ body: (Edit) throws -> Void) throws {
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                try body(try edit(from: line))
            } catch let problem as LineProblem {
                throw Failure(exitCode: 2, "line \(lineNumber): \(problem.description); nothing was applied")
            }
        }
    }

    struct LineProblem: Error, CustomStringConvertible {
        let description: String
    }

    private static func edit(from line: ArraySlice<UInt8>) throws(LineProblem) -> Edit {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: line)
        } catch {
            throw LineProblem(description: "\(error)")
        }
        guard let members = value.objectValue else { throw LineProblem(description: "expected a JSON object") }
        if let unknown = Set(members.keys).subtracting(["id", "data", "deleted"]).sorted().first {
            throw LineProblem(description: "unknown member \(unknown.debugDescription)")
        }
        guard let id = members["id"]?.stringValue, (1...256).contains(id.count) else {
            throw LineProblem(description: "\"id\" must be a text of 1 to 256 characters")
        }
        switch (members["data"], members["deleted"]) {
        case (.some(let data), nil), (.some(let data), .bool(false)?):
            guard case .object = data else { throw LineProblem(description: "\"data\" must be a JSON object") }
            return Edit(id: id, deleted: false, data: data)
        case (nil, .bool(true)?):
            return Edit(id: id, deleted: true, data: .object([:]))
        default:
            throw LineProblem(description: "give either \"data\" (an object) or \"deleted\": true")
        }
    }
}
