// Errors: every rejection is whole and explained (spec §10, §13).
// An error has a stable code, the event id it concerns (or none), a JSON
// pointer to the offending member and a sentence a person understands.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace credits {

// Stable error codes. Their spelling is part of the contract (tests, the
// console and the server match on them), so they are listed once, here.
namespace code {
inline constexpr std::string_view invalid_json = "invalid_json";
inline constexpr std::string_view document_too_large = "document_too_large";
inline constexpr std::string_view nesting_too_deep = "nesting_too_deep";
inline constexpr std::string_view string_too_long = "string_too_long";
inline constexpr std::string_view too_many_events = "too_many_events";
inline constexpr std::string_view too_many_errors = "too_many_errors";
inline constexpr std::string_view duplicate_member = "duplicate_member";
inline constexpr std::string_view unsupported_format = "unsupported_format";
inline constexpr std::string_view missing_field = "missing_field";
inline constexpr std::string_view unknown_field = "unknown_field";
inline constexpr std::string_view wrong_type = "wrong_type";
inline constexpr std::string_view invalid_value = "invalid_value";
inline constexpr std::string_view invalid_number = "invalid_number";
inline constexpr std::string_view invalid_amount = "invalid_amount";
inline constexpr std::string_view amount_out_of_range = "amount_out_of_range";
inline constexpr std::string_view invalid_instant = "invalid_instant";
inline constexpr std::string_view instant_out_of_range = "instant_out_of_range";
inline constexpr std::string_view invalid_offset = "invalid_offset";
inline constexpr std::string_view invalid_id = "invalid_id";
inline constexpr std::string_view unknown_event_type = "unknown_event_type";
inline constexpr std::string_view unknown_plan = "unknown_plan";
inline constexpr std::string_view unknown_provider_format = "unknown_provider_format";
inline constexpr std::string_view inconsistent_usage = "inconsistent_usage";
inline constexpr std::string_view ambiguous_usage = "ambiguous_usage";
inline constexpr std::string_view account_mismatch = "account_mismatch";
inline constexpr std::string_view not_transferable = "not_transferable";
inline constexpr std::string_view not_redeemable = "not_redeemable";
inline constexpr std::string_view duplicate_id_conflict = "duplicate_id_conflict";
inline constexpr std::string_view duplicate_plan = "duplicate_plan";
inline constexpr std::string_view duplicate_pack = "duplicate_pack";
inline constexpr std::string_view too_many_packs = "too_many_packs";
inline constexpr std::string_view pack_too_fine = "pack_too_fine";
inline constexpr std::string_view duplicate_project = "duplicate_project";
inline constexpr std::string_view missing_account_opened = "missing_account_opened";
inline constexpr std::string_view duplicate_account_opened = "duplicate_account_opened";
inline constexpr std::string_view event_before_opening = "event_before_opening";
inline constexpr std::string_view unknown_project = "unknown_project";
inline constexpr std::string_view not_after_event = "not_after_event";
inline constexpr std::string_view duplicate_completion = "duplicate_completion";
inline constexpr std::string_view completion_after_cancellation = "completion_after_cancellation";
inline constexpr std::string_view usage_after_completion = "usage_after_completion";
inline constexpr std::string_view checkpoint_inconsistent = "checkpoint_inconsistent";
inline constexpr std::string_view before_checkpoint = "before_checkpoint";
inline constexpr std::string_view invalid_query = "invalid_query";
inline constexpr std::string_view invalid_utc_offsets = "invalid_utc_offsets";
inline constexpr std::string_view utc_offsets_unsorted = "utc_offsets_unsorted";
inline constexpr std::string_view utc_offsets_duplicate = "utc_offsets_duplicate";
inline constexpr std::string_view too_many_utc_offsets = "too_many_utc_offsets";
// The module's guard answers these two itself (wasm/answer_guard.h), from
// constant text where memory may have run out; listed here so every code the
// core's callers can see is in one place (docs/errors.md).
inline constexpr std::string_view out_of_memory = "out_of_memory";
inline constexpr std::string_view internal_error = "internal_error";
}  // namespace code

// Sentences more than one component says, so the server refuses what the core
// refuses in the same words.
namespace message {
inline constexpr std::string_view fragment_checkpoint =
    "A fragment adds events to a loaded ledger; a checkpoint comes only with a whole document.";
}  // namespace message

struct Error {
    std::string code;
    std::optional<std::string> event_id;
    std::string pointer;  // RFC 6901 JSON pointer into the input document
    std::string message;

    friend bool operator==(const Error&, const Error&) = default;
};

// Collects errors up to a bound, so a hostile document with millions of
// problems costs bounded memory; past the bound one `too_many_errors` closes it.
class ErrorList {
public:
    static constexpr std::size_t errors_max = 100;

    void add(std::string_view error_code, std::optional<std::string> event_id,
             std::string pointer, std::string message) {
        if (errors_.size() < errors_max) {
            errors_.push_back(Error{std::string(error_code), std::move(event_id),
                                    std::move(pointer), std::move(message)});
        } else if (!truncated_) {
            truncated_ = true;
            errors_.push_back(Error{std::string(code::too_many_errors), std::nullopt, "",
                                    "More than " + std::to_string(errors_max) +
                                        " problems were found; only the first ones are listed."});
        }
    }
    [[nodiscard]] bool empty() const { return errors_.empty(); }
    [[nodiscard]] std::size_t size() const { return errors_.size(); }
    [[nodiscard]] const std::vector<Error>& items() const { return errors_; }
    std::vector<Error> take() { return std::move(errors_); }

private:
    std::vector<Error> errors_;
    bool truncated_ = false;
};

// JSON pointer helpers (RFC 6901: '~' is written "~0", '/' is written "~1").
std::string pointer_escape(std::string_view token);
inline std::string pointer_join(std::string_view base, std::string_view token) {
    return std::string(base) + "/" + pointer_escape(token);
}
inline std::string pointer_join(std::string_view base, std::size_t index) {
    return std::string(base) + "/" + std::to_string(index);
}

}  // namespace credits
