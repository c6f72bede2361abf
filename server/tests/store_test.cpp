// The store's contract (server/store.h, docs/server.md "Schema"), case by case, on both
// databases: every case runs on SQLite (a temporary file) and on PostgreSQL (a fresh database
// made in the cluster CREDITS_TEST_POSTGRES names, dropped afterwards). Without that variable
// the PostgreSQL cases say they did not run -- or fail, when CREDITS_REQUIRE_POSTGRES=1
// (scripts/test), so a run that was meant to cover PostgreSQL cannot pass without it.
#include "migrations.h"
#include "store.h"

#include <catch2/catch.hpp>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <latch>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace credits::server;

namespace {

std::string random_suffix() {
    std::random_device device;
    std::uniform_int_distribution<int> digit(0, 15);
    std::string suffix;
    for (int i = 0; i < 16; ++i) suffix += "0123456789abcdef"[digit(device)];
    return suffix;
}

bool is_postgres(const std::string& url) { return url.rfind("postgres", 0) == 0; }

// Raw SQL beside the store, for what the interface does not show (schema_migrations) and for
// states only another program could make (a newer schema version).
std::int64_t sql_integer(const std::string& url, const std::string& sql) {
    if (is_postgres(url)) {
        PGconn* connection = PQconnectdb(url.c_str());
        PGresult* result = PQexec(connection, sql.c_str());
        const bool ok = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1;
        const std::string message = PQerrorMessage(connection);
        const std::int64_t value = ok ? std::stoll(PQgetvalue(result, 0, 0)) : 0;
        PQclear(result);
        PQfinish(connection);
        if (!ok) FAIL("PostgreSQL: " << sql << ": " << message);
        return value;
    }
    sqlite3* db = nullptr;
    sqlite3_open(url.substr(7).c_str(), &db);
    sqlite3_stmt* statement = nullptr;
    const bool ok = sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
                    sqlite3_step(statement) == SQLITE_ROW;
    const std::string message = sqlite3_errmsg(db);
    const std::int64_t value = ok ? sqlite3_column_int64(statement, 0) : 0;
    sqlite3_finalize(statement);
    sqlite3_close(db);
    if (!ok) FAIL("SQLite: " << sql << ": " << message);
    return value;
}

void sql_run(const std::string& url, const std::string& sql) {
    if (is_postgres(url)) {
        PGconn* connection = PQconnectdb(url.c_str());
        PGresult* result = PQexec(connection, sql.c_str());
        const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
        const std::string message = PQerrorMessage(connection);
        PQclear(result);
        PQfinish(connection);
        if (!ok) FAIL("PostgreSQL: " << sql << ": " << message);
        return;
    }
    sqlite3* db = nullptr;
    sqlite3_open(url.substr(7).c_str(), &db);
    const bool ok = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
    const std::string message = sqlite3_errmsg(db);
    sqlite3_close(db);
    if (!ok) FAIL("SQLite: " << sql << ": " << message);
}

// A database file in a fresh temporary folder, under a folder that does not exist yet (open
// creates it).
class SqliteDatabase {
public:
    SqliteDatabase() : folder_(std::filesystem::temp_directory_path() / ("credits-store-test-" + random_suffix())) {}
    ~SqliteDatabase() {
        std::error_code ignored;
        std::filesystem::remove_all(folder_, ignored);
    }
    std::string url() const { return "sqlite:" + (folder_ / "nested" / "credits.db").string(); }

private:
    std::filesystem::path folder_;
};

// A fresh database in the cluster at `admin_uri`, dropped (with any connection still open) at
// the end of the case.
class PostgresDatabase {
public:
    explicit PostgresDatabase(std::string admin_uri)
        : admin_uri_(std::move(admin_uri)), name_("credits_test_" + random_suffix()) {
        admin("CREATE DATABASE " + name_);
        // The admin URI's path names its database: replace it (keeping any ?parameters).
        const std::size_t authority = admin_uri_.find("://") + 3;
        const std::size_t path = admin_uri_.find('/', authority);
        const std::size_t query = admin_uri_.find('?', authority);
        std::string uri = admin_uri_.substr(0, std::min(path, query)) + "/" + name_;
        if (query != std::string::npos) uri += admin_uri_.substr(query);
        url_ = uri;
    }
    ~PostgresDatabase() { admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"); }
    const std::string& url() const { return url_; }

private:
    void admin(const std::string& sql) const { sql_run(admin_uri_, sql); }
    std::string admin_uri_;
    std::string name_;
    std::string url_;
};

using CaseBody = void (*)(const std::string& url);

void run_on_sqlite(CaseBody body) {
    const SqliteDatabase database;
    body(database.url());
}

void run_on_postgres(CaseBody body) {
    const char* uri = std::getenv("CREDITS_TEST_POSTGRES");
    if (uri == nullptr || *uri == '\0') {
        const char* required = std::getenv("CREDITS_REQUIRE_POSTGRES");
        if (required != nullptr && std::string(required) == "1") {
            FAIL("CREDITS_REQUIRE_POSTGRES=1 but CREDITS_TEST_POSTGRES names no PostgreSQL server: "
                 "the PostgreSQL store was not tested");
        }
        WARN("CREDITS_TEST_POSTGRES is not set: this PostgreSQL case did not run");
        return;
    }
    const PostgresDatabase database(uri);
    body(database.url());
}

std::unique_ptr<Store> opened(const std::string& url) {
    auto store = Store::open(url);
    store->migrate();
    return store;
}

NewEvent event(const std::string& id, std::int64_t at_ns, const std::string& session_key = "") {
    return NewEvent{id, at_ns, session_key, R"({"at_ns":)" + std::to_string(at_ns) + R"(,"id":")" + id + R"("})"};
}

Batch batch(const std::string& account_id, std::int64_t expected_last_seq, std::vector<NewEvent> events,
            std::vector<ProjectRow> projects = {}) {
    return Batch{account_id, R"({"id":")" + account_id + R"("})", std::move(projects), std::move(events),
                 expected_last_seq};
}

// Events `first`..`first + count - 1` named PREFIX-i, one second apart.
std::vector<NewEvent> events(const std::string& prefix, int first, int count) {
    std::vector<NewEvent> made;
    for (int i = first; i < first + count; ++i) {
        made.push_back(event(prefix + "-" + std::to_string(i), std::int64_t{i} * 1'000'000'000));
    }
    return made;
}

std::vector<std::int64_t> seqs_of(const std::vector<StoredEvent>& stored) {
    std::vector<std::int64_t> seqs;
    for (const StoredEvent& e : stored) seqs.push_back(e.seq);
    return seqs;
}

std::vector<std::int64_t> one_to(std::int64_t n) {
    std::vector<std::int64_t> seqs;
    for (std::int64_t i = 1; i <= n; ++i) seqs.push_back(i);
    return seqs;
}

// Runs body(0..count-1) on `count` threads started together. Catch2's assertions are not
// thread-safe, so the bodies only record what they saw; an exception in one is rethrown here.
void run_in_parallel(int count, const std::function<void(int)>& body) {
    std::latch start(count);
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(count));
    std::vector<std::thread> threads;
    for (int i = 0; i < count; ++i) {
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            try {
                body(i);
            } catch (...) {
                errors[static_cast<std::size_t>(i)] = std::current_exception();
            }
        });
    }
    for (auto& thread : threads) thread.join();
    for (const auto& error : errors) {
        if (error) std::rethrow_exception(error);
    }
}

// Appends `events` to an account however far other writers have moved it: the optimistic
// loop a server replica runs (re-read the cursor, try again), bounded. -1 when it never got in.
std::int64_t append_with_retry(Store& store, const std::string& account_id, const std::vector<NewEvent>& new_events,
                               std::atomic<int>& stale_answers) {
    for (int attempt = 0; attempt < 10'000; ++attempt) {
        const auto row = store.account(account_id);
        const std::int64_t expected = row ? row->last_seq : 0;
        if (auto cursor = store.append(batch(account_id, expected, new_events))) return *cursor;
        ++stale_answers;
    }
    return -1;
}

}  // namespace

