import Foundation
import LienThongCore
import LienThongSigning
import Testing

@Suite("Private key files: the mode is read from the open file, and only the owner may access it")
struct KeyFilePermissionTests {
    /// A folder holding one key pair written by ``AgencyKeyFiles/writeNew(_:)``.
    final class KeyFolder {
        let url = FileManager.default.temporaryDirectory.appending(path: "lienthong-keyfile-\(UUID().uuidString)")
        let files: AgencyKeyFiles

        init() throws {
            files = AgencyKeyFiles(agency: try AgencyID("bo-y-te"), directory: url)
            try files.writeNew(TestKeys.ed25519)
        }

        var key: URL { files.privateKeyURL }

        func chmod(_ mode: mode_t) throws {
            try FileManager.default.setAttributes([.posixPermissions: Int(mode)], ofItemAtPath: key.path)
        }

        deinit { try? FileManager.default.removeItem(at: url) }
    }

    static let open: [(mode: mode_t, who: String)] = [
        (0o644, "its group read it and others read it"), (0o640, "its group read it"), (0o604, "others read it"),
        (0o660, "its group read and write it"), (0o620, "its group write it"), (0o610, "its group execute it"),
        (0o601, "others execute it"), (0o606, "others read and write it"), (0o677, "its group read and write and execute it and others read and write and execute it"),
    ]

    @Test("a key file its group or others may access is refused, naming the file, its mode, who may do what, and the fix", arguments: open)
    func refused(mode: mode_t, who: String) throws {
        let folder = try KeyFolder()
        try folder.chmod(mode)
        let error = try #require(throws: KeyFileError.self) { try PrivateKeyFile(reading: folder.key) }
        let octal = "0" + String(mode, radix: 8)
        #expect(error.description == "refusing the private key \(folder.key.path): its mode \(octal) lets \(who); chmod 600 \(folder.key.path), or pass --insecure-key-permissions to load it anyway")
        #expect(throws: KeyFileError.self) { try PrivateKey(contentsOf: folder.key) }
    }

    @Test("a key file only its owner may read is loaded, with no warning", arguments: [mode_t(0o600), 0o400, 0o700])
    func accepted(mode: mode_t) throws {
        let folder = try KeyFolder()
        try folder.chmod(mode)
        let file = try PrivateKeyFile(reading: folder.key)
        #expect(file.key.publicKey == TestKeys.ed25519.publicKey)
        #expect(file.mode == mode)
        #expect(file.warning == nil)
    }

    @Test("allowed explicitly, an open key file is loaded with a warning naming it and its mode")
    func allowedWithWarning() throws {
        let folder = try KeyFolder()
        try folder.chmod(0o644)
        let file = try PrivateKeyFile(reading: folder.key, access: .groupOrOthersAllowed)
        #expect(file.key.publicKey == TestKeys.ed25519.publicKey)
        #expect(file.warning?.description == "the private key \(folder.key.path) has mode 0644, which lets its group read it and others read it: anyone who can read it can sign as this agency")
        try folder.chmod(0o600)
        #expect(try PrivateKeyFile(reading: folder.key, access: .groupOrOthersAllowed).warning == nil)
    }

    @Test("a folder or a named pipe is refused as a private key file, without waiting for a writer")
    func notRegular() throws {
        let folder = try KeyFolder()
        let directory = try #require(throws: KeyFileError.self) { try PrivateKeyFile(reading: folder.url, access: .groupOrOthersAllowed) }
        #expect(directory.description == "refusing the private key \(folder.url.path): it is a directory, not a regular file")
        let pipe = folder.url.appending(path: "pipe.pem")
        try #require(mkfifo(pipe.path, 0o600) == 0)
        let fifo = try #require(throws: KeyFileError.self) { try PrivateKeyFile(reading: pipe) }
        #expect(fifo.description == "refusing the private key \(pipe.path): it is a named pipe, not a regular file")
    }

    @Test("a symbolic link is followed: the mode checked is the key file's")
    func symbolicLink() throws {
        let folder = try KeyFolder()
        let link = folder.url.appending(path: "link.pem")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: folder.key)
        #expect(try PrivateKeyFile(reading: link).key.publicKey == TestKeys.ed25519.publicKey)
        try folder.chmod(0o640)
        #expect(throws: KeyFileError.self) { try PrivateKeyFile(reading: link) }
    }

    @Test("a file larger than any key is refused before it is read whole")
    func tooLarge() throws {
        let folder = try KeyFolder()
        let big = folder.url.appending(path: "big.pem")
        try CreatedFile.create(atPath: big.path, mode: CreatedFile.ownerOnly, contents: [UInt8](repeating: 0x41, count: PrivateKeyFile.maximumBytes + 1))
        let error = try #require(throws: KeyFileError.self) { try PrivateKeyFile(reading: big) }
        #expect(error.description.contains("is larger than \(PrivateKeyFile.maximumBytes) bytes"))
    }

    @Test("writeNew gives the private key 0600, the public files 0644 and a new folder 0700")
    func writtenModes() throws {
        let folder = try KeyFolder()
        func mode(_ url: URL) throws -> Int { (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int ?? -1) & 0o7777 }
        #expect(try mode(folder.url) == 0o700)
        #expect(try mode(folder.files.privateKeyURL) == 0o600)
        #expect(try mode(folder.files.publicKeyURL) == 0o644)
        #expect(try mode(folder.files.jwkURL) == 0o644)
    }
}
