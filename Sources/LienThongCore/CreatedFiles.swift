#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// Every file and folder lienthong creates gets its mode from here, exactly: `open` and `mkdir` mask the mode
/// they are given with the caller's umask, so each new file or folder is set again with `fchmod` or `chmod`.
/// What exists already keeps its mode: an operator's choice (a readers group, say) is never undone.
public enum CreatedFile {
    /// Secrets, readable by the owner only: private keys, temporary copies of input.
    public static let ownerOnly: mode_t = 0o600
    /// The store: written by its owner, read by the members of its group (the agency's other programs, through
    /// the `lienthong-readers` group) and by nobody else. SQLite gives the `-wal` and `-shm` files the store's
    /// own mode.
    public static let ownerWritesGroupReads: mode_t = 0o640
    /// Files anyone may read: public keys, the demo's configurations.
    public static let readableByAll: mode_t = 0o644
    /// Folders lienthong creates: a key folder, the demo's folders.
    public static let folder: mode_t = 0o700
    /// The store's folder, which its group may enter to read the store.
    public static let groupReadableFolder: mode_t = 0o750

    /// Creates the file at `path`, which must not exist (`O_EXCL`), with exactly `mode`, writes `contents`
    /// and syncs it. On a failure after the file was made, the file is removed again.
    public static func create(atPath path: String, mode: mode_t, contents: [UInt8] = []) throws(CreatedFileError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw CreatedFileError(path: path, action: "create", code: errno) }
        do throws(CreatedFileError) {
            defer { close(descriptor) }
            guard fchmod(descriptor, mode) == 0 else { throw CreatedFileError(path: path, action: "set the mode of", code: errno) }
            var offset = 0
            while offset < contents.count {
                let count = contents[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                guard count > 0 else { throw CreatedFileError(path: path, action: "write", code: errno) }
                offset += count
            }
            guard fsync(descriptor) == 0 else { throw CreatedFileError(path: path, action: "sync", code: errno) }
        } catch {
            unlink(path)
            throw error
        }
    }

    /// Writes `contents` to `path` with exactly `mode`, replacing whatever is there in one step: the bytes go to
    /// a new file beside it, which is then renamed over `path`.
    public static func replace(atPath path: String, mode: mode_t, contents: [UInt8]) throws(CreatedFileError) {
        let temporary = "\(path).\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        try create(atPath: temporary, mode: mode, contents: contents)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw CreatedFileError(path: path, action: "replace", code: code)
        }
    }

    /// Gives each existing file in `companions` the permission bits and the group of the file at `path`, so that
    /// files made alongside it by someone else (SQLite's `-wal` and `-shm`, left by a process that ended without
    /// closing the store) follow the operator's choice for `path` rather than what they were once made with.
    /// A companion that is missing, or that belongs to another user, is left as it is; so is its group when
    /// the caller may not give that group (it is not a member).
    public static func matchMode(ofCompanions companions: [String], to path: String) {
        var original = stat()
        guard stat(path, &original) == 0 else { return }
        let wanted = original.st_mode & 0o7777
        for companion in companions {
            var status = stat()
            guard stat(companion, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_uid == geteuid() else { continue }
            if status.st_gid != original.st_gid { chown(companion, uid_t.max, original.st_gid) }
            if status.st_mode & 0o7777 != wanted { chmod(companion, wanted) }
        }
    }

    /// Creates the folder at `path` and each missing folder above it, each with exactly `mode`; a folder
    /// that exists already is left as it is.
    public static func createFolder(atPath path: String, mode: mode_t = folder) throws(CreatedFileError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += component
            if mkdir(prefix, mode) == 0 {
                guard chmod(prefix, mode) == 0 else { throw CreatedFileError(path: prefix, action: "set the mode of", code: errno) }
            } else if errno != EEXIST {
                throw CreatedFileError(path: prefix, action: "create", code: errno)
            }
            prefix += "/"
        }
        var status = stat()
        guard stat(path, &status) == 0 else { throw CreatedFileError(path: path, action: "create", code: errno) }
        guard status.st_mode & S_IFMT == S_IFDIR else { throw CreatedFileError(path: path, action: "create", code: ENOTDIR) }
    }
}

/// Why a file or folder could not be created, in one line naming it.
public struct CreatedFileError: Error, LocalizedError {
    public let path: String
    private let action: String
    private let code: Int32

    init(path: String, action: String, code: Int32) {
        self.path = path
        self.action = action
        self.code = code
    }

    /// The file was not created because something is already at its path.
    public var alreadyExists: Bool { code == EEXIST }

    public var message: LocalizedMessage {
        let arguments = ["path": path, "reason": String(cString: strerror(code))]
        return switch action {
        case "create": LocalizedMessage("created-file.create", arguments)
        case "set the mode of": LocalizedMessage("created-file.mode", arguments)
        case "write": LocalizedMessage("created-file.write", arguments)
        case "sync": LocalizedMessage("created-file.sync", arguments)
        default: LocalizedMessage("created-file.replace", arguments)
        }
    }
}