#define STORE_CASE(function, title)                                                          \
    static void function(const std::string& url);                                            \
    TEST_CASE("SQLite store: " title, "[store][sqlite]") { run_on_sqlite(function); }        \
    TEST_CASE("PostgreSQL store: " title, "[store][postgres]") { run_on_postgres(function); } \
    static void function(const std::string& url)

TEST_CASE("Store::open names the URLs it takes", "[store]") {
    CHECK_THROWS_WITH(Store::open("mysql://127.0.0.1/credits"), Catch::Contains("sqlite:PATH") &&
                                                                    Catch::Contains("postgresql://"));
    CHECK_THROWS_WITH(Store::open("mysql://user:secret@127.0.0.1/credits"), !Catch::Contains("secret"));
    CHECK_THROWS_AS(Store::open(""), StoreError);
    CHECK_THROWS_WITH(Store::open("sqlite:"), Catch::Contains("file path"));
    CHECK_THROWS_WITH(Store::open("sqlite::memory:"), Catch::Contains("one database file"));
    // Nothing listens on port 1 of the loopback: the store says it cannot connect.
    CHECK_THROWS_AS(Store::open("postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=2"), StoreError);
}

TEST_CASE("SQLite store: a folder that cannot be made is a StoreError", "[store][sqlite]") {
    const auto file = std::filesystem::temp_directory_path() / ("credits-store-test-" + random_suffix());
    std::ofstream(file) << "a file, not a folder";
    CHECK_THROWS_WITH(Store::open("sqlite:" + (file / "credits.db").string()), Catch::Contains("folder"));
    std::filesystem::remove(file);
}

