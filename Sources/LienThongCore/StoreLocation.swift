public import Foundation

/// Where an agency's store is: a SQLite file, or a PostgreSQL database (configuration key `store`, docs/CONFIG.md).
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case file(URL)
    case postgres(PostgresLocation)

    /// The file's path, or the database's URL without its password (there is none in it: the password comes
    /// from a file).
    public var description: String {
        switch self {
        case .file(let url): url.path
        case .postgres(let postgres): postgres.description
        }
    }

    /// The SQLite file, or nil for PostgreSQL.
    public var fileURL: URL? {
        if case .file(let url) = self { return url }
        return nil
    }
}

/// A PostgreSQL database and how to reach it: `postgresql://user@host:port/database?sslmode=…` in the
/// configuration, the password (if any) in a file of its own, never in the YAML.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    /// How the connection to the database is protected, as libpq's `sslmode` names it.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// No TLS: for a database on loopback or a Unix socket's host.
        case disable
        /// TLS, the server's certificate not checked: protects against listening, not against a server in the middle.
        case require
        /// TLS, the server's certificate checked against `sslrootcert` (or the system's roots) and its name against the host.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var tls: TLSMode
    /// The certificates the server's certificate must chain to (`sslrootcert`); the system's when nil.
    public var rootCertificatesFile: String?
    /// The file holding the password, trimmed of a final newline (`store_password_file`); nil: no password.
    public var passwordFile: String?

    public init(
        host: String, port: Int = 5432, user: String, database: String, tls: TLSMode = .disable, rootCertificatesFile: String? = nil,
        passwordFile: String? = nil
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.tls = tls
        self.rootCertificatesFile = rootCertificatesFile
        self.passwordFile = passwordFile
    }

    public var description: String {
        var text = "postgresql://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)"
        if tls != .disable { text += "?sslmode=\(tls.rawValue)" }
        return text
    }

    /// Why a `store` value that starts `postgresql://` is not a database's address.
    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads `postgresql://user@host[:port]/database[?sslmode=M&sslrootcert=PATH]` (also `postgres://`). A
    /// password in the URL is refused: it belongs in `store_password_file`.
    public init(url text: String, passwordFile: String?) throws(ParseError) {
        guard text.hasPrefix("postgresql://") || text.hasPrefix("postgres://"), let components = URLComponents(string: text) else {
            throw ParseError(description: "is not a postgresql://user@host:port/database URL")
        }
        guard components.password == nil else {
            throw ParseError(description: "holds a password: put it in the file store_password_file names, readable by lienthong only")
        }
        guard let user = components.user, !user.isEmpty else { throw ParseError(description: "names no user (postgresql://USER@host/database)") }
        guard var host = components.host, !host.isEmpty else { throw ParseError(description: "names no host") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let database = String(components.path.dropFirst())
        guard !database.isEmpty, !database.contains("/") else { throw ParseError(description: "names no database (postgresql://user@host/DATABASE)") }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw ParseError(description: "has port \(port), outside 1…65535") }
        var tls = TLSMode.disable
        var rootCertificatesFile: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw ParseError(description: "has sslmode \((item.value ?? "").debugDescription): expected disable, require or verify-full")
                }
                tls = mode
            case "sslrootcert":
                guard let path = item.value, path.hasPrefix("/") else { throw ParseError(description: "has an sslrootcert that is not an absolute path") }
                rootCertificatesFile = path
            default:
                throw ParseError(description: "has an unknown option \(item.name.debugDescription): expected sslmode or sslrootcert")
            }
        }
        if rootCertificatesFile != nil, tls != .verifyFull {
            throw ParseError(description: "has sslrootcert without sslmode=verify-full, which alone checks the server's certificate")
        }
        self.init(
            host: host, port: port, user: user, database: database, tls: tls, rootCertificatesFile: rootCertificatesFile, passwordFile: passwordFile
        )
    }
}
