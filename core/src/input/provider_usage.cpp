// Provider usage objects (spec §3). Each format reads only the members its
// formula uses, checks each of them, and then checks that the counts agree
// with each other (cached tokens are part of the prompt; DeepSeek's hit and
// miss add up to the prompt). Every member the formula does not use is
// ignored, whatever its type: providers add fields often (spec §10).
// See docs/provider-formats.md for the sources and the decisions.
#include "credits/provider_usage.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "credits/amount.h"
#include "credits/errors.h"
#include "credits/json_input.h"
#include "input/fast_json.h"

namespace credits {
namespace {

// Reads the members of one `usage` object. A problem is added to `errors`
// and remembered in `failed`, so every member is still read and every
// problem reported, and the caller decides once at the end.
class UsageReader {
public:
    UsageReader(std::string_view format, const Json& usage, const std::string& pointer,
                const std::optional<std::string>& event_id, ErrorList& errors)
        : format_(format), usage_(usage), pointer_(pointer), event_id_(event_id),
          errors_(errors) {}

    [[nodiscard]] bool failed() const { return failed_; }

    // usage[key]; a missing or null count is 0.
    std::int64_t count(std::string_view key) {
        return read(member(usage_, key), pointer_join(pointer_, key));
    }

    // usage[object_key][key]; a missing or null details object reads as {}.
    std::int64_t nested_count(std::string_view object_key, std::string_view key) {
        const Json* details = member(usage_, object_key);
        if (details == nullptr || details->is_null()) {
            return 0;
        }
        const std::string details_pointer = pointer_join(pointer_, object_key);
        if (!details->is_object()) {
            fail(code::wrong_type, details_pointer,
                 "The member \"" + std::string(object_key) + "\" of the " + std::string(format_) +
                     " usage object must be an object (or null), but it is " +
                     describe_type(*details) + ".");
            return 0;
        }
        return read(member(*details, key), pointer_join(details_pointer, key));
    }

    // Adds `inconsistent_usage` pointing at the member that contradicts the others.
    // pointer() and message() are called here only: the fast reader's formulas
    // carry no code to build texts they never show.
    template <typename Pointer, typename Message>
    void inconsistent(const Pointer& offending_pointer, const Message& message) {
        fail(code::inconsistent_usage, offending_pointer(), message());
    }

    // a + b, or amount_out_of_range when the sum exceeds 2^53 - 1. Both
    // operands are at most 2^53 - 1, so the int64 sum itself cannot overflow.
    std::int64_t sum(std::int64_t a, std::int64_t b, std::string_view what) {
        const std::int64_t total = a + b;
        if (total > amount_tokens_max) {
            fail(code::amount_out_of_range, pointer_,
                 "The " + std::string(format_) + " usage gives " + std::string(what) + " = " +
                     std::to_string(a) + " + " + std::to_string(b) + " = " + std::to_string(total) +
                     " tokens, more than the largest amount allowed (" +
                     std::to_string(amount_tokens_max) + ").");
            return 0;
        }
        return total;
    }

    // usage[key] is there and not null.
    [[nodiscard]] bool given(std::string_view key) const {
        const Json* value = member(usage_, key);
        return value != nullptr && !value->is_null();
    }

    [[nodiscard]] std::string member_pointer(std::string_view key) const {
        return pointer_join(pointer_, key);
    }
    [[nodiscard]] std::string nested_pointer(std::string_view object_key,
                                             std::string_view key) const {
        return pointer_join(pointer_join(pointer_, object_key), key);
    }

private:
    static const Json* member(const Json& object, std::string_view key) {
        const auto found = object.find(key);
        return found == object.end() ? nullptr : &*found;
    }

    std::int64_t read(const Json* value, const std::string& value_pointer) {
        const std::optional<std::int64_t> result =
            read_count_or_zero(value, value_pointer, event_id_, errors_);
        if (!result) {
            failed_ = true;
            return 0;
        }
        return *result;
    }

