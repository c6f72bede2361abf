#include "credits/json_input.h"

#include "credits/json_writer.h"

#include <cassert>
#include <limits>
#include <utility>
#include <vector>

namespace credits {
namespace {

// nlohmann's parse messages quote the bytes last read ("last read: '...'"), which
// may be invalid UTF-8 (the very error being reported): written into an error
// message as they are, they made the {"errors": [...]} answer itself invalid
// JSON (found by fuzzing). Bytes outside printable ASCII are shown as <0xNN>.
std::string printable(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7F) {
            out += c;
        } else {
            out += "<0x";
            out += hex[byte >> 4];
            out += hex[byte & 0xF];
            out += '>';
        }
    }
    return out;
}

// Builds a DOM like nlohmann's json_sax_dom_parser, but rejects repeated
// member names, bounds depth and string length, keeps the JSON pointer of the
// current position for messages, and can stream one top-level array's
// elements to a sink instead of keeping them.
class StrictSax {
public:
    using number_integer_t = Json::number_integer_t;
    using number_unsigned_t = Json::number_unsigned_t;
    using number_float_t = Json::number_float_t;
    using string_t = Json::string_t;
    using binary_t = Json::binary_t;

    StrictSax(Json& root, const ParseLimits& limits, ErrorList& errors, std::string_view streamed_member,
              const ElementSink& sink)
        : root_(root), limits_(limits), errors_(errors), streamed_member_(streamed_member), sink_(sink) {
        // Frames point into each other (a child's container may live in its
        // parent's `element`): the stack must never reallocate.
        frames_.reserve(limits_.depth_max + 1);
    }

    bool null() { return put(Json(nullptr)); }
    bool boolean(bool value) { return put(Json(value)); }
    bool number_integer(number_integer_t value) { return put(Json(value)); }
    bool number_unsigned(number_unsigned_t value) { return put(Json(value)); }
    bool number_float(number_float_t value, const string_t& text) {
        // An integer literal too large for uint64 arrives here: keep it as an
        // out-of-range integer so it is reported as amount_out_of_range.
        if (text.find_first_of(".eE") == string_t::npos) {
            return put(text[0] == '-' ? Json(std::numeric_limits<number_integer_t>::min())
                                      : Json(std::numeric_limits<number_unsigned_t>::max()));
        }
        return put(Json(value));
    }
    bool string(string_t& value) {
        if (value.size() > limits_.string_bytes_max) {
            return fail(code::string_too_long, current_pointer(),
                        "A string of " + std::to_string(value.size()) + " bytes is longer than the limit of " +
                            std::to_string(limits_.string_bytes_max) + " bytes.");
        }
        return put(Json(std::move(value)));
    }
    bool binary(binary_t&) { return fail(code::invalid_json, current_pointer(), "Binary values are not JSON."); }

    bool start_object(std::size_t) { return open(Json::object()); }
    bool start_array(std::size_t) { return open(Json::array()); }
    bool key(string_t& name) {
        Frame& frame = frames_.back();
        assert(frame.value->is_object());
        if (frame.value->contains(name)) {
            return fail(code::duplicate_member, pointer_join(frame_pointer(frames_.size() - 1), name),
                        "The member \"" + name + "\" appears more than once in the same object.");
        }
        frame.key = std::move(name);
        frame.keyed = true;
        return true;
    }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool parse_error(std::size_t position, const std::string& /*last_token*/, const nlohmann::detail::exception& ex) {
        if (errors_.empty()) {
            // nlohmann's message starts with "[json.exception.parse_error.101] parse error at line 1, column 2: ";
            // keep its explanation and say where in bytes.
            std::string what = ex.what();
            const std::size_t colon = what.find(": ", what.find("parse error"));
            const std::string detail = printable(colon == std::string::npos ? what : what.substr(colon + 2));
            errors_.add(code::invalid_json, std::nullopt, current_pointer(),
                        "The document is not valid JSON at byte " + std::to_string(position) + ": " + detail);
        }
        return false;
    }

private:
    struct Frame {
        Json* value;            // the container being filled (nullptr while streaming is not used)
        std::string key;        // pending member name (objects)
        std::size_t index = 0;  // next element index (arrays)
        bool streamed = false;  // elements go to the sink
        Json element;           // the element being built when streamed
        bool keyed = false;     // a member name was read (objects)
    };

