// The one file that declares everything JavaScript sees (Embind). Thin: it
// converts arguments, calls the core's public API (core/include/credits/api.h)
// and turns C++ failures into answers. No rules live here.
#include <emscripten/bind.h>

#include <malloc.h>

#include <cmath>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <string_view>

#include "credits/api.h"
#include "credits/default_data.h"
#include "credits/json_writer.h"

namespace {

using credits::Answer;

// Same shape as every other rejection, so the JS layer has one error path.
Answer failure(std::string_view error_code, std::string message) {
    return Answer{false, credits::errors_json({credits::Error{std::string(error_code), std::nullopt, "", std::move(message)}})};
}

// Runs `call`, turning an out-of-memory or any other C++ exception into an
// error answer, so a failure never leaves the module half-way.
template <typename Call>
Answer guarded(Call&& call) {
    try {
        return call();
    } catch (const std::bad_alloc&) {
        return failure(credits::code::out_of_memory,
                       "The WebAssembly heap ran out of memory; the document is too large for this page.");
    } catch (const std::exception& e) {
        return failure("internal_error", std::string("The credit engine failed: ") + e.what());
    }
}

// The last answer of an engine or a ledger, kept in the heap until JS has
// read it: reports are megabytes, and Embind's std::string conversion visits
// every byte in JS (twice) before decoding, where answerBytes() hands JS a
// view of the bytes for one TextDecoder call (issue 6).
class AnswerSlot {
public:
    bool keep(Answer answer) {
        answer_ = std::move(answer);
        return answer_.ok;
    }
    // A Uint8Array over the heap (no copy); valid until the next call into the module.
    emscripten::val bytes() const {
        return emscripten::val(emscripten::typed_memory_view(answer_.json.size(),
                                                             reinterpret_cast<const unsigned char*>(answer_.json.data())));
    }
    void clear() { answer_ = Answer{}; }

private:
    Answer answer_;
};

class WasmLedger;

class WasmEngine {
public:
    WasmEngine(const std::string& rules_text, const std::string& catalog_text) {
        const Answer answer = guarded([&] {
            std::string errors;
            engine_ = credits::Engine::create(rules_text.empty() ? credits::default_rules_json : rules_text,
                                              catalog_text.empty() ? credits::default_catalog_json : catalog_text, &errors);
            return Answer{engine_.has_value(), errors};
        });
        errors_json_ = answer.ok ? "" : answer.json;
    }

    bool ok() const { return engine_.has_value(); }
    std::string errorsJson() const { return errors_json_; }
    std::string catalogJson() const { return engine_->catalog_json(); }
    // ok or not; the answer's bytes: answerBytes(), then clearAnswer().
    bool quote(const std::string& input) { return last_.keep(guarded([&] { return engine_->quote(input); })); }
    emscripten::val answerBytes() const { return last_.bytes(); }
    void clearAnswer() { last_.clear(); }
    const credits::Engine& engine() const { return *engine_; }

private:
    std::optional<credits::Engine> engine_;
    std::string errors_json_;
    AnswerSlot last_;
};

class WasmLedger {
public:
    // Reads the document from `length` bytes at `address` in the WASM heap
    // (the JS layer copies the text in once, without an extra std::string).
    WasmLedger(const WasmEngine& engine, std::uintptr_t address, std::size_t length) {
        const Answer answer = guarded([&] {
            std::string errors;
            const std::string_view text(reinterpret_cast<const char*>(address), length);
            account_ = engine.engine().load(text, &errors);
            return Answer{account_.has_value(), errors};
        });
        errors_json_ = answer.ok ? "" : answer.json;
    }

