import Foundation

/// The DynamoDB table of a Kinesis application's shard leases, as the KCL keeps them: one item per shard,
/// `leaseKey` (`<stream>/<shard id>`), `leaseOwner` (absent while nobody holds it), `leaseCounter` (raised by
/// every write, so others see the owner is alive) and `checkpoint` (the last sequence number whose batch
/// completed, or `SHARD_END` once a closed shard was read to its end and that batch completed). Every change
/// is a conditional write, so two processes never both take a lease.
struct LeaseTable: Sendable {
    let client: AWSJSONClient
    let name: String

    /// A lease as read from the table.
    struct Lease: Sendable, Equatable {
        var key: String
        var owner: String?
        var counter: Int64
        var checkpoint: String
    }

    static let shardEnd = "SHARD_END"

    private typealias Item = [String: [String: String]]

    /// Creates the table (on-demand capacity) when it does not exist and waits until it is active.
    func create() async throws {
        struct Describe: Encodable { var TableName: String }
        struct Described: Decodable { struct T: Decodable { var TableStatus: String }; var Table: T }
        struct Attribute: Encodable { var AttributeName: String; var AttributeType: String }
        struct Key: Encodable { var AttributeName: String; var KeyType: String }
        struct Create: Encodable {
            var TableName: String
            var AttributeDefinitions: [Attribute]
            var KeySchema: [Key]
            var BillingMode = "PAY_PER_REQUEST"
        }
        struct Ignored: Decodable {}
        for _ in 0..<120 {
            do {
                let described: Described = try await client.call("DescribeTable", Describe(TableName: name))
                if described.Table.TableStatus == "ACTIVE" { return }
            } catch KinesisError.service(_, let code, _, _) where code == "ResourceNotFoundException" {
                do {
                    let _: Ignored = try await client.call("CreateTable", Create(
                        TableName: name, AttributeDefinitions: [Attribute(AttributeName: "leaseKey", AttributeType: "S")],
                        KeySchema: [Key(AttributeName: "leaseKey", KeyType: "HASH")]))
                } catch KinesisError.service(_, let code, _, _) where code == "ResourceInUseException" {
                    // Another process of the application created it first.
                }
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw KinesisError.unavailable(operation: "CreateTable", endpoint: client.endpoint, attempts: 120,
                                       reason: "the lease table '\(name)' did not become ACTIVE within 60 s")
    }

    /// Adds a free lease for `key` unless one exists.
    func add(_ key: String, checkpoint: String) async throws {
        struct Put: Encodable { var TableName: String; var Item: Item; var ConditionExpression: String }
        struct Ignored: Decodable {}
        do {
            let _: Ignored = try await client.call("PutItem", Put(
                TableName: name, Item: ["leaseKey": ["S": key], "leaseCounter": ["N": "0"], "checkpoint": ["S": checkpoint]],
                ConditionExpression: "attribute_not_exists(leaseKey)"))
        } catch KinesisError.service(_, let code, _, _) where code == "ConditionalCheckFailedException" {}
    }

    /// Every lease of the table (a consistent read).
    func all() async throws -> [Lease] {
        struct Scan: Encodable { var TableName: String; var ConsistentRead = true; var ExclusiveStartKey: Item? }
        struct Page: Decodable { var Items: [Item]; var LastEvaluatedKey: Item? }
        var leases: [Lease] = []
        var start: Item?
        repeat {
            let page: Page = try await client.call("Scan", Scan(TableName: name, ExclusiveStartKey: start))
            for item in page.Items {
                guard let key = item["leaseKey"]?["S"] else { continue }
                leases.append(Lease(key: key, owner: item["leaseOwner"]?["S"],
                                    counter: Int64(item["leaseCounter"]?["N"] ?? "0") ?? 0,
                                    checkpoint: item["checkpoint"]?["S"] ?? "0"))
            }
            start = page.LastEvaluatedKey
        } while start != nil
        return leases
    }

    /// Raises the lease's counter while `owner` holds it (a renewal); false when someone else took it.
    func renew(_ key: String, owner: String) async throws -> Bool {
        try await update(key, "SET #c = #c + :one", condition: "#o = :me", values: [":me": ["S": owner]])
    }

    /// Takes the lease for `owner` if its counter is still `seen` (nobody renewed or took it since).
    func take(_ key: String, owner: String, seen: Int64) async throws -> Bool {
        try await update(key, "SET #o = :me, #c = #c + :one", condition: "#c = :seen",
                         values: [":me": ["S": owner], ":seen": ["N": "\(seen)"]])
    }

    /// Stores `checkpoint` while `owner` holds the lease (renewing it too); false when someone else took it.
    func checkpoint(_ key: String, owner: String, checkpoint: String) async throws -> Bool {
        try await update(key, "SET #p = :p, #c = #c + :one", condition: "#o = :me",
                         values: [":me": ["S": owner], ":p": ["S": checkpoint]])
    }

    /// Gives the lease up (a graceful stop), so the others take it at once instead of after it expires.
    func release(_ key: String, owner: String) async throws {
        _ = try await update(key, "REMOVE #o SET #c = #c + :one", condition: "#o = :me", values: [":me": ["S": owner]])
    }

    /// A conditional UpdateItem; false when the condition failed.
    private func update(_ key: String, _ expression: String, condition: String, values: Item) async throws -> Bool {
        struct Request: Encodable {
            var TableName: String
            var Key: Item
            var UpdateExpression: String
            var ConditionExpression: String
            var ExpressionAttributeNames: [String: String]
            var ExpressionAttributeValues: Item
        }
        struct Ignored: Decodable {}
        var names = ["#o": "leaseOwner", "#c": "leaseCounter"]
        if expression.contains("#p") { names["#p"] = "checkpoint" }
        do {
            let _: Ignored = try await client.call("UpdateItem", Request(
                TableName: name, Key: ["leaseKey": ["S": key]], UpdateExpression: expression,
                ConditionExpression: condition, ExpressionAttributeNames: names,
                ExpressionAttributeValues: values.merging([":one": ["N": "1"]]) { a, _ in a }))
            return true
        } catch KinesisError.service(_, let code, _, _) where code == "ConditionalCheckFailedException" {
            return false
        }
    }
}
