#include "auth.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <memory>
#include <stdexcept>

#include <openssl/crypto.h>  // OPENSSL_cleanse
#include <openssl/evp.h>

namespace credits::server {
namespace {

constexpr std::size_t token_random_bytes = 32;
// A token is its prefix and 43 base64url characters; anything much longer is not one
// of ours and is not worth hashing.
constexpr std::size_t token_text_max = 128;

void fill_random(unsigned char* out, std::size_t size) {
    std::size_t filled = 0;
    for (int attempt = 0; filled < size && attempt < 64; ++attempt) {  // EINTR retries, bounded
        const ssize_t got = getrandom(out + filled, size - filled, 0);
        if (got > 0) {
            filled += static_cast<std::size_t>(got);
        } else if (got < 0 && errno != EINTR) {
            break;
        }
    }
    if (filled != size) throw std::runtime_error("getrandom failed: no randomness for a token");
}

std::string base64url(const unsigned char* data, std::size_t size) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((size * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        const unsigned v = (unsigned{data[i]} << 16) | (unsigned{data[i + 1]} << 8) | unsigned{data[i + 2]};
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    if (size - i == 1) {
        const unsigned v = unsigned{data[i]} << 16;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
    } else if (size - i == 2) {
        const unsigned v = (unsigned{data[i]} << 16) | (unsigned{data[i + 1]} << 8);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
    }
    return out;  // unpadded, as URLs and headers want it
}

}  // namespace

std::string generate_token(TokenKind kind) {
    std::array<unsigned char, token_random_bytes> bytes{};
    fill_random(bytes.data(), bytes.size());
    const std::string_view prefix = kind == TokenKind::service ? service_token_prefix : account_token_prefix;
    std::string token(prefix);
    token += base64url(bytes.data(), bytes.size());
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return token;
}

std::string sha256_hex(std::string_view text) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1 ||
        EVP_DigestUpdate(context.get(), text.data(), text.size()) != 1 ||
        EVP_DigestFinal_ex(context.get(), digest.data(), &length) != 1) {
        throw std::runtime_error("SHA-256 failed (OpenSSL EVP)");
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(std::size_t{length} * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
    constexpr std::string_view scheme = "Bearer ";
    if (authorization.size() <= scheme.size() || authorization.substr(0, scheme.size()) != scheme) return std::nullopt;
    std::string_view token = authorization.substr(scheme.size());
    if (token.empty() || token.size() > token_text_max) return std::nullopt;
    return token;
}

std::optional<Principal> authenticate(Store& store, std::string_view token) {
    if (token.empty() || token.size() > token_text_max) return std::nullopt;
    const bool known_prefix = token.substr(0, 4) == service_token_prefix || token.substr(0, 4) == account_token_prefix;
    if (!known_prefix) return std::nullopt;
    return store.find_token(sha256_hex(token));
}

}  // namespace credits::server
