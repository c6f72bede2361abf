// Placeholder until the PostgreSQL store lands (next commit): opening one says so plainly.
#include "store_backends.h"

namespace credits::server::detail {

std::unique_ptr<Store> open_postgres(const std::string&) {
    throw StoreError("this build does not have the PostgreSQL store yet");
}

}  // namespace credits::server::detail
