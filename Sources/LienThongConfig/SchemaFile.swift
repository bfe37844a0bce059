public import Foundation
public import LienThongSchema
import LienThongCore
import Yams

extension DatasetSchema {
    /// The longest schema file read.
    public static let maximumFileBytes = 256 << 10

    /// Reads the schema declared in the YAML file `url` (docs/SCHEMA.md). An error names the file and the
    /// key's path in it.
    public init(contentsOf url: URL) throws(ConfigurationError) {
        let text: String
        do {
            let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
            guard size <= Self.maximumFileBytes else {
                throw ConfigurationError(file: url, key: nil, line: nil, LocalizedMessage("error.config.schema-too-large", ["bytes": "\(Self.maximumFileBytes)"]))
            }
            text = try String(contentsOf: url, encoding: .utf8)
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(file: url, key: nil, line: nil, LocalizedMessage("error.config.schema-unreadable", ["reason": error.localizedDescription]))
        }
        try self.init(yaml: text, fileURL: url)
    }

    /// Reads a schema from YAML text, as if it were in the file `fileURL` (for messages).
    public init(yaml text: String, fileURL: URL) throws(ConfigurationError) {
        let declaration: JSONValue
        do {
            guard let node = try Yams.compose(yaml: text) else { throw ConfigurationError(file: fileURL, key: nil, line: nil, LocalizedMessage("error.config.empty")) }
            declaration = try Self.json(node, file: fileURL)
        } catch let error as ConfigurationError {
            throw error
        } catch {
            let oneLine = "\(error)".split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            throw ConfigurationError(file: fileURL, key: nil, line: nil, LocalizedMessage("error.config.yaml", ["reason": oneLine.joined(separator: " ")]))
        }
        do {
            try self.init(declaration: declaration)
        } catch {
            throw ConfigurationError(file: fileURL, key: error.path.isEmpty ? nil : error.path, line: nil, LocalizedMessage("error.config.invalid", ["reason": error.problem]))
        }
    }

    /// The YAML tree as the JSON value it stands for: plain scalars typed by YAML's core schema (so `12` is a
    /// number and `"12"` a string), mappings with text keys only.
    private static func json(_ node: Node, file: URL) throws(ConfigurationError) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: if let flag = node.bool { return .bool(flag) }
            case .int: if let integer = node.int { return .integer(integer) }
            case .float: if let number = node.float, number.isFinite { return .number("\(number)") }
            default: break
            }
            return .string(scalar.string)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.scalar?.string else {
                    throw ConfigurationError(file: file, key: nil, line: key.mark?.line, LocalizedMessage("error.config.key-text"))
                }
                guard members.updateValue(try json(value, file: file), forKey: name) == nil else {
                    throw ConfigurationError(file: file, key: name, line: key.mark?.line, LocalizedMessage("error.config.duplicate-key"))
                }
            }
            return .object(members)
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence { items.append(try json(item, file: file)) }
            return .array(items)
        case .alias:
            throw ConfigurationError(file: file, key: nil, line: node.mark?.line, LocalizedMessage("error.config.schema-alias"))
        }
    }
}
