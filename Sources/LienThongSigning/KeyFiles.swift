public import Foundation
public import LienThongCore

/// The files that hold an agency's key pair: `ID.key.pem` (PKCS#8, mode 0600), `ID.pub.pem` and `ID.jwk.json`
/// (mode 0644).
public struct AgencyKeyFiles: Sendable {
    public let agency: AgencyID
    public let directory: URL

    public init(agency: AgencyID, directory: URL) {
        self.agency = agency
        self.directory = directory
    }

    public var privateKeyURL: URL { directory.appending(path: "\(agency).key.pem") }
    public var publicKeyURL: URL { directory.appending(path: "\(agency).pub.pem") }
    public var jwkURL: URL { directory.appending(path: "\(agency).jwk.json") }

    /// Writes all three files for `key`, creating the folder (mode 0700) if needed. Refuses, before writing
    /// anything, when any of them exists: a key that others have pinned must never be replaced by accident.
    /// The private key gets mode 0600 and the public files 0644, exactly, whatever the umask.
    public func writeNew(_ key: PrivateKey) throws(KeyFileError) {
        let urls = [privateKeyURL, publicKeyURL, jwkURL]
        if let existing = urls.first(where: { FileManager.default.fileExists(atPath: $0.path) }) {
            throw KeyFileError(LocalizedMessage("error.key.exists", ["path": existing.path]))
        }
        do {
            try CreatedFile.createFolder(atPath: directory.path)
        } catch {
            throw KeyFileError(wrapping: error)
        }
        let contents: [String]
        do {
            contents = [try key.pemText(), key.publicKey.pemText, key.publicKey.jwk.serializedText + "\n"]
        } catch {
            throw KeyFileError(LocalizedMessage("error.key.encode", ["reason": "\(error)"]))
        }
        var written: [URL] = []
        for (url, text) in zip(urls, contents) {
            do {
                let mode = url == privateKeyURL ? CreatedFile.ownerOnly : CreatedFile.readableByAll
                try CreatedFile.create(atPath: url.path, mode: mode, contents: Array(text.utf8))
                written.append(url)
            } catch {
                // Leave no half-written key pair behind.
                for url in written { try? FileManager.default.removeItem(at: url) }
                throw KeyFileError(wrapping: error)
            }
        }
    }
}

extension PrivateKey {
    /// Reads a PKCS#8 PEM private key file that only its owner may access; see ``PrivateKeyFile``.
    public init(contentsOf url: URL) throws(KeyFileError) {
        self = try PrivateKeyFile(reading: url).key
    }
}

/// Whether a private key file that its group or others may access is loaded.
public enum PrivateKeyFileAccess: Sendable {
    /// Refused unless only its owner may read, write or run it (`mode & 0o077 == 0`): the default.
    case ownerOnly
    /// Loaded anyway, with a ``PrivateKeyFile/warning``: only by the operator's explicit choice
    /// (`--insecure-key-permissions`), for keys on a filesystem without POSIX modes.
    case groupOrOthersAllowed
}

/// A private key read from its file, with the file's mode.
///
/// The file is opened once and its mode read from the open descriptor (`fstat`), so the file checked is
/// the file read. It must be a regular file (a symbolic link to one is followed).
public struct PrivateKeyFile: Sendable {
    public let url: URL
    public let key: PrivateKey
    /// The file's permission bits (`st_mode & 0o7777`).
    public let mode: mode_t

    /// The most bytes a private key file may hold: a PEM key is a few hundred.
    public static let maximumBytes = 65_536

    public init(reading url: URL, access: PrivateKeyFileAccess = .ownerOnly) throws(KeyFileError) {
        let (text, mode) = try Self.readSecret(url)
        do {
            key = try PrivateKey(pem: text)
        } catch {
            // Before the mode: a public key given by mistake (readable by all, rightly) is named as what it is.
            throw KeyFileError(LocalizedMessage("error.key.not-private", ["path": url.path, "reason": "\(error)"]))
        }
        try Self.checkMode(mode, of: url, access: access)
        self.url = url
        self.mode = mode
    }

    /// The text of a file that holds a secret, and its mode: a regular file (a symbolic link to one is
    /// followed) of at most ``maximumBytes``, opened once and its mode read from the open descriptor
    /// (`fstat`), so the file checked is the file read.
    static func readSecret(_ url: URL) throws(KeyFileError) -> (text: String, mode: mode_t) {
        let path = url.path
        // O_NONBLOCK: opening a named pipe must not wait for a writer before the type can be checked.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard descriptor >= 0 else { throw KeyFileError(LocalizedMessage("error.key.unreadable", ["path": path, "reason": String(cString: strerror(errno))])) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw KeyFileError(LocalizedMessage("error.key.unreadable", ["path": path, "reason": String(cString: strerror(errno))])) }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw KeyFileError(Self.notRegular(path, mode: status.st_mode))
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= Self.maximumBytes {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            guard count > 0 else {
                if errno == EINTR { continue }
                throw KeyFileError(LocalizedMessage("error.key.unreadable", ["path": path, "reason": String(cString: strerror(errno))]))
            }
            bytes += buffer[..<count]
        }
        // Never more than the bound and one buffer is read, however large the file.
        guard bytes.count <= Self.maximumBytes else { throw KeyFileError(LocalizedMessage("error.key.too-large", ["path": path, "bytes": "\(Self.maximumBytes)"])) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw KeyFileError(LocalizedMessage("error.key.not-text", ["path": path])) }
        return (text, status.st_mode & 0o7777)
    }

