internal import CCurl

/// Facts about the libcurl this process is linked with, and its one-time set-up.
public enum CurlRuntime {
    /// libcurl's version and the TLS library it uses, such as `libcurl 7.88.1 (OpenSSL/3.0.19, HTTP/2)`.
    public static var versionDescription: String {
        guard let info = lienthong_curl_version_info_now()?.pointee else { return "libcurl (version unknown)" }
        var parts: [String] = []
        if let tls = info.ssl_version { parts.append(String(cString: tls)) }
        if info.features & CURL_VERSION_HTTP2 != 0 { parts.append("HTTP/2") }
        let version = info.version.map { String(cString: $0) } ?? "?"
        return "libcurl \(version) (\(parts.joined(separator: ", ")))"
    }

    /// `curl_global_init`, run once before the first handle is made (Swift runs a global's initialiser once).
    static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
}
