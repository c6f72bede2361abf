// Internal to the core: a small JSON scanner for the ledger's fast reader
// (core/src/ledger/fast_reader.cpp). It reads straight from the document bytes, without
// building a DOM, and only ever *accepts* a strict subset of JSON:
//   - strings of printable ASCII without escapes (bytes 0x20..0x7F except " and \),
//   - integers written 0 or [1-9][0-9]* up to 2^53 - 1,
//   - whitespace of space, tab, CR and LF.
// Anything else makes a reader return false, and the caller hands that part
// of the document to the strict nlohmann path (json_input.cpp), which decides
// and explains. skip_value() is the one function that does not validate: it
// only finds where a value ends, so that the strict parser can be given exactly
// that value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "credits/amount.h"

namespace credits::fast_json {

// a == b without a call to memcmp, which is a byte-at-a-time loop in
// WebAssembly (it was a sixth of the load time there): keys and ids are short.
inline bool equals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    std::size_t i = 0;
    for (; i + 8 <= a.size(); i += 8) {
        std::uint64_t x = 0;
        std::uint64_t y = 0;
        std::memcpy(&x, a.data() + i, 8);
        std::memcpy(&y, b.data() + i, 8);
        if (x != y) return false;
    }
    for (; i < a.size(); ++i)
        if (a[i] != b[i]) return false;
    return true;
}

struct Cursor {
    const char* p;
    const char* end;

    [[nodiscard]] bool at_end() const { return p >= end; }
    [[nodiscard]] char peek() const { return p < end ? *p : '\0'; }
};

inline void skip_ws(Cursor& c) {
    while (c.p < c.end && (*c.p == ' ' || *c.p == '\n' || *c.p == '\r' || *c.p == '\t')) ++c.p;
}

// Consumes `ch` (after whitespace) or returns false.
inline bool expect(Cursor& c, char ch) {
    skip_ws(c);
    if (c.p >= c.end || *c.p != ch) return false;
    ++c.p;
    return true;
}

// A string of printable ASCII without escapes; `out` views the document bytes.
// Eight bytes at a time while none of them is special (a quote, a backslash,
// a control byte or a byte of 0x80 or more), then byte by byte.
inline bool plain_string(Cursor& c, std::string_view& out) {
    skip_ws(c);
    if (c.p >= c.end || *c.p != '"') return false;
    const char* begin = ++c.p;
    constexpr std::uint64_t ones = 0x0101010101010101ull;
    constexpr std::uint64_t high = 0x8080808080808080ull;
    for (;;) {
        while (c.end - c.p >= 8) {
            std::uint64_t w = 0;
            std::memcpy(&w, c.p, 8);
            const std::uint64_t quote = w ^ (ones * '"');
            const std::uint64_t backslash = w ^ (ones * '\\');
            const std::uint64_t special = ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) |
                                          ((w - ones * 0x20) & ~w) | w;
            if ((special & high) != 0) break;
            c.p += 8;
        }
        const char* stop = c.end - c.p >= 8 ? c.p + 8 : c.end;
        for (; c.p < stop; ++c.p) {
            const auto byte = static_cast<unsigned char>(*c.p);
            if (byte == '"') {
                out = std::string_view(begin, static_cast<std::size_t>(c.p - begin));
                ++c.p;
                return true;
            }
            if (byte < 0x20 || byte >= 0x80 || byte == '\\') return false;
        }
        if (c.p >= c.end) return false;
    }
}

// A non-negative integer as nlohmann reads one into an unsigned number and
// read_count accepts it: 0 or [1-9][0-9]*, at most amount_tokens_max, not
// followed by a fraction, an exponent or another digit.
inline bool plain_count(Cursor& c, std::int64_t& out) {
    skip_ws(c);
    if (c.p >= c.end) return false;
    if (*c.p == '0') {
        ++c.p;
        out = 0;
    } else if (*c.p >= '1' && *c.p <= '9') {
        std::int64_t value = 0;
        int digits = 0;
        while (c.p < c.end && *c.p >= '0' && *c.p <= '9') {
            if (++digits > 16) return false;  // more than 2^53 - 1 for sure
            value = value * 10 + (*c.p - '0');
            ++c.p;
        }
        if (value > amount_tokens_max) return false;
        out = value;
    } else {
        return false;
    }
    if (c.p < c.end && ((*c.p >= '0' && *c.p <= '9') || *c.p == '.' || *c.p == 'e' || *c.p == 'E')) return false;
    return true;
}

// Moves past a string whose opening quote is at c.p, escapes included.
inline bool skip_string(Cursor& c) {
    ++c.p;
    while (c.p < c.end) {
        if (*c.p == '"') {
            ++c.p;
            return true;
        }
        if (*c.p == '\\' && c.end - c.p < 2) return false;
        c.p += *c.p == '\\' ? 2 : 1;
    }
    return false;
}

// Moves past one JSON value of any kind without checking it. Returns false when
// the document ends inside the value; a true answer says nothing about validity
// (the strict parser checks that), only where the value ends if it is valid.
inline bool skip_value(Cursor& c) {
    skip_ws(c);
    if (c.p >= c.end) return false;
    const char first = *c.p;
    if (first == '"') return skip_string(c);
    if (first == '{' || first == '[') {
        std::size_t depth = 0;
        while (c.p < c.end) {
            const char ch = *c.p;
            if (ch == '"') {
                if (!skip_string(c)) return false;
                continue;
            }
            if (ch == '{' || ch == '[') {
                ++depth;
            } else if (ch == '}' || ch == ']') {
                if (--depth == 0) {
                    ++c.p;
                    return true;
                }
            }
            ++c.p;
        }
        return false;
    }
    // A number or a literal: up to the next delimiter.
    while (c.p < c.end && *c.p != ',' && *c.p != '}' && *c.p != ']' && *c.p != ' ' && *c.p != '\n' &&
           *c.p != '\r' && *c.p != '\t')
        ++c.p;
    return true;
}

}  // namespace credits::fast_json
