// API tokens: how they are made, hashed and checked (docs/server.md, "Security").
// A token is 32 bytes from the kernel's random source, written in base64url
// behind a prefix that says its kind ("ecs_" service, "eca_" account). The
// database keeps only the SHA-256 of the whole token text, so a stolen copy of
// the database grants nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store.h"

namespace credits::server {

inline constexpr std::string_view service_token_prefix = "ecs_";
inline constexpr std::string_view account_token_prefix = "eca_";

// A new random token of that kind (throws std::runtime_error when the kernel gives no randomness).
std::string generate_token(TokenKind kind);
// Lowercase hex SHA-256 of `text` (OpenSSL EVP).
std::string sha256_hex(std::string_view text);
// The bearer token of an Authorization header value ("Bearer TOKEN"), or nullopt.
std::optional<std::string_view> bearer_token(std::string_view authorization);
// The principal a token stands for, found by the token's hash: the database
// compares hashes, never token texts, so how long a lookup takes says nothing
// about how much of a guessed token was right. nullopt for an unknown or
// malformed token.
std::optional<Principal> authenticate(Store& store, std::string_view token);

}  // namespace credits::server
