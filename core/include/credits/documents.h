// The rule set and the catalog (spec §11): data the server sends, read as
// strictly as a ledger. The project ships a default rule set and an example
// catalog as data files in core/data/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "credits/result.h"

namespace credits {

struct Rules {
    std::int64_t tokens_per_credit = 10000;
    std::int64_t signup_tokens = 0;
};

struct Plan {
    std::string id;
    std::optional<std::string> name;
    std::int64_t monthly_tokens = 0;
    std::int64_t monthly_price_minor = 0;
};

struct Pack {
    std::string id;
    std::optional<std::string> name;
    std::int64_t credits_tokens = 0;
    std::int64_t price_minor = 0;
};

struct Catalog {
    std::string currency;
    std::vector<Plan> plans;  // catalog order
    std::vector<Pack> packs;  // catalog order

    [[nodiscard]] const Plan* find_plan(std::string_view id) const {
        for (const Plan& plan : plans)
            if (plan.id == id) return &plan;
        return nullptr;
    }
};

Result<Rules> parse_rules(std::string_view text);
Result<Catalog> parse_catalog(std::string_view text);

}  // namespace credits
