#include "credits/forecast.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <vector>

#include "credits/json_writer.h"

namespace credits {
namespace {

__extension__ using Wide = __int128;

// Bounds of every product below (asserted where it is formed): a window's
// charged tokens are at most amount_tokens_max (< 2^53, the document's whole
// token sum is bounded by it), every span of instants is below instant_end_ns
// (< 2^63), so charged x span < 2^116 and remaining x window < 2^116: far
// inside the 127 bits of Wide.
static_assert(amount_tokens_max < (std::int64_t{1} << 53) && instant_end_ns < INT64_MAX);

// Tokens consumed from T to T + elapsed at `charged` tokens per `window` ns,
// rounded down (exact, in 128-bit).
Wide consumed(Wide charged, Wide window_ns, Wide elapsed_ns) { return charged * elapsed_ns / window_ns; }

std::int64_t round_up_to_second(Wide ns) {
    const Wide rounded = (ns + nanos_per_second - 1) / nanos_per_second * nanos_per_second;
    return rounded < instant_end_ns ? static_cast<std::int64_t>(rounded) : instant_never_ns;
}

// Active grants with tokens, in burn-down order.
std::vector<std::uint32_t> burn_down_order(const Ledger& ledger, const BurnDownState& state) {
    std::vector<std::uint32_t> order;
    for (std::uint32_t g = 0; g < ledger.grants.size(); ++g)
        if (state.grants[g].active && state.grants[g].remaining_tokens > 0) order.push_back(g);
    std::sort(order.begin(), order.end(),
              [&](std::uint32_t a, std::uint32_t b) { return burns_before(ledger.grants[a], ledger.grants[b]); });
    return order;
}

// Takes `tokens` from the front of `remaining` (positions from `head` on),
// moving `head` past every grant it empties; returns the grants visited.
std::uint64_t drain_front(std::vector<std::int64_t>& remaining, std::size_t& head, Wide tokens) {
    std::uint64_t steps = 0;
    while (tokens > 0) {
        assert(head < remaining.size());  // never more than is available
        ++steps;
        const std::int64_t take = static_cast<std::int64_t>(std::min<Wide>(tokens, remaining[head]));
        remaining[head] -= take;
        tokens -= take;
        if (remaining[head] == 0) ++head;
    }
    return steps;
}

}  // namespace

// Grants are visited in burn-down order, which puts the soonest expiry first:
// while the balance falls, the grants that expire next are always the front
// of what is left. So one pointer drains the front and a second walks the
// blocks of equal expiry; each grant is visited a bounded number of times
// after the O(n log n) sort, whatever the number of distinct expiries.
ForecastProjection forecast_projection(const Ledger& ledger, const BurnDownState& state, std::int64_t charged,
                                       std::int64_t window_ns) {
    const std::int64_t at_ns = state.at_ns;
    ForecastProjection out;
    out.likely_unused_tokens.assign(ledger.grants.size(), 0);
    const std::vector<std::uint32_t> order = burn_down_order(ledger, state);

    if (state.balance_tokens() <= 0) {
        // Already run out: T itself, rounded up to the second like every runs_out_at.
        out.runs_out_at_ns = round_up_to_second(at_ns);
        if (out.runs_out_at_ns == instant_never_ns) out.runs_out_at_ns.reset();
        return out;
    }
    if (charged == 0 || window_ns == 0) {
        for (const std::uint32_t g : order) out.likely_unused_tokens[g] = state.grants[g].remaining_tokens;
        return out;
    }
    assert(charged > 0 && charged <= amount_tokens_max && window_ns > 0 && window_ns < instant_end_ns);
    std::vector<std::int64_t> remaining(order.size());
    Wide available = 0;  // sum of remaining[head..]
    for (std::size_t i = 0; i < order.size(); ++i) {
        remaining[i] = state.grants[order[i]].remaining_tokens;
        available += remaining[i];
    }
    assert(available > 0);  // the balance is positive, so some grant has tokens

    Wide consumed_so_far = 0;  // consumed(T .. segment start)
    std::size_t head = 0;      // first position in `order` that may still have tokens
    std::size_t block = 0;     // first position of the next block of equal expiry
    // Each pass handles one distinct expiry instant (or the open end): at most order.size() + 1 passes.
    for (std::size_t pass = 0; pass <= order.size(); ++pass) {
        const GrantRecord* first = block < order.size() ? &ledger.grants[order[block]] : nullptr;
        const bool open_ended = first == nullptr || !first->expires();
        const std::int64_t segment_end = open_ended ? instant_never_ns : first->expires_at_ns;
        const Wide consumed_at_end = open_ended ? 0 : consumed(charged, window_ns, Wide{segment_end} - at_ns);
        if (open_ended || consumed_at_end - consumed_so_far >= available) {
            // Balance reaches 0 when consumed(t) >= consumed_so_far + available:
            // t - T = ceil((consumed_so_far + available) * window / charged).
            const Wide target = consumed_so_far + available;
            const Wide elapsed = (target * window_ns + charged - 1) / charged;
            const std::int64_t t = round_up_to_second(Wide{at_ns} + elapsed);
            if (t != instant_never_ns) out.runs_out_at_ns = t;
            return out;
        }
        // Drain this segment's consumption from the front, in burn-down order.
        available -= consumed_at_end - consumed_so_far;
        out.grant_steps += drain_front(remaining, head, consumed_at_end - consumed_so_far);
        consumed_so_far = consumed_at_end;
        // Expire the block: what it still holds is likely unused.
        std::size_t end = block;
        while (end < order.size() && ledger.grants[order[end]].expires_at_ns == segment_end) {
            ++out.grant_steps;
            out.likely_unused_tokens[order[end]] = remaining[end];
            available -= remaining[end];
            remaining[end] = 0;
            ++end;
        }
        assert(end > block && available >= 0);
        block = end;
        head = std::max(head, block);
        if (available == 0) {
            // The last tokens expired here; rounded up to the second like every runs_out_at.
            const std::int64_t t = round_up_to_second(segment_end);
            if (t != instant_never_ns) out.runs_out_at_ns = t;
            return out;
        }
    }
    assert(false && "every pass consumes a block of expiring grants; the open end returns");
    return out;
}

ForecastWindow forecast_window(const Ledger& ledger, const BurnDownState& state) {
    ForecastWindow window;
    const std::int64_t at_ns = state.at_ns;
    window.start_ns = std::min(std::max(at_ns - forecast_window_ns, ledger.opened_at_ns), at_ns);
    window.length_ns = at_ns - window.start_ns;
    for (const LedgerEntry& entry : state.entries)
        if (entry.kind == EntryKind::charge && entry.at_ns > at_ns - forecast_window_ns) window.charged_tokens += entry.tokens;
    // A checkpointed ledger's completions of the 30 days before its instant S (all before T).
    if (ledger.checkpoint) {
        for (const HistoryCompletion& completion : ledger.checkpoint->completions)
            if (completion.at_ns > at_ns - forecast_window_ns)
                window.charged_tokens += charged_tokens(completion.output_tokens, completion.input_cache_miss_tokens);
    }
    assert(window.charged_tokens >= 0 && window.charged_tokens <= amount_tokens_max);
    return window;
}

std::int64_t rate_tokens_per_day(std::int64_t charged_tokens, std::int64_t window_ns) {
    if (window_ns <= 0) return 0;
    // charged < 2^53 and a day is < 2^47 ns: the product is below 2^100. A
    // window shorter than a day can make the rate larger than anything
    // charged, up to 2^53 x 86,400 x 10^9 for a 1 ns window: saturate at the
    // largest exact JavaScript integer rather than wrap or lose precision.
    const Wide per_day = Wide{charged_tokens} * nanos_per_day / window_ns;
    return per_day > amount_tokens_max ? amount_tokens_max : static_cast<std::int64_t>(per_day);
}

}  // namespace credits

