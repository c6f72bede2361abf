#include "credits/forecast.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <vector>

#include "credits/json_writer.h"

namespace credits {
namespace {

__extension__ using Wide = __int128;

struct Projection {
    std::optional<std::int64_t> runs_out_at_ns;  // nullopt: never, or not before 2200
    std::vector<std::int64_t> likely_unused;     // per grant index, for expiring grants
};

// Tokens consumed from T to T + elapsed at `charged` tokens per `window` ns,
// rounded down (exact, in 128-bit).
Wide consumed(Wide charged, Wide window_ns, Wide elapsed_ns) { return charged * elapsed_ns / window_ns; }

Projection project(const Ledger& ledger, const State& state, std::int64_t charged, std::int64_t window_ns) {
    const std::int64_t at_ns = state.at_ns;
    Projection out;
    out.likely_unused.assign(ledger.grants.size(), 0);
    std::vector<std::uint32_t> order;  // active grants with tokens, in burn-down order
    for (std::uint32_t g = 0; g < ledger.grants.size(); ++g)
        if (state.grants[g].active && state.grants[g].remaining_tokens > 0) order.push_back(g);
    std::sort(order.begin(), order.end(),
              [&](std::uint32_t a, std::uint32_t b) { return burns_before(ledger.grants[a], ledger.grants[b]); });
    std::vector<std::int64_t> remaining(ledger.grants.size(), 0);
    for (const std::uint32_t g : order) remaining[g] = state.grants[g].remaining_tokens;

    if (state.balance_tokens() <= 0) {
        out.runs_out_at_ns = at_ns;
        return out;
    }
    if (charged == 0 || window_ns == 0) {
        for (const std::uint32_t g : order) out.likely_unused[g] = remaining[g];
        return out;
    }
    // Segments between expiry instants; within each the balance falls at the rate.
    std::vector<std::int64_t> expiries;
    for (const std::uint32_t g : order)
        if (ledger.grants[g].expires()) expiries.push_back(ledger.grants[g].expires_at_ns);
    std::sort(expiries.begin(), expiries.end());
    expiries.erase(std::unique(expiries.begin(), expiries.end()), expiries.end());
    expiries.push_back(instant_never_ns);

    Wide consumed_so_far = 0;  // consumed(T .. segment start)
    std::size_t next = 0;      // first grant in `order` that may still have tokens
    for (const std::int64_t segment_end : expiries) {
        Wide available = 0;
        for (std::size_t i = next; i < order.size(); ++i) available += remaining[order[i]];
        assert(available > 0);  // a segment with nothing left returned below
        const bool open_ended = segment_end == instant_never_ns;
        const Wide consumed_at_end = open_ended ? 0 : consumed(charged, window_ns, Wide{segment_end} - at_ns);
        if (open_ended || consumed_at_end - consumed_so_far >= available) {
            // Balance reaches 0 when consumed(t) >= consumed_so_far + available:
            // t - T = ceil((consumed_so_far + available) * window / charged).
            const Wide target = consumed_so_far + available;
            const Wide elapsed = (target * window_ns + charged - 1) / charged;
            const Wide t = Wide{at_ns} + elapsed;
            const Wide rounded = (t + nanos_per_second - 1) / nanos_per_second * nanos_per_second;
            if (rounded < instant_end_ns) out.runs_out_at_ns = static_cast<std::int64_t>(rounded);
            return out;
        }
        // Drain this segment's consumption in burn-down order, then expire.
        Wide to_drain = consumed_at_end - consumed_so_far;
        for (std::size_t i = next; i < order.size() && to_drain > 0; ++i) {
            const std::int64_t take = static_cast<std::int64_t>(std::min<Wide>(to_drain, remaining[order[i]]));
            remaining[order[i]] -= take;
            to_drain -= take;
        }
        consumed_so_far = consumed_at_end;
        for (std::size_t i = next; i < order.size(); ++i) {
            const GrantRecord& grant = ledger.grants[order[i]];
            if (grant.expires_at_ns == segment_end) {
                out.likely_unused[order[i]] = remaining[order[i]];
                remaining[order[i]] = 0;
            }
        }
        while (next < order.size() && remaining[order[next]] == 0) ++next;
        bool any_left = false;
        for (std::size_t i = next; i < order.size(); ++i) any_left = any_left || remaining[order[i]] > 0;
        if (!any_left) {
            // The last tokens expired here; rounded up to the second like every runs_out_at.
            const std::int64_t rounded = (segment_end + nanos_per_second - 1) / nanos_per_second * nanos_per_second;
            if (rounded < instant_end_ns) out.runs_out_at_ns = rounded;
            return out;
        }
    }
    return out;
}

}  // namespace

std::string forecast_json(const Ledger& ledger, const State& state) {
    const std::int64_t at_ns = state.at_ns;
    const std::int64_t window_start_ns = std::max(at_ns - forecast_window_ns, ledger.opened_at_ns);
    const std::int64_t window_ns = std::max<std::int64_t>(at_ns - window_start_ns, 0);
    std::int64_t charged = 0;
    for (const LedgerEntry& entry : state.entries)
        if (entry.kind == EntryKind::charge && entry.at_ns > at_ns - forecast_window_ns) charged += entry.tokens;
    const Projection projection = project(ledger, state, charged, window_ns);
    const std::int64_t per_day =
        window_ns == 0 ? 0 : static_cast<std::int64_t>(Wide{charged} * nanos_per_day / window_ns);

    JsonWriter w;
    w.begin_object().member("format", "easycoda.report/1").member("kind", "forecast");
    w.member("account_id", ledger.account_id).instant("at", at_ns);
    w.instant("window_start", std::min(window_start_ns, at_ns)).instant("window_end", at_ns);
    w.amount("window_charged", charged).member("window_seconds", window_ns / nanos_per_second);
    w.member("rate_tokens_per_day", per_day);
    w.amount("balance", state.balance_tokens());
    w.instant("runs_out_at", projection.runs_out_at_ns);
    w.key("grants").begin_array();
    for (std::size_t g = 0; g < ledger.grants.size(); ++g) {
        const GrantRecord& grant = ledger.grants[g];
        if (!state.grants[g].active || !grant.expires()) continue;
        w.begin_object().member("id", grant.id).member("source", grant_source_name(grant.source));
        w.instant("expires_at", grant.expires_at_ns).amount("remaining", state.grants[g].remaining_tokens);
        w.amount("likely_unused", projection.likely_unused[g]).end_object();
    }
    w.end_array().end_object();
    return w.take();
}

}  // namespace credits
