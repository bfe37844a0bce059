/// The text of catalog entry `key` in `language`, its `{name}` placeholders replaced by `arguments[name]`.
///
/// Every message for an operator goes through here, so that `en` and `vi` hold the same keys with the same
/// placeholders (a test checks both, and that every key the sources use exists). A key missing from a
/// catalog is a programming error; it is shown as the key itself rather than stopping the program.
public func localized(_ key: String, _ arguments: [String: String] = [:], in language: Language = .current) -> String {
    guard let template = Catalog.entries(of: language)[key] ?? Catalog.english[key] else { return key }
    return Catalog.filling(template, with: arguments)
}

/// A message kept as its catalog key and arguments, so it can be shown in any language later: an error
/// that a log writes in English and a command prints in the operator's language.
public struct LocalizedMessage: Sendable, Hashable, CustomStringConvertible {
    public let key: String
    public let arguments: [String: String]
    /// Placeholders filled with other messages, each shown in the same language as this one: a refusal that
    /// quotes the error behind it.
    public let messages: [String: LocalizedMessage]

    public init(_ key: String, _ arguments: [String: String] = [:], messages: [String: LocalizedMessage] = [:]) {
        self.key = key
        self.arguments = arguments
        self.messages = messages
    }

    /// `error`'s own message when it is a ``LocalizedError``; otherwise its description as it is, which stays
    /// English (a library's or the system's own words).
    public init(of error: any Error) {
        if let error = error as? any LocalizedError {
            self = error.message
        } else {
            self = LocalizedMessage("verbatim", ["text": "\(error)"])
        }
    }

    /// The message in `language`.
    public func text(in language: Language) -> String {
        guard !messages.isEmpty else { return localized(key, arguments, in: language) }
        return localized(key, arguments.merging(messages.mapValues { $0.text(in: language) }) { own, _ in own }, in: language)
    }

    /// The message in English: what logs and `String(describing:)` show.
    public var description: String { text(in: .english) }
}

/// An error whose message can be shown in the operator's language; its `description` stays English for logs.
public protocol LocalizedError: Error, CustomStringConvertible {
    var message: LocalizedMessage { get }
}

extension LocalizedError {
    public var description: String { message.description }
}

/// The catalogs: one per language, `Catalog.english` and `Catalog.vietnamese`, each in a file of its own.
public enum Catalog {
    /// The entries of `language`'s catalog.
    public static func entries(of language: Language) -> [String: String] {
        switch language {
        case .english: english
        case .vietnamese: vietnamese
        }
    }

    /// The placeholder names in `template`: each `{name}` of lowercase letters, digits and `_`.
    public static func placeholders(in template: String) -> Set<String> {
        var names = Set<String>()
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "}") else { break }
            let name = after[..<close]
            if !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) {
                names.insert(String(name))
            }
            rest = after[after.index(after: close)...]
        }
        return names
    }

    /// `template` with each `{name}` that `arguments` holds replaced, in one pass: a value that itself holds
    /// `{…}` (a peer's string) is never filled in again.
    static func filling(_ template: String, with arguments: [String: String]) -> String {
        guard !arguments.isEmpty, template.contains("{") else { return template }
        var text = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            text += rest[..<open]
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "}"), let value = arguments[String(after[..<close])] else {
                text += "{"
                rest = after
                continue
            }
            text += value
            rest = after[after.index(after: close)...]
        }
        return text + rest
    }
}

/// `error`'s message in `language` when it is a ``LocalizedError``; otherwise its description, which stays
/// English (a library's or the system's own words). For a translated message that quotes an error.
public func localizedText(of error: any Error, in language: Language = .current) -> String {
    (error as? any LocalizedError)?.message.text(in: language) ?? "\(error)"
}
