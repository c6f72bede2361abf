#include "credits/burn_down.h"

#include <algorithm>
#include <cassert>
#include <vector>

namespace credits {
namespace {

class Simulation {
public:
    Simulation(const Ledger& ledger, std::int64_t at_ns)
        : ledger_(ledger) {
        state_.at_ns = at_ns;
        state_.grants.resize(ledger.grants.size());
        state_.charge_entry_by_session.assign(ledger.sessions.size(), no_index);
        if (ledger.checkpoint) open_from(*ledger.checkpoint);
    }

    BurnDownState run() {
        for (const Action& action : ledger_.actions) {
            if (action.at_ns > state_.at_ns) break;
            switch (action.kind) {
                case ActionKind::expiry: expire(action); break;
                case ActionKind::grant: grant(action); break;
                case ActionKind::billing_failed: push_entry(EntryKind::billing_failed, action, 0); break;
                case ActionKind::completion: charge(action); break;
            }
            assert(state_.overdraft_tokens == 0 || state_.remaining_tokens == 0);
            assert(conserves(ledger_, state_));  // after every event (debug builds: O(grants) each)
        }
        assert(conserves(ledger_, state_));
        return std::move(state_);
    }

private:
    // The active grants as a binary heap whose top burns first. A grant enters it
    // once (when granted, or from a checkpoint) and never comes back once it
    // expires or is exhausted, so those are only marked in its GrantState and
    // dropped when they reach the top (no search, no node allocation per grant).
    // The heap's order: `a` below `b` when `b` burns first.
    struct BurnsLater {
        const Ledger* ledger;
        bool operator()(std::uint32_t a, std::uint32_t b) const { return burns_before(ledger->grants[b], ledger->grants[a]); }
    };
    BurnsLater burns_later() const { return BurnsLater{&ledger_}; }
    void activate(std::uint32_t g) {
        active_.push_back(g);
        std::push_heap(active_.begin(), active_.end(), burns_later());
    }
    bool spendable(std::uint32_t g) const { return state_.grants[g].active && state_.grants[g].remaining_tokens > 0; }
    // The grant that burns first, or no_index; drops expired and exhausted grants on the way.
    std::uint32_t first_active() {
        while (!active_.empty() && !spendable(active_.front())) {
            std::pop_heap(active_.begin(), active_.end(), burns_later());
            active_.pop_back();
        }
        return active_.empty() ? no_index : active_.front();
    }

    // The state just before the checkpoint's instant S, and the entries that
    // stand for the history it summarizes: each grant's remaining tokens, then
    // the overdraft (never both: §7 repays an overdraft before a grant is spendable).
    void open_from(const Checkpoint& checkpoint) {
        // At S - 1 no action applies yet (none is dated before S): the state just before S,
        // which is what a checkpoint of this ledger at its own S starts from.
        assert(checkpoint.at_ns - 1 <= state_.at_ns);
        assert(checkpoint.grants.size() <= ledger_.grants.size());
        state_.overdraft_tokens = checkpoint.overdraft_tokens;
        state_.lifetime_charged_tokens = checkpoint.charged_tokens;
        std::int64_t balance_tokens = 0;
        for (std::uint32_t g = 0; g < checkpoint.grants.size(); ++g) {
            const GrantOpening& opening = checkpoint.grants[g];
            GrantState& grant = state_.grants[g];
            assert(ledger_.grants[g].granted_at_ns < checkpoint.at_ns);
            grant.granted = true;
            grant.active = ledger_.grants[g].expires_at_ns >= checkpoint.at_ns;  // an expiry at S itself comes after
            grant.used_tokens = opening.used_tokens;
            grant.expired_tokens = opening.expired_tokens;
            grant.remaining_tokens = opening.remaining_tokens;
            state_.remaining_tokens += opening.remaining_tokens;
            if (!grant.active || opening.remaining_tokens == 0) continue;
            activate(g);
            balance_tokens += opening.remaining_tokens;
            push_opening(checkpoint.at_ns, g, opening.remaining_tokens, 0, balance_tokens);
        }
        if (state_.overdraft_tokens > 0)
            push_opening(checkpoint.at_ns, no_index, 0, state_.overdraft_tokens, -state_.overdraft_tokens);
        assert(state_.overdraft_tokens == 0 || state_.remaining_tokens == 0);
        assert(balance_tokens - state_.overdraft_tokens == state_.balance_tokens());
        assert(conserves(ledger_, state_));
    }

