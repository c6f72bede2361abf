// The one file that declares everything JavaScript sees (Embind). Thin: it
// converts arguments, calls the core's public API (core/include/credits/api.h)
// and turns C++ failures into answers (answer_guard.h). No rules live here.
#include <emscripten/bind.h>

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <string_view>

#include "credits/api.h"
#include "credits/default_data.h"
#include "credits/json_writer.h"
#include "answer_guard.h"

namespace {

using credits::Answer;
using credits_wasm::AnswerSlot;
using credits_wasm::guarded;

// A Uint8Array over the heap (no copy, no allocation); valid until the next call into the
// module. Text crosses this way, never as std::string: Embind's std::string return copies
// into a malloc'd buffer after the guard, where a failure would escape into JavaScript.
emscripten::val view_of(std::string_view text) {
    return emscripten::val(
        emscripten::typed_memory_view(text.size(), reinterpret_cast<const unsigned char*>(text.data())));
}

// {ok, json: Uint8Array}: the answer of a free function (credits.js decodes it).
emscripten::val answer_object(const AnswerSlot& slot) {
    emscripten::val object = emscripten::val::object();
    object.set("ok", slot.ok());
    object.set("json", view_of(slot.text()));
    return object;
}

// The last answer of the free functions (one module, one thread: one slot).
AnswerSlot& conversion_slot() {
    static AnswerSlot slot;
    return slot;
}

class WasmLedger;

class WasmEngine {
public:
    WasmEngine(const std::string& rules_text, const std::string& catalog_text) {
        guarded(errors_, [&] {
            std::string errors;
            engine_ = credits::Engine::create(rules_text.empty() ? credits::default_rules_json : rules_text,
                                              catalog_text.empty() ? credits::default_catalog_json : catalog_text, &errors);
            return Answer{engine_.has_value(), std::move(errors)};
        });
    }

    bool ok() const { return engine_.has_value() && errors_.ok(); }
    // Each text is a Uint8Array over the heap, valid until the next call into the module.
    emscripten::val errorsJson() const { return view_of(errors_.text()); }
    emscripten::val catalogJson() {
        guarded(text_, [&] { return ok() ? Answer{true, engine_->catalog_json()} : Answer{false, std::string(errors_.text())}; });
        return view_of(text_.text());
    }
    // ok or not; the answer's bytes: answerBytes(), then clearAnswer().
    bool quote(const std::string& input) {
        return guarded(last_, [&] { return ok() ? engine_->quote(input) : Answer{false, std::string(errors_.text())}; });
    }
    emscripten::val answerBytes() const { return view_of(last_.text()); }
    void clearAnswer() { last_.clear(); }
    const credits::Engine* engine() const { return ok() ? &*engine_ : nullptr; }

private:
    std::optional<credits::Engine> engine_;
    AnswerSlot errors_;  // why the engine was not made ("" when it was)
    AnswerSlot text_;    // the catalog
    AnswerSlot last_;
};

// Asked of a ledger that was not loaded (JS checks ok() first; this keeps the module whole).
constexpr std::string_view not_loaded_json =
    R"({"errors":[{"code":"internal_error","event_id":null,"pointer":"","message":"The ledger was not loaded."}]})";

// A document's bytes in the heap, in the std::string the loaded ledger then keeps: the JS layer
// writes the text in (HEAPU8.set or TextEncoder.encodeInto at address()) and the ledger takes
// the string, so the heap holds one copy of a document, not two (a 280 MB document was copied
// again inside load, about 0.25 s and 280 MB more at the peak).
class WasmDocument {
public:
    // `room` bytes, or none when the heap cannot hold them (ok() false: the JS layer answers
    // out_of_memory).
    explicit WasmDocument(std::size_t room) {
        try {
            text_.resize(room);
            ok_ = true;
        } catch (const std::bad_alloc&) {
            ok_ = false;
        }
    }
    bool ok() const { return ok_; }
    std::uintptr_t address() { return reinterpret_cast<std::uintptr_t>(text_.data()); }
    std::size_t room() const { return text_.size(); }
    // The first `length` bytes (length <= room), leaving this document empty.
    std::string take(std::size_t length) {
        text_.resize(std::min(length, text_.size()));
        return std::move(text_);
    }

private:
    std::string text_;
    bool ok_ = false;
};

class WasmLedger {
public:
    // Reads the first `length` bytes of `document` (which it takes: the document is empty after).
    WasmLedger(const WasmEngine& engine, WasmDocument& document, std::size_t length) {
        guarded(errors_, [&] {
            const credits::Engine* core = engine.engine();
            if (core == nullptr) return Answer{false, std::string(not_loaded_json)};
            std::string errors;
            account_ = core->load(document.take(length), &errors);
            return Answer{account_.has_value(), std::move(errors)};
        });
    }

