// LoadedLedger::append: a fragment added to a loaded ledger is read and
// checked as if it were part of one document -- the result equals loading the
// whole, a repeat is ignored, every rule holds across the loaded ledger and
// the fragment, and a rejected fragment leaves every report byte as it was.
// The property over random ledgers is in append_property_test.cpp.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "credits/api.h"
#include "credits/instant.h"
#include "ledger/append.h"

namespace {

const credits::Engine& engine() {
    static const credits::Engine e = credits::Engine::with_defaults();
    return e;
}

credits::LoadedLedger load(const std::string& text) {
    std::string errors;
    std::optional<credits::LoadedLedger> ledger = engine().load(text, &errors);
    INFO(errors);
    REQUIRE(ledger.has_value());
    return std::move(*ledger);
}

const std::string header = R"("format":"easycoda.ledger/1","account":{"id":"acct_1","utc_offset":"+02:00"})";

std::string document(const std::string& projects, const std::vector<std::string>& events) {
    std::string text = "{" + header;
    if (!projects.empty()) text += ",\"projects\":" + projects;
    text += ",\"events\":[";
    for (std::size_t i = 0; i < events.size(); ++i) text += (i > 0 ? "," : "") + events[i];
    return text + "]}";
}

const std::string p1 = R"([{"id":"p1","name":"One"}])";

// The loaded ledger of most cases: a completed session (s1), an open one (s2),
// and a task cancelled after its session completed (t3).
const std::vector<std::string> base_events = {
    R"({"id":"e1","type":"account_opened","at":"2026-03-01T00:00:00Z"})",
    R"({"id":"e2","type":"credits_purchased","at":"2026-03-02T00:00:00Z","credits":100})",
    R"({"id":"u1","type":"usage","at":"2026-03-03T00:00:00Z","project_id":"p1","service":"agent_chat","task_id":"t1","session_id":"s1","tokens":{"output":1000,"input_cache_miss":500}})",
    R"({"id":"c1","type":"session_completed","at":"2026-03-03T01:00:00Z","project_id":"p1","task_id":"t1","session_id":"s1"})",
    R"({"id":"u2","type":"usage","at":"2026-03-04T00:00:00Z","project_id":"p1","service":"agent_chat","task_id":"t2","session_id":"s2","model":"m1","tokens":{"output":10}})",
    R"({"id":"x1","type":"task_cancelled","at":"2026-03-10T00:00:00Z","project_id":"p1","task_id":"t3"})",
    R"({"id":"u3","type":"usage","at":"2026-03-05T00:00:00Z","project_id":"p1","service":"agent_chat","task_id":"t3","session_id":"s3","tokens":{"output":10}})",
    R"({"id":"c3","type":"session_completed","at":"2026-03-06T00:00:00Z","project_id":"p1","task_id":"t3","session_id":"s3"})",
};

const std::vector<std::string> instants = {"2026-03-03T00:30:00Z", "2026-03-07T00:00:00Z", "2026-04-15T00:00:00Z",
                                           "2027-01-01T00:00:00Z"};

// Every answer a console asks for, at several instants.
std::vector<std::string> answers(credits::LoadedLedger& ledger) {
    std::vector<std::string> all{ledger.summary_json()};
    for (const std::string& at : instants) {
        all.push_back(ledger.report(at).json);
        all.push_back(ledger.forecast(at).json);
        all.push_back(ledger.entries(at, 0, 1000).json);
        const nlohmann::json summary = nlohmann::json::parse(ledger.summary_json());
        for (const auto& p : summary.at("projects")) all.push_back(ledger.project(p.at("id").get<std::string>(), at).json);
    }
    return all;
}

void require_same(credits::LoadedLedger& a, credits::LoadedLedger& b) {
    const std::vector<std::string> x = answers(a);
    const std::vector<std::string> y = answers(b);
    REQUIRE(x.size() == y.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
        INFO("answer " << i);
        REQUIRE(x[i] == y[i]);
    }
}

nlohmann::json appended(credits::LoadedLedger& ledger, const std::string& fragment) {
    const credits::Answer answer = ledger.append(fragment);
    INFO(answer.json);
    REQUIRE(answer.ok);
    return nlohmann::json::parse(answer.json);
}

}  // namespace

