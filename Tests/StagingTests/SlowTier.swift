import Foundation
import Testing

extension Trait where Self == ConditionTrait {
    /// The slow tier: a test over about 2 s, or one that needs the local S3 server, a separate
    /// server process, a large ingest, a fuzz run or timeouts to expire. `scripts/test.sh --quick`
    /// sets `GRAPH_API_QUICK_TESTS`, which skips it; the full run (no flag) runs it.
    static var slow: Self {
        .disabled(if: ProcessInfo.processInfo.environment["GRAPH_API_QUICK_TESTS"] != nil, "slow tier: skipped by scripts/test.sh --quick")
    }
}
