// Internal to the core: CheckpointReader, which reads a checkpointed
// document's `checkpoint` member (docs/checkpoint-format.md) into the
// LedgerBuilder's ledger. checkpoint_reader.cpp holds the checkpoint's own
// figures, its grants and failed billings, the account's conservation and the
// checks of the events after S; checkpoint_sessions.cpp the tasks, sessions,
// recent completions and usage rows.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "ledger/builder.h"

namespace credits::ledger_reading {

// Sums of many counts (a grant's figures, a list's tokens): each count is at
// most 2^53 - 1, so a sum of up to 2^64 of them fits.
__extension__ using Wide = __int128;

// A piece of a message: text, a figure, an instant or a quoted input. The
// messages are put together by one out-of-line function from a list of
// pieces: chains of std::string temporaries, each with its unwinding code,
// cost the WebAssembly module several KB for a few dozen messages.
struct Piece {
    enum class Kind : std::uint8_t { text, figure, instant, quoted };
    Piece(const char* text) : text_(text) {}              // NOLINT: implicit, like a string
    Piece(std::string_view text) : text_(text) {}         // NOLINT
    Piece(const std::string& text) : text_(text) {}       // NOLINT
    Piece(Kind kind, Wide number, std::string_view text = {}) : kind_(kind), text_(text), number_(number) {}
    Kind kind_ = Kind::text;
    std::string_view text_;
    Wide number_ = 0;
};
inline Piece figure(Wide tokens) { return Piece(Piece::Kind::figure, tokens); }
inline Piece when(std::int64_t ns) { return Piece(Piece::Kind::instant, ns); }
inline Piece quote(std::string_view input) { return Piece(Piece::Kind::quoted, 0, input); }
std::string sentence(std::initializer_list<Piece> pieces);

// The reading of one checkpoint member, with the builder's state it fills.
class CheckpointReader {
public:
    CheckpointReader(LedgerBuilder& builder, Checkpoint& checkpoint)
        : b_(builder), cp_(checkpoint), errors_(builder.errors_) {}

    void read(const Json& object);

private:
    void read_figures(ObjectReader& r);
    std::optional<GrantRecord> read_grant(ObjectReader& r, const Json& value, GrantOpening& opening);
    bool check_grant(ObjectReader& r, const GrantRecord& grant, const GrantOpening& opening);
    void read_failed_billings(ObjectReader& r);
    void read_cancelled_tasks(ObjectReader& r);
    void read_open_sessions(ObjectReader& r);
    bool read_days(ObjectReader& r, std::uint32_t project, std::uint32_t session, Wide& tokens);
    void read_completed_sessions(ObjectReader& r);
    bool read_allocations(ObjectReader& r, std::int64_t completed_at_ns, Wide& tokens);
    void read_recent_completions(ObjectReader& r);
    void read_usage(ObjectReader& r);
    void check_account();

    // The items of a required array member, each an object (others reported).
    template <typename Visit>
    void each_item(ObjectReader& r, std::string_view key, const Visit& visit);
    void inconsistent(const std::string& pointer, std::string message) {
        errors_.add(code::checkpoint_inconsistent, std::nullopt, pointer, std::move(message));
    }
    // An instant of the state: at or after the opening and before S.
    bool dated(ObjectReader& r, std::string_view key, std::int64_t ns);
    // An event id the checkpoint holds: once in the whole checkpoint.
    bool claim_id(const std::string& id, const std::string& pointer);
    // The project an item names: (interned, listed) indices, or nullopt (reported).
    std::optional<std::pair<std::uint32_t, std::uint32_t>> project(ObjectReader& r);
    // The (project, task[, session]) key of an item, in byte order of its parts.
    struct Key {
        std::string project_id, task_id, session_id;
        friend bool operator<(const Key& a, const Key& b) {
            return std::tie(a.project_id, a.task_id, a.session_id) < std::tie(b.project_id, b.task_id, b.session_id);
        }
    };
    std::optional<Key> read_key(ObjectReader& r, bool with_session);
    bool in_order(const std::optional<Key>& previous, const Key& key, const std::string& where, std::string_view list);

    LedgerBuilder& b_;
    Checkpoint& cp_;
    ErrorList& errors_;
    std::optional<std::int64_t> opened_at_ns_;
    bool instants_known_ = false;       // S and the opening read, and in order
    std::size_t ids_claimed_ = 0;
    std::vector<Key> cancelled_keys_;   // sorted (the list's order is checked)
    std::vector<std::int64_t> cancelled_at_ns_;  // parallel to cancelled_keys_
    std::vector<Key> open_keys_;        // sorted, likewise
    std::vector<GrantRecord> grants_;   // the checkpoint's grants, in its (canonical) order
    IndexMap grant_positions_;          // grant id (arena view) -> index into grants_
    Wide granted_tokens_ = 0;
    Wide used_tokens_ = 0;
    Wide remaining_tokens_ = 0;
    Wide session_hit_tokens_ = 0;       // cache hits of open sessions and recent completions
    Wide completed_charged_tokens_ = 0;
};

template <typename Visit>
void CheckpointReader::each_item(ObjectReader& r, std::string_view key, const Visit& visit) {
    const Json* list = r.get(key, true);
    if (list == nullptr) return;
    const std::string where = r.member_pointer(key);
    if (!list->is_array()) {
        r.add_error(code::wrong_type, where, "\"" + std::string(key) + "\" must be an array, found " + describe_type(*list) + ".");
        return;
    }
    // Bounded by the document's size (LedgerLimits::document_bytes_max).
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string item_pointer = pointer_join(where, i);
        const Json& item = (*list)[i];
        if (!item.is_object()) {
            errors_.add(code::wrong_type, std::nullopt, item_pointer,
                        "An item of \"" + std::string(key) + "\" must be an object, found " + describe_type(item) + ".");
            continue;
        }
        ObjectReader item_reader(item, item_pointer, std::nullopt, errors_);
        visit(item_reader, item);
    }
}

}  // namespace credits::ledger_reading
