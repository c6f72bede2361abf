// Deterministic JSON output: members in the order written, no whitespace,
// strings escaped per RFC 8259. Every answer is valid UTF-8 whatever it
// quotes: well-formed UTF-8 is passed through, and each maximal subpart of an
// ill-formed sequence (Unicode 15 section 3.9, the WHATWG decoder's rule) is
// written as one U+FFFD. Documents were validated by the parser, but query
// text (an instant, an offset, a project id) reaches messages as given. The
// same calls give the same bytes in the native and WebAssembly builds.
#pragma once

#include <cassert>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "credits/amount.h"
#include "credits/errors.h"
#include "credits/instant.h"

namespace credits {

class JsonWriter {
public:
    JsonWriter& begin_object() { return open('{'); }
    JsonWriter& end_object() { return close('}'); }
    JsonWriter& begin_array() { return open('['); }
    JsonWriter& end_array() { return close(']'); }
    // `name` is an identifier of the report format (no quote, backslash or
    // control character): it is written as it is.
    JsonWriter& key(std::string_view name) { return key(name, {}); }

    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
    JsonWriter& value(std::int64_t number) {
        char* to = separate(room(24));
        const std::to_chars_result result = std::to_chars(to, to + 24, number);
        assert(result.ec == std::errc());
        staged_ = static_cast<std::size_t>(result.ptr - stage_);
        return *this;
    }
    JsonWriter& value(bool flag) { return word(flag ? std::string_view("true") : std::string_view("false")); }
    JsonWriter& null() { return word("null"); }
    JsonWriter& value(const std::optional<std::string>& text);

    // Writes "<name>_tokens": n, "<name>_credits": "x.xxxx" (docs/report-format.md).
    JsonWriter& amount(std::string_view name, std::int64_t tokens);
    // Writes "tokens": n, "credits": "x.xxxx".
    JsonWriter& amount_plain(std::int64_t tokens) { return amount("", tokens); }
    JsonWriter& member(std::string_view name, std::string_view text) { return key(name).value(text); }
    JsonWriter& member(std::string_view name, const char* text) { return key(name).value(text); }
    JsonWriter& member(std::string_view name, const std::string& text) { return key(name).value(text); }
    JsonWriter& member(std::string_view name, std::int64_t number) { return key(name).value(number); }
    JsonWriter& member(std::string_view name, bool flag) { return key(name).value(flag); }
    JsonWriter& member(std::string_view name, const std::optional<std::string>& text) { return key(name).value(text); }
    JsonWriter& instant(std::string_view name, std::int64_t ns) {
        key(name);
        char* to = separate(room(instant_text_max + 2));
        *to = '"';
        const std::size_t length = write_instant(to + 1, ns);
        to[length + 1] = '"';
        staged_ = static_cast<std::size_t>(to - stage_) + length + 2;
        return *this;
    }
    JsonWriter& instant(std::string_view name, const std::optional<std::int64_t>& ns);

    // Appends JSON text written elsewhere (a cached fragment) as one value.
    JsonWriter& raw_value(std::string_view json);
    void reserve(std::size_t bytes) { out_.reserve(bytes); }

