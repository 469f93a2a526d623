import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
@testable import S3Client
import Testing

@Suite("S3 locations")
struct S3LocationTests {
    @Test func parsesBucketAndPrefix() throws {
        let location = try S3Location("s3://backups/graphs/nightly")
        #expect(location.bucket == "backups")
        #expect(location.prefix == "graphs/nightly")
        #expect(location.description == "s3://backups/graphs/nightly")
        #expect(location.key("g1.tar") == "graphs/nightly/g1.tar")
        #expect(location.appending("g1").key("x") == "graphs/nightly/g1/x")
    }

    @Test func emptyPrefixAndSlashes() throws {
        for url in ["s3://backups", "s3://backups/", "s3://backups//"] {
            let location = try S3Location(url)
            #expect(location.prefix == "", "\(url)")
            #expect(location.key("g1.tar") == "g1.tar")
            #expect(location.description == "s3://backups")
        }
        #expect(try S3Location("s3://backups//a/b/").prefix == "a/b/")
        #expect(try S3Location("s3://backups/a/b/").key("/x") == "a/b/x")
        #expect(try S3Location(bucket: "backups", prefix: "/a").key("x") == "a/x")
        #expect(try S3Location("s3://backups/a") == S3Location(bucket: "backups", prefix: "a"))
    }

    @Test(arguments: [
        "http://backups/x", "backups/x", "s3://", "s3:///x", "s3://ab", "s3://Backups", "s3://back_ups", "s3://-backups",
        "s3://backups-", "s3://back..ups", "s3://back.-ups", "s3://192.168.1.1", "s3://xn--backups",
        "s3://backups-s3alias", "s3://\(String(repeating: "a", count: 64))",
    ])
    func refusesInvalidLocations(_ url: String) {
        #expect(throws: S3ClientError.self, "\(url)") { try S3Location(url) }
        do {
            _ = try S3Location(url)
        } catch {
            #expect(error.kind == .invalidArgument)
        }
    }

    @Test(arguments: ["abc", "my.backup.bucket", "graph-api-backups-2024", "a1b", String(repeating: "a", count: 63), "1.2.3.a"])
    func acceptsValidBuckets(_ bucket: String) {
        #expect(S3Location.bucketNameProblem(bucket) == nil)
    }
}

@Suite("S3 client configuration")
struct S3ConfigurationTests {
    @Test func fromEnvironmentReadsAWSVariables() throws {
        let configuration = try S3Client.Configuration.fromEnvironment([
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
            "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
        ])
        #expect(configuration.credentials == .init(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "token"))
        #expect(configuration.region == "eu-west-1")
        #expect(configuration.endpoint == S3Client.Endpoint(scheme: "http", host: "127.0.0.1", port: 9000))
        // The secret and the token never show.
        #expect(!configuration.description.contains("secret,") && !configuration.description.contains("token)"))
        #expect(configuration.description.contains("AKIDEXAMPLE"))
    }

    @Test func defaultsAndPrecedence() throws {
        let minimal = try S3Client.Configuration.fromEnvironment(["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": ""])
        #expect(minimal.region == "us-east-1")
        #expect(minimal.endpoint == nil)
        #expect(minimal.credentials.sessionToken == nil)
        let both = try S3Client.Configuration.fromEnvironment([
            "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_S3": "https://b",
        ])
        #expect(both.region == "ap-south-1")
        #expect(both.endpoint == S3Client.Endpoint(scheme: "https", host: "b", port: nil))
    }

    @Test func missingKeysAreNamed() {
        func message(_ environment: [String: String]) -> String? {
            do {
                _ = try S3Client.Configuration.fromEnvironment(environment)
                return nil
            } catch {
                #expect(error.kind == .invalidConfiguration)
                return error.description
            }
        }
        #expect(message([:]) == "no S3 credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
        #expect(message(["AWS_ACCESS_KEY_ID": "k"]) == "no S3 credentials: AWS_SECRET_ACCESS_KEY is not set")
        #expect(message(["AWS_ACCESS_KEY_ID": " ", "AWS_SECRET_ACCESS_KEY": "s"]) == "no S3 credentials: AWS_ACCESS_KEY_ID is not set")
        let badEndpoint = message(["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_ENDPOINT_URL": "ftp://x"])
        #expect(badEndpoint?.hasPrefix("AWS_ENDPOINT_URL: the S3 endpoint 'ftp://x' cannot be used") == true)
    }

