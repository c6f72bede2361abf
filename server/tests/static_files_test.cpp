// The console's files as credits-server serves them (`serve --console DIR`): the answer for each
// request target, without a socket. web/test/live.test.mjs checks the same over HTTP.
#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <filesystem>
#include <string>

#include "static_files.h"

namespace {

using credits::server::StaticAnswer;
using credits::server::StaticFiles;
namespace fs = std::filesystem;

struct ConsoleDir {
    fs::path root;
    fs::path outside;
    ConsoleDir() {
        std::random_device seed;
        const fs::path base = fs::temp_directory_path() / ("credits-static-" + std::to_string(seed()));
        root = base / "dist";
        outside = base / "secret.txt";
        fs::create_directories(root / "assets");
        fs::create_directories(root / "demo");
        write(root / "index.html", "<!doctype html>");
        write(root / "assets" / "app.js", "export {};");
        write(root / "assets" / "core.WASM", "\0asm");
        write(root / "demo" / "ledger.json", "{}");
        write(root / "notes.bin", "x");
        write(outside, "secret");
        fs::create_symlink(outside, root / "link.txt");
    }
    ~ConsoleDir() { fs::remove_all(root.parent_path()); }
    static void write(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }
};

std::string header(const StaticAnswer& answer, const std::string& name) {
    for (const auto& [key, value] : answer.headers) {
        if (key == name) return value;
    }
    return "(absent)";
}

}  // namespace

TEST_CASE("the console's files carry web/serve.mjs's headers and their MIME types", "[static]") {
    const ConsoleDir dir;
    const StaticFiles files(dir.root);
    REQUIRE(files.valid());
    const StaticAnswer index = files.answer("/");
    CHECK(index.status == 200);
    CHECK(index.body == "<!doctype html>");
    CHECK(index.content_type == "text/html; charset=utf-8");
    CHECK(header(index, "Content-Security-Policy").find("trusted-types lit-html easycoda-worker") != std::string::npos);
    CHECK(header(index, "Content-Security-Policy").find("script-src 'self' 'wasm-unsafe-eval'") != std::string::npos);
    CHECK(header(index, "X-Frame-Options") == "DENY");
    CHECK(header(index, "Cache-Control") == "no-cache");
    const StaticAnswer script = files.answer("/assets/app.js?v=1");
    CHECK(script.content_type == "text/javascript; charset=utf-8");
    CHECK(header(script, "Cache-Control") == "public, max-age=31536000, immutable");
    CHECK(files.answer("/assets/core.WASM").content_type == "application/wasm");
    CHECK(files.answer("/demo/ledger.json").content_type == "application/json; charset=utf-8");
    CHECK(files.answer("/notes.bin").content_type == "application/octet-stream");
    CHECK(files.answer("/demo/").status == 404);  // a folder without index.html: never a listing
    CHECK(files.answer("/missing.js").status == 404);
    // Refusals carry the security headers too.
    CHECK(header(files.answer("/missing.js"), "X-Content-Type-Options") == "nosniff");
}

TEST_CASE("no request target reaches a file outside the console's folder", "[static]") {
    const ConsoleDir dir;
    const StaticFiles files(dir.root);
    for (const char* target : {"/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/.%2E/secret.txt",
                               "/./index.html", "//etc/passwd", "/link.txt"}) {
        INFO(target);
        const StaticAnswer answer = files.answer(target);
        CHECK(answer.status == 403);
        CHECK(answer.body.find("secret") == std::string::npos);
    }
    for (const char* target : {"/a%00b", "/%zz", "/%4", "/x%5c..%5csecret.txt", "/x\\y", "/tab%09", "/c1%c2%85", "relative"}) {
        INFO(target);
        CHECK(files.answer(target).status == 400);
    }
    CHECK(files.answer("/" + std::string(3000, 'a')).status == 414);
}

TEST_CASE("a console folder without index.html is refused at start", "[static]") {
    const ConsoleDir dir;
    CHECK_FALSE(StaticFiles(dir.root / "assets").valid());
    CHECK_FALSE(StaticFiles(dir.root / "nothing-here").valid());
}
