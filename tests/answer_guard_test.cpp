// The WebAssembly module's exception guard (wasm/answer_guard.h), run natively and in
// the wasm test build: whatever a call throws, an answer comes back, and the answer to
// running out of memory is given without allocating (allocation fails here on demand).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "../wasm/answer_guard.h"

namespace {

// While set, every operator new of this program fails; attempts are counted.
bool fail_allocations = false;
std::size_t failed_allocations = 0;

}  // namespace

// Replacements of the global allocation functions for this test program, every
// unaligned form (so no library or sanitizer new is paired with this delete; the
// aligned forms stay the library's, new and delete alike). GCC takes free() of what
// operator new returned for a mismatch, but here operator new is malloc.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t bytes) {
    if (fail_allocations) {
        ++failed_allocations;
        throw std::bad_alloc();
    }
    if (void* p = std::malloc(bytes == 0 ? 1 : bytes)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t bytes) { return ::operator new(bytes); }
void* operator new(std::size_t bytes, const std::nothrow_t&) noexcept {
    if (fail_allocations) {
        ++failed_allocations;
        return nullptr;
    }
    return std::malloc(bytes == 0 ? 1 : bytes);
}
void* operator new[](std::size_t bytes, const std::nothrow_t& tag) noexcept { return ::operator new(bytes, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

using credits_wasm::AnswerSlot;
using credits_wasm::guarded;

nlohmann::json first_error(const AnswerSlot& slot) {
    return nlohmann::json::parse(std::string(slot.text())).at("errors").at(0);
}

}  // namespace

TEST_CASE("the guard passes answers through", "[wasm][guard]") {
    AnswerSlot slot;
    CHECK(guarded(slot, [] { return credits::Answer{true, "{\"a\":1}"}; }));
    CHECK(slot.ok());
    CHECK(slot.text() == "{\"a\":1}");
    CHECK_FALSE(guarded(slot, [] { return credits::Answer{false, "{\"errors\":[]}"}; }));
    CHECK(slot.text() == "{\"errors\":[]}");
}

TEST_CASE("out of memory inside a call is answered by the constant, without allocating", "[wasm][guard]") {
    AnswerSlot slot;
    REQUIRE(guarded(slot, [] { return credits::Answer{true, std::string(1000, 'x')}; }));
    failed_allocations = 0;
    fail_allocations = true;
    // The call allocates (and fails); the handler must not try again.
    const bool ok = guarded(slot, [] { return credits::Answer{true, std::string(5000, 'y')}; });
    fail_allocations = false;
    CHECK_FALSE(ok);
    CHECK(failed_allocations == 1);
    CHECK(slot.text().data() == credits_wasm::out_of_memory_json.data());  // the constant itself, no copy
    CHECK_FALSE(slot.ok());
    CHECK(first_error(slot)["code"] == "out_of_memory");
    CHECK(first_error(slot)["pointer"] == "");
    CHECK(first_error(slot)["event_id"].is_null());
}

TEST_CASE("another exception is an internal_error answer, the constant when memory is short", "[wasm][guard]") {
    AnswerSlot slot;
    CHECK_FALSE(guarded(slot, []() -> credits::Answer { throw std::runtime_error("boom"); }));
    CHECK(first_error(slot)["code"] == "internal_error");
    CHECK(first_error(slot)["message"] == "The credit engine failed: boom");

    // Building that message needs memory: without any, the out-of-memory constant answers.
    const std::runtime_error error("boom");
    failed_allocations = 0;
    fail_allocations = true;
    const bool ok = guarded(slot, [&]() -> credits::Answer { throw error; });
    fail_allocations = false;
    CHECK_FALSE(ok);
    CHECK(failed_allocations >= 1);
    CHECK(slot.text() == credits_wasm::out_of_memory_json);

    CHECK_FALSE(guarded(slot, []() -> credits::Answer { throw 42; }));
    CHECK(slot.text() == credits_wasm::internal_error_json);
    CHECK(first_error(slot)["code"] == "internal_error");
}

TEST_CASE("the guard frees the previous answer before the next call", "[wasm][guard]") {
    AnswerSlot slot;
    REQUIRE(guarded(slot, [] { return credits::Answer{true, std::string(100, 'x')}; }));
    std::size_t seen = 1;
    guarded(slot, [&] {
        seen = slot.text().size();
        return credits::Answer{true, "{}"};
    });
    CHECK(seen == 0);
    slot.clear();
    CHECK(slot.text().empty());
}
