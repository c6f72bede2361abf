// The application order (spec §10): at one instant expiries, grants, usage,
// completions; events of the same instant and kind in byte order of their ids,
// except that the grants of one instant repay an overdraft in burn-down order
// (spec §7). Cancellations change no balance and have no action. A whole
// document is sorted once (build_actions); append merges its new records with
// the same comparators (append_apply.cpp).
#include <algorithm>
#include <cassert>
#include <cstdint>

#include "ledger/builder.h"

namespace credits::ledger_reading {

bool grant_before(const GrantRecord& a, const GrantRecord& b) {
    return a.granted_at_ns != b.granted_at_ns ? a.granted_at_ns < b.granted_at_ns : a.id < b.id;
}

bool failed_billing_before(const FailedBilling& a, const FailedBilling& b) {
    return a.at_ns != b.at_ns ? a.at_ns < b.at_ns : a.id < b.id;
}

bool usage_before(const Ledger& l, const UsageRecord& a, const UsageRecord& b) {
    return a.at_ns != b.at_ns ? a.at_ns < b.at_ns : l.usage_event_ids[a.event] < l.usage_event_ids[b.event];
}

bool action_before(const Ledger& l, const Action& a, const Action& b) {
    if (a.at_ns != b.at_ns) return a.at_ns < b.at_ns;
    if (a.kind != b.kind) return a.kind < b.kind;
    switch (a.kind) {
        case ActionKind::expiry: return l.grants[a.index].id < l.grants[b.index].id;
        case ActionKind::grant: return burns_before(l.grants[a.index], l.grants[b.index]);
        case ActionKind::billing_failed: return l.failed_billings[a.index].id < l.failed_billings[b.index].id;
        case ActionKind::completion:
            return l.sessions[a.index].completion_event_id < l.sessions[b.index].completion_event_id;
    }
    return false;
}

void LedgerBuilder::build_actions() {
    Ledger& l = ledger_;
    sort_cold(l.grants, [](const GrantRecord& a, const GrantRecord& b) { return grant_before(a, b); });
    sort_cold(l.failed_billings, [](const FailedBilling& a, const FailedBilling& b) { return failed_billing_before(a, b); });
    std::sort(l.usage.begin(), l.usage.end(), [&](const UsageRecord& a, const UsageRecord& b) { return usage_before(l, a, b); });
    // Action indices are uint32: every list is at most events_max (< 2^32)
    // long, a checkpoint's lists at most the document's bytes (< 2^32).
    assert(l.grants.size() < no_index && l.failed_billings.size() < no_index && l.sessions.size() < no_index);
    // A checkpointed document: what happened before S is in the checkpoint's
    // state already, so only actions at or after S are applied (expiries of
    // its grants at or after S included). Its grants come first once sorted
    // (all granted before S, every other grant at or after S), parallel to
    // Checkpoint::grants.
    const std::int64_t from_ns = l.checkpoint ? l.checkpoint->at_ns : INT64_MIN;
    assert(!l.checkpoint || l.checkpoint->grants.size() <= l.grants.size());
    for (std::uint32_t g = 0; g < l.grants.size(); ++g) {
        assert(!l.checkpoint || (g < l.checkpoint->grants.size()) == (l.grants[g].granted_at_ns < from_ns));
        if (l.grants[g].granted_at_ns >= from_ns) l.actions.push_back(Action{l.grants[g].granted_at_ns, ActionKind::grant, g});
        if (l.grants[g].expires() && l.grants[g].expires_at_ns >= from_ns)
            l.actions.push_back(Action{l.grants[g].expires_at_ns, ActionKind::expiry, g});
    }
    for (std::uint32_t f = 0; f < l.failed_billings.size(); ++f)
        if (l.failed_billings[f].at_ns >= from_ns) l.actions.push_back(Action{l.failed_billings[f].at_ns, ActionKind::billing_failed, f});
    for (std::uint32_t s = 0; s < l.sessions.size(); ++s)
        if (l.sessions[s].completed_at_ns && *l.sessions[s].completed_at_ns >= from_ns)
            l.actions.push_back(Action{*l.sessions[s].completed_at_ns, ActionKind::completion, s});
    std::sort(l.actions.begin(), l.actions.end(), [&](const Action& a, const Action& b) { return action_before(l, a, b); });
    l.event_instants_ns.reserve(event_stamps_.size());
    for (const auto& stamp : event_stamps_) l.event_instants_ns.push_back(stamp.first);
    std::sort(l.event_instants_ns.begin(), l.event_instants_ns.end());
    l.amount_sum_tokens = amount_sum_;
}

}  // namespace credits::ledger_reading