    std::string frame_pointer(std::size_t depth) const {
        std::string out;
        for (std::size_t i = 0; i < depth; ++i) {
            const Frame& f = frames_[i];
            // An object whose first member name is still being read: the error is the object's.
            if (f.value->is_object() && !f.keyed) break;
            out += f.value->is_object() ? "/" + pointer_escape(f.key) : "/" + std::to_string(f.index);
        }
        return out;
    }
    std::string current_pointer() const { return frame_pointer(frames_.size()); }

    bool fail(std::string_view error_code, std::string pointer, std::string message) {
        if (errors_.empty()) errors_.add(error_code, std::nullopt, std::move(pointer), std::move(message));
        return false;
    }

    // Where the next value goes.
    Json* slot() {
        if (frames_.empty()) return &root_;
        Frame& frame = frames_.back();
        if (frame.streamed) return &frame.element;
        if (frame.value->is_object()) return &(*frame.value)[frame.key];
        frame.value->push_back(Json());
        return &frame.value->back();
    }

    // After a complete value was written into the current frame's slot.
    void finished_value() {
        if (frames_.empty()) return;
        Frame& frame = frames_.back();
        if (frame.value->is_array()) {
            if (frame.streamed) {
                sink_(frame.index, std::move(frame.element));
                frame.element = Json();
            }
            ++frame.index;
        }
    }

    bool put(Json&& value) {
        *slot() = std::move(value);
        finished_value();
        return true;
    }

    bool open(Json&& container) {
        if (frames_.size() >= limits_.depth_max) {
            return fail(code::nesting_too_deep, current_pointer(),
                        "The document nests deeper than " + std::to_string(limits_.depth_max) + " levels.");
        }
        const bool stream_this = container.is_array() && frames_.size() == 1 && sink_ &&
                                 frames_[0].value->is_object() && frames_[0].key == streamed_member_;
        Json* target = slot();
        *target = std::move(container);
        frames_.push_back(Frame{target, {}, 0, stream_this, Json()});
        return true;
    }

    bool close() {
        assert(!frames_.empty());
        frames_.pop_back();
        finished_value();
        return true;
    }

    Json& root_;
    const ParseLimits& limits_;
    ErrorList& errors_;
    std::string_view streamed_member_;
    const ElementSink& sink_;
    std::vector<Frame> frames_;
};

bool is_integer(const Json& value) { return value.is_number_integer(); }

// The member a pointer ends in, for messages: "/events/3/tokens/output" -> "output".
std::string member_name(const std::string& pointer) {
    const std::size_t slash = pointer.rfind('/');
    std::string name = slash == std::string::npos ? pointer : pointer.substr(slash + 1);
    for (std::size_t at = name.find("~1"); at != std::string::npos; at = name.find("~1", at + 1)) name.replace(at, 2, "/");
    for (std::size_t at = name.find("~0"); at != std::string::npos; at = name.find("~0", at + 1)) name.replace(at, 2, "~");
    return name.empty() ? "The value" : "\"" + name + "\"";
}

}  // namespace

bool parse_json_document(std::string_view text, const ParseLimits& limits, Json& out, ErrorList& errors,
                         std::string_view streamed_member, const ElementSink& sink) {
    if (text.size() > limits.document_bytes_max) {
        errors.add(code::document_too_large, std::nullopt, "",
                   "The document is " + std::to_string(text.size()) + " bytes; the limit is " +
                       std::to_string(limits.document_bytes_max) + " bytes.");
        return false;
    }
    if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF &&
        static_cast<unsigned char>(text[1]) == 0xBB && static_cast<unsigned char>(text[2]) == 0xBF) {
        errors.add(code::invalid_json, std::nullopt, "",
                   "The document starts with a byte-order mark; send UTF-8 JSON without one.");
        return false;
    }
    // nlohmann's lexer takes a NUL byte outside a string for the end of the input, so
    // "{...}<NUL>garbage" would parse (found by fuzzing). JSON text never holds a raw NUL.
    if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
        errors.add(code::invalid_json, std::nullopt, "",
                   "The document is not valid JSON at byte " + std::to_string(nul) +
                       ": a NUL byte (JSON text never contains one; inside a string write \\u0000).");
        return false;
    }
    const std::size_t errors_before = errors.size();
    StrictSax sax(out, limits, errors, streamed_member, sink);
    // strict = true: trailing content after the value is an error. A
    // byte-order mark was refused above, so nlohmann's BOM skipping never applies.
    const bool ok = Json::sax_parse(text.begin(), text.end(), &sax, nlohmann::json::input_format_t::json, true);
    if (!ok && errors.size() == errors_before) {
        errors.add(code::invalid_json, std::nullopt, "", "The document is not valid JSON.");
    }
    return ok;
}

