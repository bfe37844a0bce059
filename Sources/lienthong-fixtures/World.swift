import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongSigning

/// The fictional agencies of the recorded feeds, what they author, and the one clock everything is made at.
/// Every name, number and address here is invented.
enum World {
    /// 2026-01-01T00:00:00Z in Unix seconds: pages are issued at this instant, and readers replay them at it.
    static let now: Int64 = 1_767_225_600
    /// The publishers' clock, stopped at ``now``.
    static let clock = FixedClock(UnixTime(seconds: now))
    /// How long a recorded page is valid for, as a publisher serves it by default.
    static let pageLifetimeSeconds: Int64 = 300
    /// The reader's allowed clock skew (`clock_skew_seconds` in its configuration).
    static let clockSkewSeconds: Int64 = 300
    /// Records per page: the `limit` the reader asks with.
    static let pageLimit: Int64 = 2

    static let boCongAn = try! AgencyID("bo-cong-an")
    static let boYTe = try! AgencyID("bo-y-te")
    static let ubndHaNoi = try! AgencyID("ubnd-ha-noi")
    static let danCu = try! DatasetName("dan-cu")
    static let tiemChung = try! DatasetName("tiem-chung")

    /// Each agency's fixed test key: its algorithm.
    static let keyTypes: [(agency: AgencyID, type: KeyType)] = [(boCongAn, .ed25519), (boYTe, .p256), (ubndHaNoi, .ed25519)]

    /// The fields of tiem-chung that bo-y-te shares with ubnd-ha-noi: never the phone number or the
    /// underlying conditions.
    static let tiemChungFields = ["co_so_tiem", "ho_ten", "mui", "ngay_sinh", "ngay_tiem", "vaccine"]

    /// One local edit by a publisher, at `minute` minutes after 2025-12-31T00:00:00Z.
    struct Edit {
        let id: String
        let deleted: Bool
        let data: JSONValue
        let minute: Int64

        var milliseconds: Int64 { (World.now - 86_400 + minute * 60) * 1000 }
    }

    /// bo-cong-an's population records, in the order it edits them: four citizens, one of whom moves.
    static let danCuEdits: [Edit] = [
        Edit(id: "cd-001", deleted: false, data: citizen(
            "001090012345", "Nguyễn Văn An", "1990-03-15", "nam", "Nam Định", "Phường Hàng Bạc, Quận Hoàn Kiếm, Hà Nội"
        ), minute: 60),
        Edit(id: "cd-002", deleted: false, data: citizen(
            "034185006789", "Trần Thị Bình", "1985-07-22", "nữ", "Thái Bình", "Phường Dịch Vọng, Quận Cầu Giấy, Hà Nội"
        ), minute: 120),
        Edit(id: "cd-003", deleted: false, data: citizen(
            "040201004321", "Lê Hoàng Cường", "2001-11-02", "nam", "Nghệ An", "Phường Láng Hạ, Quận Đống Đa, Hà Nội"
        ), minute: 180),
        Edit(id: "cd-001", deleted: false, data: citizen(
            "001090012345", "Nguyễn Văn An", "1990-03-15", "nam", "Nam Định", "Phường Phúc La, Quận Hà Đông, Hà Nội"
        ), minute: 240),
        Edit(id: "cd-004", deleted: false, data: citizen(
            "001178009876", "Phạm Thị Dung", "1978-01-30", "nữ", "Hà Nội", "Xã Bát Tràng, Huyện Gia Lâm, Hà Nội"
        ), minute: 300),
    ]

    /// bo-y-te's vaccination records: three doses, one of them later withdrawn (a tombstone).
    static let tiemChungEdits: [Edit] = [
        Edit(id: "tc-001", deleted: false, data: .object([
            "ho_ten": .string("Nguyễn Văn An"), "ngay_sinh": .string("1990-03-15"), "vaccine": .string("Vero Cell"), "mui": .integer(1),
            "ngay_tiem": .string("2021-08-10"), "co_so_tiem": .string("Trạm Y tế phường Hàng Bạc"),
            "so_dien_thoai": .string("0912345678"), "benh_nen": .string("tăng huyết áp"),
        ]), minute: 90),
        Edit(id: "tc-002", deleted: false, data: .object([
            "ho_ten": .string("Đỗ Minh Châu"), "ngay_sinh": .string("1995-05-09"), "vaccine": .string("AstraZeneca"), "mui": .integer(1),
            "ngay_tiem": .string("2021-09-05"), "co_so_tiem": .string("Bệnh viện Bạch Mai"), "so_dien_thoai": .string("0987654321"),
        ]), minute: 150),
        Edit(id: "tc-003", deleted: false, data: .object([
            "ho_ten": .string("Vũ Thị Hạnh"), "ngay_sinh": .string("1969-12-01"), "vaccine": .string("Pfizer"), "mui": .integer(2),
            "ngay_tiem": .string("2021-10-20"), "co_so_tiem": .string("Trung tâm Y tế quận Long Biên"),
            "so_dien_thoai": .string("0904111222"), "benh_nen": .string("tiểu đường"),
        ]), minute: 210),
        Edit(id: "tc-002", deleted: true, data: .object([:]), minute: 270),
    ]

