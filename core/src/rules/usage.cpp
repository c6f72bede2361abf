#include "credits/usage.h"

#include "credits/charge.h"

namespace credits {

Figures& Figures::operator+=(const Figures& other) {
    charged_tokens += other.charged_tokens;
    cache_hit_tokens += other.cache_hit_tokens;
    summarization_tokens += other.summarization_tokens;
    other_service_tokens += other.other_service_tokens;
    cancelled_tokens += other.cancelled_tokens;
    pending_tokens += other.pending_tokens;
    return *this;
}

SessionStatus session_status(const Ledger& ledger, const Session& session, std::int64_t at_ns) {
    if (session.completed_at_ns && *session.completed_at_ns <= at_ns) return SessionStatus::completed;
    const Task& task = ledger.tasks[session.task];
    if (task.cancelled_at_ns && *task.cancelled_at_ns <= at_ns) return SessionStatus::cancelled;
    return SessionStatus::in_progress;
}

Figures classify(const Ledger& ledger, const UsageRecord& record, std::int64_t at_ns) {
    Figures f;
    const std::int64_t all = record.output_tokens + record.input_cache_miss_tokens + record.input_cache_hit_tokens;
    switch (record.service) {
        case Service::summarization: f.summarization_tokens = all; return f;
        case Service::other: f.other_service_tokens = all; return f;
        case Service::agent_chat: break;
    }
    f.cache_hit_tokens = record.input_cache_hit_tokens;
    const std::int64_t billable = charged_tokens(record.output_tokens, record.input_cache_miss_tokens);
    switch (session_status(ledger, ledger.sessions[record.session], at_ns)) {
        case SessionStatus::completed: f.charged_tokens = billable; break;
        case SessionStatus::cancelled: f.cancelled_tokens = billable; break;
        case SessionStatus::in_progress: f.pending_tokens = billable; break;
    }
    return f;
}

Figures classify(const Ledger& ledger, const HistoryUsage& row, std::int64_t at_ns) {
    Figures f;
    f.charged_tokens = row.charged_tokens;
    f.cache_hit_tokens = row.cache_hit_tokens;
    f.summarization_tokens = row.summarization_tokens;
    f.other_service_tokens = row.other_service_tokens;
    f.cancelled_tokens = row.cancelled_tokens;
    if (row.session == no_index) return f;
    switch (session_status(ledger, ledger.sessions[row.session], at_ns)) {
        case SessionStatus::completed: f.charged_tokens += row.open_tokens; break;
        case SessionStatus::cancelled: f.cancelled_tokens += row.open_tokens; break;
        case SessionStatus::in_progress: f.pending_tokens += row.open_tokens; break;
    }
    return f;
}

}  // namespace credits
