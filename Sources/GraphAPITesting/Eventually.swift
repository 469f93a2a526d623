/// Waits until `condition` holds, checking every 20 ms, for at most `seconds`; returns whether it
/// held. Tests wait on a condition with a generous bound instead of sleeping for a guess or
/// timing how long something took, which a loaded machine turns into failures.
package func eventually(seconds: Double = 30, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