    @Test func endpoints() throws {
        #expect(try S3Client.Endpoint(url: "http://127.0.0.1:9000").description == "http://127.0.0.1:9000")
        #expect(try S3Client.Endpoint(url: "https://s3.example.com/").description == "https://s3.example.com")
        #expect(try S3Client.Endpoint(url: "HTTPS://s3.example.com:443").description == "https://s3.example.com")
        #expect(try S3Client.Endpoint(url: "http://[::1]:9000").description == "http://[::1]:9000")
        for bad in ["127.0.0.1:9000", "ftp://host", "http://", "http://host/bucket", "http://host?x=1", "http://u:p@host"] {
            #expect(throws: S3ClientError.self, "\(bad)") { try S3Client.Endpoint(url: bad) }
        }
    }

    @Test func retryDelaysAreBoundedFullJitter() {
        let policy = S3Client.RetryPolicy(maxAttempts: 8, baseDelay: .milliseconds(100), maxDelay: .seconds(1))
        #expect(policy.delayBound(beforeRetry: 1) == .milliseconds(100))
        #expect(policy.delayBound(beforeRetry: 2) == .milliseconds(200))
        #expect(policy.delayBound(beforeRetry: 4) == .milliseconds(800))
        #expect(policy.delayBound(beforeRetry: 5) == .seconds(1))
        #expect(policy.delayBound(beforeRetry: 60) == .seconds(1))
        var generator = SystemRandomNumberGenerator()
        var delays: [Duration] = []
        for _ in 0..<200 {
            let delay = policy.delay(beforeRetry: 3, using: &generator)
            #expect(delay >= .zero && delay <= .milliseconds(400))
            delays.append(delay)
        }
        // Jittered, not a fixed delay.
        #expect(Set(delays).count > 100)
        #expect(S3Client.RetryPolicy(maxAttempts: 0).maxAttempts == 1)
        #expect(S3Client.RetryPolicy.none.maxAttempts == 1)
    }

    /// With an endpoint, path-style; on AWS, virtual-hosted, except for a bucket with a dot.
    @Test func addressing() throws {
        let credentials = S3Client.Credentials(accessKeyID: "k", secretAccessKey: "s")
        let local = S3Client(
            httpClient: .shared,
            configuration: .init(credentials: credentials, endpoint: try S3Client.Endpoint(url: "http://127.0.0.1:9000")))
        let path = local.address(bucket: "bucket", key: "dir/a b+ü.txt")
        #expect(path.base == "http://127.0.0.1:9000")
        #expect(path.authority == "127.0.0.1:9000")
        #expect(path.path == "/bucket/dir/a%20b%2B%C3%BC.txt")
        #expect(local.address(bucket: "bucket", key: nil).path == "/bucket")

        let aws = S3Client(httpClient: .shared, configuration: .init(region: "eu-west-1", credentials: credentials))
        let virtual = aws.address(bucket: "bucket", key: "a/b")
        #expect(virtual.base == "https://bucket.s3.eu-west-1.amazonaws.com")
        #expect(virtual.authority == "bucket.s3.eu-west-1.amazonaws.com")
        #expect(virtual.path == "/a/b")
        #expect(aws.address(bucket: "bucket", key: nil).path == "/")
        let dotted = aws.address(bucket: "my.bucket", key: "a")
        #expect(dotted.base == "https://s3.eu-west-1.amazonaws.com")
        #expect(dotted.path == "/my.bucket/a")

        // What is sent: the same encoded path and the canonical query.
        let request = local.prepare(
            S3Request(
                operation: "ListObjectsV2", method: .GET, bucket: "bucket", key: nil,
                query: [("prefix", "a b/"), ("list-type", "2"), ("continuation-token", "x+y=")]), date: Date())
        #expect(request.url == "http://127.0.0.1:9000/bucket?continuation-token=x%2By%3D&list-type=2&prefix=a%20b%2F")
        #expect(request.headers.first(name: "host") == "127.0.0.1:9000")
        #expect(request.headers.first(name: "authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=k/") == true)
    }
}