TEST_CASE("appending the rest of a document equals loading it whole", "[append]") {
    const std::string whole = document(p1, base_events);
    credits::LoadedLedger expected = load(whole);
    credits::LoadedLedger split = load(document(p1, {base_events.begin(), base_events.begin() + 3}));
    const nlohmann::json first = appended(split, document("", {base_events[5], base_events[3], base_events[7]}));
    CHECK(first == nlohmann::json::parse(R"({"accepted":3,"duplicates_ignored":0})"));
    const nlohmann::json second = appended(split, document("", {base_events[6], base_events[4]}));
    CHECK(second.at("accepted") == 2);
    require_same(split, expected);
    // The appended fragments are kept with the loaded text, in order.
    REQUIRE(split.sources().size() == 3);
}

TEST_CASE("append: exact repeats are ignored and counted, members in any order", "[append]") {
    credits::LoadedLedger ledger = load(document(p1, base_events));
    const std::string reordered =
        R"({"tokens":{"input_cache_miss":500,"output":1000},"session_id":"s1","task_id":"t1","service":"agent_chat","project_id":"p1","at":"2026-03-03T00:00:00Z","type":"usage","id":"u1"})";
    const std::string fresh = R"({"id":"g1","type":"credits_granted","at":"2026-03-08T00:00:00Z","credits":"2.5"})";
    const nlohmann::json answer = appended(ledger, document("", {reordered, fresh, base_events[1], fresh}));
    CHECK(answer == nlohmann::json::parse(R"({"accepted":1,"duplicates_ignored":3})"));
    std::vector<std::string> with_repeats = base_events;
    with_repeats.insert(with_repeats.end(), {reordered, fresh, base_events[1], fresh});
    credits::LoadedLedger whole = load(document(p1, with_repeats));
    require_same(ledger, whole);
    // The appended event is now a loaded one: repeating it again is ignored too.
    CHECK(appended(ledger, document("", {fresh})) == nlohmann::json::parse(R"({"accepted":0,"duplicates_ignored":1})"));
}

TEST_CASE("append: records dated before loaded ones, new projects and late grants land where a whole document puts them", "[append]") {
    const std::string projects = R"([{"id":"p1","name":"One"},{"id":"a0","name":"Zero"},{"id":"zz","name":"Last"}])";
    const std::vector<std::string> late = {
        // A usage of the completed session s1 dated before its completion, sent after it.
        R"({"id":"u0","type":"usage","at":"2026-03-02T12:00:00Z","project_id":"p1","service":"agent_chat","task_id":"t1","session_id":"s1","model":"m1","tokens":{"output":7}})",
        // A grant dated before every loaded one but the opening, which expires.
        R"({"id":"g0","type":"credits_granted","at":"2026-03-01T12:00:00Z","credits":"0.5","expires_at":"2026-03-20T00:00:00Z"})",
        R"({"id":"b0","type":"subscription_billed","at":"2026-03-01T06:00:00Z","plan":"standard","outcome":"failed"})",
        // A new project that sorts before the loaded one, and one after it.
        R"({"id":"ua","type":"usage","at":"2026-03-03T00:00:00Z","project_id":"a0","service":"summarization","tokens":{"output":70}})",
        R"({"id":"uz","type":"usage","at":"2026-03-09T00:00:00Z","project_id":"zz","service":"agent_chat","task_id":"t1","session_id":"s1","tokens":{"output":3}})",
        R"({"id":"cz","type":"session_completed","at":"2026-03-09T00:00:00Z","project_id":"zz","task_id":"t1","session_id":"s1"})",
        // A later cancellation of t3 does not govern; an earlier one of the open t2 does.
        R"({"id":"x2","type":"task_cancelled","at":"2026-03-11T00:00:00Z","project_id":"p1","task_id":"t3","reason":"later"})",
        R"({"id":"x3","type":"task_cancelled","at":"2026-03-04T12:00:00Z","project_id":"p1","task_id":"t2","reason":"stop"})",
    };
    std::vector<std::string> all = base_events;
    all.insert(all.end(), late.begin(), late.end());
    credits::LoadedLedger whole = load(document(projects, all));
    credits::LoadedLedger split = load(document(p1, base_events));
    appended(split, document(R"([{"id":"zz","name":"Last"},{"id":"p1","name":"One"}])", {late[4], late[5], late[7]}));
    appended(split, document(R"([{"id":"a0","name":"Zero"}])", {late[3], late[0], late[1], late[2], late[6]}));
    require_same(split, whole);
}