namespace credits {
namespace {

// The calculator's "replay" input: the agent_chat tokens of the sessions whose
// charges make the forecast's window, each counted with its session (at its
// completion), so output + cache-miss is exactly the window's charged tokens.
struct Replay {
    std::int64_t output_tokens = 0;
    std::int64_t input_cache_miss_tokens = 0;
    std::int64_t input_cache_hit_tokens = 0;
};

Replay replay_of(const Ledger& ledger, std::int64_t at_ns) {
    Replay out;
    // Records after T cannot belong to a session completed by T (usage after a
    // completion is rejected), so the scan stops at T.
    for (const UsageRecord& record : ledger.usage) {
        if (record.at_ns > at_ns) break;
        if (record.service != Service::agent_chat || record.session == no_index) continue;
        const std::optional<std::int64_t>& completed = ledger.sessions[record.session].completed_at_ns;
        if (!completed || *completed > at_ns || *completed <= at_ns - forecast_window_ns) continue;
        // Each sum is part of the document's token total, itself at most amount_tokens_max.
        out.output_tokens += record.output_tokens;
        out.input_cache_miss_tokens += record.input_cache_miss_tokens;
        out.input_cache_hit_tokens += record.input_cache_hit_tokens;
    }
    if (ledger.checkpoint) {
        // What a checkpoint summed up: completions before S still in the window, and
        // the agent_chat tokens before S of sessions it held open that have completed in it.
        for (const HistoryCompletion& completion : ledger.checkpoint->completions) {
            if (completion.at_ns <= at_ns - forecast_window_ns) continue;
            out.output_tokens += completion.output_tokens;
            out.input_cache_miss_tokens += completion.input_cache_miss_tokens;
            out.input_cache_hit_tokens += completion.input_cache_hit_tokens;
        }
        for (const Session& session : ledger.sessions) {
            if (session.history_output_tokens + session.history_input_cache_miss_tokens + session.history_input_cache_hit_tokens == 0)
                continue;
            if (!session.completed_at_ns || *session.completed_at_ns > at_ns || *session.completed_at_ns <= at_ns - forecast_window_ns)
                continue;
            out.output_tokens += session.history_output_tokens;
            out.input_cache_miss_tokens += session.history_input_cache_miss_tokens;
            out.input_cache_hit_tokens += session.history_input_cache_hit_tokens;
        }
    }
    assert(out.output_tokens + out.input_cache_miss_tokens + out.input_cache_hit_tokens <= amount_tokens_max);
    return out;
}

void write_replay(JsonWriter& w, const Replay& replay) {
    const std::int64_t input_tokens = replay.input_cache_miss_tokens + replay.input_cache_hit_tokens;
    // Rounded down, so the quote's hit = floor(input x bp / 10000) never exceeds
    // the real hits: the replayed month never needs fewer tokens than were charged.
    // hit < 2^53, so hit x 10,000 < 2^67: 128-bit.
    const std::int64_t bp =
        input_tokens == 0 ? 0 : static_cast<std::int64_t>(Wide{replay.input_cache_hit_tokens} * 10000 / input_tokens);
    assert(bp >= 0 && bp <= 10000);
    w.key("replay").begin_object();
    w.amount("output", replay.output_tokens).amount("input_cache_miss", replay.input_cache_miss_tokens);
    w.amount("input_cache_hit", replay.input_cache_hit_tokens).amount("input", input_tokens);
    w.member("cache_hit_rate_bp", bp);
    w.end_object();
}

// What expires next (the account report's expires_next: the earliest
// expires_at after T among active grants with tokens left) and what of it is
// likely to go unused; null when nothing with tokens expires.
void write_next_expiry(JsonWriter& w, const Ledger& ledger, const BurnDownState& state, const ForecastProjection& projection) {
    std::int64_t next_ns = instant_never_ns;
    for (std::size_t g = 0; g < ledger.grants.size(); ++g)
        if (state.grants[g].active && state.grants[g].remaining_tokens > 0 && ledger.grants[g].expires())
            next_ns = std::min(next_ns, ledger.grants[g].expires_at_ns);
    w.key("next_expiry");
    if (next_ns == instant_never_ns) {
        w.null();
        return;
    }
    std::int64_t likely_unused = 0;
    for (std::size_t g = 0; g < ledger.grants.size(); ++g)
        if (state.grants[g].active && ledger.grants[g].expires_at_ns == next_ns) likely_unused += projection.likely_unused_tokens[g];
    w.begin_object().instant("expires_at", next_ns).amount("likely_unused", likely_unused).end_object();
}

}  // namespace

std::string forecast_json(const Ledger& ledger, const BurnDownState& state) {
    const std::int64_t at_ns = state.at_ns;
    const ForecastWindow window = forecast_window(ledger, state);
    const ForecastProjection projection = forecast_projection(ledger, state, window.charged_tokens, window.length_ns);
    const std::int64_t per_day = rate_tokens_per_day(window.charged_tokens, window.length_ns);
    const Replay replay = replay_of(ledger, at_ns);
    assert(replay.output_tokens + replay.input_cache_miss_tokens == window.charged_tokens);

    JsonWriter w;
    w.begin_object().member("format", "easycoda.report/1").member("kind", "forecast");
    w.member("account_id", ledger.account_id).instant("at", at_ns);
    w.instant("window_start", window.start_ns).instant("window_end", at_ns);
    w.amount("window_charged", window.charged_tokens).member("window_seconds", window.length_ns / nanos_per_second);
    w.member("rate_tokens_per_day", per_day).member("rate_credits_per_day", format_credits(per_day));
    w.amount("balance", state.balance_tokens());
    w.instant("runs_out_at", projection.runs_out_at_ns);
    std::int64_t likely_unused_total = 0;
    w.key("grants").begin_array();
    for (std::size_t g = 0; g < ledger.grants.size(); ++g) {
        const GrantRecord& grant = ledger.grants[g];
        if (!state.grants[g].active || !grant.expires()) continue;
        w.begin_object().member("id", grant.id).member("source", grant_source_name(grant.source));
        w.instant("expires_at", grant.expires_at_ns).amount("remaining", state.grants[g].remaining_tokens);
        w.amount("likely_unused", projection.likely_unused_tokens[g]).end_object();
        likely_unused_total += projection.likely_unused_tokens[g];  // part of the balance: < 2^53
    }
    w.end_array();
    w.amount("likely_unused", likely_unused_total);
    write_next_expiry(w, ledger, state, projection);
    write_replay(w, replay);
    w.end_object();
    return w.take();
}

}  // namespace credits
