// What server/store.cpp shares with the two implementations of Store (private to the store).
#pragma once

#include "store.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace credits::server::detail {

// PATH as given after "sqlite:"; its folder is created.
std::unique_ptr<Store> open_sqlite(const std::string& path);
// A libpq connection URI ("postgresql://..." or "postgres://...").
std::unique_ptr<Store> open_postgres(const std::string& uri);

// Connections each implementation keeps at most: the server's worker threads share them, and a
// thread that finds them all busy waits for one (this 2-core machine gains nothing from more).
inline constexpr int connections_max = 16;

// The instant now as "YYYY-MM-DDTHH:MM:SSZ" (UTC), for created_at / applied_at columns.
std::string utc_now_text();

// Throws StoreError when a batch breaks the interface's contract (an empty account or event id,
// a negative cursor, a cursor that would overflow): such a batch is a caller's bug, and writing
// it would store an account no report can read.
void check_batch(const Batch& batch);
// The same for a token and a checkpoint about to be stored.
void check_token(std::string_view token_hash_hex, const Principal& principal);
void check_checkpoint(std::string_view account_id, const CheckpointRow& checkpoint);

std::string_view token_kind_name(TokenKind kind);
// nullopt for a kind this server does not know (the column's CHECK allows none other).
std::optional<TokenKind> token_kind_from(std::string_view name);

}  // namespace credits::server::detail
