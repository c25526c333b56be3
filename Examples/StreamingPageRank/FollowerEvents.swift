import Spate
import SpateGraph

/// The generated follower graph: event `n` of the stream is "user a follows user b", drawn from `n` alone
/// (so a run is reproducible). Followers are uniform over `users`; followees follow a power law (user k is
/// followed about k^-0.75 as often as user 1), except that after `viralAfter` events a tenth of all follows
/// go to `viral`, who then climbs the ranking.
struct FollowerEvents: Sendable {
    let users: VertexID
    let viral: VertexID
    let viralAfter: Int

    /// The edge follower -> followee of event `n`.
    func edge(_ n: Int) -> (VertexID, VertexID) {
        var random = SeededRandom(seed: UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15)
        let follower = VertexID(random.next() % UInt64(users))
        let u = random.nextUniform()
        if n >= viralAfter && u < 0.1 { return (follower, viral) }
        let followee = VertexID(Double(users) * u * u * u * u)
        return (follower, followee == follower ? (followee + 1) % users : followee)
    }
}
