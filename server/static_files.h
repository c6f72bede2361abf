// The built console served by credits-server itself (`serve --console DIR`), so the console and the
// API share one origin: the page's Content-Security-Policy can keep `connect-src 'self'`, and no
// cross-origin (CORS) rule is needed. The headers are those web/serve.mjs sends (the same policy).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace credits::server {

// What a request for a console file is answered with: a status, headers and a body.
struct StaticAnswer {
    int status = 404;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // the security headers and Cache-Control
};

class StaticFiles {
public:
    // `root` must be a directory holding index.html (checked by valid()).
    explicit StaticFiles(std::filesystem::path root);
    [[nodiscard]] bool valid() const { return valid_; }
    [[nodiscard]] const std::filesystem::path& root() const { return root_; }

    // The answer to GET/HEAD of `raw_target` (the request target as sent, query included).
    // A target that is malformed (bad percent-encoding, a control byte, a dot segment, a
    // backslash, over 2048 bytes) is 400/414; outside the root 403; no such file (or a
    // directory: never a listing) 404.
    [[nodiscard]] StaticAnswer answer(const std::string& raw_target) const;

    // The headers every console answer carries, as web/serve.mjs sends them.
    static const std::vector<std::pair<std::string, std::string>>& security_headers();

    // Files above this size are not served (the built console's largest is the WebAssembly, ~2 MB).
    static constexpr std::size_t file_bytes_max = std::size_t{64} * 1024 * 1024;
    static constexpr std::size_t target_bytes_max = 2048;

private:
    std::filesystem::path root_;
    bool valid_ = false;
};

}  // namespace credits::server
