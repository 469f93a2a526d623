import Foundation
import NIOCore
@testable import S3Client
import Testing

/// The signer against AWS's published examples ("Signature Calculations for the Authorization
/// Header: Transferring Payload in a Single Chunk", Amazon S3 API Reference): the same key, time
/// and requests must give the same canonical request, string to sign and signature.
@Suite("Signature Version 4 against AWS's examples")
struct SigV4Tests {
    static let credentials = S3Client.Credentials(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let signer = SigV4Signer(credentials: credentials, region: "us-east-1")
    /// 20130524T000000Z.
    static let date = Date(timeIntervalSince1970: 1_369_353_600)
    static let host = "examplebucket.s3.amazonaws.com"

    @Test func getObjectWithRange() {
        let signature = Self.signer.sign(
            method: "GET", canonicalURI: "/test.txt", query: [], headers: [("Host", Self.host), ("Range", "bytes=0-9")],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(
            signature.canonicalRequest == """
                GET
                /test.txt

                host:examplebucket.s3.amazonaws.com
                range:bytes=0-9
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;range;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """)
        #expect(
            signature.stringToSign == """
                AWS4-HMAC-SHA256
                20130524T000000Z
                20130524/us-east-1/s3/aws4_request
                7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
                """)
        #expect(signature.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(
            signature.authorization
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        let sent = Dictionary(signature.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        #expect(sent["x-amz-date"] == "20130524T000000Z")
        #expect(sent["x-amz-content-sha256"] == SigV4Signer.emptyPayloadHash)
        #expect(sent["x-amz-security-token"] == nil)
    }

    /// A PUT whose payload hash is signed, and a key with `$`, which is encoded.
    @Test func putObjectWithPayload() {
        let payload = ByteBuffer(string: "Welcome to Amazon S3.")
        let payloadHash = S3Client.sha256(payload)
        #expect(payloadHash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let signature = Self.signer.sign(
            method: "PUT", canonicalURI: "/" + SigV4Signer.uriEncode("test$file.text", encodeSlash: false), query: [],
            headers: [
                ("Host", Self.host), ("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ], payloadHash: payloadHash, date: Self.date)
        #expect(signature.canonicalRequest.hasPrefix("PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"))
        #expect(signature.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    /// A sub-resource without a value (`?lifecycle`) is signed as `lifecycle=`.
    @Test func getBucketLifecycle() {
        let signature = Self.signer.sign(
            method: "GET", canonicalURI: "/", query: [("lifecycle", "")], headers: [("Host", Self.host)],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(signature.canonicalRequest.hasPrefix("GET\n/\nlifecycle=\n"))
        #expect(signature.signature == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    /// Query parameters are sorted by name whatever order they are given in.
    @Test func listObjectsWithSortedQuery() {
        let signature = Self.signer.sign(
            method: "GET", canonicalURI: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: [("Host", Self.host)],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(signature.canonicalRequest.hasPrefix("GET\n/\nmax-keys=2&prefix=J\n"))
        #expect(signature.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    /// A wrong secret, region or time gives another signature: the test above is not vacuous.
    @Test func anyChangeChangesTheSignature() {
        let expected = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        func signature(_ signer: SigV4Signer, date: Date = SigV4Tests.date) -> String {
            signer.sign(
                method: "GET", canonicalURI: "/test.txt", query: [], headers: [("Host", Self.host), ("Range", "bytes=0-9")],
                payloadHash: SigV4Signer.emptyPayloadHash, date: date
            ).signature
        }
        #expect(signature(Self.signer) == expected)
        var wrongSecret = Self.credentials
        wrongSecret.secretAccessKey += "x"
        #expect(signature(SigV4Signer(credentials: wrongSecret, region: "us-east-1")) != expected)
        #expect(signature(SigV4Signer(credentials: Self.credentials, region: "eu-west-1")) != expected)
        #expect(signature(Self.signer, date: Self.date.addingTimeInterval(1)) != expected)
    }

    /// A session token is sent and signed.
    @Test func sessionTokenIsSigned() {
        var credentials = Self.credentials
        credentials.sessionToken = "token/with+chars="
        let signature = SigV4Signer(credentials: credentials, region: "us-east-1").sign(
            method: "GET", canonicalURI: "/", query: [], headers: [("Host", Self.host)], payloadHash: SigV4Signer.emptyPayloadHash,
            date: Self.date)
        #expect(signature.canonicalRequest.contains("\nx-amz-security-token:token/with+chars=\n"))
        #expect(signature.authorization.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"))
        #expect(signature.headers.contains { $0.name == "x-amz-security-token" && $0.value == "token/with+chars=" })
    }

    @Test func uriEncoding() {
        #expect(SigV4Signer.uriEncode("AZaz09-_.~", encodeSlash: true) == "AZaz09-_.~")
        #expect(SigV4Signer.uriEncode("a b+c/d", encodeSlash: false) == "a%20b%2Bc/d")
        #expect(SigV4Signer.uriEncode("a b+c/d", encodeSlash: true) == "a%20b%2Bc%2Fd")
        #expect(SigV4Signer.uriEncode("ü=日", encodeSlash: true) == "%C3%BC%3D%E6%97%A5")
        #expect(SigV4Signer.uriEncode("%*?#&", encodeSlash: true) == "%25%2A%3F%23%26")
        #expect(
            SigV4Signer.canonicalQueryString([("continuation-token", "1/a+b="), ("uploads", ""), ("a", "2"), ("a", "1")])
                == "a=1&a=2&continuation-token=1%2Fa%2Bb%3D&uploads=")
    }

    /// Header values are trimmed and their inner runs of spaces made one; names are lower-cased
    /// and sorted.
    @Test func canonicalHeaders() {
        let signature = Self.signer.sign(
            method: "GET", canonicalURI: "/", query: [],
            headers: [("Host", Self.host), ("X-Amz-Meta-Note", "  two   spaces\there ")], payloadHash: SigV4Signer.emptyPayloadHash,
            date: Self.date)
        #expect(signature.canonicalRequest.contains("\nx-amz-meta-note:two spaces here\n"))
    }

    @Test func timestamps() {
        #expect(AmazonDate.timestamp(Self.date) == "20130524T000000Z")
        #expect(AmazonDate.timestamp(Date(timeIntervalSince1970: 951_782_400 + 86_399.9)) == "20000229T235959Z")
        #expect(AmazonDate.timestamp(Date(timeIntervalSince1970: -1)) == "19691231T235959Z")
        #expect(AmazonDate.parseISO8601("2009-10-12T17:50:30.000Z") == Date(timeIntervalSince1970: 1_255_369_830))
        #expect(AmazonDate.parseISO8601("2009-10-12T17:50:30.250Z") == Date(timeIntervalSince1970: 1_255_369_830.25))
        #expect(AmazonDate.parseISO8601("2009-10-12T17:50:30Z") == Date(timeIntervalSince1970: 1_255_369_830))
        #expect(AmazonDate.parseISO8601("2009-10-12 17:50") == nil)
        #expect(AmazonDate.parseHTTPDate("Mon, 12 Oct 2009 17:50:30 GMT") == Date(timeIntervalSince1970: 1_255_369_830))
        #expect(AmazonDate.parseHTTPDate("Mon, 12 Foo 2009 17:50:30 GMT") == nil)
        // Every day of four centuries round-trips.
        for days in stride(from: Int64(-146_097), through: 146_097, by: 1) {
            let (year, month, day) = AmazonDate.civil(fromDays: days)
            guard AmazonDate.days(fromCivil: year, month, day) == days else {
                Issue.record("day \(days) is \(year)-\(month)-\(day), which is not day \(days)")
                return
            }
        }
    }
}
