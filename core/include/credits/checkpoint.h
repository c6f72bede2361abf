// The checkpointed document of a ledger (docs/checkpoint-format.md): the
// account's state just before an instant S in a `checkpoint` member, and every
// event dated at or after S, verbatim. Loading it answers every question at an
// instant T >= S with the figures of the whole history.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "credits/ledger.h"
#include "credits/result.h"

namespace credits {

// The document for `at` (an RFC 3339 instant), printed compact, members and
// lists in the canonical order, so one state always gives the same bytes.
// `sources` are the texts the ledger was read from, in the order they were
// read (LoadedLedger::sources): the tail's events are copied from them.
// Errors: `at` not an instant, or not after the account's opening
// (invalid_query, "/at"); before the ledger's own checkpoint (before_checkpoint).
Result<std::string> checkpoint_json(const Ledger& ledger, const std::vector<std::shared_ptr<const std::string>>& sources,
                                    std::string_view at);

}  // namespace credits