TEST_CASE("append: a fragment the fast reader does not read goes through the strict one", "[append]") {
    // Escapes in strings and a fractional number in a provider object: the strict reader's territory.
    const std::string escaped =
        R"({"id":"\u0075\u0035","type":"usage","at":"2026-03-08T00:00:00Z","project_id":"p\u0031","service":"other","tokens":{"output":5}})";
    credits::LoadedLedger split = load(document(p1, base_events));
    CHECK(appended(split, document("", {escaped})).at("accepted") == 1);
    std::vector<std::string> all = base_events;
    all.push_back(escaped);
    credits::LoadedLedger whole = load(document(p1, all));
    require_same(split, whole);
    // Its id is found again, as decoded, when repeated plainly.
    const std::string plain = R"({"id":"u5","type":"usage","at":"2026-03-08T00:00:00Z","project_id":"p1","service":"other","tokens":{"output":5}})";
    CHECK(appended(split, document("", {plain})) == nlohmann::json::parse(R"({"accepted":0,"duplicates_ignored":1})"));
}

namespace {

struct Rejection {
    const char* rule;
    std::string fragment;
    const char* code;
    const char* pointer;
};

std::string fragment(const std::string& event, const std::string& projects = "") { return document(projects, {event}); }

std::vector<Rejection> rejections() {
    const std::string usage_p1 = R"("type":"usage","project_id":"p1","service":"agent_chat")";
    return {
        {"a different event with a loaded id", fragment(R"({"id":"e2","type":"credits_purchased","at":"2026-03-02T00:00:00Z","credits":101})"),
         "duplicate_id_conflict", "/events/0/id"},
        {"the same id twice in the fragment, different",
         document("", {R"({"id":"n1","type":"credits_purchased","at":"2026-03-09T00:00:00Z","credits":1})",
                       R"({"id":"n1","type":"credits_purchased","at":"2026-03-09T00:00:00Z","credits":2})"}),
         "duplicate_id_conflict", "/events/1"},
        {"another account", R"({"format":"easycoda.ledger/1","account":{"id":"acct_2"},"events":[]})", "account_mismatch", "/account/id"},
        {"another offset", R"({"format":"easycoda.ledger/1","account":{"id":"acct_1","utc_offset":"+03:00"},"events":[]})",
         "account_mismatch", "/account/utc_offset"},
        {"an event of another account",
         fragment(R"({"id":"n1","type":"credits_granted","at":"2026-03-09T00:00:00Z","credits":1,"account_id":"acct_9"})"),
         "account_mismatch", "/events/0/account_id"},
        {"a loaded project renamed", fragment(R"({"id":"n1","type":"credits_granted","at":"2026-03-09T00:00:00Z","credits":1})",
                                              R"([{"id":"p1","name":"Renamed"}])"),
         "duplicate_project", "/projects/0/name"},
        {"an unknown project", fragment(R"({"id":"n1","type":"usage","at":"2026-03-09T00:00:00Z","project_id":"p9","service":"other","tokens":{}})"),
         "unknown_project", "/events/0/project_id"},
        {"a second opening", fragment(R"({"id":"n1","type":"account_opened","at":"2026-03-09T00:00:00Z"})"), "duplicate_account_opened",
         "/events/0/type"},
        {"an event before the opening", fragment(R"({"id":"n1","type":"credits_granted","at":"2026-02-01T00:00:00Z","credits":1})"),
         "event_before_opening", "/events/0/at"},
        {"completing a completed session",
         fragment(R"({"id":"n1","type":"session_completed","at":"2026-03-09T00:00:00Z","project_id":"p1","task_id":"t1","session_id":"s1"})"),
         "duplicate_completion", "/events/0"},
        {"completing a session of a cancelled task",
         fragment(R"({"id":"n1","type":"session_completed","at":"2026-03-11T00:00:00Z","project_id":"p1","task_id":"t3","session_id":"s9"})"),
         "completion_after_cancellation", "/events/0"},
        {"cancelling a task before its session completed",
         fragment(R"({"id":"n1","type":"task_cancelled","at":"2026-03-02T00:00:00Z","project_id":"p1","task_id":"t1"})"),
         "completion_after_cancellation", "/events/0/at"},
        {"usage after its session completed", fragment(R"({"id":"n1",)" + usage_p1 + R"(,"at":"2026-03-04T00:00:00Z","task_id":"t1","session_id":"s1","tokens":{"output":1}})"),
         "usage_after_completion", "/events/0/at"},
        {"completing before loaded usage",
         fragment(R"({"id":"n1","type":"session_completed","at":"2026-03-03T00:00:00Z","project_id":"p1","task_id":"t2","session_id":"s2"})"),
         "usage_after_completion", "/events/0/at"},
        {"the amount sum", fragment(R"({"id":"n1","type":"credits_purchased","at":"2026-03-09T00:00:00Z","credits":"900719925474"})"),
         "amount_out_of_range", "/events"},
        {"an unknown member", fragment(R"({"id":"n1","type":"credits_granted","at":"2026-03-09T00:00:00Z","credits":1,"note":"x"})"),
         "unknown_field", "/events/0/note"},
        {"an unknown type", fragment(R"({"id":"n1","type":"credits_transferred","at":"2026-03-09T00:00:00Z"})"), "not_transferable",
         "/events/0/type"},
        {"not JSON", R"({"format":"easycoda.ledger/1",)", "invalid_json", "/format"},
        {"another format", R"({"format":"easycoda.ledger/2","account":{"id":"acct_1"},"events":[]})", "unsupported_format", "/format"},
        {"no account", R"({"format":"easycoda.ledger/1","events":[]})", "missing_field", "/account"},
        {"a checkpoint", R"({"format":"easycoda.ledger/1","account":{"id":"acct_1"},"checkpoint":{},"events":[]})", "unknown_field",
         "/checkpoint"},
    };
}

}  // namespace

