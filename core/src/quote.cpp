#include "credits/quote.h"

#include <cassert>
#include <vector>

#include "credits/json_input.h"
#include "credits/json_writer.h"
#include "fast_json.h"

namespace credits {

namespace {

// The usual input -- an object of the three counts and maybe a plan, written
// plainly -- read straight from the text (issue 6: the calculator asks on every
// keystroke). nullopt for anything else or anything wrong: the strict reader
// below then decides and explains.
std::optional<QuoteInput> read_plain_quote_input(std::string_view text, const Catalog& catalog) {
    using namespace fast_json;
    if (text.size() > 64 * 1024) return std::nullopt;
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
    if (!c.at_end() || (seen & 7u) != 7u || counts[2] > 10000 || counts[0] > amount_tokens_max - counts[1]) return std::nullopt;
    QuoteInput input{counts[0], counts[1], counts[2], std::nullopt};
    if ((seen & 8u) != 0) {
        if (plan.empty() || plan.size() > 256 || catalog.find_plan(plan) == nullptr) return std::nullopt;
        input.plan = std::string(plan);
    }
    return input;
}

}  // namespace

Result<QuoteInput> parse_quote_input(std::string_view text, const Catalog& catalog) {
    if (std::optional<QuoteInput> plain = read_plain_quote_input(text, catalog)) return Result<QuoteInput>::success(*plain);
    ErrorList errors;
    Json root;
    if (!parse_json_document(text, ParseLimits{64 * 1024, 8, 1024}, root, errors))
        return Result<QuoteInput>::failure(errors.take());
    QuoteInput input;
    if (!root.is_object()) {
        errors.add(code::wrong_type, std::nullopt, "", "The quote input must be a JSON object, found " + describe_type(root) + ".");
        return Result<QuoteInput>::failure(errors.take());
    }
    ObjectReader reader(root, "", std::nullopt, errors);
    reader.reject_unknown({"output_tokens", "input_tokens", "cache_hit_rate_bp", "plan"});
    const auto output = reader.count("output_tokens", true);
    const auto input_tokens = reader.count("input_tokens", true);
    const auto rate = reader.count("cache_hit_rate_bp", true);
    input.plan = reader.id("plan", false);
    if (rate && *rate > 10000) {
        reader.add_error(code::invalid_value, "/cache_hit_rate_bp",
                         "cache_hit_rate_bp is in basis points and must be between 0 and 10000 (100%).");
    }
    if (input.plan && catalog.find_plan(*input.plan) == nullptr) {
        reader.add_error(code::unknown_plan, "/plan", "The plan \"" + *input.plan + "\" is not in the catalog.");
    }
    if (output && input_tokens && *output > amount_tokens_max - *input_tokens) {
        reader.add_error(code::amount_out_of_range, "", "output_tokens + input_tokens is more than 2^53 - 1.");
    }
    if (!errors.empty()) return Result<QuoteInput>::failure(errors.take());
    input.output_tokens = *output;
    input.input_tokens = *input_tokens;
    input.cache_hit_rate_bp = *rate;
    return Result<QuoteInput>::success(input);
}

namespace {

__extension__ using Wide = __int128;  // intermediate products (spec §12)

struct PackChoice {
    const Pack* pack = nullptr;  // nullptr: nothing to buy (or no packs)
    std::int64_t count = 0;
    Wide cost_minor = 0;
    Wide purchased_tokens = 0;
};

// Whole packs of one pack id: lowest total price, then fewer left-over
// credits, then catalog order.
PackChoice choose_packs(const Catalog& catalog, std::int64_t shortfall_tokens) {
    PackChoice best;
    if (shortfall_tokens == 0) return best;
    for (const Pack& pack : catalog.packs) {
        assert(pack.credits_tokens > 0);
        const std::int64_t count = (shortfall_tokens + pack.credits_tokens - 1) / pack.credits_tokens;
        const Wide cost = Wide{count} * pack.price_minor;
        const Wide purchased = Wide{count} * pack.credits_tokens;
        const bool better = best.pack == nullptr || cost < best.cost_minor ||
                            (cost == best.cost_minor && purchased < best.purchased_tokens);
        if (better) best = PackChoice{&pack, count, cost, purchased};
    }
    return best;
}

struct Option {
    std::string key;
    std::string option;
    const Plan* plan = nullptr;
    std::int64_t included_tokens = 0;
    std::int64_t shortfall_tokens = 0;
    PackChoice packs;
    std::int64_t left_over_tokens = 0;
    std::int64_t expiring_unused_tokens = 0;
    Wide cost_minor = 0;
    bool covers_month = false;
    std::optional<std::int64_t> months_covered;
};

// Shortfall bought as packs; covered when bought or nothing is short.
void buy_shortfall(Option& option, const Catalog& catalog) {
    option.packs = choose_packs(catalog, option.shortfall_tokens);
    option.covers_month = option.shortfall_tokens == 0 || option.packs.pack != nullptr;
    if (option.packs.pack != nullptr) {
        option.left_over_tokens = static_cast<std::int64_t>(option.packs.purchased_tokens - option.shortfall_tokens);
        option.cost_minor += option.packs.cost_minor;
    }
}

}  // namespace

Result<std::string> quote_json(const Rules& rules, const Catalog& catalog, const QuoteInput& input) {
    const std::int64_t hit = static_cast<std::int64_t>(Wide{input.input_tokens} * input.cache_hit_rate_bp / 10000);
    const std::int64_t miss = input.input_tokens - hit;
    const std::int64_t needed = input.output_tokens + miss;
    assert(hit >= 0 && miss >= 0 && amount_in_range(needed));

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
        w.key("pack");
        if (o.packs.pack == nullptr) {
            w.null();
        } else {
            const Pack& pack = *o.packs.pack;
            w.begin_object().member("id", pack.id).member("name", pack.name).member("count", o.packs.count);
            w.amount("credits_each", pack.credits_tokens).member("price_each_minor", pack.price_minor).end_object();
        }
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
