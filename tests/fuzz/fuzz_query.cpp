// libFuzzer target: the query strings of report, project and forecast (see check_query_bytes in
// fuzz_checks.h for what is asserted; scripts/fuzz runs it).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    credits_fuzz::check_query_bytes(text);
    return 0;
}
