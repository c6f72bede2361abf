// Usage classification (spec §2, §8): which figure each token of a usage
// record lands in at an instant -- charged, cache hit, summarization, other
// service, cancelled or pending -- decided by the record's service first, then
// cache hits, then its session's status.
#pragma once

#include <cstdint>

#include "credits/ledger.h"

namespace credits {

// Usage figures (spec §2): every token of a record lands in exactly one.
struct Figures {
    std::int64_t charged_tokens = 0;
    std::int64_t cache_hit_tokens = 0;
    std::int64_t summarization_tokens = 0;
    std::int64_t other_service_tokens = 0;
    std::int64_t cancelled_tokens = 0;
    std::int64_t pending_tokens = 0;

    [[nodiscard]] std::int64_t free_tokens() const {
        return cache_hit_tokens + summarization_tokens + other_service_tokens + cancelled_tokens + pending_tokens;
    }
    [[nodiscard]] std::int64_t total_tokens() const { return charged_tokens + free_tokens(); }
    Figures& operator+=(const Figures& other);
    friend bool operator==(const Figures&, const Figures&) = default;
};

enum class SessionStatus : std::uint8_t { completed, cancelled, in_progress };
SessionStatus session_status(const Ledger& ledger, const Session& session, std::int64_t at_ns);

// The figures of one record, classified by its session's status at `at_ns`.
Figures classify(const Ledger& ledger, const UsageRecord& record, std::int64_t at_ns);
// The figures of a checkpoint's history row (ledger.h HistoryUsage): its
// settled figures, plus an open session's tokens by that session's status at `at_ns`.
Figures classify(const Ledger& ledger, const HistoryUsage& row, std::int64_t at_ns);

}  // namespace credits