    private static func citizen(
        _ number: String, _ name: String, _ birth: String, _ sex: String, _ hometown: String, _ residence: String
    ) -> JSONValue {
        .object([
            "so_dinh_danh": .string(number), "ho_ten": .string(name), "ngay_sinh": .string(birth), "gioi_tinh": .string(sex),
            "que_quan": .string(hometown), "noi_thuong_tru": .string(residence),
        ])
    }

    /// A dan-cu version by bo-cong-an, written by hand for the tampered continuations of its feed.
    static func danCuVersion(id: String, counter: Int64, hlcMilliseconds: Int64, data: JSONValue) -> JSONValue {
        RecordVersion(
            dataset: danCu, id: id, origin: boCongAn, hlc: HybridTimestamp(milliseconds: hlcMilliseconds, counter: 0),
            vv: VersionVector([boCongAn: counter]), deleted: false, data: data
        ).json
    }

    /// A new citizen, the honest record beside each bad one in the tampered continuations.
    static let cd005 = danCuVersion(id: "cd-005", counter: 1, hlcMilliseconds: (now - 300) * 1000, data: citizen(
        "001203001111", "Hoàng Minh Đức", "2003-04-18", "nam", "Hà Nội", "Phường Thụy Khuê, Quận Tây Hồ, Hà Nội"
    ))

    // MARK: - Configurations

    static let readerConfiguration = """
        # ubnd-ha-noi (Ủy ban nhân dân thành phố Hà Nội) reads the recorded feeds of bo-cong-an and bo-y-te.
        # Test-only keys. Written by `swift run lienthong-fixtures --out fixtures/feeds`.
        # Paths are relative to this file: tests copy it with keys/ into a temporary folder, so that the store
        # is made there, and point the peers at their loopback fixture server instead of the urls below.
        agency: ubnd-ha-noi
        store: state/ubnd-ha-noi.sqlite
        signing_key: keys/ubnd-ha-noi.key.pem
        listen: "127.0.0.1:8443"
        clock_skew_seconds: \(clockSkewSeconds)
        datasets:
          dan-cu: { policy: authority, owner: bo-cong-an }
          tiem-chung: { policy: lww }
        peers:
          bo-cong-an:
            url: "http://127.0.0.1:8441"
            keys: [keys/bo-cong-an.pub.pem]
            pull: [dan-cu]
          bo-y-te:
            url: "http://127.0.0.1:8442"
            keys: [keys/bo-y-te.pub.pem]
            pull: [tiem-chung]

        """

    static let boCongAnConfiguration = """
        # bo-cong-an (Bộ Công an) publishes dan-cu and shares every field of it with ubnd-ha-noi.
        # Test-only keys. Written by `swift run lienthong-fixtures --out fixtures/feeds`; paths are relative to this file.
        agency: bo-cong-an
        store: state/bo-cong-an.sqlite
        signing_key: keys/bo-cong-an.key.pem
        listen: "127.0.0.1:8441"
        clock_skew_seconds: \(clockSkewSeconds)
        datasets:
          dan-cu: { policy: authority, owner: bo-cong-an }
        peers:
          ubnd-ha-noi:
            url: "http://127.0.0.1:8443"
            keys: [keys/ubnd-ha-noi.pub.pem]
            share:
              dan-cu: {}

        """

    static let boYTeConfiguration = """
        # bo-y-te (Bộ Y tế) publishes tiem-chung and shares it with ubnd-ha-noi without phone numbers or
        # underlying conditions. Test-only keys. Written by `swift run lienthong-fixtures --out fixtures/feeds`;
        # paths are relative to this file.
        agency: bo-y-te
        store: state/bo-y-te.sqlite
        signing_key: keys/bo-y-te.key.pem
        listen: "127.0.0.1:8442"
        clock_skew_seconds: \(clockSkewSeconds)
        datasets:
          tiem-chung: { policy: lww }
        peers:
          ubnd-ha-noi:
            url: "http://127.0.0.1:8443"
            keys: [keys/ubnd-ha-noi.pub.pem]
            share:
              tiem-chung: { fields: [\(tiemChungFields.joined(separator: ", "))] }

        """
}
