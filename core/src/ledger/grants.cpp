// Grants (spec §4): account_opened (the signup grant), subscription_billed
// (a plan's credits for one billing period, or a failed renewal),
// credits_purchased and credits_granted. One decoder for both readers.
#include <string>

#include "attributes.h"
#include "ledger/builder.h"
#include "ledger/fast_event.h"
#include "ledger/strict_event.h"

namespace credits::ledger_reading {
namespace {

// subscription_billed: the plan must be in the catalog (a `credits` override
// included, so a later catalog change never rewrites history); the period is
// [period_start (default at), period_end (default one calendar month on)).
template <typename Reader>
std::optional<GrantInput> decode_subscription(Reader& r, const Instant& at, const Catalog& catalog) {
    const auto plan_id = r.id(Member::plan);
    const auto outcome = r.text(Member::outcome);
    const auto period_start = r.instant(Member::period_start);
    const auto period_end = r.instant(Member::period_end);
    const auto override_tokens = r.credit_tokens(Member::credits, false);
    const Plan* plan = plan_id ? catalog.find_plan(*plan_id) : nullptr;
    if (plan_id && plan == nullptr) {
        r.problem(code::unknown_plan, Member::plan, [&] { return std::string("The plan \"" + std::string(*plan_id) + "\" is not in the catalog."); });
    }
    const bool outcome_known = outcome && (*outcome == "succeeded" || *outcome == "failed");
    if (outcome && !outcome_known) {
        r.problem(code::invalid_value, Member::outcome,
                  [&] { return std::string("outcome must be \"succeeded\" or \"failed\", found \"" + std::string(*outcome) + "\"."); });
    }
    const Instant start = period_start.value_or(at);
    std::int64_t end_ns = 0;
    if (period_end) {
        end_ns = period_end->ns;
    } else {
        end_ns = add_one_month_ns(start);
        if (end_ns >= instant_end_ns) {
            r.problem(code::instant_out_of_range, Member::period_start,
                      [&] { return std::string("The billing period would end after 2200-01-01T00:00:00Z."); });
            return std::nullopt;
        }
    }
    if (end_ns <= at.ns) {
        r.problem(code::not_after_event, Member::period_end, [&] { return std::string("period_end must come after the event's at."); });
        return std::nullopt;
    }
    if (end_ns <= start.ns) {
        r.problem(code::invalid_value, Member::period_end, [&] { return std::string("period_end must come after period_start."); });
        return std::nullopt;
    }
    if (plan == nullptr || !outcome_known) return std::nullopt;
    if (r.given(Member::credits) && !override_tokens) return std::nullopt;
    GrantInput input;
    if (*outcome == "failed") {
        input.failed = FailedBilling{{}, at.ns, plan->id, start.ns, end_ns};
        return input;
    }
    GrantRecord grant;
    grant.granted_at_ns = at.ns;
    grant.source = GrantSource::plan;
    grant.plan = plan->id;
    grant.tokens = override_tokens.value_or(plan->monthly_tokens);
    grant.period_start_ns = start.ns;
    grant.period_end_ns = end_ns;
    grant.expires_at_ns = end_ns;
    input.grant = std::move(grant);
    return input;
}

}  // namespace

template <typename Reader>
std::optional<GrantInput> decode_grant(Reader& r, const Instant& at, const Rules& rules, const Catalog& catalog) {
    GrantInput input;
    GrantRecord grant;
    grant.granted_at_ns = at.ns;
    switch (r.spec().type) {
        case EventType::account_opened:
            input.opens_account = true;
            grant.source = GrantSource::signup;
            grant.tokens = rules.signup_tokens;
            break;
        case EventType::credits_purchased: {
            grant.source = GrantSource::purchase;
            if (const auto pack = r.id(Member::pack)) grant.pack = std::string(*pack);
            const auto tokens = r.credit_tokens(Member::credits, false);
            if (!tokens) return std::nullopt;
            grant.tokens = *tokens;
            break;
        }
        case EventType::credits_granted: {
            grant.source = GrantSource::promotion;
            if (const auto reason = r.text(Member::reason)) grant.reason = std::string(*reason);
            const auto tokens = r.credit_tokens(Member::credits, false);
            const auto expires_at = r.instant(Member::expires_at);
            if (expires_at) {
                if (expires_at->ns <= at.ns) {
                    r.problem(code::not_after_event, Member::expires_at, [&] { return std::string("expires_at must come after the event's at."); });
                    return std::nullopt;
                }
                grant.expires_at_ns = expires_at->ns;
            }
            if (!tokens) return std::nullopt;
            grant.tokens = *tokens;
            break;
        }
        case EventType::subscription_billed: return decode_subscription(r, at, catalog);
        default: return std::nullopt;  // not a grant: never called so (the family says grant)
    }
    input.grant = std::move(grant);
    return input;
}

template std::optional<GrantInput> decode_grant(StrictEventReader&, const Instant&, const Rules&, const Catalog&);
template std::optional<GrantInput> decode_grant(FlatEventReader&, const Instant&, const Rules&, const Catalog&);

void LedgerBuilder::apply_grant(const EventRef& ref, GrantInput&& input) {
    if (input.opens_account) openings_.push_back(ref);
    if (input.failed) {
        input.failed->id = ref.event_id;
        ledger_.failed_billings.push_back(std::move(*input.failed));
        return;
    }
    if (!input.grant) return;
    input.grant->id = ref.event_id;
    add_to_amount_sum(input.grant->tokens);
    ledger_.grants.push_back(std::move(*input.grant));
}

}  // namespace credits::ledger_reading