TEST_CASE("append: a fragment that breaks a rule is rejected whole and changes nothing", "[append]") {
    const std::string whole = document(p1, base_events);
    credits::LoadedLedger untouched = load(whole);
    const std::string good = document("", {R"({"id":"ok1","type":"credits_granted","at":"2026-03-09T00:00:00Z","credits":3})"});
    for (const Rejection& r : rejections()) {
        INFO(r.rule << ": " << r.fragment);
        credits::LoadedLedger ledger = load(whole);
        // Asked once before, so a cached state and its texts exist when the fragment is rejected.
        REQUIRE(ledger.report(instants[1]).ok);
        // A good event in the same fragment is not added either: all or nothing.
        nlohmann::json doc = nlohmann::json::parse(r.fragment, nullptr, false);
        std::string text = r.fragment;
        if (!doc.is_discarded() && doc.contains("events") && r.code != std::string("account_mismatch") &&
            r.code != std::string("unsupported_format") && r.code != std::string("missing_field")) {
            doc["events"].push_back(nlohmann::json::parse(R"({"id":"ok0","type":"credits_granted","at":"2026-03-09T00:00:00Z","credits":3})"));
            text = doc.dump();
        }
        const credits::Answer answer = ledger.append(text);
        INFO(answer.json);
        REQUIRE_FALSE(answer.ok);
        const nlohmann::json errors = nlohmann::json::parse(answer.json).at("errors");
        REQUIRE(errors.size() >= 1);
        CHECK(errors[0].at("code") == r.code);
        CHECK(errors[0].at("pointer") == r.pointer);
        require_same(ledger, untouched);
        // A good fragment after the rejected one is added as if nothing had happened.
        CHECK(appended(ledger, good) == nlohmann::json::parse(R"({"accepted":1,"duplicates_ignored":0})"));
        credits::LoadedLedger expected = load(document(p1, {base_events.begin(), base_events.end()}));
        REQUIRE(appended(expected, good).at("accepted") == 1);
        require_same(ledger, expected);
    }
}

