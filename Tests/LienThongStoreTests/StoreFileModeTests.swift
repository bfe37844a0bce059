import Foundation
import LienThongCore
import LienThongStore
import Testing

@Suite("The store's file modes: a new store and its -wal and -shm are 0600, an existing store keeps its mode")
struct StoreFileModeTests {
    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? -1) & 0o7777
    }

    @Test("a new store is 0600 in a new 0700 folder, and SQLite gives its -wal and -shm files the same mode")
    func newStore() throws {
        let temporary = try TemporaryStore()
        try temporary.store.write(at: UnixTime(milliseconds: 1_000)) { tx in
            try tx.edit(dataset: dataset, id: "r1", agency: boYTe, deleted: false, data: .object([:]), policy: .lww)
        }
        let path = temporary.url.path
        #expect(try mode(temporary.folder.path) == 0o700)
        #expect(try mode(path) == 0o600)
        // Both exist while the store is open.
        #expect(try mode(path + "-wal") == 0o600)
        #expect(try mode(path + "-shm") == 0o600)
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