@Suite("S3 XML answers")
struct S3XMLTests {
    @Test func parsesAListPage() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Name>bucket</Name><Prefix>a%20b</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
              <EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
              <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
              <Contents><Key>a%20b/%C3%BC+x%2By</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>
                <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size><StorageClass>STANDARD</StorageClass></Contents>
              <!-- a comment --><Contents><Key><![CDATA[plain]]></Key><Size>0</Size><Owner/></Contents>
            </ListBucketResult>
            """
        let root = try S3XMLElement.parse(Array(xml.utf8))
        #expect(root.name == "ListBucketResult")
        #expect(root.text(of: "IsTruncated") == "true")
        let contents = root.children(named: "Contents")
        #expect(contents.count == 2)
        #expect(contents[0].text(of: "ETag") == "\"fba9dede5f27731c9771645a39863328\"")
        #expect(contents[1].text(of: "Key") == "plain")
        #expect(S3Client.formURLDecoded(contents[0].text(of: "Key")!) == "a b/ü x+y")
        #expect(S3Client.formURLDecoded("%zz") == nil)
        #expect(S3Client.formURLDecoded("%FF") == nil)
    }

    @Test func parsesAnError() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist &amp; never did &#x263A;</Message>
            <Resource>/mybucket/myfoto.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>
            """
        let request = S3Request(operation: "GetObject", method: .GET, bucket: "mybucket", key: "myfoto.jpg")
        let error = S3Client.s3Error(
            for: request, status: 404, headers: ["x-amz-id-2": "host-id"], body: ByteBuffer(string: xml))
        #expect(error.code == .noSuchKey)
        #expect(error.status == 404)
        #expect(error.message == "The resource you requested does not exist & never did ☺")
        #expect(error.requestID == "4442587FB7D0A2F9")
        #expect(error.hostID == "host-id")
        #expect(!error.isRetryable)
        #expect(
            error.description
                == "S3 GetObject s3://mybucket/myfoto.jpg failed: 404 NoSuchKey: The resource you requested does not exist & never did ☺ "
                + "(request id 4442587FB7D0A2F9, after 1 attempt)")

        let headError = S3Client.s3Error(for: request, status: 403, headers: [:], body: ByteBuffer())
        #expect(headError.code == .forbidden)
        #expect(headError.message == "Forbidden")
        let slowDown = S3Client.s3Error(
            for: request, status: 503, headers: [:], body: ByteBuffer(string: "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>"))
        #expect(slowDown.code == .slowDown && slowDown.isRetryable)
    }

    @Test(arguments: [
        "", "plain text", "<a>", "<a></b>", "<a><b></a></b>", "<a>&bogus;</a>", "<a>&#xFFFFFFFF;</a>", "<a/><b/>", "<a x=\"1></a>",
        "<a><![CDATA[x</a>", String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100),
    ])
    func refusesMalformedXML(_ xml: String) {
        #expect(throws: S3XMLError.self, "\(xml.prefix(40))") { try S3XMLElement.parse(Array(xml.utf8)) }
    }

    @Test func contentRange() {
        #expect(S3ObjectResponse.parseContentRange("bytes 0-9/443")! == (0...9, 443))
        #expect(S3ObjectResponse.parseContentRange("bytes 10-19/*")! == (10...19, nil))
        #expect(S3ObjectResponse.parseContentRange("bytes 9-0/443") == nil)
        #expect(S3ObjectResponse.parseContentRange("items 0-9/443") == nil)
    }
}
