import Foundation
import LienThongFeed
import Testing

@Suite("Inputs read by commands are bounded (issue 9, row 18)")
struct InputLimitTests {
    /// The bound `apply` and `verify` take: a signed page with room for white space around it.
    static let signedDocumentLimit = FeedPage.maximumSignedBytes + 4096

    /// An agency with one peer, whose pages `apply` may import.
    private static func agency(in scratch: ScratchFolder) throws -> String {
        try scratch.agency(peerURL: "http://127.0.0.1:9")
    }

    /// A file of `size` bytes: sparse beyond its first byte, so a huge one costs no disk.
    private static func file(_ path: String, size: Int) throws {
        #expect(FileManager.default.createFile(atPath: path, contents: Data("A".utf8)))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(size))
        try handle.close()
    }

    @Test("apply refuses a file past the bound without reading it whole, and reads one at the bound as a page", arguments: [
        (size: signedDocumentLimit, refusedForSize: false),
        (size: signedDocumentLimit + 1, refusedForSize: true),
        (size: 400 << 20, refusedForSize: true),
    ])
    func applyBound(size: Int, refusedForSize: Bool) throws {
        let scratch = try ScratchFolder()
        let config = try Self.agency(in: scratch)
        let page = scratch.path("page.jws")
        try Self.file(page, size: size)
        let outcome = try CommandRunner.run(["apply", "--config", config, "--peer", "bo-cong-an", page])
        let sizeMessage = "is larger than \(Self.signedDocumentLimit) bytes, the most a signed page may take"
        if refusedForSize {
            #expect(outcome.status == 2)
            #expect(outcome.stderr.contains(sizeMessage), "stderr: \(outcome.stderr)")
        } else {
            // Read whole and refused by the page checks instead: not a JWS.
            #expect(outcome.status == 1, "stderr: \(outcome.stderr)")
            #expect(!outcome.stderr.contains(sizeMessage))
        }
    }
}
