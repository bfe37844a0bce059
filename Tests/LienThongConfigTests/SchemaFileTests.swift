import Foundation
import LienThongConfig
import LienThongCore
import LienThongSchema
import Testing

@Suite("Configuration: schema files")
struct SchemaFileTests {
    static let file = URL(fileURLWithPath: "/etc/lienthong/schemas/dan-cu.yaml")

    @Test("YAML's scalars keep their types: a quoted number is text, a plain one a number, a plain date text")
    func scalarTypes() throws {
        let schema = try DatasetSchema(yaml: """
            fields:
              mui: { type: integer, enum: [1, 2, 3], maximum: 3 }
              ma: { type: string, enum: ["01", "02", 2024-01-01] }
              nhiet_do: { type: number, minimum: 35.5, nullable: true }
            """, fileURL: Self.file)
        #expect(schema.validate(.object(["mui": .integer(2), "ma": .string("01"), "nhiet_do": .number("36")])) == nil)
        #expect(schema.validate(.object(["ma": .string("2024-01-01")])) == nil)
        #expect(schema.validate(.object(["mui": .string("2")]))?.rule == "type")
        #expect(schema.validate(.object(["nhiet_do": .number("35.4")]))?.rule == "minimum")
        #expect(schema.validate(.object(["nhiet_do": .null])) == nil)
    }

    @Test("a bad schema is one line naming the file and the key's path", arguments: [
        ("fields:\n  f: { type: text }", "/etc/lienthong/schemas/dan-cu.yaml: fields.f.type: expected one of string"),
        ("fields:\n  f: { type: string, max_lenght: 3 }", "/etc/lienthong/schemas/dan-cu.yaml: fields.f.max_lenght: unknown key here"),
        ("fields: [a]", "/etc/lienthong/schemas/dan-cu.yaml: fields: expected a mapping of field names"),
        ("fields: {", "not valid YAML"),
        ("", "the file is empty"),
    ])
    func refused(yaml: String, message: String) throws {
        let error = #expect(throws: ConfigurationError.self) { try DatasetSchema(yaml: yaml, fileURL: Self.file) }
        #expect(error?.description.contains(message) == true, "\(error.map { "\($0)" } ?? "")")
    }

    @Test("a schema file of the largest size is read; one byte more is refused", arguments: [0, 1])
    func fileSize(extra: Int) throws {
        let file = FileManager.default.temporaryDirectory.appending(path: "lienthong-schema-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        let body = "fields:\n  f: { type: string }\n"
        let padding = String(repeating: "#", count: DatasetSchema.maximumFileBytes - body.utf8.count - 1 + extra) + "\n"
        try (body + padding).write(to: file, atomically: true, encoding: .utf8)
        let read = Result { try DatasetSchema(contentsOf: file) }
        #expect(((try? read.get()) != nil) == (extra == 0))
    }

    @Test("a dataset's schema: is read from its file, relative to the configuration; a missing file fails the configuration")
    func fromConfiguration() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appending(path: "schemas"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "fields:\n  ho_ten: { type: string, required: true, pii: true }\n".write(
            to: folder.appending(path: "schemas/dan-cu.yaml"), atomically: true, encoding: .utf8
        )
        let text = """
            agency: bo-y-te
            store: store.sqlite
            signing_key: key.pem
            datasets:
              dan-cu: { policy: lww, schema: schemas/dan-cu.yaml }
              ho-tich: { policy: lww, schema: schemas/ho-tich.yaml }
            """
        let error = #expect(throws: ConfigurationError.self) { try Configuration(yaml: text, fileURL: folder.appending(path: "lienthong.yaml")) }
        #expect(error?.description.contains("schemas/ho-tich.yaml: cannot read the schema") == true)
        let configuration = try Configuration(
            yaml: text.replacingOccurrences(of: ", schema: schemas/ho-tich.yaml", with: ""), fileURL: folder.appending(path: "lienthong.yaml")
        )
        let schema = try #require(configuration.schema(for: try DatasetName("dan-cu")))
        #expect(schema.personalDataPaths == ["ho_ten"])
        #expect(configuration.schema(for: try DatasetName("ho-tich")) == nil)
        #expect(configuration.datasets[try DatasetName("dan-cu")]?.schemaFile?.lastPathComponent == "dan-cu.yaml")
    }
}