TEST_CASE("append: the events limit counts the loaded events", "[append]") {
    // Through the core's entry with a small limit: the one LoadedLedger uses is 2,000,000.
    const std::string whole = document(p1, base_events);
    std::string errors;
    credits::LoadedLedger loaded = load(whole);
    credits::Ledger ledger = loaded.ledger();
    const credits::ledger_reading::Sources sources = loaded.sources();
    credits::ledger_reading::AppendIndex index;
    index.build(ledger, sources);
    credits::LedgerLimits limits;
    limits.events_max = base_events.size() + 1;
    const std::string two = document("", {R"({"id":"n1","type":"credits_granted","at":"2026-03-09T00:00:00Z","credits":1})",
                                          R"({"id":"n2","type":"credits_granted","at":"2026-03-09T00:00:00Z","credits":1})"});
    const auto rejected = credits::ledger_reading::append_fragment(ledger, index, sources, two, engine().rules(),
                                                                   engine().catalog(), limits);
    REQUIRE_FALSE(rejected.ok());
    CHECK(rejected.errors[0].code == "too_many_events");
    CHECK(rejected.errors[0].pointer == "/events/1");
    const std::string one = document("", {R"({"id":"n1","type":"credits_granted","at":"2026-03-09T00:00:00Z","credits":1})"});
    const auto accepted = credits::ledger_reading::append_fragment(ledger, index, sources, one, engine().rules(),
                                                                   engine().catalog(), limits);
    REQUIRE(accepted.ok());
    CHECK(accepted.value->accepted == 1);
}

TEST_CASE("append: a checkpointed ledger takes the events after its checkpoint as the whole history does", "[append]") {
    const std::string at_s = "2026-03-07T00:00:00Z";
    const std::vector<std::string> later = {
        R"({"id":"u9","type":"usage","at":"2026-03-08T00:00:00Z","project_id":"p1","service":"agent_chat","task_id":"t2","session_id":"s2","tokens":{"output":40000,"input_cache_miss":9}})",
        R"({"id":"c9","type":"session_completed","at":"2026-03-09T00:00:00Z","project_id":"p1","task_id":"t2","session_id":"s2"})",
        R"({"id":"g9","type":"credits_granted","at":"2026-03-08T00:00:00Z","credits":"1.5","expires_at":"2026-03-20T00:00:00Z"})",
        R"({"id":"n9","type":"usage","at":"2026-03-08T06:00:00Z","project_id":"p2","service":"summarization","tokens":{"output":12}})",
    };
    const std::string p2 = R"([{"id":"p1","name":"One"},{"id":"p2","name":"Two"}])";
    std::vector<std::string> all = base_events;
    all.insert(all.end(), later.begin(), later.end());
    credits::LoadedLedger whole = load(document(p2, all));
    const credits::Answer whole_checkpoint = whole.checkpoint(at_s);
    REQUIRE(whole_checkpoint.ok);
    credits::LoadedLedger expected = load(whole_checkpoint.json);

    credits::LoadedLedger base = load(document(p1, base_events));
    const credits::Answer base_checkpoint = base.checkpoint(at_s);
    REQUIRE(base_checkpoint.ok);
    credits::LoadedLedger checkpointed = load(base_checkpoint.json);
    const std::vector<std::string> before = answers(checkpointed);
    // Dated before S: its state is summed up already.
    const credits::Answer early = checkpointed.append(fragment(R"({"id":"n1","type":"credits_granted","at":"2026-03-06T00:00:00Z","credits":1})"));
    REQUIRE_FALSE(early.ok);
    const nlohmann::json errors = nlohmann::json::parse(early.json).at("errors");
    CHECK(errors[0].at("code") == "before_checkpoint");
    CHECK(errors[0].at("pointer") == "/events/0/at");
    // An id the checkpoint holds (a grant made before S), reused after S.
    const credits::Answer reused = checkpointed.append(
        fragment(R"({"id":"e2","type":"credits_granted","at":"2026-03-08T00:00:00Z","credits":1})"));
    REQUIRE_FALSE(reused.ok);
    CHECK(nlohmann::json::parse(reused.json).at("errors")[0].at("code") == "duplicate_id_conflict");
    CHECK(answers(checkpointed) == before);

    CHECK(appended(checkpointed, document(R"([{"id":"p2","name":"Two"}])", later)).at("accepted") == 4);
    for (const std::string& at : {at_s, std::string("2026-03-09T12:00:00Z"), std::string("2026-04-15T00:00:00Z")}) {
        INFO(at);
        CHECK(checkpointed.report(at).json == expected.report(at).json);
        CHECK(checkpointed.forecast(at).json == expected.forecast(at).json);
        CHECK(checkpointed.project("p1", at).json == expected.project("p1", at).json);
        CHECK(checkpointed.project("p2", at).json == expected.project("p2", at).json);
    }
}
