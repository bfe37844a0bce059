import Foundation

/// One HTTP response as a test sees it.
struct HTTPReply {
    let status: Int
    /// Header names in lower case.
    let headers: [String: String]
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A GET over loopback through the system `curl` program: real HTTP, with the request target sent
/// exactly as given (`--path-as-is`, `--globoff`). Stands in until the libcurl client in LienThongHTTP
/// takes over; only this file knows how the request is made.
func curlGet(port: Int, target: String, headers: [(String, String)] = []) async throws -> HTTPReply {
    let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-curl-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let headerFile = folder.appending(path: "headers")
    let bodyFile = folder.appending(path: "body")

    let process = Process()
    process.executableURL = URL(filePath: "/usr/bin/env")
    process.arguments = ["curl", "--silent", "--show-error", "--globoff", "--path-as-is", "--max-time", "20"]
        + ["--dump-header", headerFile.path, "--output", bodyFile.path, "--write-out", "%{http_code}"]
        + headers.flatMap { ["--header", "\($0.0): \($0.1)"] } + ["http://127.0.0.1:\(port)\(target)"]
    let output = Pipe()
    process.standardOutput = output
    // Wait without blocking a thread: the server under test answers on the same few threads.
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        process.terminationHandler = { _ in continuation.resume() }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    let code = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    guard process.terminationStatus == 0, let status = Int(code) else {
        throw CurlFailure(description: "curl exited \(process.terminationStatus) for \(target)")
    }
    var fields: [String: String] = [:]
    for line in try String(contentsOf: headerFile, encoding: .utf8).split(separator: "\r\n").dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    // curl creates the body file only when there is a body to write.
    return HTTPReply(status: status, headers: fields, body: Array((try? Data(contentsOf: bodyFile)) ?? Data()))
}

struct CurlFailure: Error, CustomStringConvertible {
    let description: String
}
