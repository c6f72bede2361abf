// The cheapest mix of whole credit packs that covers a need (spec §12
// "Quote"): any pack ids, any counts. An unbounded covering knapsack, solved
// exactly with integers; the catalog limits below bound its time and memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "credits/documents.h"

namespace credits {

__extension__ using WideInt = __int128;  // products of counts, sizes and prices

// Catalog limits (checked by parse_catalog, documented in docs/errors.md).
// The search works on the grid of the packs' greatest common divisor of
// credits; no pack may be more than pack_grid_steps_max steps of that grid.
inline constexpr std::size_t packs_max = 16;
inline constexpr std::int64_t pack_grid_steps_max = 1000;
// Entries of the search table for any catalog within the limits and any need
// (see cheapest_pack_mix): L*L + L with L = pack_grid_steps_max.
inline constexpr std::size_t pack_search_entries_max =
    static_cast<std::size_t>(pack_grid_steps_max * pack_grid_steps_max + pack_grid_steps_max);

// The greatest common divisor of the packs' credits, in tokens (0 without packs).
[[nodiscard]] std::int64_t pack_grid_tokens(const std::vector<Pack>& packs);

// A sentence saying which catalog limit the packs break, or nullopt. `where`
// receives the JSON pointer of the offending member.
[[nodiscard]] std::optional<std::string> pack_limits_problem(const std::vector<Pack>& packs, std::string& where);

struct PackMix {
    std::vector<std::int64_t> counts;  // one per catalog pack, catalog order
    WideInt cost_minor = 0;
    WideInt purchased_tokens = 0;
    WideInt packs_bought = 0;
    bool covers = false;               // false only when something is needed and there are no packs
    std::size_t search_entries = 0;    // size of the search table used (the work done is this x packs)

    [[nodiscard]] bool empty() const { return packs_bought == 0; }
};

// The cheapest combination of whole packs whose credits reach `need_tokens`;
// ties go to fewer purchased tokens (fewer left over), then fewer packs, then
// the counts that are lexicographically greatest in catalog order. The packs
// must be within the catalog limits above. A cost that does not fit int64 is
// reported as more than INT64_MAX (the caller rejects anything past 2^53 - 1).
[[nodiscard]] PackMix cheapest_pack_mix(const std::vector<Pack>& packs, std::int64_t need_tokens);

}  // namespace credits
