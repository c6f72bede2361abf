// The burn-down (spec §4–§8): applies grants, charges, expiries and repayments
// in the §10 order up to an instant T and keeps the ledger entries that explain
// the balance. It cannot fail: every ledger it gets was validated whole.
// ("Engine" is the facade of api.h that the CLI and JavaScript call.)
#pragma once

#include <cstdint>
#include <vector>

#include "credits/ledger.h"

namespace credits {

struct GrantState {
    std::int64_t used_tokens = 0;      // charges and overdraft repayments
    std::int64_t expired_tokens = 0;
    std::int64_t remaining_tokens = 0;
    bool granted = false;              // its grant instant is at or before T
    bool active = false;               // granted and not expired at T
};

// `opening`: a checkpointed ledger's state just before its checkpoint S, one
// entry per grant with tokens remaining (index = the grant) and one for an
// outstanding overdraft (index = no_index, overdraft_tokens set).
enum class EntryKind : std::uint8_t { grant, repayment, charge, expiry, billing_failed, opening };

struct Allocation {
    std::uint32_t grant = 0;
    std::int64_t tokens = 0;
};

struct LedgerEntry {
    EntryKind kind = EntryKind::grant;
    std::int64_t at_ns = 0;
    std::uint32_t index = 0;           // grant, failed billing or session index
    std::int64_t tokens = 0;           // granted, repaid, charged or expired tokens
    std::int64_t overdraft_tokens = 0; // charge: the part no grant covered
    std::uint32_t allocations_begin = 0;
    std::uint32_t allocations_end = 0;
    std::int64_t balance_tokens = 0;   // balance right after the entry
};

struct BurnDownState {
    std::int64_t at_ns = 0;
    std::vector<GrantState> grants;    // parallel to Ledger::grants
    std::vector<LedgerEntry> entries;
    std::vector<Allocation> allocations;
    std::vector<std::uint32_t> charge_entry_by_session;  // no_index when not charged by T
    std::int64_t overdraft_tokens = 0;
    std::int64_t remaining_tokens = 0; // active grants' remaining
    std::int64_t lifetime_charged_tokens = 0;

    [[nodiscard]] std::int64_t balance_tokens() const { return remaining_tokens - overdraft_tokens; }
};

// The account's grants, charges and entries at `at_ns`: every action of the
// ledger dated at or before it, applied in order -- from the checkpoint's
// state when the ledger has one (then at_ns >= its instant - 1: a question is
// asked at S or later, checked by the query; S - 1 is the state just before S).
BurnDownState burn_down(const Ledger& ledger, std::int64_t at_ns);

// Checks conservation (spec §14) on a state; used by tests and debug asserts.
bool conserves(const Ledger& ledger, const BurnDownState& state);

}  // namespace credits