    bool ok() const { return account_.has_value() && errors_.ok(); }
    emscripten::val errorsJson() const { return view_of(errors_.text()); }
    emscripten::val summaryJson() {
        guarded(text_, [&] { return ok() ? Answer{true, account_->summary_json()} : not_loaded(); });
        return view_of(text_.text());
    }
    // Each returns ok or not; the answer's bytes: answerBytes(), then clearAnswer().
    // The account report in parts (credits.js joins them, keeping the grants[]
    // and ledger[] texts decoded across ranges): answerBytes() is the report
    // without those arrays, which go at grantsOffset() and entriesOffset();
    // grantsBytes() and entriesBytes() are the arrays, the same bytes while
    // partsGeneration() is the same. `entries` false: the report without
    // ledger[] ("ledger_entries" counts it), and no entries part.
    bool report(const std::string& at, const std::string& from, const std::string& to, const std::string& utc_offset,
                const std::string& utc_offsets, bool entries) {
        grants_ = {};
        entries_ = {};
        return guarded(last_, [&] {
            if (!ok()) return not_loaded();
            credits::LoadedLedger::ReportParts parts =
                account_->report_parts(at, from, to, utc_offset, utc_offsets, entries);
            grants_offset_ = parts.grants_offset;
            grants_ = parts.grants;
            entries_offset_ = parts.entries_offset;
            entries_ = parts.entries;
            parts_generation_ = parts.generation;
            return std::move(parts.rest);
        });
    }
    double grantsOffset() const { return static_cast<double>(grants_offset_); }
    emscripten::val grantsBytes() const { return view_of(grants_); }
    double entriesOffset() const { return static_cast<double>(entries_offset_); }
    emscripten::val entriesBytes() const { return view_of(entries_); }
    double partsGeneration() const { return static_cast<double>(parts_generation_); }
    bool project(const std::string& id, const std::string& at, const std::string& from, const std::string& to,
                 const std::string& utc_offset, const std::string& utc_offsets) {
        return guarded(last_, [&] { return ok() ? account_->project(id, at, from, to, utc_offset, utc_offsets) : not_loaded(); });
    }
    bool forecast(const std::string& at) {
        return guarded(last_, [&] { return ok() ? account_->forecast(at) : not_loaded(); });
    }
    // The checkpointed document at `at`: a ledger document, the native CLI's bytes.
    bool checkpoint(const std::string& at) {
        return guarded(last_, [&] { return ok() ? account_->checkpoint(at) : not_loaded(); });
    }
    // The report without ledger[] is report(..., false); entries() gives that
    // array a page at a time (api.h): a page showing a few entries does not
    // decode them all.
    // offset and limit arrive as JS Numbers the JS layer checked to be safe integers.
    bool entries(const std::string& at, double offset, double limit, const std::string& kinds, const std::string& order) {
        return guarded(last_, [&] {
            return ok() ? account_->entries(at, static_cast<std::int64_t>(offset), static_cast<std::int64_t>(limit), kinds,
                                            order)
                        : not_loaded();
        });
    }
    // Adds a fragment (LoadedLedger::append): {"accepted", "duplicates_ignored"}
    // or the errors, the ledger unchanged. An append that fails half-way
    // (memory ran out while adding an accepted fragment) unloads the ledger:
    // it answers not loaded, never wrong figures.
    bool append(const std::string& fragment) {
        bool answered = false;
        const bool ok_answer = guarded(last_, [&] {
            if (!ok()) return not_loaded();
            Answer answer = account_->append(fragment);
            answered = true;
            return answer;
        });
        if (!answered && account_) account_.reset();
        return ok_answer;
    }
    emscripten::val answerBytes() const { return view_of(last_.text()); }
    void clearAnswer() { last_.clear(); }

private:
    static Answer not_loaded() { return Answer{false, std::string(not_loaded_json)}; }

