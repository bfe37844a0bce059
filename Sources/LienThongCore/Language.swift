/// The language an operator reads lienthong's messages in: command output, errors, `--help`, `doctor` and
/// the status page. Logs are not translated: they stay in English with stable event names, so a search in
/// the journal finds the same words whatever the locale.
public enum Language: String, Sendable, CaseIterable, CustomStringConvertible {
    case english = "en"
    case vietnamese = "vi"

    public var description: String { rawValue }

    /// The language `--lang` names: `en` or `vi`, nothing else.
    public init?(option: String) {
        self.init(rawValue: option)
    }

    /// The language the locale variables choose, as gettext reads them: the first of `LC_ALL`,
    /// `LC_MESSAGES` and `LANG` that is set and not empty decides; a value starting with `vi` ("vi_VN.UTF-8",
    /// "vi") is Vietnamese, anything else (including "C" and "POSIX") English.
    public init(environment: [String: String]) {
        let chosen = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        self = chosen?.hasPrefix("vi") == true ? .vietnamese : .english
    }

    /// The language of this process's messages, set once by the executable before it parses its arguments
    /// (English until then, and in the libraries' tests).
    public static var current: Language {
        get { chosen.withLock { $0 } }
        set { chosen.withLock { $0 = newValue } }
    }

    private static let chosen = Locked(Language.english)
}
