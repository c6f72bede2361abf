#include "credits/pack_mix.h"

#include <cassert>
#include <limits>
#include <numeric>

#include "credits/amount.h"

// How the cheapest mix is found, and why it is the true optimum.
//
// Order. A mix is a vector c of counts, one per pack. Among mixes whose
// credits cover the need N, the best is the least under the key
//   K(c) = (cost, purchased, number of packs, counts read in catalog order,
//           greater first).
// The last component tells any two different vectors apart, so the best mix
// is unique. Every component is additive, so K is translation invariant:
// K(x) < K(y) implies K(x + z) < K(y + z). Everything below rests on that.
//
// Grid. Every purchase is a multiple of g, the gcd of the pack sizes, so the
// problem is the same in steps of g: sizes w_i = credits_i / g, need
// n = ceil(N / g), left over = purchased - N (ordering by purchased is
// ordering by left over). The catalog limits keep every w_i <= L = 1000.
//
// The anchor pack b: the lowest price per credit (p_i / w_i, compared by
// cross-multiplying), then the largest, then the first in catalog order.
//
// Lemma 1 (few other packs). The best mix holds fewer than w_b packs other
// than b. Otherwise, among any w_b of them some non-empty group T has a size
// k * w_b (prefix sums modulo w_b repeat). Replace T by k packs b: purchased
// is unchanged; cost(T) >= k * p_b, equal only if every pack in T has b's
// price per credit; such packs are no larger than b, so |T| >= k, equal only
// if every pack in T has b's size and price, and those come after b in the
// catalog, so moving their counts to b gives lexicographically greater
// counts. In every case K strictly decreases: the mix was not the best.
// So the other packs add up to s <= S = (w_b - 1) * w_max steps.
//
// Lemma 2 (b fills the rest). With the other packs fixed at s, the best mix
// holds exactly max(0, ceil((n - s) / w_b)) packs b: fewer do not cover,
// more cost no less and buy strictly more. Hence, if n > S, the best mix holds
// at least q = floor((n - S) / w_b) packs b. By translation invariance the
// best mix for n is q packs b plus the best mix for r = n - q * w_b (a mix
// covers r iff it covers n with q packs b added, and K's order is kept), and
// r <= S + w_b - 1.
//
// Lemma 3 (the window). The best mix buys less than r + w_max: a mix buying
// more still covers r without any one of its packs, at no more cost and
// strictly fewer purchased credits.
//
// Table. f(t) = the best mix of total exactly t, for t < r + w_max, computed
// pack by pack in reverse catalog order (f_k uses packs k..last):
//   f_k(t) = better of f_{k+1}(t) and f_k(t - w_k) + one pack k.
// The best mix with pack k in it, minus one pack k, is the best for t - w_k
// (translation invariance), so the recurrence misses nothing. The two
// candidates differ in pack k's count (>= 1 against 0, earlier counts 0), so
// on equal cost and count pack k wins: that is the lexicographic rule. The
// pack remembered at t is the last one that improved f(t); removing it leaves
// the final f(t - w) (the same argument again), so the mix is read back
// through the final table. The answer is the least (cost, t) over the window
// [r, r + w_max), plus the q packs b.
//
// Bound. The table has r + w_max <= (w_b - 1) w_max + w_b - 1 + w_max
// <= L*L + L - 1 entries, of 13 bytes, visited once per pack (at most 16):
// about 13 MB and 1.6e7 steps for the worst catalog the limits allow,
// whatever the need (up to 2^53 tokens). The example catalog (500, 1,000,
// 5,000 credits: 1, 2 and 10 steps of 500) uses at most 109 entries.
//
// Costs in the table saturate at INT64_MAX: every entry whose true cost is
// below that is exact (its predecessors are no dearer), and a saturated
// answer is reported as more than 2^53 - 1, which the quote rejects.