    /// Refuses a mode that lets the group or others at the file, unless `access` allows it.
    static func checkMode(_ mode: mode_t, of url: URL, access: PrivateKeyFileAccess) throws(KeyFileError) {
        if access == .ownerOnly, let exposure = Self.exposure(mode) {
            throw KeyFileError(LocalizedMessage("error.key.mode", ["path": url.path, "mode": Self.octal(mode), "exposure": exposure]))
        }
    }

    /// A one-line warning when the file's group or others may access it (a file loaded under
    /// ``PrivateKeyFileAccess/groupOrOthersAllowed``), else nil. A command prints it in the operator's language;
    /// a log writes its English ``LocalizedMessage/description``.
    public var warning: LocalizedMessage? {
        Self.exposure(mode).map { LocalizedMessage("key.warning.private", ["path": url.path, "mode": Self.octal(mode), "exposure": $0]) }
    }

    /// Who besides the owner may do what with a file of `mode`, such as "its group read it and others read it",
    /// or nil when no one may.
    static func exposure(_ mode: mode_t) -> String? {
        func rights(_ bits: mode_t) -> String {
            [(mode_t(4), "read"), (2, "write"), (1, "execute")].filter { bits & $0.0 != 0 }.map(\.1).joined(separator: " and ") + " it"
        }
        let group = (mode >> 3) & 0o7
        let others = mode & 0o7
        let parts = (group != 0 ? ["its group \(rights(group))"] : []) + (others != 0 ? ["others \(rights(others))"] : [])
        return parts.isEmpty ? nil : parts.joined(separator: " and ")
    }

    private static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// The refusal of `path`, which is not a regular file but what `mode` says: one message per kind, so that
    /// the English one (for logs) names it in English.
    private static func notRegular(_ path: String, mode: mode_t) -> LocalizedMessage {
        switch mode & S_IFMT {
        case S_IFDIR: LocalizedMessage("error.key.not-regular.directory", ["path": path])
        case S_IFIFO: LocalizedMessage("error.key.not-regular.pipe", ["path": path])
        case S_IFCHR: LocalizedMessage("error.key.not-regular.character-device", ["path": path])
        case S_IFBLK: LocalizedMessage("error.key.not-regular.block-device", ["path": path])
        case S_IFSOCK: LocalizedMessage("error.key.not-regular.socket", ["path": path])
        default: LocalizedMessage("error.key.not-regular.other", ["path": path])
        }
    }
}

extension PublicKey {
    /// Reads a public key file: SubjectPublicKeyInfo PEM, or a JWK (a file whose text starts with `{`).
    public init(contentsOf url: URL) throws(KeyFileError) {
        let text = try readKeyFile(url)
        do {
            if text.drop(while: \.isWhitespace).hasPrefix("{") {
                let jwk: JSONValue
                do {
                    jwk = try JSONValue(parsing: text)
                } catch {
                    throw KeyError.invalidJWK("\(error)")
                }
                try self.init(jwk: jwk)
            } else {
                try self.init(pem: text)
            }
        } catch {
            throw KeyFileError(LocalizedMessage("error.key.not-public", ["path": url.path, "reason": "\(error)"]))
        }
    }
}

private func readKeyFile(_ url: URL) throws(KeyFileError) -> String {
    let data: Data
    do {
        data = try Data(contentsOf: url)
    } catch {
        throw KeyFileError(LocalizedMessage("error.key.unreadable", ["path": url.path, "reason": error.localizedDescription]))
    }
    guard let text = String(data: data, encoding: .utf8) else { throw KeyFileError(LocalizedMessage("error.key.not-text", ["path": url.path])) }
    return text
}

/// Why a key file could not be read or written; the message names the file. Shown in the operator's language,
/// its `description` in English for logs.
public struct KeyFileError: LienThongCore.LocalizedError {
    public let message: LocalizedMessage
    init(_ message: LocalizedMessage) { self.message = message }

    /// `error`'s own message when it has one, else its words.
    init(wrapping error: any Error) {
        message = (error as? any LienThongCore.LocalizedError)?.message ?? LocalizedMessage("error.reason", ["reason": "\(error)"])
    }
}
