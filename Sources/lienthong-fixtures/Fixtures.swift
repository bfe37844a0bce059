import ArgumentParser
import Foundation
import LienThongCore
import LienThongFeed
import LienThongPublisher
import LienThongMerge
import LienThongSigning

@main
struct Fixtures: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lienthong-fixtures",
        abstract: "Write the recorded feeds of fixtures/feeds from fixed test-only keys and a fixed clock.",
        discussion: """
            Two publishers, bo-cong-an (Ed25519, dan-cu) and bo-y-te (ES256, tiem-chung), each make their records \
            in a scratch store at fixed times and serve them to the reader ubnd-ha-noi as signed pages issued at \
            2026-01-01T00:00:00Z (Unix 1767225600), two records a page. Beside them: the agencies' configurations, \
            what the reader must export after the good feeds, and tampered pages. Running it again gives the same \
            files; fixtures/README.md lists every file and the outcome it must produce.

            The keys are read from OUT/keys and never replaced. --create-missing-keys makes the ones that are \
            missing, once; commit them: every page depends on them.
            """
    )

    @Option(help: ArgumentHelp("The folder to write into (the repository keeps them in fixtures/feeds).", valueName: "DIR"))
    var out: String

    @Flag(help: "Make the test keys that OUT/keys lacks. Without it a missing key is an error.")
    var createMissingKeys = false

    func run() async throws {
        let output = OutputFolder(root: URL(fileURLWithPath: out))
        // Made here first, so that only keys/ gets the private mode the key writer gives new folders.
        try FileManager.default.createDirectory(at: output.root, withIntermediateDirectories: true)
        var keys: [AgencyID: PrivateKey] = [:]
        for (agency, type) in World.keyTypes {
            keys[agency] = try loadKey(agency, type: type, into: output)
        }
        try output.write("ubnd-ha-noi.yaml", text: World.readerConfiguration)
        try output.write("bo-cong-an.yaml", text: World.boCongAnConfiguration)
        try output.write("bo-y-te.yaml", text: World.boYTeConfiguration)

        let scratch = FileManager.default.temporaryDirectory.appending(path: "lienthong-fixtures-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let everything = DatasetGrant(fields: nil)
        // bo-y-te pulls dan-cu too, so that a page addressed to it can be recorded (tampered/wrong-audience).
        let police = try FixturePublisher(
            agency: World.boCongAn, key: keys[World.boCongAn]!, dataset: World.danCu, policy: .authority(owner: World.boCongAn),
            readers: [World.ubndHaNoi: (keys[World.ubndHaNoi]!.publicKey, everything), World.boYTe: (keys[World.boYTe]!.publicKey, everything)],
            edits: World.danCuEdits, storeURL: scratch.appending(path: "bo-cong-an.sqlite")
        )
        let health = try FixturePublisher(
            agency: World.boYTe, key: keys[World.boYTe]!, dataset: World.tiemChung, policy: .lww,
            readers: [World.ubndHaNoi: (keys[World.ubndHaNoi]!.publicKey, DatasetGrant(fields: World.tiemChungFields))],
            edits: World.tiemChungEdits, storeURL: scratch.appending(path: "bo-y-te.sqlite")
        )

        // The good feeds, page after page, and what the reader holds once it has applied them.
        var firstPoliceBytes: [UInt8] = []
        for publisher in [police, health] {
            let verifier = JWSVerifier(keys: [keys[publisher.agency]!.publicKey], requiredType: FeedPage.type)
            let positions = Array(stride(from: Int64(0), to: try publisher.head(), by: Int(World.pageLimit)))
            let pages = try await publisher.pages(after: positions, to: World.ubndHaNoi, readerKey: keys[World.ubndHaNoi]!)
            for (after, page) in zip(positions, pages) {
                let bytes = try output.writePage("\(publisher.agency)/\(publisher.dataset)/after-\(after).jws", page, verifier: verifier)
                if publisher.agency == World.boCongAn, after == 0 { firstPoliceBytes = bytes }
            }
            try output.write("expected/\(publisher.dataset).jsonl", try publisher.expectedExport())
        }

        try await writeTampered(police: police, keys: keys, firstPage: firstPoliceBytes, scratch: scratch, output: output)

        for path in output.files { print(path) }
        let stray = output.stray()
        if !stray.isEmpty {
            FileHandle.standardError.write(Data("lienthong-fixtures: not made by this run (remove them): \(stray.joined(separator: ", "))\n".utf8))
            throw ExitCode(1)
        }
    }

    /// bo-cong-an's dan-cu feed bent one way per folder under tampered/.
    private func writeTampered(police: FixturePublisher, keys: [AgencyID: PrivateKey], firstPage: [UInt8], scratch: URL, output: OutputFolder) async throws {
        let policeKey = keys[World.boCongAn]!
        let readerKey = keys[World.ubndHaNoi]!
        let verifier = JWSVerifier(keys: [policeKey.publicKey], requiredType: FeedPage.type)

        // The first page with one bit of its signature flipped.
        try output.write("tampered/signature-flipped/after-0.jws", try Self.flippingSignatureBit(firstPage))

        // The first page as bo-cong-an serves it to bo-y-te: validly signed, addressed to another agency.
        let toHealth = try await police.pages(after: [0], to: World.boYTe, readerKey: keys[World.boYTe]!)
        try output.writePage("tampered/wrong-audience/after-0.jws", toHealth[0], verifier: verifier)

        // bo-cong-an restored a backup holding only its first two versions: head 2, where the reader has seen 5.
        let restored = try FixturePublisher(
            agency: World.boCongAn, key: policeKey, dataset: World.danCu, policy: .authority(owner: World.boCongAn),
            readers: [World.ubndHaNoi: (readerKey.publicKey, DatasetGrant(fields: nil))],
            edits: World.danCuEdits.prefix(2), storeURL: scratch.appending(path: "bo-cong-an-restored.sqlite")
        )
        let rolledBack = try await restored.pages(after: [0, 5], to: World.ubndHaNoi, readerKey: readerKey)
        try output.writePage("tampered/rollback/after-0.jws", rolledBack[0], verifier: verifier)
        try output.writePage("tampered/rollback/after-5.jws", rolledBack[1], verifier: verifier)

        // Continuations of the good feed (after 5, head 7): one bad record, then an honest one.
        let danCuHead = try police.head()
        let continuations: [(folder: String, bad: JSONValue, good: JSONValue)] = [
            // cd-002 again under its published version vector {"bo-cong-an":1}, with another name.
            ("equivocation", World.danCuVersion(
                id: "cd-002", counter: 1, hlcMilliseconds: (World.now - 600) * 1000,
                data: Self.replacing("ho_ten", with: .string("Trần Thị Bích"), in: World.danCuEdits[1].data)
            ), World.cd005),
            // A stamp a year ahead of the reader's clock; the honest record sits exactly at the skew limit.
            ("future-hlc", World.danCuVersion(
                id: "cd-005", counter: 1, hlcMilliseconds: (World.now + 365 * 86_400) * 1000,
                data: World.cd005["data"] ?? .object([:])
            ), World.danCuVersion(
                id: "cd-006", counter: 1, hlcMilliseconds: (World.now + World.clockSkewSeconds) * 1000,
                data: .object(["ho_ten": .string("Bùi Thị Giang"), "ngay_sinh": .string("1999-09-09"), "noi_thuong_tru": .string("Phường Kim Mã, Quận Ba Đình, Hà Nội")])
            )),
            // An id of 257 characters (ơ, one Unicode scalar each): one over the record rules' limit of 256.
            ("oversized-record", World.danCuVersion(
                id: String(repeating: "\u{01A1}", count: 257), counter: 1, hlcMilliseconds: (World.now - 600) * 1000,
                data: .object(["ho_ten": .string("Đinh Văn Hùng")])
            ), World.cd005),
        ]
        for continuation in continuations {
            try output.writePage(
                "tampered/\(continuation.folder)/after-\(danCuHead).jws",
                try police.handMadePage(
                    after: danCuHead, head: danCuHead + 2, audience: World.ubndHaNoi,
                    records: [(danCuHead + 1, continuation.bad), (danCuHead + 2, continuation.good)]
                ),
                verifier: verifier
            )
        }
    }

    /// Reads an agency's fixed key from OUT/keys, checking that its public files match; makes it only when asked.
    private func loadKey(_ agency: AgencyID, type: KeyType, into output: OutputFolder) throws -> PrivateKey {
        let files = AgencyKeyFiles(agency: agency, directory: output.url("keys"))
        let paths = ["keys/\(agency).key.pem", "keys/\(agency).pub.pem", "keys/\(agency).jwk.json"]
        defer { for path in paths { output.keep(path) } }
        guard FileManager.default.fileExists(atPath: files.privateKeyURL.path) else {
            guard createMissingKeys else {
                throw FixtureError("no key at \(files.privateKeyURL.path): pass --create-missing-keys to make the test keys once, then commit them")
            }
            let key = try PrivateKey.generate(type)
            try files.writeNew(key)
            return key
        }
        // Test-only keys, committed: git keeps no file mode but 0644 or 0755, so a fresh clone's are 0644.
        let key = try PrivateKeyFile(reading: files.privateKeyURL, access: .groupOrOthersAllowed).key
        guard key.type == type else { throw FixtureError("\(files.privateKeyURL.path) is a \(key.type) key, expected \(type)") }
        guard try PublicKey(contentsOf: files.publicKeyURL) == key.publicKey, try PublicKey(contentsOf: files.jwkURL) == key.publicKey else {
            throw FixtureError("the public key files of \(agency) do not match \(files.privateKeyURL.path)")
        }
        return key
    }

    /// `compact` with the lowest bit of its signature's first byte flipped, still valid base64url.
    static func flippingSignatureBit(_ compact: [UInt8]) throws -> [UInt8] {
        guard let dot = compact.lastIndex(of: UInt8(ascii: ".")) else { throw FixtureError("a page is not a compact JWS") }
        var signature = try Base64URL.decode(utf8: compact[(dot + 1)...])
        signature[0] ^= 0x01
        return Array(compact[...dot]) + Array(Base64URL.encode(signature).utf8)
    }

    static func replacing(_ name: String, with value: JSONValue, in object: JSONValue) -> JSONValue {
        var members = object.objectValue ?? [:]
        members[name] = value
        return .object(members)
    }
}

/// Why the fixtures could not be written: one line.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
