#include "credits/quote.h"

#include <cassert>
#include <vector>

#include "credits/charge.h"
#include "credits/json_input.h"
#include "credits/json_writer.h"
#include "credits/pack_mix.h"
#include "input/fast_json.h"

namespace credits {

namespace {

constexpr ParseLimits quote_limits{64 * 1024, 8, 1024};

// The members of a quote input whose JSON types are right (absent when
// missing or wrong, the error already given).
struct QuoteMembers {
    std::optional<std::int64_t> output_tokens, input_tokens, cache_hit_rate_bp;
    std::optional<std::string> plan;
};

// The rules on the values (§12), for whichever reader read the members.
void check_quote_values(const QuoteMembers& m, const Catalog& catalog, ErrorList& errors) {
    if (m.cache_hit_rate_bp && *m.cache_hit_rate_bp > 10000) {
        errors.add(code::invalid_value, std::nullopt, "/cache_hit_rate_bp",
                   "cache_hit_rate_bp is in basis points and must be between 0 and 10000 (100%).");
    }
    if (m.plan && catalog.find_plan(*m.plan) == nullptr) {
        errors.add(code::unknown_plan, std::nullopt, "/plan", "The plan \"" + *m.plan + "\" is not in the catalog.");
    }
    if (m.output_tokens && m.input_tokens && *m.output_tokens > amount_tokens_max - *m.input_tokens) {
        errors.add(code::amount_out_of_range, std::nullopt, "", "output_tokens + input_tokens is more than 2^53 - 1.");
    }
}

// The usual input -- one object of the three counts and maybe a plan, written
// plainly (no escapes, no fractions, no repeats) -- read straight from the
// bytes: the calculator asks on every keystroke, and the strict reader's
// DOM costs about 25 us a call in WebAssembly. nullopt for anything else;
// the strict reader then reads the text and explains. Either way the text is
// read to the end by one reader, and the values meet one set of checks.
std::optional<QuoteMembers> read_plain_members(std::string_view text) {
    using namespace fast_json;
    if (text.size() > quote_limits.document_bytes_max) return std::nullopt;
    Cursor c{text.data(), text.data() + text.size()};
    if (!expect(c, '{')) return std::nullopt;
    std::int64_t counts[3] = {0, 0, 0};
    unsigned seen = 0;
    std::string_view plan;
    for (;;) {
        std::string_view key;
        if (!plain_string(c, key) || !expect(c, ':')) return std::nullopt;
        const int k = equals(key, "output_tokens") ? 0 : equals(key, "input_tokens") ? 1 : equals(key, "cache_hit_rate_bp") ? 2 : equals(key, "plan") ? 3 : -1;
        if (k < 0 || (seen & (1u << k)) != 0) return std::nullopt;
        seen |= 1u << k;
        if (k == 3 ? !plain_string(c, plan) : !plain_count(c, counts[k])) return std::nullopt;
        if (expect(c, ',')) continue;
        if (!expect(c, '}')) return std::nullopt;
        break;
    }
    skip_ws(c);
    if (!c.at_end() || (seen & 7u) != 7u) return std::nullopt;
    QuoteMembers members{counts[0], counts[1], counts[2], std::nullopt};
    if ((seen & 8u) != 0) {
        // An id the strict reader would question (empty, past its 256 bytes) goes to it.
        if (plan.empty() || plan.size() > 256) return std::nullopt;
        members.plan = std::string(plan);
    }
    return members;
}

// Any input: its syntax and types, explained. nullopt when it is not a JSON
// object at all.
std::optional<QuoteMembers> read_strict_members(std::string_view text, ErrorList& errors) {
    Json root;
    if (!parse_json_document(text, quote_limits, root, errors)) return std::nullopt;
    if (!root.is_object()) {
        errors.add(code::wrong_type, std::nullopt, "", "The quote input must be a JSON object, found " + describe_type(root) + ".");
        return std::nullopt;
    }
    ObjectReader reader(root, "", std::nullopt, errors);
    reader.reject_unknown({"output_tokens", "input_tokens", "cache_hit_rate_bp", "plan"});
    QuoteMembers members;
    members.output_tokens = reader.count("output_tokens", true);
    members.input_tokens = reader.count("input_tokens", true);
    members.cache_hit_rate_bp = reader.count("cache_hit_rate_bp", true);
    members.plan = reader.id("plan", false);
    return members;
}

}  // namespace

Result<QuoteInput> parse_quote_input(std::string_view text, const Catalog& catalog) {
    ErrorList errors;
    std::optional<QuoteMembers> members = read_plain_members(text);
    if (!members) members = read_strict_members(text, errors);
    if (members) check_quote_values(*members, catalog, errors);
    if (!errors.empty()) return Result<QuoteInput>::failure(errors.take());
    assert(members && members->output_tokens && members->input_tokens && members->cache_hit_rate_bp);
    return Result<QuoteInput>::success(
        QuoteInput{*members->output_tokens, *members->input_tokens, *members->cache_hit_rate_bp, std::move(members->plan)});
}

namespace {

using Wide = WideInt;  // intermediate products (spec §12)

struct Option {
    std::string key;
    std::string option;
    const Plan* plan = nullptr;
    std::int64_t included_tokens = 0;
    std::int64_t shortfall_tokens = 0;
    PackMix packs;
    std::int64_t left_over_tokens = 0;
    std::int64_t expiring_unused_tokens = 0;
    Wide cost_minor = 0;
    bool covers_month = false;
    std::optional<std::int64_t> months_covered;
};

// Shortfall bought as the cheapest mix of packs; covered when bought or
// nothing is short.
void buy_shortfall(Option& option, const Catalog& catalog) {
    option.packs = cheapest_pack_mix(catalog.packs, option.shortfall_tokens);
    option.covers_month = option.packs.covers;
    if (!option.packs.empty()) {
        option.left_over_tokens = static_cast<std::int64_t>(option.packs.purchased_tokens - option.shortfall_tokens);
        option.cost_minor += option.packs.cost_minor;
    }
}

// `packs`: one line per pack bought, in catalog order.
void write_packs(JsonWriter& w, const Catalog& catalog, const PackMix& mix) {
    w.key("packs").begin_array();
    for (std::size_t i = 0; i < catalog.packs.size() && !mix.empty(); ++i) {
        if (mix.counts[i] == 0) continue;
        const Pack& pack = catalog.packs[i];
        w.begin_object().member("id", pack.id).member("name", pack.name).member("count", mix.counts[i]);
        w.amount("credits_each", pack.credits_tokens).member("price_each_minor", pack.price_minor);
        // Each line is within the option's totals, which were checked against 2^53 - 1.
        w.amount("purchased", static_cast<std::int64_t>(Wide{mix.counts[i]} * pack.credits_tokens));
        w.member("cost_minor", static_cast<std::int64_t>(Wide{mix.counts[i]} * pack.price_minor)).end_object();
    }
    w.end_array();
}

// The options in list order: free, packs (when the catalog has packs), then
// each plan (only the input's plan when it names one).
std::vector<Option> quote_options(const Rules& rules, const Catalog& catalog, const QuoteInput& input,
                                  std::int64_t needed) {
    std::vector<Option> options;
    {
        Option free;
        free.key = free.option = "free";
        free.included_tokens = rules.signup_tokens;
        free.shortfall_tokens = needed > rules.signup_tokens ? needed - rules.signup_tokens : 0;
        free.left_over_tokens = needed < rules.signup_tokens ? rules.signup_tokens - needed : 0;
        free.covers_month = needed <= rules.signup_tokens;
        if (needed > 0) free.months_covered = rules.signup_tokens / needed;
        options.push_back(free);
    }
    if (!catalog.packs.empty()) {
        Option packs;
        packs.key = packs.option = "packs";
        packs.shortfall_tokens = needed;
        buy_shortfall(packs, catalog);
        options.push_back(packs);
    }
    for (const Plan& plan : catalog.plans) {
        if (input.plan && *input.plan != plan.id) continue;
        Option o;
        o.key = "plan:" + plan.id;
        o.option = "plan";
        o.plan = &plan;
        o.included_tokens = plan.monthly_tokens;
        o.shortfall_tokens = needed > plan.monthly_tokens ? needed - plan.monthly_tokens : 0;
        o.expiring_unused_tokens = needed < plan.monthly_tokens ? plan.monthly_tokens - needed : 0;
        o.cost_minor = plan.monthly_price_minor;
        buy_shortfall(o, catalog);
        options.push_back(o);
    }
    return options;
}

}  // namespace

Result<std::string> quote_json(const Rules& rules, const Catalog& catalog, const QuoteInput& input) {
    const std::int64_t hit = static_cast<std::int64_t>(Wide{input.input_tokens} * input.cache_hit_rate_bp / 10000);
    const std::int64_t miss = input.input_tokens - hit;
    const std::int64_t needed = charged_tokens(input.output_tokens, miss);
    assert(hit >= 0 && miss >= 0 && amount_in_range(needed));

    const std::vector<Option> options = quote_options(rules, catalog, input, needed);

    ErrorList errors;
    for (const Option& o : options) {
        if (o.cost_minor > amount_tokens_max || o.packs.purchased_tokens > amount_tokens_max) {
            errors.add(code::amount_out_of_range, std::nullopt, "/output_tokens",
                       "The " + o.key + " option would cost or buy more than 2^53 - 1; the expected usage is too large.");
        }
    }
    if (!errors.empty()) return Result<std::string>::failure(errors.take());

    // Lowest monthly cost among options that cover the month; ties go to
    // fewer expiring tokens, then to list order (free, packs, plans).
    const Option* recommended = nullptr;
    for (const Option& o : options) {
        if (!o.covers_month) continue;
        if (recommended == nullptr || o.cost_minor < recommended->cost_minor ||
            (o.cost_minor == recommended->cost_minor && o.expiring_unused_tokens < recommended->expiring_unused_tokens))
            recommended = &o;
    }

    JsonWriter w;
    w.begin_object().member("format", "easycoda.report/1").member("kind", "quote").member("currency", catalog.currency);
    w.key("input").begin_object().amount("output", input.output_tokens).amount("input", input.input_tokens);
    w.member("cache_hit_rate_bp", input.cache_hit_rate_bp).member("plan", input.plan).end_object();
    w.amount("input_cache_hit", hit).amount("input_cache_miss", miss).amount("needed", needed);
    w.key("options").begin_array();
    for (const Option& o : options) {
        w.begin_object().member("key", o.key).member("option", o.option);
        w.member("plan_id", o.plan ? std::optional<std::string>(o.plan->id) : std::nullopt);
        w.member("plan_name", o.plan ? o.plan->name : std::nullopt);
        w.amount("needed", needed).amount("included", o.included_tokens).amount("shortfall", o.shortfall_tokens);
        write_packs(w, catalog, o.packs);
        w.member("packs_cost_minor", static_cast<std::int64_t>(o.packs.cost_minor));
        w.amount("purchased", static_cast<std::int64_t>(o.packs.purchased_tokens));
        w.amount("left_over", o.left_over_tokens).amount("expiring_unused", o.expiring_unused_tokens);
        w.member("monthly_cost_minor", static_cast<std::int64_t>(o.cost_minor));
        w.member("covers_month", o.covers_month).key("months_covered");
        if (o.months_covered) {
            w.value(*o.months_covered);
        } else {
            w.null();
        }
        w.member("recommended", &o == recommended).end_object();
    }
    w.end_array().key("recommended");
    if (recommended == nullptr) {
        w.null();
    } else {
        w.value(recommended->key);
    }
    w.end_object();
    return Result<std::string>::success(w.take());
}

}  // namespace credits
