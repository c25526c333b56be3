/// Why a dashboard could not start.
public enum DashboardError: Error, Sendable, CustomStringConvertible {
    /// The dashboard was asked to listen on an address other programs and machines can reach, with no token.
    case tokenRequired(host: String)
    /// The port is not in 0...65535.
    case invalidPort(Int)
    /// The HTTP server could not start (the port is taken, the host is not an address of this machine, ...).
    case serverFailed(host: String, port: Int, reason: String)

    public var description: String {
        switch self {
        case .tokenRequired(let host):
            return "dashboard host \(host) is not a loopback address: pass token: \"<secret>\" to "
                + "dashboard(port:host:token:) so that only holders of the token can see the pipeline, "
                + "or bind to 127.0.0.1"
        case .invalidPort(let port):
            return "dashboard port \(port) is out of range: use 0 (any free port) or 1...65535"
        case .serverFailed(let host, let port, let reason):
            return "dashboard could not listen on \(host):\(port) (\(reason)): choose another port "
                + "(0 picks a free one) or a host that is an address of this machine"
        }
    }
}