namespace credits {

namespace {

constexpr std::int64_t cost_saturated = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t unreachable = -1;

std::int64_t saturating_add(std::int64_t cost, std::int64_t price) {
    assert(cost >= 0 && price >= 0);
    return cost > cost_saturated - price ? cost_saturated : cost + price;
}

// The anchor pack b of the comment above.
std::size_t anchor_pack(const std::vector<Pack>& packs) {
    std::size_t b = 0;
    for (std::size_t i = 1; i < packs.size(); ++i) {
        const WideInt lhs = WideInt{packs[i].price_minor} * packs[b].credits_tokens;
        const WideInt rhs = WideInt{packs[b].price_minor} * packs[i].credits_tokens;
        if (lhs < rhs || (lhs == rhs && packs[i].credits_tokens > packs[b].credits_tokens)) b = i;
    }
    return b;
}

struct Table {
    std::vector<std::int64_t> cost;   // unreachable, or the best cost of total exactly t
    std::vector<std::uint32_t> count; // packs in that mix
    std::vector<std::uint8_t> last;   // the pack that last improved the entry
};

// f over totals 0 .. entries - 1, in steps of the grid (see "Table" above).
Table fill_table(const std::vector<Pack>& packs, const std::vector<std::int64_t>& steps, std::size_t entries) {
    Table table{std::vector<std::int64_t>(entries, unreachable), std::vector<std::uint32_t>(entries, 0),
                std::vector<std::uint8_t>(entries, 0)};
    table.cost[0] = 0;
    for (std::size_t k = packs.size(); k-- > 0;) {
        const std::size_t w = static_cast<std::size_t>(steps[k]);
        const std::int64_t price = packs[k].price_minor;
        for (std::size_t t = w; t < entries; ++t) {
            if (table.cost[t - w] == unreachable) continue;
            const std::int64_t cost = saturating_add(table.cost[t - w], price);
            const std::uint32_t count = table.count[t - w] + 1;
            if (table.cost[t] == unreachable || cost < table.cost[t] || (cost == table.cost[t] && count <= table.count[t])) {
                table.cost[t] = cost;
                table.count[t] = count;
                table.last[t] = static_cast<std::uint8_t>(k);
            }
        }
    }
    return table;
}

}  // namespace

std::int64_t pack_grid_tokens(const std::vector<Pack>& packs) {
    std::int64_t grid = 0;
    for (const Pack& pack : packs) grid = std::gcd(grid, pack.credits_tokens);
    return grid;
}

std::optional<std::string> pack_limits_problem(const std::vector<Pack>& packs, std::string& where) {
    if (packs.size() > packs_max) {
        where = "/packs";
        return "The catalog lists " + std::to_string(packs.size()) + " packs; the calculator takes at most " +
               std::to_string(packs_max) + ".";
    }
    const std::int64_t grid = pack_grid_tokens(packs);
    for (std::size_t i = 0; i < packs.size(); ++i) {
        if (packs[i].credits_tokens / grid <= pack_grid_steps_max) continue;
        where = "/packs/" + std::to_string(i) + "/credits";
        return "Pack \"" + packs[i].id + "\" is " + format_credits(packs[i].credits_tokens) +
               " credits, " + std::to_string(packs[i].credits_tokens / grid) +
               " times the packs' common step of " + format_credits(grid) +
               " credits; the limit is " + std::to_string(pack_grid_steps_max) +
               " times, so that the cheapest mix of packs can be found exactly.";
    }
    return std::nullopt;
}

PackMix cheapest_pack_mix(const std::vector<Pack>& packs, std::int64_t need_tokens) {
    assert(need_tokens >= 0 && need_tokens <= amount_tokens_max);
    PackMix mix;
    mix.counts.assign(packs.size(), 0);
    mix.covers = need_tokens == 0 || !packs.empty();
    if (need_tokens == 0 || packs.empty()) return mix;
    assert(packs.size() <= packs_max);

    const std::int64_t grid = pack_grid_tokens(packs);
    std::vector<std::int64_t> steps(packs.size());
    std::int64_t w_max = 0;
    for (std::size_t i = 0; i < packs.size(); ++i) {
        assert(packs[i].credits_tokens > 0 && packs[i].price_minor >= 0);
        steps[i] = packs[i].credits_tokens / grid;
        assert(steps[i] >= 1 && steps[i] <= pack_grid_steps_max);
        w_max = std::max(w_max, steps[i]);
    }
    const std::size_t b = anchor_pack(packs);
    const std::int64_t need = need_tokens / grid + (need_tokens % grid != 0 ? 1 : 0);
    const std::int64_t others_max = (steps[b] - 1) * w_max;                   // S of Lemma 1
    const std::int64_t anchors = need > others_max ? (need - others_max) / steps[b] : 0;  // q of Lemma 2
    const std::int64_t rest = need - anchors * steps[b];                      // r <= S + w_b - 1
    assert(rest >= 0 && rest <= others_max + steps[b] - 1);
    mix.search_entries = static_cast<std::size_t>(rest + w_max);
    assert(mix.search_entries <= pack_search_entries_max);

    const Table table = fill_table(packs, steps, mix.search_entries);
    std::size_t best = mix.search_entries;  // the window of Lemma 3; ascending t keeps the smaller on equal cost
    for (std::size_t t = static_cast<std::size_t>(rest); t < mix.search_entries; ++t) {
        if (table.cost[t] != unreachable && (best == mix.search_entries || table.cost[t] < table.cost[best])) best = t;
    }
    // ceil(rest / w) packs of any one size w land in the window.
    assert(best < mix.search_entries);

    for (std::size_t t = best; t > 0;) {
        const std::uint8_t k = table.last[t];
        ++mix.counts[k];
        t -= static_cast<std::size_t>(steps[k]);
    }
    mix.counts[b] += anchors;
    const WideInt table_cost = table.cost[best] == cost_saturated ? WideInt{cost_saturated} + 1 : WideInt{table.cost[best]};
    mix.cost_minor = table_cost + WideInt{anchors} * packs[b].price_minor;
    mix.purchased_tokens = (WideInt{anchors} * steps[b] + static_cast<WideInt>(best)) * grid;
    mix.packs_bought = WideInt{anchors} + table.count[best];
    assert(mix.purchased_tokens >= need_tokens && mix.purchased_tokens - need_tokens < WideInt{w_max} * grid);
    return mix;
}

}  // namespace credits
