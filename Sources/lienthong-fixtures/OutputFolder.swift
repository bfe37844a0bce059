import Foundation
import LienThongSigning

/// The folder the fixtures are written into. It remembers every file it was given, so that files left over
/// from an older layout can be named, and it rewrites a file only when its contents change.
final class OutputFolder {
    let root: URL
    /// Paths relative to `root` of every file this run made or kept, in the order they came.
    private(set) var files: [String] = []

    init(root: URL) {
        self.root = root.standardizedFileURL
    }

    func url(_ path: String) -> URL { root.appending(path: path) }

    /// Writes `bytes` to `path` (relative to the root), creating folders; an identical file is left alone.
    func write(_ path: String, _ bytes: [UInt8]) throws {
        files.append(path)
        let url = url(path)
        if let existing = try? Data(contentsOf: url), Array(existing) == bytes { return }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url, options: .atomic)
    }

    func write(_ path: String, text: String) throws {
        try write(path, Array(text.utf8))
    }

    /// Writes a signed page, exactly the body a publisher sends (no line break after it).
    ///
    /// An ES256 signature has a random part (OpenSSL 3.0 has no deterministic ECDSA), so signing the same
    /// page twice gives two different, equally valid files. An existing page whose header and payload are the
    /// ones just made and whose signature verifies under `verifier` is therefore kept as it is: running the
    /// generator again over its own output changes nothing. Ed25519 pages come out identical anyway.
    /// Returns the bytes now in the file.
    @discardableResult
    func writePage(_ path: String, _ compact: String, verifier: JWSVerifier) throws -> [UInt8] {
        let made = Array(compact.utf8)
        if let existing = try? Array(Data(contentsOf: url(path))), Self.signingInput(existing) == Self.signingInput(made),
            (try? verifier.verify(utf8: existing)) != nil
        {
            try write(path, existing)
            return existing
        }
        try write(path, made)
        return made
    }

    /// The header and payload of a compact JWS: everything before its last dot.
    private static func signingInput(_ compact: [UInt8]) -> ArraySlice<UInt8> {
        compact[..<(compact.lastIndex(of: UInt8(ascii: ".")) ?? compact.endIndex)]
    }

    /// Counts a file made by other means (a key) as one of this run's.
    func keep(_ path: String) {
        files.append(path)
    }

    /// Files under the root that this run did not make, such as pages of an older layout.
    func stray() -> [String] {
        let made = Set(files)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var stray: [String] = []
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
            let path = String(url.standardizedFileURL.path.dropFirst(root.path.count + 1))
            if !made.contains(path) { stray.append(path) }
        }
        return stray.sorted()
    }
}
