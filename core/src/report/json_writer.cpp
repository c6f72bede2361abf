#include "credits/json_writer.h"

#include <array>
#include <cassert>
#include <charconv>
#include <cstring>
#include <system_error>

#include "credits/instant.h"

namespace credits {

Utf8Unit utf8_unit(std::string_view text) {
    assert(!text.empty());
    const auto at = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = at(0);
    if (lead < 0x80) return {1, true};
    // Unicode 15, table 3-7: the lead byte fixes the length and the range of the
    // second byte; every later byte is 80..BF.
    std::size_t length = 0;
    unsigned char second_min = 0x80;
    unsigned char second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) second_min = 0xA0;  // no overlong forms
        if (lead == 0xED) second_max = 0x9F;  // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) second_min = 0x90;  // no overlong forms
        if (lead == 0xF4) second_max = 0x8F;  // nothing above U+10FFFF
    } else {
        return {1, false};  // 80..C1, F5..FF never start a character
    }
    // The maximal subpart: the lead and every following byte that could continue it.
    std::size_t i = 1;
    for (; i < length && i < text.size(); ++i) {
        const unsigned char low = i == 1 ? second_min : 0x80;
        const unsigned char high = i == 1 ? second_max : 0xBF;
        if (at(i) < low || at(i) > high) break;
    }
    return {i, i == length};
}

std::string excerpt(std::string_view text, std::size_t bytes_max) {
    if (text.size() <= bytes_max) return std::string(text);
    // Cut between characters (an ill-formed byte counts as one), never inside one.
    std::size_t cut = 0;
    for (std::size_t steps = 0; cut < text.size() && steps < bytes_max; ++steps) {
        const std::size_t next = cut + utf8_unit(text.substr(cut)).bytes;
        if (next > bytes_max) break;
        cut = next;
    }
    return std::string(text.substr(0, cut)) + "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
}

namespace {

// The three bytes of U+FFFD REPLACEMENT CHARACTER in UTF-8.
constexpr char replacement[] = "\xEF\xBF\xBD";

// The bytes of `text` as they go between the quotes of a JSON string.
// Runs of bytes that need no escape (ASCII and well-formed UTF-8) are appended
// at once; each maximal subpart of an ill-formed sequence becomes one U+FFFD.
void append_escaped(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    const char* p = text.data();
    const char* const end = p + text.size();
    const char* run = p;
    while (p < end) {
        const auto byte = static_cast<unsigned char>(*p);
        if (byte >= 0x80) {
            const Utf8Unit unit = utf8_unit(std::string_view(p, static_cast<std::size_t>(end - p)));
            if (!unit.well_formed) {
                out.append(run, static_cast<std::size_t>(p - run));
                out.append(replacement, 3);
                run = p + unit.bytes;
            }
            p += unit.bytes;
            continue;
        }
        if (byte >= 0x20 && byte != '"' && byte != '\\') {
            ++p;
            continue;
        }
        out.append(run, static_cast<std::size_t>(p - run));
        run = p + 1;
        switch (*p) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default: {
                const char escape[6] = {'\\', 'u', '0', '0', hex[byte >> 4], hex[byte & 0xF]};
                out.append(escape, sizeof escape);
            }
        }
        ++p;
    }
    out.append(run, static_cast<std::size_t>(end - run));
}

}  // namespace

void write_json_string(std::string& out, std::string_view text) {
    out += '"';
    append_escaped(out, text);
    out += '"';
}

void JsonWriter::put(std::string_view text) {
    if (text.empty()) return;  // an empty view may have no data pointer, which memcpy may not take
    if (text.size() > 64) {
        flush();
        out_.append(text.data(), text.size());
        return;
    }
    std::memcpy(room(text.size()), text.data(), text.size());
    staged_ += text.size();
}

namespace {

// True when one of the eight bytes of `w` is not plain ASCII for a JSON string:
// below 0x20, '"', '\\', or 0x80 and above (UTF-8, checked by the slow path).
inline bool needs_escape(std::uint64_t w) {
    constexpr std::uint64_t ones = 0x0101010101010101ull;
    constexpr std::uint64_t high = 0x8080808080808080ull;
    const auto has_zero = [](std::uint64_t v) { return ((v - ones) & ~v & high) != 0; };
    const bool below_space = ((w - ones * 0x20) & ~w & high) != 0;
    return (w & high) != 0 || below_space || has_zero(w ^ (ones * '"')) || has_zero(w ^ (ones * '\\'));
}

}  // namespace

bool JsonWriter::copy_plain(char* to, std::string_view text) {
    // Plain text (most keys and values) is copied as it is, eight bytes at a time.
    const char* from = text.data();
    std::size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
        std::uint64_t w = 0;
        std::memcpy(&w, from + i, 8);
        if (needs_escape(w)) return false;
        std::memcpy(to + i, &w, 8);
    }
    for (; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(from[i]);
        if (byte < 0x20 || byte >= 0x80 || byte == '"' || byte == '\\') return false;
        to[i] = from[i];
    }
    return true;
}

