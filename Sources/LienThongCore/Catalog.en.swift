// The English catalog: one entry per line, `"key": "text"`, placeholders `{name}`. Every key here is also in
// Catalog.vi.swift with the same placeholders (CatalogTests checks it). Keep the keys sorted by area.
extension Catalog {
    /// English, the default and the fallback.
    public static let english: [String: String] = [
        "lang.invalid": "--lang takes en or vi, not {value}",
        "lang.help": "Messages in English (en) or Vietnamese (vi); without it, LC_ALL, LC_MESSAGES or LANG decide (vi* is Vietnamese).",
    ]
}
