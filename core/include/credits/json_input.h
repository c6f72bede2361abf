// Strict JSON input (spec §10): a document is parsed once, with bounds on
// size, nesting and string length, and a member name repeated inside one
// object is an error (nlohmann's DOM parser would silently keep the last).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "credits/amount.h"
#include "credits/errors.h"
#include "credits/instant.h"

namespace credits {

using Json = nlohmann::json;

struct ParseLimits {
    std::size_t document_bytes_max = std::size_t{512} * 1024 * 1024;
    std::size_t depth_max = 64;
    std::size_t string_bytes_max = 64 * 1024;
};

// Called for each element of the top-level array member `streamed_member`
// (e.g. "events") instead of keeping it in the returned DOM, so a million
// events never exist as one tree. Arguments: the element's index and value.
using ElementSink = std::function<void(std::size_t index, Json&& element)>;

// Parses `text` into `out`. Returns false and adds one error (invalid_json,
// document_too_large, nesting_too_deep, string_too_long, duplicate_member)
// when the text is not an acceptable JSON document.
// Numbers: non-negative integers are kept as unsigned; a leading minus sign
// (including "-0") yields a signed integer; an integer too large for uint64
// is kept as UINT64_MAX so range checks reject it; anything with a fraction
// or exponent is kept as a float so type checks reject it.
bool parse_json_document(std::string_view text, const ParseLimits& limits, Json& out,
                         ErrorList& errors, std::string_view streamed_member = {},
                         const ElementSink& sink = {});

// The longest id ("id", "project_id", "plan", ...) and the longest instant text
// a reader accepts; the ledger's event table (core/src/ledger/event_table.h)
// names the limit of every other member.
inline constexpr std::size_t id_bytes_max = 256;
inline constexpr std::size_t instant_text_bytes_max = 64;

// Reads members of one JSON object, reporting each problem with the object's
// pointer and event id. Absent and null optional members read as nullopt.
class ObjectReader {
public:
    ObjectReader(const Json& object, std::string pointer, std::optional<std::string> event_id,
                 ErrorList& errors);

    [[nodiscard]] bool is_object() const { return object_.is_object(); }
    [[nodiscard]] const std::string& pointer() const { return pointer_; }
    [[nodiscard]] std::string member_pointer(std::string_view key) const {
        return pointer_join(pointer_, key);
    }
    // Adds unknown_field for every member not in `known`.
    void reject_unknown(std::initializer_list<std::string_view> known);
    // Adds unknown_field for every member for which `known(name)` is false.
    void reject_unknown_if(const std::function<bool(std::string_view)>& known);
    // The member's value, or nullptr (and missing_field if required).
    const Json* get(std::string_view key, bool required);

    std::optional<std::string> string(std::string_view key, bool required,
                                      std::size_t bytes_max = 1024);
    std::optional<std::string> id(std::string_view key, bool required);
    std::optional<bool> boolean(std::string_view key, bool required);
    // A non-negative JSON integer <= amount_tokens_max (token counts, prices).
    std::optional<std::int64_t> count(std::string_view key, bool required);
    // A credit amount: integer or decimal string, returned in tokens; must be
    // more than 0 unless `zero_allowed`.
    std::optional<std::int64_t> credit_tokens(std::string_view key, bool required,
                                              bool zero_allowed);
    std::optional<Instant> instant(std::string_view key, bool required);

    void add_error(std::string_view error_code, std::string pointer, std::string message);

private:
    const Json& object_;
    std::string pointer_;
    std::optional<std::string> event_id_;
    ErrorList& errors_;
};

// Shared number checks so every amount in every document is read one way.
// Returns nullopt and adds an error when `value` is not a token count.
std::optional<std::int64_t> read_count(const Json& value, const std::string& pointer,
                                       const std::optional<std::string>& event_id,
                                       ErrorList& errors);
// Like read_count, but a null value reads as 0 (provider usage objects).
std::optional<std::int64_t> read_count_or_zero(const Json* value, const std::string& pointer,
                                               const std::optional<std::string>& event_id,
                                               ErrorList& errors);

// Describes a JSON value's type for messages: "a string", "an array", ...
std::string describe_type(const Json& value);

}  // namespace credits
