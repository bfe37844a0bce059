import Foundation
import LienThongCore
import LienThongStore
import Testing

@Suite("The store's file modes: a new store and its -wal and -shm are 0640 in a 0750 folder, kept after closing; an existing store keeps its mode")
struct StoreFileModeTests {
    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? -1) & 0o7777
    }

    @Test("a new store is 0640 in a new 0750 folder whatever the umask; its -wal and -shm get the same mode and outlive the store's closing")
    func newStore() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appending(path: "lienthong.sqlite").path
        let previous = umask(0o077)
        defer { umask(previous) }
        do {
            let store = try Store(openingAt: URL(fileURLWithPath: path))
            try store.write(at: UnixTime(milliseconds: 1_000)) { tx in
                try tx.edit(dataset: dataset, id: "r1", agency: boYTe, deleted: false, data: .object([:]), policy: .lww)
            }
        }
        #expect(try mode(folder.path) == 0o750)
        #expect(try mode(path) == 0o640)
        // Every connection is closed: the files stay (SQLITE_FCNTL_PERSIST_WAL), so that a reader that may
        // not create them can still open the store.
        #expect(try mode(path + "-wal") == 0o640)
        #expect(try mode(path + "-shm") == 0o640)
    }

    @Test("an existing store keeps the mode its owner gave it, and its -wal and -shm follow it")
    func existingStore() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appending(path: "lienthong.sqlite")
        do { _ = try Store(openingAt: url) }
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: url.path)
        let store = try Store(openingAt: url)
        try store.write(at: UnixTime(milliseconds: 1_000)) { tx in
            try tx.edit(dataset: dataset, id: "r1", agency: boYTe, deleted: false, data: .object([:]), policy: .lww)
        }
        #expect(try mode(url.path) == 0o640)
        #expect(try mode(url.path + "-wal") == 0o640)
        #expect(try mode(url.path + "-shm") == 0o640)
    }
}
