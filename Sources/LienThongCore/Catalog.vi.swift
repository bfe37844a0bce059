// Danh mục tiếng Việt: mỗi dòng một mục, `"khóa": "văn bản"`, chỗ trống `{tên}`. Mỗi khóa ở đây cũng có trong
// Catalog.en.swift với cùng chỗ trống (CatalogTests kiểm tra điều đó). Giữ các khóa theo từng phần.
extension Catalog {
    /// Vietnamese.
    public static let vietnamese: [String: String] = [
        "lang.invalid": "--lang nhận en hoặc vi, không nhận {value}",
        "lang.help": "Thông báo bằng tiếng Anh (en) hoặc tiếng Việt (vi); nếu không có, LC_ALL, LC_MESSAGES hoặc LANG quyết định (vi* là tiếng Việt).",
    ]
}