    void fail(std::string_view error_code, std::string error_pointer, std::string message) {
        failed_ = true;
        errors_.add(error_code, event_id_, std::move(error_pointer), std::move(message));
    }

    std::string_view format_;
    const Json& usage_;
    const std::string& pointer_;
    const std::optional<std::string>& event_id_;
    ErrorList& errors_;
    bool failed_ = false;
};

// "cached (c) is more than prompt (p)" for the OpenAI-style and Gemini formats.
std::string cached_above_prompt_message(std::string_view cached_name, std::int64_t cached,
                                        std::string_view prompt_name, std::int64_t prompt) {
    return std::string(cached_name) + " is " + std::to_string(cached) + ", more than " +
           std::string(prompt_name) + " (" + std::to_string(prompt) +
           "); cached tokens are part of the prompt, so there cannot be more of them than "
           "prompt tokens.";
}

// The formulas, written once for both readers: UsageReader (the strict one,
// over the DOM, explaining each problem) and FastUsageReader (over the ledger
// fast reader's UsageMember list, only noting that there was a problem).

// openai_chat / openai_responses: cached tokens are a part of the prompt
// (prompt_tokens / input_tokens); reasoning tokens are a part of the output.
template <typename Reader>
std::optional<TokenCounts> normalize_openai(Reader& reader, bool chat) {
    const std::string_view output_name = chat ? "completion_tokens" : "output_tokens";
    const std::string_view prompt_name = chat ? "prompt_tokens" : "input_tokens";
    const std::string_view details_name = chat ? "prompt_tokens_details" : "input_tokens_details";
    const std::int64_t output = reader.count(output_name);
    const std::int64_t prompt = reader.count(prompt_name);
    const std::int64_t cached = reader.nested_count(details_name, "cached_tokens");
    if (reader.failed()) {
        return std::nullopt;
    }
    if (cached > prompt) {
        reader.inconsistent([&] { return std::string(reader.nested_pointer(details_name, "cached_tokens")); },
                            [&] { return std::string(cached_above_prompt_message(std::string(details_name) + ".cached_tokens",
                                                        cached, prompt_name, prompt)); });
        return std::nullopt;
    }
    return TokenCounts{output, prompt - cached, cached};
}

// anthropic_messages: input_tokens, cache_creation_input_tokens and
// cache_read_input_tokens are three disjoint parts of the prompt, so no
// count can contradict another. Cache writes are misses.
template <typename Reader>
std::optional<TokenCounts> normalize_anthropic_messages(Reader& reader) {
    const std::int64_t output = reader.count("output_tokens");
    const std::int64_t input = reader.count("input_tokens");
    const std::int64_t cache_creation = reader.count("cache_creation_input_tokens");
    const std::int64_t cache_read = reader.count("cache_read_input_tokens");
    if (reader.failed()) {
        return std::nullopt;
    }
    const std::int64_t miss =
        reader.sum(input, cache_creation,
                   "cache-miss input = input_tokens + cache_creation_input_tokens");
    if (reader.failed()) {
        return std::nullopt;
    }
    return TokenCounts{output, miss, cache_read};
}

// gemini (the usageMetadata object): promptTokenCount includes the cached
// content; thoughts and tool-use prompts are counted apart from candidates
// and prompt (totalTokenCount is the sum of all four).
template <typename Reader>
std::optional<TokenCounts> normalize_gemini(Reader& reader) {
    const std::int64_t candidates = reader.count("candidatesTokenCount");
    const std::int64_t thoughts = reader.count("thoughtsTokenCount");
    const std::int64_t prompt = reader.count("promptTokenCount");
    const std::int64_t cached = reader.count("cachedContentTokenCount");
    const std::int64_t tool_use_prompt = reader.count("toolUsePromptTokenCount");
    if (reader.failed()) {
        return std::nullopt;
    }
    if (cached > prompt) {
        reader.inconsistent([&] { return std::string(reader.member_pointer("cachedContentTokenCount")); },
                            [&] { return std::string(cached_above_prompt_message("cachedContentTokenCount", cached,
                                                        "promptTokenCount", prompt)); });
        return std::nullopt;
    }
    const std::int64_t output =
        reader.sum(candidates, thoughts, "output = candidatesTokenCount + thoughtsTokenCount");
    const std::int64_t miss = reader.sum(
        prompt - cached, tool_use_prompt,
        "cache-miss input = (promptTokenCount - cachedContentTokenCount) + toolUsePromptTokenCount");
    if (reader.failed()) {
        return std::nullopt;
    }
    return TokenCounts{output, miss, cached};
}

// deepseek: hit + miss must equal prompt_tokens. An absent or null
// prompt_tokens means there is nothing to check against (decision, see
// docs/provider-formats.md); a present one is always checked, so a payload
// without the cache fields cannot drop its prompt tokens silently.
template <typename Reader>
std::optional<TokenCounts> normalize_deepseek(Reader& reader) {
    const std::int64_t completion = reader.count("completion_tokens");
    const std::int64_t hit = reader.count("prompt_cache_hit_tokens");
    const std::int64_t miss = reader.count("prompt_cache_miss_tokens");
    const std::int64_t prompt = reader.count("prompt_tokens");
    if (reader.failed()) {
        return std::nullopt;
    }
    // hit + miss cannot overflow int64: both are at most 2^53 - 1.
    if (reader.given("prompt_tokens") && hit + miss != prompt) {
        reader.inconsistent([&] { return std::string(reader.member_pointer("prompt_tokens")); },
                            [&] { return std::string("prompt_cache_hit_tokens (" + std::to_string(hit) +
                                ") + prompt_cache_miss_tokens (" + std::to_string(miss) + ") = " +
                                std::to_string(hit + miss) + ", but prompt_tokens is " +
                                std::to_string(prompt) +
                                "; every prompt token is either a cache hit or a cache miss, "
                                "so the two must add up to prompt_tokens."); });
        return std::nullopt;
    }
    return TokenCounts{completion, miss, hit};
}

enum class Format { openai_chat, openai_responses, anthropic_messages, gemini, deepseek };
constexpr std::array<Format, 5> formats_by_index = {Format::openai_chat, Format::openai_responses,
                                                   Format::anthropic_messages, Format::gemini, Format::deepseek};
static_assert(std::size(provider_formats) == formats_by_index.size(),
              "every listed provider format needs a formula");

std::optional<Format> find_format(std::string_view name) {
    for (std::size_t index = 0; index < formats_by_index.size(); ++index) {
        if (provider_formats[index] == name) {
            return formats_by_index[index];
        }
    }
    return std::nullopt;
}

template <typename Reader>
std::optional<TokenCounts> normalize(Format format, Reader& reader) {
    switch (format) {
        case Format::openai_chat: return normalize_openai(reader, true);
        case Format::openai_responses: return normalize_openai(reader, false);
        case Format::anthropic_messages: return normalize_anthropic_messages(reader);
        case Format::gemini: return normalize_gemini(reader);
        case Format::deepseek: return normalize_deepseek(reader);
    }
    return std::nullopt;  // unreachable: the switch covers every Format
}

// The `format` member beside `usage`: pointer's parent + "/format".
std::string format_pointer(const std::string& usage_pointer) {
    const std::size_t last_slash = usage_pointer.rfind('/');
    const std::string parent =
        last_slash == std::string::npos ? std::string() : usage_pointer.substr(0, last_slash);
    return parent + "/format";
}

std::string supported_formats_sentence() {
    std::string sentence;
    constexpr std::size_t count = std::size(provider_formats);
    for (std::size_t index = 0; index < count; ++index) {
        if (index > 0) {
            sentence += index + 1 == count ? " and " : ", ";
        }
        sentence += provider_formats[index];
    }
    return sentence;
}

}  // namespace

std::optional<TokenCounts> normalize_provider_usage(std::string_view format, const Json& usage,
                                                    const std::string& pointer,
                                                    const std::optional<std::string>& event_id,
                                                    ErrorList& errors) {
    const std::optional<Format> known = find_format(format);
    if (!known) {
        errors.add(code::unknown_provider_format, event_id, format_pointer(pointer),
                   "The provider usage format \"" + std::string(format) +
                       "\" is not supported; the supported formats are " +
                       supported_formats_sentence() + ".");
        return std::nullopt;
    }
    // A required member given as null is missing (spec §10): the same answer
    // the event reader gives, so a caller of this function cannot disagree.
    if (usage.is_null()) {
        errors.add(code::missing_field, event_id, pointer, "The required field \"usage\" is missing.");
        return std::nullopt;
    }
    if (!usage.is_object()) {
        errors.add(code::wrong_type, event_id, pointer,
                   "The " + std::string(format) + " usage must be a JSON object, but it is " +
                       describe_type(usage) + ".");
        return std::nullopt;
    }

    UsageReader reader(format, usage, pointer, event_id, errors);
    return normalize(*known, reader);
}

namespace {

// Mirrors UsageReader over a UsageMember list; `failed` is set wherever
// UsageReader would add an error. Pointers are only built for messages, which
// this reader does not keep.
class FastUsageReader {
public:
    FastUsageReader(const UsageMember* members, std::size_t count) : members_(members), count_(count) {}
    [[nodiscard]] bool failed() const { return failed_; }

