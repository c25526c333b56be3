import Foundation

/// Encodes and decodes values whose Codable conformance is known only at run time: stateful operators are
/// generic over any key and state type, and only programs that checkpoint need them to be Codable.
enum DynamicCodable {
    static func encode<X>(_ value: X, operatorName: String) throws -> Data {
        guard let encodable = value as? any Encodable else {
            throw CheckpointError.notCodable(operatorName: operatorName, type: "\(X.self)")
        }
        return try StateJSON.encoder().encode(encodable)
    }

    static func decode<X>(_ type: X.Type, from data: Data, operatorName: String) throws -> X {
        guard let decodable = X.self as? any Decodable.Type else {
            throw CheckpointError.notCodable(operatorName: operatorName, type: "\(X.self)")
        }
        let value: any Decodable
        do {
            value = try StateJSON.decoder().decode(decodable, from: data)
        } catch {
            throw CheckpointError.unreadableState(operatorName: operatorName, reason: "not \(X.self): \(error)")
        }
        guard let typed = value as? X else {
            throw CheckpointError.unreadableState(operatorName: operatorName, reason: "not \(X.self)")
        }
        return typed
    }

    /// Whether values of `type` can be checkpointed.
    static func isCodable<X>(_ type: X.Type) -> Bool {
        X.self is any Encodable.Type && X.self is any Decodable.Type
    }
}
