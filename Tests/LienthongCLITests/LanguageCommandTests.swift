import Foundation
import Testing

/// Issue 18 item 3 on the real binary: `--lang` or the locale variables choose the language of `--help`, errors
/// and `doctor`; logs stay English.
@Suite("lienthong in Vietnamese and English")
struct LanguageCommandTests {
    /// The ways of asking for Vietnamese: the option, and each locale variable as gettext reads them.
    static let vietnamese: [(arguments: [String], environment: [String: String?])] = [
        (["--lang", "vi"], [:]),
        (["--lang=vi"], ["LANG": "en_US.UTF-8"]),
        ([], ["LANG": "vi_VN.UTF-8"]),
        ([], ["LC_MESSAGES": "vi_VN.UTF-8"]),
        ([], ["LC_ALL": "vi"]),
    ]

    @Test("--help in Vietnamese: the command's overview and its options' help", arguments: vietnamese.indices)
    func helpInVietnamese(way: Int) throws {
        let (arguments, environment) = Self.vietnamese[way]
        let outcome = try CommandRunner.run(arguments + ["sync", "--help"], environment: environment)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdoutText.contains("Kéo mọi nguồn cấp đã cấu hình một lần, cho đến khi bắt kịp."), "\(outcome.stdoutText)")
        #expect(outcome.stdoutText.contains("Tệp cấu hình (mặc định: $LIENTHONG_CONFIG hoặc"))
        #expect(outcome.stdoutText.contains("Số lần thử cho mỗi nguồn cấp"))
        #expect(!outcome.stdoutText.contains("Pull every configured feed"))
    }

    @Test("--help of a nested subcommand and of the root in Vietnamese")
    func nestedHelp() throws {
        let audit = try CommandRunner.run(["audit", "export", "--help"], environment: ["LANG": "vi_VN.UTF-8"])
        #expect(audit.stdoutText.contains("Ngày đầu tiên (UTC), YYYY-MM-DD."), "\(audit.stdoutText)")
        let root = try CommandRunner.run(["--lang", "vi", "--help"])
        #expect(root.stdoutText.contains("Chia sẻ bản ghi có chữ ký giữa các cơ quan"), "\(root.stdoutText)")
    }

    @Test("LC_ALL decides before LANG: en_US.UTF-8 with LANG=vi stays English; so does no locale at all")
    func englishWins() throws {
        for environment: [String: String?] in [["LC_ALL": "en_US.UTF-8", "LANG": "vi"], [:], ["LANG": "C"]] {
            let outcome = try CommandRunner.run(["sync", "--help"], environment: environment)
            #expect(outcome.status == 0)
            #expect(outcome.stdoutText.contains("Pull every configured feed once, until caught up."), "\(environment)")
            #expect(!outcome.stdoutText.contains("nguồn cấp"))
        }
        let english = try CommandRunner.run(["--lang", "en", "sync", "--help"], environment: ["LANG": "vi_VN.UTF-8"])
        #expect(english.stdoutText.contains("Pull every configured feed once"))
    }

    @Test("--lang other than en or vi is refused with exit 2, before anything runs", arguments: [["--lang", "xx"], ["--lang=fr", "status"], ["--lang"]])
    func unknownLanguage(arguments: [String]) throws {
        let outcome = try CommandRunner.run(arguments)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.hasPrefix("lienthong: --lang takes en or vi, not "), "\(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
    }

    @Test("a missing configuration file is reported in Vietnamese, exit 2, naming the file", arguments: vietnamese.indices)
    func missingConfiguration(way: Int) throws {
        let (arguments, environment) = Self.vietnamese[way]
        let outcome = try CommandRunner.run(arguments + ["status", "--config", "/nonexistent/lienthong.yaml"], environment: environment)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.hasPrefix("lienthong: /nonexistent/lienthong.yaml: không đọc được tệp: "), "\(outcome.stderr)")
    }

    @Test("a configuration mistake is named in Vietnamese with its file, line and key; in English without vi")
    func configurationMistake() throws {
        let scratch = try ScratchFolder()
        let config = try scratch.agency(topLevel: "colour: blue")
        let vietnamese = try CommandRunner.run(["--lang", "vi", "status", "--config", config])
        #expect(vietnamese.status == 2)
        #expect(vietnamese.stderr.contains("lienthong.yaml:4: colour: mục cấu hình không xác định"), "\(vietnamese.stderr)")
        let english = try CommandRunner.run(["status", "--config", config])
        #expect(english.stderr.contains("lienthong.yaml:4: colour: unknown key"), "\(english.stderr)")
    }

    @Test("a command's own failure and argument check in Vietnamese")
    func commandFailures() throws {
        let scratch = try ScratchFolder()
        let config = try scratch.agency()
        let get = try CommandRunner.run(["get", "--config", config, "--dataset", "dan-cu", "khong-co"], environment: ["LANG": "vi_VN.UTF-8"])
        #expect(get.status == 1)
        #expect(get.stderr == "lienthong: không có bản ghi \"khong-co\" trong dan-cu\n", "\(get.stderr)")
        let sync = try CommandRunner.run(["--lang", "vi", "sync", "--config", config, "--attempts", "0"])
        #expect(sync.status == 64)
        #expect(sync.stderr.contains("--attempts phải từ 1 đến 10"), "\(sync.stderr)")
    }

    @Test("doctor in Vietnamese: each check's outcome, name and finding; --json keeps the English check name and result")
    func doctor() throws {
        let scratch = try ScratchFolder()
        let config = try scratch.agency()
        let lines = try CommandRunner.run(["doctor", "--config", config], environment: ["LANG": "vi_VN.UTF-8"])
        #expect(lines.status == 0, "\(lines.stdoutText)\(lines.stderr)")
        #expect(lines.stdoutText.contains("đạt        cấu hình: \(config) đọc được: cơ quan bo-y-te, 0 cơ quan đối tác"), "\(lines.stdoutText)")
        #expect(lines.stdoutText.contains("đạt        khóa ký: "))
        #expect(lines.stdoutText.contains("chưa tồn tại: lần đồng bộ đầu tiên hoặc tiến trình nền sẽ tạo ra"))
        let json = try CommandRunner.run(["--lang", "vi", "doctor", "--config", config, "--json"])
        #expect(json.stdoutText.contains("\"check\":\"configuration\""), "\(json.stdoutText)")
        #expect(json.stdoutText.contains("\"result\":\"ok\""), "\(json.stdoutText)")
        #expect(json.stdoutText.contains("cơ quan bo-y-te"))
        let missing = try CommandRunner.run(["--lang", "vi", "doctor", "--config", scratch.path("none.yaml")])
        #expect(missing.status == 1)
        #expect(missing.stdoutText.hasPrefix("không đạt  cấu hình: \(scratch.path("none.yaml")): không đọc được tệp: "), "\(missing.stdoutText)")
        #expect(missing.stderr == "lienthong: doctor: 1 mục kiểm tra không đạt\n")
        let english = try CommandRunner.run(["doctor", "--config", config])
        #expect(english.stdoutText.contains("ok    configuration: \(config) parses: agency bo-y-te, 0 peers"), "\(english.stdoutText)")
    }

    @Test("logs stay English under LANG=vi_VN.UTF-8: keygen's event line, while its error is Vietnamese")
    func logsStayEnglish() throws {
        let scratch = try ScratchFolder()
        let keygen = try CommandRunner.run(["keygen", "--agency", "bo-y-te", "--out", scratch.path("keys")], environment: ["LANG": "vi_VN.UTF-8"])
        #expect(keygen.status == 0)
        #expect(keygen.stderr.contains("wrote agency key pair"), "\(keygen.stderr)")
        #expect(keygen.stderr.contains("kid="), "\(keygen.stderr)")
        #expect(!keygen.stderr.contains("khóa"), "\(keygen.stderr)")
        let again = try CommandRunner.run(["keygen", "--agency", "bo-y-te", "--out", scratch.path("keys")], environment: ["LANG": "vi_VN.UTF-8"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("đã tồn tại; từ chối ghi đè một khóa"), "\(again.stderr)")
    }

    @Test("the demo's report in Vietnamese, exit 0; in English without a language")
    func demo() throws {
        let vietnamese = try CommandRunner.run(["--lang", "vi", "demo", "--records", "20"])
        #expect(vietnamese.status == 0, "\(vietnamese.stderr)")
        #expect(vietnamese.stdoutText.hasPrefix("Ba cơ quan, mỗi cơ quan có cặp khóa, kho dữ liệu và bộ công bố riêng"), "\(vietnamese.stdoutText)")
        #expect(vietnamese.stdoutText.contains("dan-cu: giống hệt nhau trong cả ba kho dữ liệu (20 bản ghi)"), "\(vietnamese.stdoutText)")
        #expect(vietnamese.stdoutText.contains("dòng 1: lược đồ: field so_dinh_danh breaks format"), "\(vietnamese.stdoutText)")
        #expect(!vietnamese.stdoutText.contains("records in"), "\(vietnamese.stdoutText)")
        let english = try CommandRunner.run(["demo", "--records", "20"], environment: ["LANG": "C"])
        #expect(english.status == 0, "\(english.stderr)")
        #expect(english.stdoutText.hasPrefix("Three agencies, each with its own key pair, store and publisher on loopback:"), "\(english.stdoutText)")
        #expect(english.stdoutText.contains("dan-cu: identical in all three stores (20 records)"), "\(english.stdoutText)")
        #expect(english.stdoutText.contains("line 1: schema: field so_dinh_danh breaks format"), "\(english.stdoutText)")
    }

    /// A library's refusal, quoted by the command, in both languages: (arguments after the language, the
    /// Vietnamese line, the English line, the exit status). Each gets a fresh folder with bo-y-te's keys and
    /// configuration (`config`), a JWS signed by bo-y-te (`signed.jws`) and one signed by bo-cong-an (`page.jws`).
    static let refusals: [(name: String, arguments: @Sendable (ScratchFolder, String) -> [String], vietnamese: String, english: String, status: Int32)] = [
        ("verify refuses a tampered JWS", { scratch, _ in ["verify", "--key", scratch.path("keys/bo-y-te.pub.pem"), scratch.path("tampered.jws")] },
         "lienthong: chữ ký không được xác minh với khóa ", "lienthong: signature does not verify with key ", 1),
        ("keygen refuses a bad agency id", { scratch, _ in ["keygen", "--agency", "Bo-Y-Te", "--out", scratch.path("other")] },
         "Error: mã định danh cơ quan \"Bo-Y-Te\" không bắt đầu bằng một chữ cái a-z\n",
         "Error: agency id \"Bo-Y-Te\" does not start with a letter a-z\n", 64),
        ("put refuses a bad line", { scratch, config in ["put", "--config", config, "--dataset", "dan-cu", scratch.path("edits.jsonl")] },
         "lienthong: dòng 2: thành phần không xác định \"colour\"; không có gì được áp dụng\n",
         "lienthong: line 2: unknown member \"colour\"; nothing was applied\n", 2),
        ("apply refuses a page signed with a key not pinned", { scratch, config in ["apply", "--config", config, "--peer", "bo-cong-an", scratch.path("signed.jws")] },
         "signed.jws: bị từ chối: không có khóa đã ghim nào có kid ", "signed.jws: refused: no pinned key has kid ", 1),
    ]

    @Test("a library's refusal quoted by the command in Vietnamese; the same words in English without a language", arguments: refusals.indices)
    func refusal(row: Int) throws {
        let (_, arguments, vietnamese, english, status) = Self.refusals[row]
        let scratch = try ScratchFolder()
        let config = try scratch.agency(peerURL: "http://127.0.0.1:9")
        let signed = try CommandRunner.run(["sign", "--key", scratch.path("keys/bo-y-te.key.pem"), "--typ", "lienthong-page"], stdin: Data("{\"v\":1}".utf8))
        #expect(signed.status == 0, "\(signed.stderr)")
        try signed.stdout.write(to: URL(fileURLWithPath: scratch.path("signed.jws")))
        var parts = signed.stdoutText.split(separator: ".").map(String.init)
        parts[1] = "eyJ4IjoxfQ"
        try Data(parts.joined(separator: ".").utf8).write(to: URL(fileURLWithPath: scratch.path("tampered.jws")))
        try Data("{\"id\":\"a\",\"data\":{}}\n{\"id\":\"b\",\"data\":{},\"colour\":1}\n".utf8).write(to: URL(fileURLWithPath: scratch.path("edits.jsonl")))
        let translated = try CommandRunner.run(arguments(scratch, config), environment: ["LANG": "vi_VN.UTF-8"])
        #expect(translated.status == status, "\(translated.stderr)")
        #expect(translated.stderr.contains(vietnamese), "\(translated.stderr)")
        let plain = try CommandRunner.run(arguments(scratch, config), environment: ["LANG": "C"])
        #expect(plain.status == status, "\(plain.stderr)")
        #expect(plain.stderr.contains(english), "\(plain.stderr)")
    }

    @Test("the warning for a private key others may read, in Vietnamese; in English without a language")
    func keyWarning() throws {
        let scratch = try ScratchFolder()
        try scratch.makeKeys(for: ["bo-y-te"])
        let key = scratch.path("keys/bo-y-te.key.pem")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        let arguments = ["sign", "--insecure-key-permissions", "--key", key]
        let vietnamese = try CommandRunner.run(arguments, stdin: Data("{}".utf8), environment: ["LANG": "vi_VN.UTF-8"])
        #expect(vietnamese.status == 0, "\(vietnamese.stderr)")
        #expect(vietnamese.stderr.contains("lienthong: cảnh báo: khóa riêng \(key) có quyền 0644, cho phép người khác truy cập ("), "\(vietnamese.stderr)")
        let english = try CommandRunner.run(arguments, stdin: Data("{}".utf8), environment: ["LANG": "C"])
        #expect(english.stderr.contains("lienthong: warning: the private key \(key) has mode 0644, which lets its group read it"), "\(english.stderr)")
    }
}