    void push_opening(std::int64_t at_ns, std::uint32_t grant, std::int64_t tokens, std::int64_t overdraft_tokens,
                      std::int64_t balance_tokens) {
        LedgerEntry entry;
        entry.kind = EntryKind::opening;
        entry.at_ns = at_ns;
        entry.index = grant;
        entry.tokens = tokens;
        entry.overdraft_tokens = overdraft_tokens;
        entry.allocations_begin = entry.allocations_end = 0;
        entry.balance_tokens = balance_tokens;
        state_.entries.push_back(entry);
    }

    LedgerEntry& push_entry(EntryKind kind, const Action& action, std::int64_t tokens) {
        LedgerEntry entry;
        entry.kind = kind;
        entry.at_ns = action.at_ns;
        entry.index = action.index;
        entry.tokens = tokens;
        entry.allocations_begin = entry.allocations_end = static_cast<std::uint32_t>(state_.allocations.size());
        entry.balance_tokens = state_.balance_tokens();
        state_.entries.push_back(entry);
        return state_.entries.back();
    }

    void expire(const Action& action) {
        GrantState& grant = state_.grants[action.index];
        if (!grant.granted || !grant.active) return;
        grant.active = false;
        const std::int64_t left = grant.remaining_tokens;
        grant.expired_tokens = left;
        grant.remaining_tokens = 0;
        state_.remaining_tokens -= left;
        if (left > 0) push_entry(EntryKind::expiry, action, left);
    }

    void grant(const Action& action) {
        const GrantRecord& record = ledger_.grants[action.index];
        GrantState& grant = state_.grants[action.index];
        assert(record.expires_at_ns > action.at_ns);
        grant.granted = true;
        grant.active = true;
        // The overdraft is repaid before anything of the grant is spendable.
        const std::int64_t repaid = std::min(state_.overdraft_tokens, record.tokens);
        grant.used_tokens = repaid;
        grant.remaining_tokens = record.tokens - repaid;
        state_.overdraft_tokens -= repaid;
        state_.remaining_tokens += grant.remaining_tokens;
        if (grant.remaining_tokens > 0) activate(action.index);
        push_entry(EntryKind::grant, action, record.tokens);
        if (repaid > 0) push_entry(EntryKind::repayment, action, repaid);
    }

    void charge(const Action& action) {
        const Session& session = ledger_.sessions[action.index];
        const std::int64_t charged = charged_tokens(session.output_tokens, session.input_cache_miss_tokens);
        std::int64_t left = charged;
        const auto begin = static_cast<std::uint32_t>(state_.allocations.size());
        // Each iteration exhausts a grant or covers the charge: bounded by the grant count.
        while (left > 0) {
            const std::uint32_t g = first_active();
            if (g == no_index) break;
            GrantState& grant = state_.grants[g];
            const std::int64_t take = std::min(left, grant.remaining_tokens);
            assert(take > 0);
            grant.used_tokens += take;
            grant.remaining_tokens -= take;
            state_.remaining_tokens -= take;
            left -= take;
            state_.allocations.push_back(Allocation{g, take});
        }
        state_.overdraft_tokens += left;
        state_.lifetime_charged_tokens += charged;
        LedgerEntry& entry = push_entry(EntryKind::charge, action, charged);
        entry.overdraft_tokens = left;
        entry.allocations_begin = begin;
        entry.allocations_end = static_cast<std::uint32_t>(state_.allocations.size());
        state_.charge_entry_by_session[action.index] = static_cast<std::uint32_t>(state_.entries.size() - 1);
    }

    const Ledger& ledger_;
    BurnDownState state_;
    std::vector<std::uint32_t> active_;  // a heap (first_active) of granted grants, some expired or exhausted since
};

}  // namespace

BurnDownState burn_down(const Ledger& ledger, std::int64_t at_ns) { return Simulation(ledger, at_ns).run(); }

bool conserves(const Ledger& ledger, const BurnDownState& state) {
    std::int64_t used = 0;
    std::int64_t remaining = 0;
    for (std::size_t g = 0; g < ledger.grants.size(); ++g) {
        const GrantState& grant = state.grants[g];
        const std::int64_t granted = grant.granted ? ledger.grants[g].tokens : 0;
        if (granted != grant.used_tokens + grant.expired_tokens + grant.remaining_tokens) return false;
        if (grant.used_tokens < 0 || grant.expired_tokens < 0 || grant.remaining_tokens < 0) return false;
        used += grant.used_tokens;
        remaining += grant.remaining_tokens;
    }
    return used + state.overdraft_tokens == state.lifetime_charged_tokens && remaining == state.remaining_tokens &&
           state.overdraft_tokens >= 0;
}

}  // namespace credits
