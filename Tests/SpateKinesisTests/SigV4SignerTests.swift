import Foundation
import Testing

@testable import SpateKinesis

/// SigV4 against AWS's published test suite (aws-sig-v4-test-suite, `get-vanilla` and `post-vanilla`): the
/// documented credentials, date, region and service must give the documented signature.
@Suite struct SigV4SignerTests {
    let signer = SigV4Signer(
        credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "service")
    /// 2015-08-30T12:36:00Z, the suite's date.
    let date = Date(timeIntervalSince1970: 1_440_938_160)

    @Test func theGetVanillaExampleGivesAWSsPublishedSignature() {
        let headers = signer.sign(method: "GET", path: "/", headers: [("Host", "example.amazonaws.com")], body: [], date: date)
        #expect(headers.first { $0.0 == "x-amz-date" }?.1 == "20150830T123600Z")
        #expect(headers.first { $0.0 == "authorization" }?.1
            == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func thePostVanillaExampleGivesAWSsPublishedSignature() {
        let headers = signer.sign(method: "POST", path: "/", headers: [("Host", "example.amazonaws.com")], body: [], date: date)
        #expect(headers.first { $0.0 == "authorization" }?.1
            == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            + "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
    }

    @Test func aSessionTokenIsSentAndSigned() {
        let temporary = SigV4Signer(
            credentials: AWSCredentials(accessKeyID: "ASIA", secretAccessKey: "s", sessionToken: "token"),
            region: "us-east-1", service: "kinesis")
        let headers = temporary.sign(method: "POST", path: "/", headers: [("host", "h")], body: [], date: date)
        #expect(headers.contains { $0.0 == "x-amz-security-token" && $0.1 == "token" })
        #expect(headers.first { $0.0 == "authorization" }?.1.contains("SignedHeaders=host;x-amz-date;x-amz-security-token") == true)
    }

    @Test func credentialsComeFromTheEnvironmentOrAClearError() throws {
        let found = try AWSCredentials.fromEnvironment(
            ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"])
        #expect(found == AWSCredentials(accessKeyID: "k", secretAccessKey: "s", sessionToken: "t"))
        #expect(throws: KinesisError.self) { try AWSCredentials.fromEnvironment([:]) }
        #expect(KinesisError.missingCredentials.description.contains("AWS_ACCESS_KEY_ID"))
        #expect(AWSCredentials.region(["AWS_DEFAULT_REGION": "eu-west-1"]) == "eu-west-1")
    }
}
