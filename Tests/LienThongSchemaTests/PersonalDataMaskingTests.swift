import LienThongCore
import LienThongSchema
import Testing

@Suite("Masking: every value of a pii field is shown as ***")
struct PersonalDataMaskingTests {
    /// Personal data at the top, in a nested object, in array items and as a whole array; `que_quan` is not pii,
    /// and `additional: allow` lets undeclared members in.
    static let schema = try! DatasetSchema(
        declaration: try! JSONValue(
            parsing: """
                {"additional": "allow", "fields": {
                  "ho_ten": {"type": "string", "pii": true},
                  "ngay_sinh": {"type": "date", "pii": true, "nullable": true},
                  "que_quan": {"type": "string"},
                  "dia_chi": {"type": "object", "additional": "allow", "fields": {
                    "tinh": {"type": "string"}, "so_nha": {"type": "string", "pii": true}}},
                  "con": {"type": "array", "items": {"type": "object", "fields": {
                    "ho_ten": {"type": "string", "pii": true}, "nam_sinh": {"type": "integer"}}}},
                  "dien_thoai": {"type": "array", "items": {"type": "string", "pii": true}},
                  "giay_to": {"type": "object", "pii": true, "fields": {"so": {"type": "string"}}},
                  "ghi_chu": {"type": "object", "fields": {"noi_dung": {"type": "string"}}}}}
                """
        )
    )

    @Test(arguments: [
        // flat: the value masked whatever its type, the other fields as they are
        (#"{"ho_ten": "Nguyễn Văn An", "que_quan": "Huế"}"#, #"{"ho_ten": "***", "que_quan": "Huế"}"#, ["ho_ten"]),
        (#"{"ho_ten": 42}"#, #"{"ho_ten": "***"}"#, ["ho_ten"]),
        // null stays null and is not counted; an absent field stays absent
        (#"{"ngay_sinh": null, "que_quan": "Huế"}"#, #"{"ngay_sinh": null, "que_quan": "Huế"}"#, []),
        (#"{}"#, #"{}"#, []),
        // nested objects
        (#"{"dia_chi": {"tinh": "Hà Nội", "so_nha": "12 Hàng Bạc"}}"#, #"{"dia_chi": {"tinh": "Hà Nội", "so_nha": "***"}}"#, ["dia_chi.so_nha"]),
        (#"{"dia_chi": {"tinh": "Hà Nội"}}"#, #"{"dia_chi": {"tinh": "Hà Nội"}}"#, []),
        // array items: a pii field of each item, and pii items
        (
            #"{"con": [{"ho_ten": "An", "nam_sinh": 2010}, {"nam_sinh": 2012}, {"ho_ten": "Bình"}]}"#,
            #"{"con": [{"ho_ten": "***", "nam_sinh": 2010}, {"nam_sinh": 2012}, {"ho_ten": "***"}]}"#, ["con[].ho_ten"]
        ),
        (#"{"dien_thoai": ["0912345678", null, "0987654321"]}"#, #"{"dien_thoai": ["***", null, "***"]}"#, ["dien_thoai[]"]),
        (#"{"dien_thoai": []}"#, #"{"dien_thoai": []}"#, []),
        // a pii object is masked whole
        (#"{"giay_to": {"so": "B1234567"}}"#, #"{"giay_to": "***"}"#, ["giay_to"]),
        // undeclared members are not masked, at the top or in an object that allows them
        (#"{"so_cccd_cu": "001090001234", "dia_chi": {"ghi_chu": "x"}}"#, #"{"so_cccd_cu": "001090001234", "dia_chi": {"ghi_chu": "x"}}"#, []),
        // a shape that is not the declared one: masked whole where pii fields are declared beneath it, else left
        (#"{"dia_chi": "12 Hàng Bạc, Hà Nội"}"#, #"{"dia_chi": "***"}"#, ["dia_chi.so_nha"]),
        (#"{"con": {"ho_ten": "An"}, "dien_thoai": "0912345678"}"#, #"{"con": "***", "dien_thoai": "***"}"#, ["con[].ho_ten", "dien_thoai[]"]),
        (#"{"ghi_chu": "tự do"}"#, #"{"ghi_chu": "tự do"}"#, []),
    ])
    func masks(data: String, expected: String, paths: [String]) throws {
        let masked = Self.schema.masking(try JSONValue(parsing: data))
        #expect(masked.data == (try JSONValue(parsing: expected)))
        #expect(masked.maskedPaths == paths)
    }

    /// Every path masking reports is one ``DatasetSchema/personalDataPaths`` declares.
    @Test func pathsAreDeclared() throws {
        let data = try JSONValue(
            parsing: #"{"ho_ten": "A", "ngay_sinh": "2000-01-01", "dia_chi": {"so_nha": "1"}, "con": [{"ho_ten": "B"}], "dien_thoai": ["0912345678"], "giay_to": {}}"#
        )
        #expect(Self.schema.masking(data).maskedPaths == Self.schema.personalDataPaths.sorted())
    }

    /// A schema without pii fields masks nothing.
    @Test func withoutPersonalDataNothingIsMasked() throws {
        let plain = try DatasetSchema(declaration: try JSONValue(parsing: #"{"fields": {"ma": {"type": "string"}}}"#))
        let data = try JSONValue(parsing: #"{"ma": "X1"}"#)
        let masked = plain.masking(data)
        #expect(masked.data == data && masked.maskedPaths.isEmpty)
    }
}
