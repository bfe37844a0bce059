public import Foundation
#if canImport(Glibc)
import Glibc
import LienThongCore
#endif

/// Wakes a reader that follows the store (`lienthong watch --follow`) when lienthong commits: an inotify
/// watch of the store's folder, woken by every write there — SQLite writes each commit to the `-wal` file —
/// rather than a poll of the store. It owns its inotify descriptor and closes it when released.
public final class StoreFileWatch: CommitWatch {
    private let descriptor: Int32

    /// Watches the folder that holds the store at `storeURL`; reading the folder is all it needs.
    public init(storeURL: URL) throws(StoreError) {
        let folder = storeURL.deletingLastPathComponent().path
        descriptor = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard descriptor >= 0 else { throw Self.failure(folder, errno) }
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE)
        guard inotify_add_watch(descriptor, folder, mask) >= 0 else {
            let code = errno
            close(descriptor)
            throw Self.failure(folder, code)
        }
    }

    deinit { close(descriptor) }

    func waitForCommit(timeoutMilliseconds: Int32) -> Bool { waitForWrite(timeoutMilliseconds: timeoutMilliseconds) }
    var isBroken: Bool { false }

    /// Blocks the calling thread until a file in the store's folder is written or `timeoutMilliseconds` pass,
    /// then takes every event waiting, so that a burst of writes wakes the reader once. Returns whether a
    /// write woke it.
    public func waitForWrite(timeoutMilliseconds: Int32) -> Bool {
        var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&waiting, 1, timeoutMilliseconds) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while buffer.withUnsafeMutableBytes({ read(descriptor, $0.baseAddress, $0.count) }) > 0 {}
        return true
    }

    private static func failure(_ folder: String, _ code: Int32) -> StoreError {
        StoreError(.open, doing: LocalizedMessage("store.doing.watch", ["folder": "\(folder)"]), underlying: WatchFailure(reason: String(cString: strerror(code))))
    }
}

/// Why the store's folder cannot be watched, as the system says it.
struct WatchFailure: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
