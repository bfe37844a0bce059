import Foundation
import LienThongConfig
import Testing

/// `admin_listen`: where the status page listens, never on the publisher's port (docs/CONFIG.md, docs/STATUS.md).
@Suite("Configuration: admin_listen")
struct AdminListenTests {
    static let file = URL(fileURLWithPath: "/etc/lienthong/lienthong.yaml")

    static func yaml(listen: String?, admin: String?) -> String {
        var text = """
            agency: bo-y-te
            store: /var/lib/lienthong/lienthong.sqlite
            signing_key: keys/bo-y-te.key.pem
            datasets:
              tiem-chung: { policy: lww }

            """
        if let listen { text += "listen: \(listen)\n" }
        if let admin { text += "admin_listen: \(admin)\n" }
        return text
    }

    @Test("by default on loopback, on the port after the publisher's; any free port when the publisher's is 0", arguments: [
        (nil as String?, ListenAddress(host: "127.0.0.1", port: 8441)),
        ("\"0.0.0.0:9000\"", ListenAddress(host: "127.0.0.1", port: 9001)),
        ("\"127.0.0.1:0\"", ListenAddress(host: "127.0.0.1", port: 0)),
        ("\"127.0.0.1:65535\"", ListenAddress(host: "127.0.0.1", port: 0)),
    ])
    func defaults(listen: String?, expected: ListenAddress) throws {
        let configuration = try Configuration(yaml: Self.yaml(listen: listen, admin: nil), fileURL: Self.file)
        #expect(configuration.adminListen == expected)
    }

    @Test("an address as written, IPv6 in brackets; off turns the page off")
    func written() throws {
        #expect(try Configuration(yaml: Self.yaml(listen: nil, admin: "\"127.0.0.1:9441\""), fileURL: Self.file).adminListen
            == ListenAddress(host: "127.0.0.1", port: 9441))
        #expect(try Configuration(yaml: Self.yaml(listen: nil, admin: "\"[::1]:8441\""), fileURL: Self.file).adminListen
            == ListenAddress(host: "::1", port: 8441))
        #expect(try Configuration(yaml: Self.yaml(listen: nil, admin: "off"), fileURL: Self.file).adminListen == nil)
    }

    @Test("refused: the publisher's port, on any host, and what is not host:port", arguments: [
        ("\"127.0.0.1:8440\"", nil as String?, "cannot share the publisher's port 8440"),
        ("\"0.0.0.0:8440\"", nil, "cannot share the publisher's port 8440"),
        ("\"127.0.0.2:9000\"", "\"10.0.0.5:9000\"", "cannot share the publisher's port 9000"),
        ("8441", nil, "expected host:port"),
        ("\"127.0.0.1:70000\"", nil, "expected host:port"),
        ("on", nil, "expected host:port"),
    ])
    func refused(admin: String, listen: String?, problem: String) {
        #expect {
            try Configuration(yaml: Self.yaml(listen: listen, admin: admin), fileURL: Self.file)
        } throws: { error in
            "\(error)".contains("admin_listen") && "\(error)".contains(problem)
        }
    }
}
