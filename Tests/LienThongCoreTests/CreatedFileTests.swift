import Foundation
import LienThongCore
import Testing

@Suite("CreatedFile: new files and folders get exactly their mode; existing ones keep theirs")
struct CreatedFileTests {
    final class Folder {
        let path = FileManager.default.temporaryDirectory.appending(path: "lienthong-created-\(UUID().uuidString)").path
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? -1) & 0o7777
    }

    @Test("create writes the bytes with the mode asked, and refuses a path that exists", arguments: [mode_t(0o600), 0o644, 0o640])
    func create(mode wanted: mode_t) throws {
        let folder = Folder()
        try CreatedFile.createFolder(atPath: folder.path)
        let file = folder.path + "/file"
        try CreatedFile.create(atPath: file, mode: wanted, contents: Array("hello".utf8))
        #expect(try mode(file) == Int(wanted))
        #expect(FileManager.default.contents(atPath: file) == Data("hello".utf8))
        let error = try #require(throws: CreatedFileError.self) { try CreatedFile.create(atPath: file, mode: wanted, contents: []) }
        #expect(error.alreadyExists)
        #expect(error.description == "cannot create \(file): File exists")
        #expect(FileManager.default.contents(atPath: file) == Data("hello".utf8))
    }

    @Test("replace puts new bytes in place with the mode asked, whatever the old file's mode, and leaves no temporary file")
    func replace() throws {
        let folder = Folder()
        try CreatedFile.createFolder(atPath: folder.path)
        let file = folder.path + "/config.yaml"
        try CreatedFile.create(atPath: file, mode: 0o600, contents: Array("old".utf8))
        try CreatedFile.replace(atPath: file, mode: CreatedFile.readableByAll, contents: Array("new".utf8))
        #expect(try mode(file) == 0o644)
        #expect(FileManager.default.contents(atPath: file) == Data("new".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["config.yaml"])
    }

    @Test("createFolder makes each missing folder 0700 and leaves an existing one as it is")
    func createFolder() throws {
        let folder = Folder()
        try CreatedFile.createFolder(atPath: folder.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: folder.path)
        try CreatedFile.createFolder(atPath: folder.path + "/a/b")
        #expect(try mode(folder.path) == 0o750)
        #expect(try mode(folder.path + "/a") == 0o700)
        #expect(try mode(folder.path + "/a/b") == 0o700)
        try CreatedFile.create(atPath: folder.path + "/file", mode: 0o600)
        #expect(throws: CreatedFileError.self) { try CreatedFile.createFolder(atPath: folder.path + "/file") }
    }
}
