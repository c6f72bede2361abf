// Catch2 (v2) test runner main. Test cases live in tests/*_test.cpp.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
