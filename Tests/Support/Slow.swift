import Foundation
import Testing

extension Tag {
    /// Tests that take long: large generated histories, hledger, crash
    /// loops. `Tools/test --fast` (SUBSIDY_LEDGER_TEST_FAST=1) skips them;
    /// `Tools/test` with no option, and so CI, runs them all.
    @Tag public static var slow: Self
}

/// A slow test is skipped, saying so, when SUBSIDY_LEDGER_TEST_FAST=1:
/// `@Test("…", .tags(.slow), .notInFastRuns)` (the tag for filtering and
/// reports, the condition for `Tools/test --fast`).
extension Trait where Self == ConditionTrait {
    public static var notInFastRuns: Self {
        .enabled(if: ProcessInfo.processInfo.environment["SUBSIDY_LEDGER_TEST_FAST"] != "1",
                 "a slow test, skipped because SUBSIDY_LEDGER_TEST_FAST=1 (Tools/test --fast)")
    }
}