    bool ok() const { return account_.has_value(); }
    std::string errorsJson() const { return errors_json_; }
    std::string summaryJson() const { return account_->summary_json(); }
    // Each returns ok or not; the answer's bytes: answerBytes(), then clearAnswer().
    // The account report in parts (credits.js joins them, keeping the ledger[]
    // text decoded across ranges): answerBytes() is the report without its
    // ledger[] array, which goes at entriesOffset(); entriesBytes() is that
    // array, the same bytes while entriesGeneration() is the same.
    bool report(const std::string& at, const std::string& from, const std::string& to, const std::string& utc_offset) {
        entries_ = {};
        return last_.keep(guarded([&] {
            credits::Account::ReportParts parts = account_->report_parts(at, from, to, utc_offset);
            entries_offset_ = parts.entries_offset;
            entries_ = parts.entries;
            entries_generation_ = parts.generation;
            return std::move(parts.rest);
        }));
    }
    double entriesOffset() const { return static_cast<double>(entries_offset_); }
    double entriesGeneration() const { return static_cast<double>(entries_generation_); }
    emscripten::val entriesBytes() const {
        return emscripten::val(emscripten::typed_memory_view(entries_.size(),
                                                             reinterpret_cast<const unsigned char*>(entries_.data())));
    }
    bool project(const std::string& id, const std::string& at, const std::string& from, const std::string& to,
                 const std::string& utc_offset) {
        return last_.keep(guarded([&] { return account_->project(id, at, from, to, utc_offset); }));
    }
    bool forecast(const std::string& at) { return last_.keep(guarded([&] { return account_->forecast(at); })); }
    // The account report without ledger[], and that array a page at a time
    // (api.h): a page showing a few entries does not decode them all.
    bool reportSummary(const std::string& at, const std::string& from, const std::string& to, const std::string& utc_offset) {
        return last_.keep(guarded([&] { return account_->report_summary(at, from, to, utc_offset); }));
    }
    // offset and limit arrive as JS Numbers the JS layer checked to be safe integers.
    bool entries(const std::string& at, double offset, double limit, const std::string& kinds, const std::string& order) {
        return last_.keep(guarded([&] {
            return account_->entries(at, static_cast<std::int64_t>(offset), static_cast<std::int64_t>(limit), kinds, order);
        }));
    }
    emscripten::val answerBytes() const { return last_.bytes(); }
    void clearAnswer() { last_.clear(); }

private:
    std::optional<credits::Account> account_;
    std::string errors_json_;
    AnswerSlot last_;
    std::size_t entries_offset_ = 0;
    std::string_view entries_;  // the account's cached ledger[] text
    std::uint64_t entries_generation_ = 0;
};

Answer credits_to_tokens(const std::string& text) { return guarded([&] { return credits::credits_to_tokens_json(text); }); }

// Amounts cross as exact JS Numbers (all within 2^53 - 1, spec §1).
Answer tokens_to_credits(double tokens) {
    constexpr double max = static_cast<double>(credits::amount_tokens_max);
    if (!std::isfinite(tokens) || std::trunc(tokens) != tokens || tokens < -max || tokens > max) {
        return failure(credits::code::invalid_amount, "A token amount is a whole number between -(2^53 - 1) and 2^53 - 1.");
    }
    return Answer{true, "\"" + credits::tokens_to_credits(static_cast<std::int64_t>(tokens)) + "\""};
}

// Bytes the allocator holds for live objects: the leak check's figure.
double heap_used_bytes() { return static_cast<double>(mallinfo().uordblks); }

}  // namespace

EMSCRIPTEN_BINDINGS(easycoda_credits) {
    using namespace emscripten;
    value_object<Answer>("Answer").field("ok", &Answer::ok).field("json", &Answer::json);
    class_<WasmEngine>("Engine")
        .constructor<const std::string&, const std::string&>()
        .function("ok", &WasmEngine::ok)
        .function("errorsJson", &WasmEngine::errorsJson)
        .function("catalogJson", &WasmEngine::catalogJson)
        .function("quote", &WasmEngine::quote)
        .function("answerBytes", &WasmEngine::answerBytes)
        .function("clearAnswer", &WasmEngine::clearAnswer);
    class_<WasmLedger>("Ledger")
        .constructor<const WasmEngine&, std::uintptr_t, std::size_t>()
        .function("ok", &WasmLedger::ok)
        .function("errorsJson", &WasmLedger::errorsJson)
        .function("summaryJson", &WasmLedger::summaryJson)
        .function("report", &WasmLedger::report)
        .function("project", &WasmLedger::project)
        .function("forecast", &WasmLedger::forecast)
        .function("reportSummary", &WasmLedger::reportSummary)
        .function("entries", &WasmLedger::entries)
        .function("answerBytes", &WasmLedger::answerBytes)
        .function("entriesOffset", &WasmLedger::entriesOffset)
        .function("entriesBytes", &WasmLedger::entriesBytes)
        .function("entriesGeneration", &WasmLedger::entriesGeneration)
        .function("clearAnswer", &WasmLedger::clearAnswer);
    function("creditsToTokens", &credits_to_tokens);
    function("tokensToCredits", &tokens_to_credits);
    function("heapUsedBytes", &heap_used_bytes);
}
