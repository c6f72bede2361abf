#include "credits/billing_period.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <string>

#include "credits/instant.h"

namespace credits {
namespace {

__extension__ using Wide = __int128;

// An instant written as local midnight of the first of a month; nullopt
// outside the instant range (before 1970 or from 2200 on).
std::optional<std::int64_t> month_start_ns(int year, int month, int offset_minutes) {
    char text[40];
    const std::string offset = format_utc_offset(offset_minutes);
    std::snprintf(text, sizeof text, "%04d-%02d-01T00:00:00%s", year, month, offset.c_str());
    const std::optional<Instant> instant = parse_instant(text);
    if (!instant) return std::nullopt;
    return instant->ns;
}

// The calendar month of T in the account's offset, clipped to the instant range.
void calendar_month(BillingPeriod& period, std::int64_t at_ns, int offset_minutes) {
    const std::string day = format_day(local_day(at_ns, offset_minutes));  // "YYYY-MM-DD"
    assert(day.size() == 10);
    const int year = std::stoi(day.substr(0, 4));
    const int month = std::stoi(day.substr(5, 2));
    period.start_ns = month_start_ns(year, month, offset_minutes).value_or(0);
    period.end_ns = month_start_ns(month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1, offset_minutes)
                        .value_or(instant_end_ns);
    assert(period.start_ns <= at_ns && at_ns < period.end_ns);
}

}  // namespace

BillingPeriod billing_period(const Ledger& ledger, const BurnDownState& state) {
    const std::int64_t at_ns = state.at_ns;
    BillingPeriod period;
    // The plan grants of the period T is in: active (so T is before the period's
    // end, when they expire) and begun. The bounds are the latest-starting one's,
    // then the latest granted, then the smallest id (a total order).
    std::optional<std::uint32_t> shown;
    for (std::uint32_t g = 0; g < ledger.grants.size(); ++g) {
        const GrantRecord& grant = ledger.grants[g];
        if (grant.source != GrantSource::plan || !state.grants[g].active) continue;
        if (!grant.period_start_ns || !grant.period_end_ns || *grant.period_start_ns > at_ns) continue;
        period.grants.push_back(g);
        if (!shown) {
            shown = g;
            continue;
        }
        const GrantRecord& best = ledger.grants[*shown];
        const auto key = [](const GrantRecord& r) { return std::make_pair(*r.period_start_ns, r.granted_at_ns); };
        if (key(grant) > key(best) || (key(grant) == key(best) && grant.id < best.id)) shown = g;
    }
    if (shown) {
        period.basis = PeriodBasis::plan;
        period.start_ns = *ledger.grants[*shown].period_start_ns;
        period.end_ns = *ledger.grants[*shown].period_end_ns;
    } else {
        calendar_month(period, at_ns, ledger.utc_offset_minutes);
        for (std::uint32_t g = 0; g < ledger.grants.size(); ++g)
            if (state.grants[g].active && ledger.grants[g].tokens > 0) period.grants.push_back(g);
    }
    period.usage_from_ns = std::min(std::max(period.start_ns, ledger.opened_at_ns), at_ns);
    for (const std::uint32_t g : period.grants) {
        // Each grant is at most amount_tokens_max and so is the ledger's whole sum of grants.
        period.granted_tokens += ledger.grants[g].tokens;
        period.used_tokens += state.grants[g].used_tokens;
    }
    assert(period.used_tokens >= 0 && period.used_tokens <= period.granted_tokens);
    if (period.granted_tokens > 0)  // used < 2^53, so used x 10,000 < 2^67: 128-bit
        period.used_bp = static_cast<std::int64_t>(Wide{period.used_tokens} * 10000 / period.granted_tokens);
    return period;
}

void write_billing_period(JsonWriter& w, const Ledger& ledger, const BurnDownState& state) {
    const BillingPeriod period = billing_period(ledger, state);
    w.key("billing_period").begin_object();
    w.member("basis", period.basis == PeriodBasis::plan ? "plan" : "calendar_month");
    w.instant("start", period.start_ns).instant("end", period.end_ns).instant("usage_from", period.usage_from_ns);
    w.key("grant_ids").begin_array();
    for (const std::uint32_t g : period.grants) w.value(ledger.grants[g].id);
    w.end_array();
    w.amount("granted", period.granted_tokens).amount("used", period.used_tokens);
    w.key("used_bp");
    if (period.used_bp < 0) {
        w.null();
    } else {
        w.value(period.used_bp);
    }
    w.end_object();
}

}  // namespace credits
