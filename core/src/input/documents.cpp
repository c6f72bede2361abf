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

// Plans and packs are read alike: an id unique in its list, an optional
// name, an amount of credits and a price in minor units. `add` receives each
// offer read whole; one with a problem is skipped (its errors are listed).
struct OfferMembers {
    std::string_view list;      // "plans"
    std::string_view what;      // "A plan", for the not-an-object error
    std::string_view noun;      // "plan", for the repeated-id error
    std::string_view credits;   // "monthly_credits"
    std::string_view price;     // "monthly_price_minor"
    std::string_view duplicate_code;
};

template <typename Add>
void read_offers(ObjectReader& reader, ErrorList& errors, const OfferMembers& m, Add&& add) {
    const Json* offers = read_array(reader, m.list);
    if (offers == nullptr) return;
    std::set<std::string> ids;
    for (std::size_t i = 0; i < offers->size(); ++i) {
        const std::string where = pointer_join("/" + std::string(m.list), i);
        if (!require_object((*offers)[i], where, std::string(m.what), errors)) continue;
        ObjectReader offer((*offers)[i], where, std::nullopt, errors);
        offer.reject_unknown({"id", "name", m.credits, m.price});
        const auto id = offer.id("id", true);
        std::optional<std::string> name = offer.string("name", false, 256);
        const auto tokens = offer.credit_tokens(m.credits, true, false);
        const auto price = offer.count(m.price, true);
        if (id && !ids.insert(*id).second) {
            offer.add_error(m.duplicate_code, where + "/id",
                            "The " + std::string(m.noun) + " id \"" + *id + "\" is listed twice.");
        }
        if (!id || !tokens || !price) continue;
        add(*id, std::move(name), *tokens, *price);
    }
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
        read_offers(reader, errors, {"plans", "A plan", "plan", "monthly_credits", "monthly_price_minor", code::duplicate_plan},
                    [&](std::string id, std::optional<std::string> name, std::int64_t tokens, std::int64_t price) {
                        catalog.plans.push_back(Plan{std::move(id), std::move(name), tokens, price});
                    });
        read_offers(reader, errors, {"packs", "A pack", "pack", "credits", "price_minor", code::duplicate_pack},
                    [&](std::string id, std::optional<std::string> name, std::int64_t tokens, std::int64_t price) {
                        catalog.packs.push_back(Pack{std::move(id), std::move(name), tokens, price});
                    });
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
