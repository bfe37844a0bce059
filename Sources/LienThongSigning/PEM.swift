import Foundation
internal import CLibCrypto

/// One PEM block (RFC 7468): a label and the DER it wraps.
struct PEMDocument {
    let label: String
    var der: [UInt8]

    init(label: String, der: [UInt8]) {
        self.label = label
        self.der = der
    }

    /// Reads a text that holds exactly one PEM block, with nothing but white space around it.
    init(text: String) throws(KeyError) {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard let first = lines.first, let last = lines.last, lines.count >= 2,
            first.hasPrefix("-----BEGIN "), first.hasSuffix("-----"), last.hasPrefix("-----END "), last.hasSuffix("-----")
        else { throw .notPEM("no BEGIN and END lines around the text") }
        let label = String(first.dropFirst("-----BEGIN ".count).dropLast(5))
        guard last == "-----END \(label)-----" else { throw .notPEM("the END line does not match the BEGIN line") }
        let body = lines.dropFirst().dropLast().joined()
        guard !body.contains("-----") else { throw .notPEM("the text holds more than one PEM block") }
        guard let der = Data(base64Encoded: body) else { throw .notPEM("the body is not base64") }
        self.label = label
        self.der = Array(der)
    }

    /// Every PEM block of a text that holds one or more, such as a certificate chain. Text between blocks is
    /// explanatory and skipped (RFC 7468 §2); a block begun and not ended is an error.
    static func all(in text: String) throws(KeyError) -> [PEMDocument] {
        var documents: [PEMDocument] = []
        var block: [Substring]?
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.drop(while: \.isWhitespace)
            if block == nil, trimmed.hasPrefix("-----BEGIN ") { block = [] }
            block?.append(line)
            if trimmed.hasPrefix("-----END "), let lines = block {
                documents.append(try PEMDocument(text: lines.joined(separator: "\n")))
                block = nil
            }
        }
        if block != nil { throw .notPEM("a BEGIN line has no END line") }
        guard !documents.isEmpty else { throw .notPEM("no BEGIN and END lines around the text") }
        return documents
    }

    /// The block as text with 64-character lines and a final newline.
    var text: String {
        let body = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(body)\n-----END \(label)-----\n"
    }
}

extension PEMDocument {
    /// Overwrites the DER in place, for documents that held a private key.
    mutating func wipe() {
        der.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
    }
}
