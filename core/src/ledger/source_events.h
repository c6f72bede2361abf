// Internal to the core: where each event of an accepted document is in its
// text. A loaded ledger keeps the texts it was read from (api.h), so it can
// print its events again verbatim (a checkpointed document's tail) and tell
// an exact repeat of a loaded event from a conflict (append).
#pragma once

#include <cstdint>
#include <string_view>
#include <deque>
#include <string>
#include <vector>

namespace credits::ledger_reading {

struct SourceEvent {
    std::uint32_t begin = 0;  // [begin, end): the event's bytes in the document
    std::uint32_t end = 0;
    std::string_view id;      // the id's bytes when written without escapes, else its decoded value (in `storage`)
    std::int64_t at_ns = 0;
};

// The elements of the "events" array of a document that parse_ledger accepted
// (or a fragment that append accepted), in document order, repeats included.
// `storage` keeps ids that had to be decoded (written with escapes); it must
// outlive the result. Precondition: the text was accepted (asserted).
std::vector<SourceEvent> source_events(std::string_view document, std::deque<std::string>& storage);

}  // namespace credits::ledger_reading
