#include "static_files.h"

#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string_view>
#include <system_error>

namespace credits::server {

namespace {

// The policy of web/serve.mjs, word for word: scripts and styles from this origin only; WebAssembly
// may compile; lit-html renders templates and easycoda-worker passes the credit worker's own URL.
constexpr const char* content_security_policy =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types lit-html easycoda-worker";

const std::map<std::string, std::string, std::less<>>& mime_types() {
    static const std::map<std::string, std::string, std::less<>> types = {
        {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"}, {".map", "application/json; charset=utf-8"},
        {".wasm", "application/wasm"},          {".svg", "image/svg+xml"},
        {".png", "image/png"},                  {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},  {".md", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
    };
    return types;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The percent-decoded path, or nullopt when an escape is malformed or the result holds a control
// byte (C0, DEL; C1 controls are two UTF-8 bytes, 0xC2 0x80-0x9F) or a backslash.
std::optional<std::string> decode_path(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '%') {
            if (i + 2 >= raw.size()) return std::nullopt;
            const int high = hex_value(raw[i + 1]);
            const int low = hex_value(raw[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            c = static_cast<char>(high * 16 + low);
            i += 2;
        }
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f || c == '\\') return std::nullopt;
        if (byte >= 0x80 && byte <= 0x9f && !out.empty() && static_cast<unsigned char>(out.back()) == 0xc2) return std::nullopt;
        out.push_back(c);
    }
    return out;
}

StaticAnswer plain(int status, const char* text) {
    StaticAnswer answer;
    answer.status = status;
    answer.body = std::string(text) + "\n";
    answer.headers = StaticFiles::security_headers();
    return answer;
}

}  // namespace

StaticFiles::StaticFiles(std::filesystem::path root) {
    std::error_code error;
    root_ = std::filesystem::canonical(root, error);
    valid_ = !error && std::filesystem::is_regular_file(root_ / "index.html", error) && !error;
}

const std::vector<std::pair<std::string, std::string>>& StaticFiles::security_headers() {
    static const std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Security-Policy", content_security_policy},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
        {"Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"},
        {"X-Frame-Options", "DENY"},
    };
    return headers;
}

StaticAnswer StaticFiles::answer(const std::string& raw_target) const {
    if (raw_target.size() > target_bytes_max) return plain(414, "URI too long");
    const std::string_view raw_path = std::string_view(raw_target).substr(0, raw_target.find_first_of("?#"));
    if (raw_path.empty() || raw_path.front() != '/') return plain(400, "Bad request");
    const std::optional<std::string> decoded = decode_path(raw_path);
    if (!decoded) return plain(400, "Bad request");
    std::string relative = decoded->substr(1);
    if (relative.empty() || relative.back() == '/') relative += "index.html";
    // Every segment is a name: "." and ".." (however encoded) never walk, an empty one ("//") is refused.
    std::filesystem::path file = root_;
    std::size_t start = 0;
    for (int segment = 0; segment < 64; ++segment) {
        const std::size_t slash = relative.find('/', start);
        const std::string name = relative.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (name.empty() || name == "." || name == "..") return plain(403, "Forbidden");
        file /= name;
        if (slash == std::string::npos) break;
        start = slash + 1;
        if (segment == 63) return plain(400, "Bad request");
    }
    // A symbolic link that leads out of the root is outside it too.
    std::error_code error;
    const std::filesystem::path real = std::filesystem::canonical(file, error);
    if (error) return plain(404, "Not found");
    const std::string real_text = real.string();
    const std::string root_text = root_.string();
    if (real_text.compare(0, root_text.size(), root_text) != 0 || real_text.size() <= root_text.size() ||
        real_text[root_text.size()] != '/') {
        return plain(403, "Forbidden");
    }
    if (!std::filesystem::is_regular_file(real, error) || error) return plain(404, "Not found");
    const std::uintmax_t size = std::filesystem::file_size(real, error);
    if (error || size > file_bytes_max) return plain(404, "Not found");
    std::ifstream stream(real, std::ios::binary);
    std::string body((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
    if (!stream.good() && !stream.eof()) return plain(404, "Not found");
    StaticAnswer answer;
    answer.status = 200;
    std::string extension = real.extension().string();
    for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto type = mime_types().find(extension);
    answer.content_type = type == mime_types().end() ? "application/octet-stream" : type->second;
    answer.body = std::move(body);
    answer.headers = security_headers();
    const bool immutable = relative.rfind("assets/", 0) == 0;
    answer.headers.emplace_back("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
    return answer;
}

}  // namespace credits::server
