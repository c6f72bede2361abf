// Result of reading a document or answering a question: a value, or the
// complete list of errors that stopped it (never both, never neither).
#pragma once

#include <cassert>
#include <optional>
#include <utility>
#include <vector>

#include "credits/errors.h"

namespace credits {

template <typename T>
struct Result {
    std::optional<T> value;
    std::vector<Error> errors;

    [[nodiscard]] bool ok() const { return value.has_value(); }

    static Result success(T v) { return Result{std::move(v), {}}; }
    static Result failure(std::vector<Error> e) {
        assert(!e.empty());
        return Result{std::nullopt, std::move(e)};
    }
};

}  // namespace credits
