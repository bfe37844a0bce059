public import Foundation
public import LienThongCore

/// The files that hold an agency's key pair: `ID.key.pem` (PKCS#8, mode 0600), `ID.pub.pem` and `ID.jwk.json`.
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
    public func writeNew(_ key: PrivateKey) throws(KeyFileError) {
        let urls = [privateKeyURL, publicKeyURL, jwkURL]
        if let existing = urls.first(where: { FileManager.default.fileExists(atPath: $0.path) }) {
            throw KeyFileError("\(existing.path) already exists; refusing to overwrite a key")
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw KeyFileError("cannot create \(directory.path): \(error.localizedDescription)")
        }
        let contents: [String]
        do {
            contents = [try key.pemText(), key.publicKey.pemText, key.publicKey.jwk.serializedText + "\n"]
        } catch {
            throw KeyFileError("cannot encode the key: \(error)")
        }
        var written: [URL] = []
        for (url, text) in zip(urls, contents) {
            do {
                try Self.createExclusively(url, contents: Array(text.utf8), mode: url == privateKeyURL ? 0o600 : 0o644)
                written.append(url)
            } catch {
                // Leave no half-written key pair behind.
                for url in written { try? FileManager.default.removeItem(at: url) }
                throw error
            }
        }
    }

    /// Creates a file that must not exist yet, with `mode` from the start so it is never readable by others.
    private static func createExclusively(_ url: URL, contents: [UInt8], mode: mode_t) throws(KeyFileError) {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw KeyFileError("cannot create \(url.path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var offset = 0
        while offset < contents.count {
            let count = contents[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { throw KeyFileError("cannot write \(url.path): \(String(cString: strerror(errno)))") }
            offset += count
        }
        guard fsync(descriptor) == 0 else { throw KeyFileError("cannot sync \(url.path): \(String(cString: strerror(errno)))") }
    }
}

extension PrivateKey {
    /// Reads a PKCS#8 PEM private key file.
    public init(contentsOf url: URL) throws(KeyFileError) {
        let text = try readKeyFile(url)
        do {
            try self.init(pem: text)
        } catch {
            throw KeyFileError("\(url.path) is not a private key: \(error)")
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
            throw KeyFileError("\(url.path) is not a public key: \(error)")
        }
    }
}

private func readKeyFile(_ url: URL) throws(KeyFileError) -> String {
    let data: Data
    do {
        data = try Data(contentsOf: url)
    } catch {
        throw KeyFileError("cannot read \(url.path): \(error.localizedDescription)")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw KeyFileError("\(url.path) is not text") }
    return text
}

/// Why a key file could not be read or written; the message names the file.
public struct KeyFileError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