std::string describe_type(const Json& value) {
    switch (value.type()) {
        case Json::value_t::null: return "null";
        case Json::value_t::object: return "an object";
        case Json::value_t::array: return "an array";
        case Json::value_t::string: return "a string";
        case Json::value_t::boolean: return "a boolean";
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned: return "an integer";
        case Json::value_t::number_float: return "a number with a fraction or exponent";
        default: return "an unsupported value";
    }
}

std::optional<std::int64_t> read_count(const Json& value, const std::string& pointer,
                                       const std::optional<std::string>& event_id, ErrorList& errors) {
    if (value.is_number_unsigned()) {
        const auto raw = value.get<Json::number_unsigned_t>();
        if (raw > static_cast<Json::number_unsigned_t>(amount_tokens_max)) {
            errors.add(code::amount_out_of_range, event_id, pointer,
                       member_name(pointer) + " is larger than 9007199254740991 (2^53 - 1), the largest amount the core accepts.");
            return std::nullopt;
        }
        return static_cast<std::int64_t>(raw);
    }
    if (value.is_number_integer()) {
        const auto raw = value.get<Json::number_integer_t>();
        errors.add(code::invalid_number, event_id, pointer,
                   raw == 0 ? member_name(pointer) + " is written -0; write 0 without a sign."
                            : member_name(pointer) + " is negative (" + std::to_string(raw) +
                                  "); amounts are whole numbers of 0 or more.");
        return std::nullopt;
    }
    if (value.is_number_float()) {
        errors.add(code::invalid_number, event_id, pointer,
                   member_name(pointer) + " has a fraction or an exponent (" + value.dump() +
                       "); write a whole number such as 1200.");
        return std::nullopt;
    }
    errors.add(code::wrong_type, event_id, pointer,
               member_name(pointer) + " must be a whole number, found " + describe_type(value) + ".");
    return std::nullopt;
}

std::optional<std::int64_t> read_count_or_zero(const Json* value, const std::string& pointer,
                                               const std::optional<std::string>& event_id, ErrorList& errors) {
    if (value == nullptr || value->is_null()) return 0;
    return read_count(*value, pointer, event_id, errors);
}

ObjectReader::ObjectReader(const Json& object, std::string pointer, std::optional<std::string> event_id,
                           ErrorList& errors)
    : object_(object), pointer_(std::move(pointer)), event_id_(std::move(event_id)), errors_(errors) {}

void ObjectReader::add_error(std::string_view error_code, std::string pointer, std::string message) {
    errors_.add(error_code, event_id_, std::move(pointer), std::move(message));
}

void ObjectReader::reject_unknown(std::initializer_list<std::string_view> known) {
    reject_unknown_if([&known](std::string_view name) {
        for (const std::string_view k : known)
            if (k == name) return true;
        return false;
    });
}

void ObjectReader::reject_unknown_if(const std::function<bool(std::string_view)>& known) {
    if (!object_.is_object()) return;
    for (const auto& [name, value] : object_.items()) {
        if (!known(name)) add_error(code::unknown_field, member_pointer(name), "Unknown field \"" + excerpt(name) + "\".");
    }
}

const Json* ObjectReader::get(std::string_view key, bool required) {
    if (object_.is_object()) {
        const auto it = object_.find(key);
        if (it != object_.end() && !it->is_null()) return &*it;
    }
    if (required) {
        add_error(code::missing_field, member_pointer(key), "The required field \"" + std::string(key) + "\" is missing.");
    }
    return nullptr;
}

std::optional<std::string> ObjectReader::string(std::string_view key, bool required, std::size_t bytes_max) {
    const Json* value = get(key, required);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) {
        add_error(code::wrong_type, member_pointer(key),
                  "\"" + std::string(key) + "\" must be a string, found " + describe_type(*value) + ".");
        return std::nullopt;
    }
    const auto& text = value->get_ref<const std::string&>();
    if (text.size() > bytes_max) {
        add_error(code::string_too_long, member_pointer(key),
                  "\"" + std::string(key) + "\" is " + std::to_string(text.size()) + " bytes; the limit is " +
                      std::to_string(bytes_max) + ".");
        return std::nullopt;
    }
    return text;
}

