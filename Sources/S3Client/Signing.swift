import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// AWS Signature Version 4 for one request, as S3 checks it.
///
/// The four steps of AWS's description, each kept visible so that a test can compare them with
/// AWS's published examples: the canonical request (method, URI, sorted query, sorted lowercase
/// headers, the list of signed headers, the payload's SHA-256), the string to sign (algorithm,
/// time, scope, the canonical request's SHA-256), the signing key (HMAC-SHA256 chained over the
/// date, region, service and `aws4_request`) and the signature. S3 differs from the other services
/// in one point: the URI is encoded once, never twice.
package struct SigV4Signer: Sendable {
    /// The payload hash S3 accepts for a body that is not hashed (only for streamed bodies).
    package static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// SHA-256 of no bytes, the payload hash of every request without a body.
    package static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The key that signs.
    package var credentials: S3Client.Credentials
    /// The region in the scope (`us-east-1`, …).
    package var region: String
    /// The service in the scope: `s3`.
    package var service: String

    /// Creates a signer for `service` (S3 unless a test says otherwise) in `region`.
    package init(credentials: S3Client.Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// What signing one request produced: the headers to send and the intermediate strings.
    package struct Signature: Sendable {
        /// Every header to send: the caller's (host included), `x-amz-date`,
        /// `x-amz-content-sha256`, `x-amz-security-token` when there is a session token, and
        /// `Authorization`.
        package var headers: [(name: String, value: String)]
        /// The canonical request, step 1.
        package var canonicalRequest: String
        /// The string to sign, step 2.
        package var stringToSign: String
        /// The hex signature, step 4.
        package var signature: String
        /// The `Authorization` header's value.
        package var authorization: String
    }

    /// Signs a request.
    ///
    /// - Parameters:
    ///   - method: The HTTP method, upper case.
    ///   - canonicalURI: The path as sent, already encoded by ``uriEncode(_:encodeSlash:)`` per
    ///     segment (S3 signs the URI as sent; it is not encoded again).
    ///   - query: The query parameters, not encoded (they are encoded and sorted here).
    ///   - headers: The headers to sign, `host` included; names in any case.
    ///   - payloadHash: The hex SHA-256 of the body, or ``unsignedPayload``.
    ///   - date: The request time, which S3 allows to differ from its own by 15 minutes.
    package func sign(
        method: String, canonicalURI: String, query: [(name: String, value: String)], headers: [(name: String, value: String)],
        payloadHash: String, date: Date
    ) -> Signature {
        let timestamp = AmazonDate.timestamp(date)
        let day = String(timestamp.prefix(8))
        var allHeaders = headers
        allHeaders.append(("x-amz-date", timestamp))
        allHeaders.append(("x-amz-content-sha256", payloadHash))
        if let token = credentials.sessionToken {
            allHeaders.append(("x-amz-security-token", token))
        }

        // Step 1: the canonical request. Headers of one name are joined with commas, values
        // trimmed and their inner runs of spaces made one.
        var byName: [String: [String]] = [:]
        for (name, value) in allHeaders {
            byName[name.lowercased(), default: []].append(Self.canonicalHeaderValue(value))
        }
        let names = byName.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(byName[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let canonicalRequest = [
            method,
            canonicalURI,
            Self.canonicalQueryString(query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")

        // Step 2: the string to sign.
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256",
            timestamp,
            scope,
            Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")

        // Steps 3 and 4: the signing key and the signature.
        let signature = Self.hex(
            HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey(day: day)))
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        allHeaders.append(("Authorization", authorization))
        return Signature(
            headers: allHeaders, canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
            authorization: authorization)
    }

    /// The key of one day: HMAC-SHA256 chained from `AWS4` + secret over date, region, service and
    /// `aws4_request`.
    package func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        return key
    }

    /// The query string as signed and as sent: names and values encoded (`/` too), sorted by name
    /// and then value, `name=value` joined with `&` (a parameter without value is `name=`).
    package static func canonicalQueryString(_ query: [(name: String, value: String)]) -> String {
        query
            .map { (uriEncode($0.name, encodeSlash: true), uriEncode($0.value, encodeSlash: true)) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// Encodes as AWS asks: the unreserved characters `A-Z a-z 0-9 - _ . ~` stay, every other byte
    /// of the UTF-8 becomes `%XX` (upper-case hex), `/` too unless `encodeSlash` is false (object
    /// keys in paths). A space is `%20`, never `+`.
    package static func uriEncode(_ string: String, encodeSlash: Bool) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where !encodeSlash:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lower-case hex of a digest or MAC.
    package static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let hexDigits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A header value as signed: trimmed, runs of spaces inside made one.
    static func canonicalHeaderValue(_ value: String) -> String {
        var out = ""
        var pendingSpace = false
        for character in value.trimmingSpaces() {
            if character == " " || character == "\t" {
                pendingSpace = true
                continue
            }
            if pendingSpace {
                out.append(" ")
                pendingSpace = false
            }
            out.append(character)
        }
        return out
    }
}

extension SHA256.Digest {
    /// The lower-case hex form S3 expects in `x-amz-content-sha256`.
    var hex: String { SigV4Signer.hex(self) }
}

extension String {
    /// Without leading and trailing spaces, tabs and line breaks.
    func trimmingSpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return self[first...last]
    }
}
