import LienThongCore
import LienThongMerge
import Testing

@Suite("put's input lines, read a chunk at a time")
struct LocalEditLinesTests {
    static let text = Array("""
        {"id":"a","data":{"ho_ten":"Nguyễn Văn An"}}

        {"id":"b","deleted":true}
        {"id":"c","data":{}}
        """.utf8)

    /// The edits of `text` given to a reader in chunks of `size` bytes: ids with line numbers.
    static func read(_ text: [UInt8], chunksOf size: Int) throws -> [String] {
        var reader = LocalEditLines.Reader()
        var seen: [String] = []
        let note: (LocalEditLines.Edit) -> Void = { seen.append("\($0.id)@\($0.line)\($0.deleted ? "-" : "")") }
        for start in stride(from: 0, to: text.count, by: size) {
            try reader.read(Array(text[start..<min(text.count, start + size)]), note)
        }
        try reader.finish(note)
        return seen
    }

    @Test("however the input is cut into chunks, the same edits come with the same line numbers", arguments: [1, 2, 3, 7, 64, 4096])
    func chunking(size: Int) throws {
        #expect(try Self.read(Self.text, chunksOf: size) == ["a@1", "b@3-", "c@4"])
        #expect(try Self.read(Self.text + [0x0A], chunksOf: size) == ["a@1", "b@3-", "c@4"])
    }

    @Test("a line longer than the bound is refused with its number, even before its end arrives")
    func longLine() throws {
        var reader = LocalEditLines.Reader()
        try reader.read(Array("{\"id\":\"a\",\"data\":{}}\n".utf8)) { _ in }
        let long = [UInt8](repeating: 0x20, count: LocalEditLines.maximumLineBytes + 1)
        let error = #expect(throws: LocalEditLines.LineError.self) { try reader.read(long) { _ in } }
        #expect(error?.line == 2)
    }

    @Test("a line at the bound is read")
    func lineAtBound() throws {
        let edit = Array("{\"id\":\"a\",\"data\":{}}".utf8)
        let padded = edit + [UInt8](repeating: 0x20, count: LocalEditLines.maximumLineBytes - edit.count)
        #expect(try Self.read(padded, chunksOf: 1 << 20) == ["a@1"])
    }
}
