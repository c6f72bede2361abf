#include "credits/documents.h"

#include <algorithm>
#include <set>

#include "credits/json_input.h"
#include "credits/pack_mix.h"

namespace credits {
namespace {

constexpr std::size_t catalog_entries_max = 1000;

bool check_format(ObjectReader& reader, std::string_view expected) {
    const std::optional<std::string> format = reader.string("format", true, 64);
    if (format && *format != expected) {
        reader.add_error(code::unsupported_format, reader.member_pointer("format"),
                         "The format \"" + *format + "\" is not supported; expected \"" + std::string(expected) + "\".");
        return false;
    }
    return format.has_value();
}

bool require_object(const Json& value, const std::string& pointer, const std::string& what, ErrorList& errors) {
    if (value.is_object()) return true;
    errors.add(code::wrong_type, std::nullopt, pointer, what + " must be a JSON object, found " + describe_type(value) + ".");
    return false;
}

// Reads an array member, bounded; nullptr when absent or wrong.
const Json* read_array(ObjectReader& reader, std::string_view key) {
    const Json* value = reader.get(key, true);
    if (value == nullptr) return nullptr;
    if (!value->is_array()) {
        reader.add_error(code::wrong_type, reader.member_pointer(key),
                         "\"" + std::string(key) + "\" must be an array, found " + describe_type(*value) + ".");
        return nullptr;
    }
    if (value->size() > catalog_entries_max) {
        reader.add_error(code::too_many_events, reader.member_pointer(key),
                         "\"" + std::string(key) + "\" has more than " + std::to_string(catalog_entries_max) + " entries.");
        return nullptr;
    }
    return value;
}

}  // namespace

Result<Rules> parse_rules(std::string_view text) {
    ErrorList errors;
    Json root;
    if (!parse_json_document(text, ParseLimits{1024 * 1024, 16, 4096}, root, errors))
        return Result<Rules>::failure(errors.take());
    Rules rules;
    if (require_object(root, "", "The rule set", errors)) {
        ObjectReader reader(root, "", std::nullopt, errors);
        reader.reject_unknown({"format", "tokens_per_credit", "signup_credits"});
        check_format(reader, "easycoda.rules/1");
        if (const auto per_credit = reader.count("tokens_per_credit", true)) {
            if (*per_credit != tokens_per_credit) {
                reader.add_error(code::invalid_value, "/tokens_per_credit",
                                 "tokens_per_credit must be 10000 in easycoda.rules/1 (credits have four decimals).");
            }
            rules.tokens_per_credit = *per_credit;
        }
        if (const auto signup = reader.credit_tokens("signup_credits", true, true)) rules.signup_tokens = *signup;
    }
    if (!errors.empty()) return Result<Rules>::failure(errors.take());
    return Result<Rules>::success(rules);
}

Result<Catalog> parse_catalog(std::string_view text) {
    ErrorList errors;
    Json root;
    if (!parse_json_document(text, ParseLimits{4 * 1024 * 1024, 16, 4096}, root, errors))
        return Result<Catalog>::failure(errors.take());
    Catalog catalog;
    if (require_object(root, "", "The catalog", errors)) {
        ObjectReader reader(root, "", std::nullopt, errors);
        reader.reject_unknown({"format", "currency", "plans", "packs"});
        check_format(reader, "easycoda.catalog/1");
        if (const auto currency = reader.string("currency", true, 16)) {
            const bool iso = currency->size() == 3 && std::all_of(currency->begin(), currency->end(),
                                                                   [](char c) { return c >= 'A' && c <= 'Z'; });
            if (!iso) {
                reader.add_error(code::invalid_value, "/currency",
                                 "currency must be an ISO 4217 code of three capital letters, such as \"USD\".");
            }
            catalog.currency = *currency;
        }
        std::set<std::string> plan_ids;
        if (const Json* plans = read_array(reader, "plans")) {
            for (std::size_t i = 0; i < plans->size(); ++i) {
                const std::string where = pointer_join("/plans", i);
                if (!require_object((*plans)[i], where, "A plan", errors)) continue;
                ObjectReader plan_reader((*plans)[i], where, std::nullopt, errors);
                plan_reader.reject_unknown({"id", "name", "monthly_credits", "monthly_price_minor"});
                Plan plan;
                const auto id = plan_reader.id("id", true);
                plan.name = plan_reader.string("name", false, 256);
                const auto tokens = plan_reader.credit_tokens("monthly_credits", true, false);
                const auto price = plan_reader.count("monthly_price_minor", true);
                if (id && !plan_ids.insert(*id).second) {
                    plan_reader.add_error(code::duplicate_plan, where + "/id", "The plan id \"" + *id + "\" is listed twice.");
                }
                if (!id || !tokens || !price) continue;
                plan.id = *id;
                plan.monthly_tokens = *tokens;
                plan.monthly_price_minor = *price;
                catalog.plans.push_back(std::move(plan));
            }
        }
        std::set<std::string> pack_ids;
        if (const Json* packs = read_array(reader, "packs")) {
            for (std::size_t i = 0; i < packs->size(); ++i) {
                const std::string where = pointer_join("/packs", i);
                if (!require_object((*packs)[i], where, "A pack", errors)) continue;
                ObjectReader pack_reader((*packs)[i], where, std::nullopt, errors);
                pack_reader.reject_unknown({"id", "name", "credits", "price_minor"});
                Pack pack;
                const auto id = pack_reader.id("id", true);
                pack.name = pack_reader.string("name", false, 256);
                const auto tokens = pack_reader.credit_tokens("credits", true, false);
                const auto price = pack_reader.count("price_minor", true);
                if (id && !pack_ids.insert(*id).second) {
                    pack_reader.add_error(code::duplicate_pack, where + "/id", "The pack id \"" + *id + "\" is listed twice.");
                }
                if (!id || !tokens || !price) continue;
                pack.id = *id;
                pack.credits_tokens = *tokens;
                pack.price_minor = *price;
                catalog.packs.push_back(std::move(pack));
            }
        }
        // The calculator's exact search is bounded only within these limits.
        std::string where;
        if (errors.empty()) {
            if (const auto problem = pack_limits_problem(catalog.packs, where)) {
                errors.add(catalog.packs.size() > packs_max ? code::too_many_packs : code::pack_too_fine, std::nullopt,
                           where, *problem);
            }
        }
    }
    if (!errors.empty()) return Result<Catalog>::failure(errors.take());
    return Result<Catalog>::success(std::move(catalog));
}

}  // namespace credits
