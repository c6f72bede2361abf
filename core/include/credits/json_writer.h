// Deterministic JSON output: members in the order written, no whitespace,
// strings escaped per RFC 8259. Every answer is valid UTF-8 whatever it
// quotes: well-formed UTF-8 is passed through, and each maximal subpart of an
// ill-formed sequence (Unicode 15 section 3.9, the WHATWG decoder's rule) is
// written as one U+FFFD. Documents were validated by the parser, but query
// text (an instant, an offset, a project id) reaches messages as given. The
// same calls give the same bytes in the native and WebAssembly builds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "credits/amount.h"
#include "credits/errors.h"

namespace credits {

class JsonWriter {
public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    // `name` is an identifier of the report format (no quote, backslash or
    // control character): it is written as it is.
    JsonWriter& key(std::string_view name);

    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
    JsonWriter& value(std::int64_t number);
    JsonWriter& value(bool flag);
    JsonWriter& null();
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
    JsonWriter& instant(std::string_view name, std::int64_t ns);
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
    void separate();
    // key(name + suffix) without building the name.
    JsonWriter& key(std::string_view name, std::string_view suffix);

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
    void put_escaped(std::string_view text);

    std::string out_;
    char stage_[stage_bytes];
    std::size_t staged_ = 0;
    std::vector<bool> first_;  // per open container: no member written yet
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