    std::string take() {
        flush();
        return std::move(out_);
    }
    // Bytes written so far.
    [[nodiscard]] std::size_t size() const { return out_.size() + staged_; }

private:
    // The hot calls of a report -- keys, brackets, literals -- are inline and
    // stage their bytes with one room() each: with a literal name the compiler
    // copies it with a few fixed-size moves.
    static constexpr std::size_t key_bytes_max = 256;  // a longer name (none in the report format) goes byte by byte
    static constexpr bool is_plain_name(std::string_view name) {
        for (const char c : name)
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80 || c == '"' || c == '\\')
                return false;
        return true;
    }
    // The separator a value or a key needs, written at `to`; returns past it.
    char* separate(char* to) {
        if (comma_ && !after_key_) *to++ = ',';
        after_key_ = false;
        comma_ = depth_ > 0;
        return to;
    }
    void separate() { staged_ = static_cast<std::size_t>(separate(room(1)) - stage_); }
    // Copies `text` to `to`, returns past it. Short texts (names, digits) with
    // two overlapping fixed-size moves instead of a call to memcpy.
    [[gnu::always_inline]] static char* copy(char* to, std::string_view text) {
        const char* from = text.data();
        const std::size_t n = text.size();
        const auto two = [&](auto word) {
            std::memcpy(to, from, sizeof word);
            std::memcpy(&word, from + n - sizeof word, sizeof word);
            std::memcpy(to + n - sizeof word, &word, sizeof word);
        };
        if (n >= 16 && n <= 32) {
            char head[16];
            char tail[16];
            std::memcpy(head, from, 16);
            std::memcpy(tail, from + n - 16, 16);
            std::memcpy(to, head, 16);
            std::memcpy(to + n - 16, tail, 16);
        } else if (n >= 8 && n < 16) {
            two(std::uint64_t{});
        } else if (n >= 4 && n < 8) {
            two(std::uint32_t{});
        } else if (n < 4) {
            for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
        } else {
            std::memcpy(to, from, n);
        }
        return to + n;
    }
    // key(name + suffix) without building the name.
    // Always inlined: GCC keeps one out-of-line copy otherwise, and a literal name's
    // length is then no longer known where it is copied.
    [[gnu::always_inline]] JsonWriter& key(std::string_view name, std::string_view suffix) {
        assert(!after_key_ && is_plain_name(name) && is_plain_name(suffix));
        if (name.size() + suffix.size() > key_bytes_max) return long_key(name, suffix);
        char* to = separate(room(name.size() + suffix.size() + 4));
        *to++ = '"';
        to = copy(copy(to, name), suffix);
        *to++ = '"';
        *to++ = ':';
        staged_ = static_cast<std::size_t>(to - stage_);
        after_key_ = true;
        return *this;
    }
    JsonWriter& long_key(std::string_view name, std::string_view suffix);
    [[gnu::noinline]] JsonWriter& long_amount(std::string_view name, std::int64_t tokens);
    JsonWriter& open(char bracket) {
        char* to = separate(room(2));
        *to++ = bracket;
        staged_ = static_cast<std::size_t>(to - stage_);
        ++depth_;
        comma_ = false;
        return *this;
    }
    JsonWriter& close(char bracket) {
        assert(depth_ > 0 && !after_key_);
        --depth_;
        comma_ = depth_ > 0;  // the container was a member or an element of the one around it
        put(bracket);
        return *this;
    }
    // A literal value: true, false, null.
    JsonWriter& word(std::string_view text) {
        char* to = copy(separate(room(text.size() + 1)), text);
        staged_ = static_cast<std::size_t>(to - stage_);
        return *this;
    }

    // Small pieces -- most of a report -- are staged in a local buffer and
    // reach out_ a few hundred bytes at a time: in WebAssembly every
    // std::string::append is a call and a byte loop, which dominated the
    // module's report time when measured (docs/benchmarks.md).
    static constexpr std::size_t stage_bytes = 4096;
    char* room(std::size_t bytes) {  // bytes <= stage_bytes
        if (stage_bytes - staged_ < bytes) flush();
        return stage_ + staged_;
    }
    void flush() {
        out_.append(stage_, staged_);
        staged_ = 0;
    }
    void put(char c) {
        *room(1) = c;
        ++staged_;
    }
    void put(std::string_view text);
    // Values up to plain_bytes_max bytes are checked and copied in one pass (copy_plain).
    static constexpr std::size_t plain_bytes_max = 128;
    // Copies `text` to `to` when it needs no escape; false (and `to` partly written) when it does.
    static bool copy_plain(char* to, std::string_view text);

    std::string out_;
    char stage_[stage_bytes];
    std::size_t staged_ = 0;
    std::size_t depth_ = 0;   // open containers
    bool comma_ = false;      // the next member or element needs a comma before it
    bool after_key_ = false;
};

void write_json_string(std::string& out, std::string_view text);

// The first character of `text` (not empty): how many bytes it takes, and
// whether it is well-formed UTF-8. An ill-formed one is its maximal subpart:
// the longest prefix of a well-formed sequence, or one byte (at least 1).
struct Utf8Unit {
    std::size_t bytes;
    bool well_formed;
};
Utf8Unit utf8_unit(std::string_view text);

// Input quoted in a message: `text` itself up to `bytes_max` bytes; longer, its
// first characters (cut between characters, within bytes_max) and an ellipsis.
inline constexpr std::size_t excerpt_bytes_max = 100;
std::string excerpt(std::string_view text, std::size_t bytes_max = excerpt_bytes_max);

// {"errors":[{code, event_id, pointer, message}, ...]}
std::string errors_json(const std::vector<Error>& errors);

}  // namespace credits