STORE_CASE(migrations_are_versioned_and_idempotent, "migrations are numbered, applied once, and idempotent") {
    const auto newest = static_cast<std::int64_t>(migrations::sqlite.size());
    REQUIRE(migrations::postgres.size() == migrations::sqlite.size());
    auto store = Store::open(url);
    CHECK_THROWS_AS(store->account("acct"), StoreError);  // no tables before migrate()
    CHECK(store->migrate() == newest);
    CHECK(store->migrate() == newest);
    CHECK(Store::open(url)->migrate() == newest);
    CHECK(sql_integer(url, "SELECT count(*) FROM schema_migrations") == newest);
    CHECK(sql_integer(url, "SELECT min(version) FROM schema_migrations") == 1);
    CHECK(sql_integer(url, "SELECT max(version) FROM schema_migrations") == newest);
    CHECK_FALSE(store->account("acct").has_value());
    if (!is_postgres(url)) CHECK(std::filesystem::exists(url.substr(7) + "-wal"));  // WAL mode is on

    // A database a newer server migrated is not used by this one.
    sql_run(url, "INSERT INTO schema_migrations (version, applied_at) VALUES (" + std::to_string(newest + 1) +
                     ", '2030-01-01T00:00:00Z')");
    CHECK_THROWS_WITH(store->migrate(), Catch::Contains("newer"));
}

STORE_CASE(migrations_race, "two servers starting at once apply each migration once") {
    constexpr int servers = 4;
    std::vector<int> versions(servers, -1);
    run_in_parallel(servers, [&](int i) { versions[static_cast<std::size_t>(i)] = Store::open(url)->migrate(); });
    const auto newest = static_cast<int>(migrations::sqlite.size());
    for (int version : versions) CHECK(version == newest);
    CHECK(sql_integer(url, "SELECT count(*) FROM schema_migrations") == newest);
}

