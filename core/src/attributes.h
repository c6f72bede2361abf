// Internal to the core: function attributes.
#pragma once

// For code that runs on rare paths only -- reading a document the strict way
// to explain what is wrong with it -- so the optimizer keeps it small and out
// of the hot path: in the WebAssembly module every kilobyte is downloaded (the
// target is .wasm + glue under 150 KB gzip, docs/benchmarks.md). Clang:
// minsize (-Oz for that function); GCC: cold.
#if defined(__clang__)
#define CREDITS_COLD __attribute__((cold, minsize, noinline))
#elif defined(__GNUC__)
#define CREDITS_COLD __attribute__((cold, noinline))
#else
#define CREDITS_COLD
#endif
