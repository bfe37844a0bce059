internal import CCurl
import LienThongCore
import Foundation

/// The one owner of a libcurl easy handle and of everything libcurl borrows for it: the header list, the
/// error buffer and the response being received. Used by one thread at a time: built by the caller,
/// then handed to the driver thread (see ``CurlDriver``), which alone touches it from then on.
final class EasyTransfer {
    let handle: UnsafeMutableRawPointer
    let url: String
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let maximumBodyBytes: Int
    private(set) var body: [UInt8] = []
    private(set) var bodyTooLarge = false
    private var headerLines: [String] = []

    init(_ request: HTTPRequest) throws(HTTPError) {
        guard CurlRuntime.initialized, let handle = curl_easy_init() else {
            throw HTTPError(.other, "GET \(request.url): libcurl could not make a handle")
        }
        self.handle = handle
        url = request.url
        maximumBodyBytes = request.options.maximumBodyBytes
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        for (name, value) in request.headers {
            guard !(name + value).unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw HTTPError(.invalidRequest, "GET \(request.url): a header holds a line break")
            }
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        try configure(request)
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    private func configure(_ request: HTTPRequest) throws(HTTPError) {
        let options = request.options
        let this = Unmanaged.passUnretained(self).toOpaque()
        var codes: [CURLcode] = [
            lienthong_curl_easy_setopt_string(handle, CURLOPT_URL, request.url),
            lienthong_curl_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"),
            lienthong_curl_easy_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0),
            // The target goes out exactly as given: request tokens sign it (`htu`).
            lienthong_curl_easy_setopt_long(handle, CURLOPT_PATH_AS_IS, 1),
            lienthong_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1),
            lienthong_curl_easy_setopt_string(handle, CURLOPT_USERAGENT, "lienthong"),
            // Every encoding this libcurl can decode; the body handed back is decoded.
            lienthong_curl_easy_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, ""),
            lienthong_curl_easy_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)),
            lienthong_curl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1),
            lienthong_curl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2),
            // TLS 1.0 and 1.1 are refused whatever the server offers.
            lienthong_curl_easy_setopt_long(handle, CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2)),
            lienthong_curl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, options.connectTimeout.milliseconds),
            lienthong_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, options.totalTimeout.milliseconds),
            lienthong_curl_easy_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, options.lowSpeedLimit),
            lienthong_curl_easy_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, options.lowSpeedTime.milliseconds / 1000)),
            lienthong_curl_easy_setopt_offset(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(options.maximumBodyBytes)),
            lienthong_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer),
            lienthong_curl_easy_setopt_write_function(handle, CURLOPT_WRITEFUNCTION, receiveBody),
            lienthong_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, this),
            lienthong_curl_easy_setopt_write_function(handle, CURLOPT_HEADERFUNCTION, receiveHeader),
            lienthong_curl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, this),
        ]
        if let headerList { codes.append(lienthong_curl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)) }
        if let caFile = options.caFile { codes.append(lienthong_curl_easy_setopt_string(handle, CURLOPT_CAINFO, caFile)) }
        if let pinned = options.pinnedPublicKey {
            codes.append(lienthong_curl_easy_setopt_string(handle, CURLOPT_PINNEDPUBLICKEY, pinned))
        }
        if options.reportsServerCertificate { codes.append(lienthong_curl_easy_setopt_long(handle, CURLOPT_CERTINFO, 1)) }
        if let identity = options.clientCertificate {
            codes.append(identity.chainPEM.withUnsafeBytes { lienthong_curl_easy_setopt_blob(handle, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count) })
            codes.append(identity.keyPEM.withUnsafeBytes { lienthong_curl_easy_setopt_blob(handle, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count) })
        }
        if let failed = codes.first(where: { $0 != CURLE_OK }) {
            throw HTTPError(.invalidRequest, "GET \(url): libcurl refused an option: \(String(cString: curl_easy_strerror(failed)))")
        }
    }

    fileprivate func append(body chunk: UnsafeRawBufferPointer) -> Bool {
        guard body.count + chunk.count <= maximumBodyBytes else {
            bodyTooLarge = true
            return false
        }
        body.append(contentsOf: chunk)
        return true
    }

    fileprivate func append(headerLine line: String) {
        // A new status line starts a new response (after 100 Continue, for example): keep only the last.
        if line.hasPrefix("HTTP/") { headerLines.removeAll() }
        headerLines.append(line)
    }

    /// The outcome once libcurl reports the transfer done with `code`.
    func result(_ code: CURLcode) -> Result<HTTPResponse, HTTPError> {
        guard code == CURLE_OK else { return .failure(error(for: code)) }
        var status = 0
        _ = lienthong_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        let headers = headerLines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return .success(HTTPResponse(status: status, headers: headers, body: body, serverCertificateNotAfter: serverCertificateNotAfter()))
    }

    /// The first certificate's "Expire date" from libcurl's certificate information (OpenSSL writes it as
    /// `Dec  5 12:00:00 2027 GMT`), when it was asked for.
    private func serverCertificateNotAfter() -> UnixTime? {
        var information: UnsafeMutablePointer<curl_certinfo>?
        guard lienthong_curl_easy_getinfo_certinfo(handle, &information) == CURLE_OK, let information,
            information.pointee.num_of_certs > 0, var item = information.pointee.certinfo?[0]
        else { return nil }
        let prefix = "Expire date:"
        while true {
            if let data = item.pointee.data {
                let line = String(cString: data)
                if line.hasPrefix(prefix) {
                    let parts = line.dropFirst(prefix.count).split(separator: " ")
                    guard parts.count == 5, parts[4] == "GMT" else { return nil }
                    return UnixTime(year: parts[3], month: parts[0], day: parts[1], time: parts[2])
                }
            }
            guard let next = item.pointee.next else { return nil }
            item = next
        }
    }

    private func error(for code: CURLcode) -> HTTPError {
        let detail = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        let reason: HTTPError.Reason
        switch code {
        case CURLE_WRITE_ERROR where bodyTooLarge, CURLE_FILESIZE_EXCEEDED: reason = .bodyTooLarge
        case CURLE_OPERATION_TIMEDOUT: reason = detail.contains("too slow") ? .tooSlow : .timedOut
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: reason = .connectFailed
        case CURLE_PARTIAL_FILE: reason = .truncated
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM: reason = .connectionLost
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_CERTPROBLEM:
            reason = .tls
        default: reason = .other
        }
        let shown = reason == .bodyTooLarge
            ? LocalizedMessage("http.body-larger", ["limit": "\(maximumBodyBytes)"]) : LocalizedMessage("verbatim", ["text": detail])
        return HTTPError(reason, LocalizedMessage("http.failed", ["url": url], messages: ["reason": reason.message, "detail": shown]))
    }
}

extension Duration {
    fileprivate var milliseconds: Int {
        Int(components.seconds) * 1000 + Int(components.attoseconds / 1_000_000_000_000_000)
    }
}

/// libcurl's write callback: appends to the transfer's body, or stops the transfer past the size limit.
private let receiveBody: curl_write_callback = { pointer, size, count, userData in
    guard let pointer, let userData else { return 0 }
    let transfer = Unmanaged<EasyTransfer>.fromOpaque(userData).takeUnretainedValue()
    let bytes = size * count
    return transfer.append(body: UnsafeRawBufferPointer(start: pointer, count: bytes)) ? bytes : 0
}

/// libcurl's header callback: one header line at a time.
private let receiveHeader: curl_write_callback = { pointer, size, count, userData in
    guard let pointer, let userData else { return 0 }
    let transfer = Unmanaged<EasyTransfer>.fromOpaque(userData).takeUnretainedValue()
    let bytes = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: pointer, count: bytes), as: UTF8.self)
    transfer.append(headerLine: line.trimmingCharacters(in: .newlines))
    return bytes
}