STORE_CASE(tokens, "tokens are stored by hash and found by hash") {
    auto store = opened(url);
    const std::string service_hash(64, 'a');
    const std::string account_hash(64, 'b');
    store->add_token(service_hash, Principal{TokenKind::service, ""});
    store->add_token(account_hash, Principal{TokenKind::account, "acct_1"});

    const auto service = store->find_token(service_hash);
    REQUIRE(service.has_value());
    CHECK(service->kind == TokenKind::service);
    CHECK(service->account_id.empty());
    const auto account = store->find_token(account_hash);
    REQUIRE(account.has_value());
    CHECK(account->kind == TokenKind::account);
    CHECK(account->account_id == "acct_1");
    CHECK_FALSE(store->find_token(std::string(64, 'c')).has_value());
    CHECK_FALSE(store->find_token("").has_value());

    CHECK_THROWS_AS(store->add_token(service_hash, Principal{TokenKind::service, ""}), StoreError);  // taken
    CHECK_THROWS_AS(store->add_token(std::string(64, 'd'), Principal{TokenKind::service, "acct_1"}), StoreError);
    CHECK_THROWS_AS(store->add_token(std::string(64, 'e'), Principal{TokenKind::account, ""}), StoreError);
    CHECK(sql_integer(url, "SELECT count(*) FROM api_tokens") == 2);
}

