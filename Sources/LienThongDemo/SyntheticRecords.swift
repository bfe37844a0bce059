import LienThongCore

/// Made-up records for the demo, with Vietnamese names and places; the same index always gives the same record.
enum SyntheticRecords {
    private static let familyNames = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
    private static let middleNames = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Đức", "Thu", "Quang", "Bảo"]
    private static let givenNames = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Linh", "Mai", "Nam", "Phúc", "Quân", "Thảo", "Trang", "Tuấn", "Vy", "Yến"]
    private static let places = [
        "Hoàn Kiếm, Hà Nội", "Ba Đình, Hà Nội", "Cầu Giấy, Hà Nội", "Long Biên, Hà Nội", "Hải Châu, Đà Nẵng", "Quận 1, TP Hồ Chí Minh",
        "Ninh Kiều, Cần Thơ", "Hồng Bàng, Hải Phòng", "TP Huế, Thừa Thiên Huế", "TP Vinh, Nghệ An",
    ]
    /// The province code (Circular 07/2016/TT-BCA) of each place, for the residents' CCCD numbers.
    private static let provinceCodes = ["001", "001", "001", "001", "048", "079", "092", "031", "046", "040"]
    private static let vaccines = ["AstraZeneca", "Pfizer", "Moderna", "Vero Cell", "Sởi-Rubella", "Viêm gan B"]
    private static let clinics = ["Bệnh viện Bạch Mai", "Trạm y tế phường Tràng Tiền", "Bệnh viện Nhi Trung ương", "Trung tâm Y tế quận Cầu Giấy"]
    private static let registrations = ["khai sinh", "kết hôn", "khai tử", "nhận cha mẹ con"]

    static func name(_ index: Int) -> String {
        "\(familyNames[index % familyNames.count]) \(middleNames[(index / 3) % middleNames.count]) \(givenNames[(index / 7) % givenNames.count])"
    }

    static func date(_ index: Int, year: Int) -> String {
        String(format: "%04d-%02d-%02d", year, index % 12 + 1, index % 28 + 1)
    }

    /// A resident in the population register (`dan-cu`), whose CCCD number agrees with the birth date, sex
    /// and birthplace as the published rules say.
    static func resident(_ index: Int) -> JSONValue {
        .object([
            "ho_ten": .string(name(index)), "ngay_sinh": .string(date(index, year: birthYear(index))), "gioi_tinh": .string(isFemale(index) ? "nữ" : "nam"),
            "que_quan": .string(places[index % places.count]), "so_dinh_danh": .string(citizenID(index)),
        ])
    }

    static func birthYear(_ index: Int) -> Int { 1950 + index % 60 }

    /// Women have the middle name Thị, men Văn, Hữu, Đức or Quang; the others go either way.
    static func isFemale(_ index: Int) -> Bool {
        switch middleNames[(index / 3) % middleNames.count] {
        case "Thị": true
        case "Văn", "Hữu", "Đức", "Quang": false
        default: index % 2 == 1
        }
    }

    /// Digits 1–3 the province, 4 the century and sex, 5–6 the year, then six of the index.
    static func citizenID(_ index: Int) -> String {
        let year = birthYear(index)
        let centuryAndSex = (year >= 2000 ? 2 : 0) + (isFemale(index) ? 1 : 0)
        return provinceCodes[index % provinceCodes.count] + String(format: "%d%02d%06d", centuryAndSex, year % 100, index % 1_000_000)
    }

    /// A vaccination (`tiem-chung`) of the resident of the same index.
    static func vaccination(_ index: Int) -> JSONValue {
        .object([
            "ma_dinh_danh": .string(citizenID(index)), "vaccine": .string(vaccines[index % vaccines.count]),
            "mui": .integer(Int64(index % 3 + 1)), "ngay_tiem": .string(date(index, year: 2025)), "co_so": .string(clinics[index % clinics.count]),
        ])
    }

    /// A civil-status registration (`ho-tich`).
    static func registration(_ index: Int) -> JSONValue {
        .object([
            "loai": .string(registrations[index % registrations.count]), "ho_ten": .string(name(index + 11)),
            "ngay_dang_ky": .string(date(index, year: 2026)), "noi_dang_ky": .string(places[index % places.count]),
        ])
    }
}