JsonWriter& JsonWriter::long_key(std::string_view name, std::string_view suffix) {
    separate();
    put('"');
    put(name);
    put(suffix);
    put("\":");
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
    separate();
    if (text.size() <= plain_bytes_max) {
        char* to = room(text.size() + 2);
        if (copy_plain(to + 1, text)) {
            to[0] = '"';
            to[text.size() + 1] = '"';
            staged_ += text.size() + 2;
            return *this;
        }
    }
    std::string escaped;
    append_escaped(escaped, text);
    put('"');
    put(escaped);
    put('"');
    return *this;
}

JsonWriter& JsonWriter::value(const std::optional<std::string>& text) {
    return text ? value(std::string_view(*text)) : null();
}

JsonWriter& JsonWriter::raw_value(std::string_view json) {
    separate();
    put(json);
    return *this;
}

namespace {

// "00" "01" ... "99": the decimal digits of 0..99.
constexpr std::array<char, 200> digit_pairs = [] {
    std::array<char, 200> pairs{};
    for (std::size_t i = 0; i < 100; ++i) {
        pairs[2 * i] = static_cast<char>('0' + i / 10);
        pairs[2 * i + 1] = static_cast<char>('0' + i % 10);
    }
    return pairs;
}();

// Copies the `n` (at most 24) digits at `from` to `to`; returns past them.
char* copy_digits(char* to, const char* from, std::size_t n) {
    if (n < 8) {
        for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
        return to + n;
    }
    std::memcpy(to, from, 8);
    if (n > 16) std::memcpy(to + 8, from + 8, 8);
    std::memcpy(to + n - 8, from + n - 8, 8);
    return to + n;
}

}  // namespace

JsonWriter& JsonWriter::long_amount(std::string_view name, std::int64_t tokens) {
    long_key(name, "_tokens").value(tokens);
    long_key(name, "_credits");
    char* to = separate(room(credits_text_max + 2));
    *to = '"';
    const std::size_t length = write_credits(to + 1, tokens);
    to[length + 1] = '"';
    staged_ = static_cast<std::size_t>(to - stage_) + length + 2;
    return *this;
}

JsonWriter& JsonWriter::amount(std::string_view name, std::int64_t tokens) {
    // "<name>_tokens":n,"<name>_credits":"x.xxxx" (or "tokens" and "credits"), in one
    // staging: the decimal digits of the magnitude once, the credits being the same digits
    // with the point four from the right (write_credits' text, which the tests compare).
    assert(!after_key_ && is_plain_name(name));
    if (name.size() > key_bytes_max) return long_amount(name, tokens);
    static_assert(credit_fraction_digits == 4);
    const bool negative = tokens < 0;
    std::uint64_t magnitude =
        negative ? std::uint64_t{0} - static_cast<std::uint64_t>(tokens) : static_cast<std::uint64_t>(tokens);
    char digits[24];
    char* const end = digits + sizeof digits;
    char* first = end;
    for (; magnitude >= 100; magnitude /= 100) {  // two digits a division: half the divisions
        first -= 2;
        std::memcpy(first, &digit_pairs[2 * (magnitude % 100)], 2);
    }
    if (magnitude >= 10) {
        first -= 2;
        std::memcpy(first, &digit_pairs[2 * magnitude], 2);
    } else {
        *--first = static_cast<char>('0' + magnitude);
    }
    const std::string_view token_digits(first, static_cast<std::size_t>(end - first));
    while (end - first < 5) *--first = '0';  // credits: at least one whole digit and four fractional
    const std::string_view whole(first, static_cast<std::size_t>(end - first) - 4);
    const std::string_view fraction(end - 4, 4);
    // Two names, the punctuation and the suffixes (38 bytes), two signs, up to 20 + 21 digits.
    char* to = separate(room(2 * name.size() + 38 + 2 + 41));
    *to++ = '"';
    to = copy(copy(to, name), name.empty() ? std::string_view("tokens\":") : std::string_view("_tokens\":"));
    if (negative) *to++ = '-';
    to = copy_digits(to, token_digits.data(), token_digits.size());
    *to++ = ',';
    *to++ = '"';
    to = copy(copy(to, name), name.empty() ? std::string_view("credits\":\"") : std::string_view("_credits\":\""));
    if (negative) *to++ = '-';
    to = copy_digits(to, whole.data(), whole.size());
    *to++ = '.';
    std::memcpy(to, fraction.data(), 4);
    to += 4;
    *to++ = '"';
    staged_ = static_cast<std::size_t>(to - stage_);
    return *this;
}

JsonWriter& JsonWriter::instant(std::string_view name, const std::optional<std::int64_t>& ns) {
    if (ns) return instant(name, *ns);
    return key(name).null();
}

std::string errors_json(const std::vector<Error>& errors) {
    JsonWriter w;
    w.begin_object().key("errors").begin_array();
    for (const Error& e : errors) {
        w.begin_object().member("code", e.code).member("event_id", e.event_id).member("pointer", e.pointer);
        w.member("message", e.message).end_object();
    }
    w.end_array().end_object();
    return w.take();
}

}  // namespace credits
