import Foundation

/// The AWS credentials and region a Kinesis (or DynamoDB) client signs its requests with.
///
/// `fromEnvironment()` reads what the AWS CLI and SDKs read: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN` (temporary credentials) and `AWS_REGION` (or `AWS_DEFAULT_REGION`). Against a local
/// emulator (moto) any key and secret work, but requests must still be signed.
public struct AWSCredentials: Sendable, Equatable {
    /// The access key id (`AKIA...`, or `ASIA...` for temporary credentials).
    public var accessKeyID: String
    /// The secret access key; never logged.
    public var secretAccessKey: String
    /// The session token of temporary credentials, sent as `X-Amz-Security-Token`.
    public var sessionToken: String?

    /// Credentials given explicitly.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// The credentials in `environment` (the process's by default); throws `KinesisError.missingCredentials`
    /// naming the variables to set when the key or the secret is absent.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> AWSCredentials {
        guard let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty,
            let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        else { throw KinesisError.missingCredentials }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: token)
    }

    /// The region named by `AWS_REGION` or `AWS_DEFAULT_REGION` in `environment`, nil when neither is set.
    public static func region(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        environment["AWS_REGION"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["AWS_DEFAULT_REGION"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
