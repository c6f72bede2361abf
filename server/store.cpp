// Store::open and what both implementations share (server/store_backends.h).
#include "store.h"

#include "store_backends.h"

#include <algorithm>
#include <ctime>
#include <limits>

namespace credits::server {

namespace {

constexpr std::string_view sqlite_scheme = "sqlite:";
constexpr std::string_view postgresql_scheme = "postgresql://";
constexpr std::string_view postgres_scheme = "postgres://";

// Keys longer than this are no ids the server makes or accepts (account ids are at most 128
// characters); the bound keeps a wrong caller from filling an index with megabyte keys.
constexpr std::size_t id_bytes_max = 1024;

}  // namespace

std::unique_ptr<Store> Store::open(std::string_view database_url) {
    if (database_url.starts_with(sqlite_scheme)) {
        return detail::open_sqlite(std::string(database_url.substr(sqlite_scheme.size())));
    }
    if (database_url.starts_with(postgresql_scheme) || database_url.starts_with(postgres_scheme)) {
        return detail::open_postgres(std::string(database_url));
    }
    // Only the scheme is repeated: the rest of a URL may hold a password.
    const std::string_view scheme = database_url.substr(0, std::min<std::size_t>(database_url.find(':'), 32));
    throw StoreError("the database URL must be sqlite:PATH or a postgresql:// (postgres://) URI, not one that begins '" +
                     std::string(scheme) + "'");
}

namespace detail {

std::string utc_now_text() {
    const std::time_t now = std::time(nullptr);
    std::tm parts{};
    gmtime_r(&now, &parts);
    char text[32];
    const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return std::string(text, length);
}

void check_batch(const Batch& batch) {
    if (batch.account_id.empty() || batch.account_id.size() > id_bytes_max) {
        throw StoreError("a batch must name its account (1 to 1024 bytes)");
    }
    if (batch.expected_last_seq < 0) {
        throw StoreError("a batch's expected cursor cannot be negative");
    }
    const auto room = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() - batch.expected_last_seq);
    if (batch.new_events.size() > room) {
        throw StoreError("a batch's events would move the cursor past the largest 64-bit sequence");
    }
    for (const NewEvent& event : batch.new_events) {
        if (event.event_id.empty() || event.event_id.size() > id_bytes_max) {
            throw StoreError("every stored event needs an event id (1 to 1024 bytes)");
        }
    }
    for (const ProjectRow& project : batch.new_projects) {
        if (project.project_id.empty() || project.project_id.size() > id_bytes_max) {
            throw StoreError("every stored project needs a project id (1 to 1024 bytes)");
        }
    }
}

void check_token(std::string_view token_hash_hex, const Principal& principal) {
    if (token_hash_hex.empty() || token_hash_hex.size() > id_bytes_max) {
        throw StoreError("a token's hash must be 1 to 1024 hex digits");
    }
    if (principal.kind == TokenKind::service && !principal.account_id.empty()) {
        throw StoreError("a service token belongs to no account");
    }
    if (principal.kind == TokenKind::account &&
        (principal.account_id.empty() || principal.account_id.size() > id_bytes_max)) {
        throw StoreError("an account token must name its account");
    }
}

void check_checkpoint(std::string_view account_id, const CheckpointRow& checkpoint) {
    if (account_id.empty() || account_id.size() > id_bytes_max) {
        throw StoreError("a checkpoint must name its account");
    }
    if (checkpoint.cursor < 0) {
        throw StoreError("a checkpoint's cursor cannot be negative");
    }
}

std::string_view token_kind_name(TokenKind kind) {
    return kind == TokenKind::service ? "service" : "account";
}

std::optional<TokenKind> token_kind_from(std::string_view name) {
    if (name == "service") return TokenKind::service;
    if (name == "account") return TokenKind::account;
    return std::nullopt;
}

}  // namespace detail

}  // namespace credits::server