    std::int64_t count(std::string_view key) { return read(find({}, key)); }
    std::int64_t nested_count(std::string_view object_key, std::string_view key) {
        const UsageMember* details = find({}, object_key);
        if (details == nullptr || details->kind == UsageMember::Kind::null) return 0;
        if (details->kind != UsageMember::Kind::object) return fail();
        return read(find(object_key, key));
    }
    [[nodiscard]] bool given(std::string_view key) const {
        const UsageMember* member = find({}, key);
        return member != nullptr && member->kind != UsageMember::Kind::null;
    }
    std::int64_t sum(std::int64_t a, std::int64_t b, std::string_view) {
        const std::int64_t total = a + b;
        return total > amount_tokens_max ? fail() : total;
    }
    template <typename Pointer, typename Message>
    void inconsistent(const Pointer&, const Message&) {
        failed_ = true;
    }
    [[nodiscard]] std::string member_pointer(std::string_view) const { return {}; }
    [[nodiscard]] std::string nested_pointer(std::string_view, std::string_view) const { return {}; }

private:
    [[nodiscard]] const UsageMember* find(std::string_view object_key, std::string_view key) const {
        for (std::size_t i = 0; i < count_; ++i)
            if (fast_json::equals(members_[i].key, key) && fast_json::equals(members_[i].object_key, object_key))
                return &members_[i];
        return nullptr;
    }
    std::int64_t read(const UsageMember* member) {
        if (member == nullptr || member->kind == UsageMember::Kind::null) return 0;
        if (member->kind != UsageMember::Kind::count) return fail();
        return member->value;
    }
    std::int64_t fail() {
        failed_ = true;
        return 0;
    }

    const UsageMember* members_;
    std::size_t count_;
    bool failed_ = false;
};

}  // namespace

std::optional<TokenCounts> normalize_provider_usage_fast(std::string_view format, const UsageMember* members,
                                                         std::size_t count) {
    const std::optional<Format> known = find_format(format);
    if (!known) return std::nullopt;
    FastUsageReader reader(members, count);
    std::optional<TokenCounts> counts = normalize(*known, reader);
    if (reader.failed()) return std::nullopt;
    return counts;
}

}  // namespace credits