std::optional<std::string> ObjectReader::id(std::string_view key, bool required) {
    std::optional<std::string> text = string(key, required, id_bytes_max);
    if (text && text->empty()) {
        add_error(code::invalid_id, member_pointer(key), "\"" + std::string(key) + "\" must not be empty.");
        return std::nullopt;
    }
    return text;
}

std::optional<bool> ObjectReader::boolean(std::string_view key, bool required) {
    const Json* value = get(key, required);
    if (value == nullptr) return std::nullopt;
    if (!value->is_boolean()) {
        add_error(code::wrong_type, member_pointer(key),
                  "\"" + std::string(key) + "\" must be true or false, found " + describe_type(*value) + ".");
        return std::nullopt;
    }
    return value->get<bool>();
}

std::optional<std::int64_t> ObjectReader::count(std::string_view key, bool required) {
    const Json* value = get(key, required);
    if (value == nullptr) return std::nullopt;
    return read_count(*value, member_pointer(key), event_id_, errors_);
}

std::optional<std::int64_t> ObjectReader::credit_tokens(std::string_view key, bool required, bool zero_allowed) {
    const Json* value = get(key, required);
    if (value == nullptr) return std::nullopt;
    const std::string where = member_pointer(key);
    std::optional<std::int64_t> tokens;
    if (value->is_string()) {
        bool out_of_range = false;
        tokens = parse_credit_string(value->get_ref<const std::string&>(), &out_of_range);
        if (!tokens) {
            if (out_of_range) {
                add_error(code::amount_out_of_range, where,
                          "The credit amount is more than the largest amount the core accepts (900719925474.0991 credits).");
            } else {
                add_error(code::invalid_amount, where,
                          "A credit amount written as a string must look like \"25\" or \"25.5\": digits, no leading "
                          "zeros, at most four after the point.");
            }
            return std::nullopt;
        }
    } else if (is_integer(*value)) {
        const std::optional<std::int64_t> whole = read_count(*value, where, event_id_, errors_);
        if (!whole) return std::nullopt;
        tokens = credits_to_tokens(*whole);
        if (!tokens) {
            add_error(code::amount_out_of_range, where,
                      "The credit amount is more than the largest amount the core accepts (900719925474.0991 credits).");
            return std::nullopt;
        }
    } else if (value->is_number_float()) {
        add_error(code::invalid_number, where,
                  "A fractional credit amount must be written as a decimal string such as \"25.5\", not as a JSON number.");
        return std::nullopt;
    } else {
        add_error(code::wrong_type, where,
                  "\"" + std::string(key) + "\" must be an integer or a decimal string, found " + describe_type(*value) + ".");
        return std::nullopt;
    }
    if (*tokens == 0 && !zero_allowed) {
        add_error(code::invalid_amount, where, "\"" + std::string(key) + "\" must be more than 0 credits.");
        return std::nullopt;
    }
    return tokens;
}

std::optional<Instant> ObjectReader::instant(std::string_view key, bool required) {
    const std::optional<std::string> text = string(key, required, instant_text_bytes_max);
    if (!text) return std::nullopt;
    InstantProblem problem = InstantProblem::none;
    const std::optional<Instant> parsed = parse_instant(*text, &problem);
    if (parsed) return parsed;
    const std::string where = member_pointer(key);
    const std::string quoted = "\"" + *text + "\"";
    switch (problem) {
        case InstantProblem::range:
            add_error(code::instant_out_of_range, where,
                      quoted + " is outside the supported range 1970-01-01T00:00:00Z to 2200-01-01T00:00:00Z.");
            break;
        case InstantProblem::date:
            add_error(code::invalid_instant, where, quoted + " is not a real date and time (no such day, hour, minute or second).");
            break;
        case InstantProblem::offset:
            add_error(code::invalid_offset, where, quoted + " has a UTC offset beyond +-14:00.");
            break;
        default:
            add_error(code::invalid_instant, where,
                      quoted + " is not an RFC 3339 instant with a zone, like \"2026-09-12T09:30:00Z\" or "
                               "\"2026-09-12T17:30:00+08:00\".");
            break;
    }
    return std::nullopt;
}

}  // namespace credits
