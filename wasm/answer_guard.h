// The WebAssembly module's exception guard, without Embind so the native test
// suites run it too (tests/answer_guard_test.cpp). Every entry point of
// bindings.cpp answers through it: no C++ exception may reach JavaScript,
// where it would be an opaque WebAssembly.Exception and leave the module's
// state half-way.
//
// Out of memory is answered without allocating: the answer is a constant in
// the module's data, held as a view, so the handler cannot throw again.
#pragma once

#include <exception>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "credits/api.h"
#include "credits/errors.h"
#include "credits/json_writer.h"

namespace credits_wasm {

// The answer to a failed allocation, written out once (the same shape as every rejection).
inline constexpr std::string_view out_of_memory_json =
    R"({"errors":[{"code":"out_of_memory","event_id":null,"pointer":"",)"
    R"("message":"The WebAssembly heap ran out of memory; the document is too large for this page."}]})";
// The answer to an exception that is no std::exception.
inline constexpr std::string_view internal_error_json =
    R"({"errors":[{"code":"internal_error","event_id":null,"pointer":"","message":"The credit engine failed."}]})";

// One answer, held until JavaScript has read it: the core's text or a constant.
class AnswerSlot {
public:
    void keep(credits::Answer answer) noexcept {
        answer_ = std::move(answer);
        constant_ = {};
    }
    // `json` outlives the slot (a constant above).
    void keep_constant(std::string_view json) noexcept {
        answer_ = credits::Answer{};
        constant_ = json;
    }
    void clear() noexcept { keep_constant({}); }
    [[nodiscard]] bool ok() const noexcept { return constant_.empty() && answer_.ok; }
    [[nodiscard]] std::string_view text() const noexcept {
        return constant_.empty() ? std::string_view(answer_.json) : constant_;
    }

private:
    credits::Answer answer_;
    std::string_view constant_;
};

// An exception's message in an internal_error answer, if memory allows building it.
inline void keep_internal_error(AnswerSlot& slot, const char* what) noexcept {
    try {
        std::string message = std::string("The credit engine failed: ") + what;
        slot.keep(credits::Answer{
            false, credits::errors_json({credits::Error{std::string(credits::code::internal_error), std::nullopt, "", std::move(message)}})});
    } catch (const std::bad_alloc&) {
        slot.keep_constant(out_of_memory_json);
    } catch (...) {
        slot.keep_constant(internal_error_json);
    }
}

// Runs `call` (returning a credits::Answer) into `slot`; true when it answered.
// The slot is emptied first, so the previous answer's memory is free for this one.
template <typename Call>
bool guarded(AnswerSlot& slot, Call&& call) noexcept {
    slot.clear();
    try {
        slot.keep(call());
        return slot.ok();
    } catch (const std::bad_alloc&) {
        slot.keep_constant(out_of_memory_json);
    } catch (const std::exception& e) {
        keep_internal_error(slot, e.what());
    } catch (...) {
        slot.keep_constant(internal_error_json);
    }
    return false;
}

}  // namespace credits_wasm
