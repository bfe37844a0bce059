import Foundation
import LienThongTestSupport
import Testing

@Suite("The binary against a hostile peer (issue 9)", .serialized)
struct HostilePeerCommandTests {
    @Test("a 429 with Retry-After: Int64.max neither traps the daemon nor its restart; the next attempt is due at the backoff cap")
    func hugeRetryAfter() async throws {
        let scratch = try ScratchFolder()
        let hostile = try LoopbackServer { _ in .response(status: 429, headers: [("Retry-After", "9223372036854775807")], body: []) }
        let config = try scratch.agency(peerURL: hostile.url, peerSettings: ", interval_seconds: 1", topLevel: #"listen: "127.0.0.1:0""#)
        let stored = StoreFile(path: scratch.path("store.sqlite"))
        for run in 1...2 {
            let daemon = try DaemonProcess(config: config, folder: scratch.url)
            if run == 1 {
                #expect(try await stored.waitFor("SELECT consecutive_failures FROM pull_status", equals: Int64(1), timeout: .seconds(60)), "log: \(daemon.log)")
                // PullScheduler's default backoff cap: 900 s.
                let wait = try stored.scalar("SELECT next_attempt_at - last_attempt_at FROM pull_status", as: Int64.self)
                #expect(wait == 900_000)
            } else {
                // The restart reads the stored backoff and waits; it must not trap on it either.
                try await Task.sleep(for: .seconds(2))
            }
            #expect(daemon.process.isRunning, "log: \(daemon.log)")
            daemon.send(SIGTERM)
            #expect(try await daemon.waitForExit(.seconds(10)) == 0, "log: \(daemon.log)")
        }
    }

    @Test("put refuses a version over 1 MiB of canonical JSON with its line number, and applies nothing")
    func putTooLarge() throws {
        let scratch = try ScratchFolder()
        let config = try scratch.agency(keysFor: ["bo-y-te"], datasets: ["tiem-chung"])
        let fits = #"{"id":"tc-1","data":{"x":"\#(String(repeating: "a", count: 1_000_000))"}}"#
        let tooLarge = #"{"id":"tc-2","data":{"x":"\#(String(repeating: "a", count: 1_048_576))"}}"#
        let refused = try CommandRunner.run(["put", "--config", config, "--dataset", "tiem-chung"], stdin: Data((fits + "\n" + tooLarge + "\n").utf8))
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("line 2: record is"), "\(refused.stderr)")
        #expect(refused.stderr.contains("more than 1048576"), "\(refused.stderr)")
        #expect(try CommandRunner.run(["get", "--config", config, "--dataset", "tiem-chung", "tc-1"]).status == 1)
        let accepted = try CommandRunner.run(["put", "--config", config, "--dataset", "tiem-chung"], stdin: Data((fits + "\n").utf8))
        #expect(accepted.status == 0, "\(accepted.stderr)")
    }
}