STORE_CASE(append_assigns_seq, "append stores a batch with seq 1..n and returns the cursor") {
    auto store = opened(url);
    CHECK_FALSE(store->account("acct").has_value());
    const auto first = store->append(batch("acct", 0, events("e", 1, 3), {{"p1", R"({"id":"p1","name":"One"})"}}));
    REQUIRE(first.has_value());
    CHECK(*first == 3);

    const auto row = store->account("acct");
    REQUIRE(row.has_value());
    CHECK(row->account_id == "acct");
    CHECK(row->header == R"({"id":"acct"})");
    CHECK(row->last_seq == 3);

    const auto second = store->append(batch("acct", 3, {event("e-4", 4'000'000'000, "p1\nt1\ns1"), event("e-5", -5)},
                                            {{"p2", R"({"id":"p2","name":"Two"})"}}));
    REQUIRE(second.has_value());
    CHECK(*second == 5);
    CHECK(store->account("acct")->last_seq == 5);
    CHECK(store->account("acct")->header == R"({"id":"acct"})");  // the header is the first batch's

    const auto stored = store->events_after("acct", 0, 100);
    CHECK(seqs_of(stored) == one_to(5));
    REQUIRE(stored.size() == 5);
    CHECK(stored[0].event_id == "e-1");
    CHECK(stored[0].at_ns == 1'000'000'000);
    CHECK(stored[0].body == R"({"at_ns":1000000000,"id":"e-1"})");
    CHECK(stored[3].event_id == "e-4");
    CHECK(stored[4].event_id == "e-5");
    CHECK(stored[4].at_ns == -5);

    const auto projects = store->projects("acct");
    REQUIRE(projects.size() == 2);
    CHECK(projects[0].project_id == "p1");
    CHECK(projects[0].body == R"({"id":"p1","name":"One"})");
    CHECK(projects[1].project_id == "p2");
    CHECK(store->projects("other").empty());

    // A batch of projects alone keeps the cursor where it is.
    CHECK(store->append(batch("acct", 5, {}, {{"p3", R"({"id":"p3"})"}})) == std::optional<std::int64_t>(5));
    CHECK(store->projects("acct").size() == 3);

    // An account whose first batch held projects alone is at cursor 0: its next batch expects 0.
    CHECK(store->append(batch("fresh", 0, {}, {{"p1", "{}"}})) == std::optional<std::int64_t>(0));
    CHECK(store->account("fresh")->last_seq == 0);
    CHECK(store->append(batch("fresh", 0, events("f", 1, 2))) == std::optional<std::int64_t>(2));
    CHECK_FALSE(store->append(batch("fresh", 0, events("g", 1, 2))).has_value());
    CHECK(seqs_of(store->events_after("fresh", 0, 10)) == one_to(2));
}

STORE_CASE(stale_cursor, "a batch validated against a stale cursor writes nothing") {
    auto store = opened(url);
    REQUIRE(store->append(batch("acct", 0, events("e", 1, 2))) == std::optional<std::int64_t>(2));
    REQUIRE(store->append(batch("acct", 2, events("e", 3, 2))) == std::optional<std::int64_t>(4));

    CHECK_FALSE(store->append(batch("acct", 2, events("x", 1, 3), {{"px", "{}"}})).has_value());  // behind
    CHECK_FALSE(store->append(batch("acct", 9, events("y", 1, 3), {{"py", "{}"}})).has_value());  // ahead
    CHECK_FALSE(store->append(batch("acct", 0, events("z", 1, 3), {{"pz", "{}"}})).has_value());  // "new" again

    CHECK(store->account("acct")->last_seq == 4);
    CHECK(seqs_of(store->events_after("acct", 0, 100)) == one_to(4));
    CHECK(store->projects("acct").empty());
    CHECK(store->find_events("acct", {"x-1", "y-1", "z-1"}).empty());
}

STORE_CASE(new_account_race, "two first batches of one account race: exactly one is stored") {
    auto store = opened(url);
    constexpr int accounts = 10;
    for (int a = 0; a < accounts; ++a) {
        const std::string account_id = "acct_" + std::to_string(a);
        std::optional<std::int64_t> left, right;
        run_in_parallel(2, [&](int i) {
            if (i == 0) {
                left = store->append(batch(account_id, 0, events("left", 1, 3)));
            } else {
                right = store->append(batch(account_id, 0, events("right", 1, 5)));
            }
        });
        REQUIRE(left.has_value() != right.has_value());
        const std::string winner = left ? "left" : "right";
        const std::int64_t count = left ? 3 : 5;
        CHECK((left ? *left : *right) == count);
        const auto stored = store->events_after(account_id, 0, 100);
        CHECK(seqs_of(stored) == one_to(count));
        for (const StoredEvent& e : stored) CHECK(e.event_id.rfind(winner, 0) == 0);
    }
}

STORE_CASE(unique_event_ids, "an event id is unique within its account, not across accounts") {
    auto store = opened(url);
    REQUIRE(store->append(batch("a", 0, {event("e1", 1)})).has_value());
    REQUIRE(store->append(batch("b", 0, {event("e1", 2)})).has_value());  // another account: fine
    CHECK_THROWS_AS(store->append(batch("a", 1, {event("e2", 3), event("e1", 4)})), StoreError);
    CHECK(store->account("a")->last_seq == 1);
    CHECK(store->find_events("a", {"e2"}).empty());
    CHECK(store->find_events("b", {"e1"}).at(0).at_ns == 2);
}

STORE_CASE(events_after_pages, "events_after pages in seq order and honours its limit") {
    auto store = opened(url);
    REQUIRE(store->append(batch("acct", 0, events("e", 1, 12))).has_value());
    REQUIRE(store->append(batch("other", 0, events("o", 1, 30))).has_value());  // never mixed in
    REQUIRE(store->append(batch("acct", 12, events("e", 13, 13))).has_value());

    std::vector<std::int64_t> seen;
    std::int64_t after = 0;
    int pages = 0;
    for (auto page = store->events_after("acct", after, 10); !page.empty();
         page = store->events_after("acct", after, 10)) {
        CHECK(page.size() <= 10);
        for (const StoredEvent& e : page) {
            CHECK(e.event_id == "e-" + std::to_string(e.seq));
            seen.push_back(e.seq);
        }
        after = page.back().seq;
        REQUIRE(++pages <= 3);
    }
    CHECK(pages == 3);
    CHECK(seen == one_to(25));
    CHECK(store->events_after("acct", 20, 10).size() == 5);
    CHECK(store->events_after("acct", 25, 10).empty());
    CHECK(store->events_after("acct", 0, 0).empty());
    CHECK(store->events_after("acct", 0, -1).empty());
    CHECK(store->events_after("nobody", 0, 10).empty());
}

STORE_CASE(find_events, "find_events returns the stored events among the ids, each once") {
    auto store = opened(url);
    REQUIRE(store->append(batch("acct", 0, events("e", 1, 5))).has_value());
    REQUIRE(store->append(batch("other", 0, {event("only-other", 9)})).has_value());

    auto found = store->find_events("acct", {"e-4", "missing", "e-2", "e-4", "only-other"});
    std::sort(found.begin(), found.end(), [](const StoredEvent& l, const StoredEvent& r) { return l.seq < r.seq; });
    REQUIRE(found.size() == 2);
    CHECK(found[0].seq == 2);
    CHECK(found[0].event_id == "e-2");
    CHECK(found[0].at_ns == 2'000'000'000);
    CHECK(found[0].body == R"({"at_ns":2000000000,"id":"e-2"})");
    CHECK(found[1].seq == 4);
    CHECK(store->find_events("acct", {}).empty());
    // Ids with the characters a text array or a JSON list would need to escape.
    REQUIRE(store->append(batch("acct", 5, {event("q\"u,o{t}e\\", 1), event("NULL", 2), event("sp ace", 3)}))
                .has_value());
    CHECK(store->find_events("acct", {"q\"u,o{t}e\\", "NULL", "sp ace"}).size() == 3);
}

STORE_CASE(session_seen_before, "session_seen_before asks about one session strictly before an instant") {
    auto store = opened(url);
    REQUIRE(store->append(batch("acct", 0,
                                {event("e1", 100, "p\nt\ns1"), event("e2", 300, "p\nt\ns1"), event("e3", 50),
                                 event("e4", 200, "p\nt\ns2")}))
                .has_value());
    REQUIRE(store->append(batch("other", 0, {event("e1", 10, "p\nt\ns3")})).has_value());

    CHECK_FALSE(store->session_seen_before("acct", "p\nt\ns1", 100));  // strictly before
    CHECK(store->session_seen_before("acct", "p\nt\ns1", 101));
    CHECK_FALSE(store->session_seen_before("acct", "p\nt\ns2", 200));
    CHECK(store->session_seen_before("acct", "p\nt\ns2", 201));
    CHECK_FALSE(store->session_seen_before("acct", "p\nt\ns3", 1'000));  // another account's session
    CHECK_FALSE(store->session_seen_before("acct", "", 1'000));         // events without a session
    CHECK_FALSE(store->session_seen_before("nobody", "p\nt\ns1", 1'000));
}

STORE_CASE(checkpoints, "a checkpoint is saved, replaced and read back") {
    auto store = opened(url);
    REQUIRE(store->append(batch("acct", 0, events("e", 1, 4))).has_value());
    CHECK_FALSE(store->checkpoint("acct").has_value());

    store->save_checkpoint("acct", CheckpointRow{1'000, 2, R"({"checkpoint":1})"});
    auto saved = store->checkpoint("acct");
    REQUIRE(saved.has_value());
    CHECK(saved->at_ns == 1'000);
    CHECK(saved->cursor == 2);
    CHECK(saved->document == R"({"checkpoint":1})");

    store->save_checkpoint("acct", CheckpointRow{-7, 4, R"({"checkpoint":2})"});
    saved = store->checkpoint("acct");
    REQUIRE(saved.has_value());
    CHECK(saved->at_ns == -7);
    CHECK(saved->cursor == 4);
    CHECK(saved->document == R"({"checkpoint":2})");
    CHECK(sql_integer(url, "SELECT count(*) FROM checkpoints") == 1);

    // One made from fewer events (a writer that read the account earlier) never replaces it.
    store->save_checkpoint("acct", CheckpointRow{5'000, 3, R"({"checkpoint":3})"});
    saved = store->checkpoint("acct");
    REQUIRE(saved.has_value());
    CHECK(saved->cursor == 4);
    CHECK(saved->document == R"({"checkpoint":2})");

    CHECK_THROWS_AS(store->save_checkpoint("nobody", CheckpointRow{1, 0, "{}"}), StoreError);
    CHECK_THROWS_AS(store->save_checkpoint("acct", CheckpointRow{1, 5, "{}"}), StoreError);  // past the cursor
    CHECK(store->checkpoint("acct")->cursor == 4);
    CHECK_FALSE(store->checkpoint("nobody").has_value());
}

STORE_CASE(all_or_nothing, "a batch that fails half-way leaves nothing behind and throws") {
    auto store = opened(url);
    // A first batch whose 3rd event repeats the 1st's id: no account, no project, no event.
    std::vector<NewEvent> broken = events("e", 1, 5);
    broken[2].event_id = broken[0].event_id;
    CHECK_THROWS_AS(store->append(batch("acct", 0, broken, {{"p1", "{}"}})), StoreError);
    CHECK_FALSE(store->account("acct").has_value());
    CHECK(store->projects("acct").empty());
    CHECK(sql_integer(url, "SELECT count(*) FROM events") == 0);

    // The same on an account that exists: its cursor, projects and events stay as they were.
    REQUIRE(store->append(batch("acct", 0, events("e", 1, 3), {{"p1", "{}"}})) == std::optional<std::int64_t>(3));
    broken = events("e", 4, 1000);
    broken[999].event_id = "e-1";  // the last one collides with a stored event
    CHECK_THROWS_AS(store->append(batch("acct", 3, broken, {{"p2", "{}"}})), StoreError);
    CHECK(store->account("acct")->last_seq == 3);
    CHECK(store->projects("acct").size() == 1);
    CHECK(sql_integer(url, "SELECT count(*) FROM events") == 3);

    // The store is still usable, and the corrected batch goes in at the same cursor.
    broken[999].event_id = "e-1003";
    CHECK(store->append(batch("acct", 3, broken, {{"p2", "{}"}})) == std::optional<std::int64_t>(1003));
    CHECK(seqs_of(store->events_after("acct", 0, 2000)) == one_to(1003));
}

STORE_CASE(concurrent_writers, "concurrent writers: each account's seqs are 1..n with every event once") {
    auto store = opened(url);
    constexpr int writers = 4;
    constexpr int batches_each = 25;
    constexpr int events_per_batch = 8;
    std::atomic<int> stale_answers{0};
    std::atomic<int> wrong_answers{0};
    run_in_parallel(writers * 2, [&](int t) {
        const int w = t / 2;
        if (t % 2 == 0) {  // one writer per account of its own: never stale
            const std::string account_id = "own_" + std::to_string(w);
            std::int64_t cursor = 0;
            for (int b = 0; b < batches_each; ++b) {
                const auto next = store->append(batch(account_id, cursor, events("e", b * events_per_batch + 1,
                                                                                events_per_batch)));
                if (next != std::optional<std::int64_t>(cursor + events_per_batch)) ++wrong_answers;
                cursor = next.value_or(cursor);
            }
            return;
        }
        for (int b = 0; b < batches_each; ++b) {  // every writer on one shared account: optimistic retry
            const std::string prefix = "w" + std::to_string(w) + "b" + std::to_string(b);
            if (append_with_retry(*store, "shared", events(prefix, 1, events_per_batch), stale_answers) < 0) {
                ++wrong_answers;
            }
        }
    });
    CHECK(wrong_answers.load() == 0);

    const std::int64_t own_total = batches_each * events_per_batch;
    for (int w = 0; w < writers; ++w) {
        const std::string account_id = "own_" + std::to_string(w);
        CHECK(store->account(account_id)->last_seq == own_total);
        CHECK(seqs_of(store->events_after(account_id, 0, 10'000)) == one_to(own_total));
    }
    const std::int64_t shared_total = std::int64_t{writers} * batches_each * events_per_batch;
    CHECK(store->account("shared")->last_seq == shared_total);
    const auto shared = store->events_after("shared", 0, 10'000);
    CHECK(seqs_of(shared) == one_to(shared_total));
    std::set<std::string> ids;
    for (const StoredEvent& e : shared) ids.insert(e.event_id);
    CHECK(ids.size() == static_cast<std::size_t>(shared_total));
    // Each batch's events are contiguous: a batch is never interleaved with another.
    for (std::size_t i = 0; i < shared.size(); i += events_per_batch) {
        const std::string batch_prefix = shared[i].event_id.substr(0, shared[i].event_id.find('-') + 1);
        for (std::size_t j = i; j < i + events_per_batch; ++j) CHECK(shared[j].event_id.rfind(batch_prefix, 0) == 0);
    }
    INFO("stale answers retried: " << stale_answers.load());
}

TEST_CASE("PostgreSQL store: connections the database closed are replaced", "[store][postgres]") {
    run_on_postgres([](const std::string& url) {
        auto store = opened(url);
        REQUIRE(store->append(batch("acct", 0, events("e", 1, 3))).has_value());
        // Fill the pool with several idle connections, then have the server end every one of
        // them (as a restart or an administrator would).
        constexpr int readers = 6;
        std::vector<std::size_t> read(readers, 0);
        run_in_parallel(readers, [&](int i) {
            read[static_cast<std::size_t>(i)] = store->events_after("acct", 0, 10).size();
        });
        CHECK(read == std::vector<std::size_t>(readers, 3));
        const std::int64_t ended = sql_integer(
            url, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                 "WHERE datname = current_database() AND pid <> pg_backend_pid()");
        CHECK(ended >= 1);
        CHECK(store->account("acct")->last_seq == 3);
        CHECK(store->append(batch("acct", 3, events("e", 4, 2))) == std::optional<std::int64_t>(5));
        CHECK(seqs_of(store->events_after("acct", 0, 10)) == one_to(5));
    });
}

// ------------------------------------------------------------------------------------------
// Insert rate (a benchmark: prints figures, asserts nothing about time). Hidden; run with
//   build/native/credits_server_tests '[bench]'
// ------------------------------------------------------------------------------------------
static void insert_rate(const std::string& url) {
    auto store = opened(url);
    constexpr int batches = 30;
    constexpr int events_per_batch = 1000;
    constexpr int accounts = 3;
    // Bodies the size of a real usage event's canonical JSON (about 300 bytes).
    const std::string padding(220, 'x');
    std::vector<Batch> prepared;
    std::vector<std::int64_t> cursors(accounts, 0);
    for (int b = 0; b < batches; ++b) {
        const int a = b % accounts;
        Batch next = batch("bench_" + std::to_string(a), cursors[static_cast<std::size_t>(a)], {});
        for (int i = 0; i < events_per_batch; ++i) {
            const std::string id = "evt_" + std::to_string(b) + "_" + std::to_string(i);
            const std::string session = i % 2 == 0 ? "proj\ntask\nsess_" + std::to_string(i % 50) : "";
            next.new_events.push_back(NewEvent{id, std::int64_t{b} * 1'000'000 + i, session,
                                               R"({"id":")" + id + R"(","pad":")" + padding + R"("})"});
        }
        cursors[static_cast<std::size_t>(a)] += events_per_batch;
        prepared.push_back(std::move(next));
    }
    const auto started = std::chrono::steady_clock::now();
    for (const Batch& next : prepared) REQUIRE(store->append(next).has_value());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double events_total = double{batches} * events_per_batch;
    std::printf("%s: %d batches of %d events in %.3f s: %.0f events/s, %.1f ms per batch\n",
                is_postgres(url) ? "PostgreSQL" : "SQLite", batches, events_per_batch, seconds,
                events_total / seconds, seconds * 1000.0 / batches);
}

TEST_CASE("SQLite store: insert rate in 1,000-event batches", "[.][bench]") { run_on_sqlite(insert_rate); }
TEST_CASE("PostgreSQL store: insert rate in 1,000-event batches", "[.][bench]") { run_on_postgres(insert_rate); }
