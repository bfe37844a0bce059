import LienThongCore

/// `--lang en|vi`, accepted anywhere before `--` on every command: taken out of the arguments before they are
/// parsed, because the language must be known before the first `--help` text or message is made.
enum LanguageOption {
    struct Chosen {
        let language: Language
        /// The arguments without `--lang` and its value.
        let rest: [String]
    }

    /// The language `arguments` name with `--lang VALUE` or `--lang=VALUE` (the last one counts), or else the
    /// one `environment`'s locale variables choose; a value other than `en` or `vi` is an error.
    static func taken(from arguments: [String], environment: [String: String]) -> Result<Chosen, Failure> {
        var named: String?
        var rest: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            if argument == "--" {
                rest += arguments[index...]
                break
            }
            if argument == "--lang" {
                let next = arguments.index(after: index)
                guard next < arguments.endIndex else { return .failure(.unusable(localized("lang.invalid", ["value": "\"\""]))) }
                named = arguments[next]
                index = arguments.index(after: next)
                continue
            }
            if argument.hasPrefix("--lang=") {
                named = String(argument.dropFirst("--lang=".count))
            } else {
                rest.append(argument)
            }
            index = arguments.index(after: index)
        }
        guard let named else { return .success(Chosen(language: Language(environment: environment), rest: rest)) }
        guard let language = Language(option: named) else {
            return .failure(.unusable(localized("lang.invalid", ["value": "\"\(named.terminalSafe)\""])))
        }
        return .success(Chosen(language: language, rest: rest))
    }
}