    std::optional<credits::LoadedLedger> account_;
    AnswerSlot errors_;  // why the ledger was not loaded ("" when it was)
    AnswerSlot text_;    // the summary
    AnswerSlot last_;
    std::size_t grants_offset_ = 0;
    std::string_view grants_;   // the account's cached grants[] text
    std::size_t entries_offset_ = 0;
    std::string_view entries_;  // the account's cached ledger[] text
    std::uint64_t parts_generation_ = 0;
};

emscripten::val credits_to_tokens(const std::string& text) {
    guarded(conversion_slot(), [&] { return credits::credits_to_tokens_json(text); });
    return answer_object(conversion_slot());
}

// Amounts cross as exact JS Numbers (all within 2^53 - 1, spec §1).
emscripten::val tokens_to_credits(double tokens) {
    guarded(conversion_slot(), [&] {
        constexpr double max = static_cast<double>(credits::amount_tokens_max);
        if (!std::isfinite(tokens) || std::trunc(tokens) != tokens || tokens < -max || tokens > max) {
            return Answer{false, credits::errors_json({credits::Error{std::string(credits::code::invalid_amount), std::nullopt, "",
                                                                      "A token amount is a whole number between -(2^53 - 1) and 2^53 - 1."}})};
        }
        return Answer{true, "\"" + credits::tokens_to_credits(static_cast<std::int64_t>(tokens)) + "\""};
    });
    return answer_object(conversion_slot());
}

// Bytes the allocator holds for live objects: the leak check's figure.
double heap_used_bytes() { return static_cast<double>(mallinfo().uordblks); }

}  // namespace

EMSCRIPTEN_BINDINGS(easycoda_credits) {
    using namespace emscripten;
    class_<WasmEngine>("Engine")
        .constructor<const std::string&, const std::string&>()
        .function("ok", &WasmEngine::ok)
        .function("errorsJson", &WasmEngine::errorsJson)
        .function("catalogJson", &WasmEngine::catalogJson)
        .function("quote", &WasmEngine::quote)
        .function("answerBytes", &WasmEngine::answerBytes)
        .function("clearAnswer", &WasmEngine::clearAnswer);
    class_<WasmDocument>("Document")
        .constructor<std::size_t>()
        .function("ok", &WasmDocument::ok)
        .function("address", &WasmDocument::address)
        .function("room", &WasmDocument::room);
    class_<WasmLedger>("Ledger")
        .constructor<const WasmEngine&, WasmDocument&, std::size_t>()
        .function("ok", &WasmLedger::ok)
        .function("errorsJson", &WasmLedger::errorsJson)
        .function("summaryJson", &WasmLedger::summaryJson)
        .function("report", &WasmLedger::report)
        .function("project", &WasmLedger::project)
        .function("forecast", &WasmLedger::forecast)
        .function("checkpoint", &WasmLedger::checkpoint)
        .function("entries", &WasmLedger::entries)
        .function("append", &WasmLedger::append)
        .function("answerBytes", &WasmLedger::answerBytes)
        .function("grantsOffset", &WasmLedger::grantsOffset)
        .function("grantsBytes", &WasmLedger::grantsBytes)
        .function("entriesOffset", &WasmLedger::entriesOffset)
        .function("entriesBytes", &WasmLedger::entriesBytes)
        .function("partsGeneration", &WasmLedger::partsGeneration)
        .function("clearAnswer", &WasmLedger::clearAnswer);
    function("creditsToTokens", &credits_to_tokens);
    function("tokensToCredits", &tokens_to_credits);
    function("heapUsedBytes", &heap_used_bytes);
}
