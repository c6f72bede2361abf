// The seeded random ledger generator of the property tests, shared by every
// file that checks a property over generated ledgers (property_test.cpp,
// checkpoint_property_test.cpp), so a seed means the same ledger in all of
// them -- and the same as tests/vectors/generated, which it must keep making.
//
// It builds valid ledger documents from a seed: a few projects, tasks and
// sessions; every grant kind (signup, purchases, promotions with and without
// expiry, plan billings with default and explicit periods and credit
// overrides, failed billings); completions, pending sessions, cancellations
// (some repeated), summarization and other services, provider usage objects
// of every format, instants written in other offsets and with fractions,
// several events at one instant, ids that sort in surprising byte orders; and
// usage large enough for overdrafts to happen.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "credits/instant.h"

namespace ledger_generator {

using OJson = nlohmann::ordered_json;
using credits::nanos_per_day;
using credits::nanos_per_second;

// splitmix64: the same sequence on every platform and standard library
// (std:: distributions are not portable), so a seed means one ledger everywhere.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    std::int64_t below(std::int64_t n) { return n <= 0 ? 0 : static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n)); }
    std::int64_t between(std::int64_t lo, std::int64_t hi) { return lo + below(hi - lo + 1); }
    bool chance(int percent) { return below(100) < percent; }
    template <typename T>
    const T& pick(const std::vector<T>& items) { return items[static_cast<std::size_t>(below(static_cast<std::int64_t>(items.size())))]; }
    template <typename T>
    void shuffle(std::vector<T>& items) {
        for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[static_cast<std::size_t>(below(static_cast<std::int64_t>(i)))]);
    }

private:
    std::uint64_t state_;
};

inline std::string offset_text(int minutes) { return credits::format_utc_offset(minutes); }

// An instant written in `offset_minutes` ("...+05:30"), or in UTC with Z.
inline std::string instant_text(std::int64_t ns, int offset_minutes) {
    if (offset_minutes == 0) return credits::format_instant(ns);
    std::string local = credits::format_instant(ns + std::int64_t{offset_minutes} * credits::nanos_per_minute);
    local.pop_back();  // 'Z'
    return local + offset_text(offset_minutes);
}

struct Event {
    OJson json;
    std::int64_t at_ns = 0;
    std::string text;  // json.dump(), once
};

struct Generated {
    OJson header;               // format, account, projects (events empty)
    std::vector<Event> events;  // in document order
    std::int64_t opened_ns = 0;
    std::int64_t last_ns = 0;
    std::vector<std::string> projects;

    // The document's text: the header, then each event dumped on its own (the
    // same bytes as dumping the whole document, without building it each time).
    [[nodiscard]] std::string text(const std::vector<Event>& list) const {
        std::string out = header.dump();
        const std::string tail = "\"events\":[]}";
        REQUIRE(out.size() > tail.size());
        REQUIRE(out.compare(out.size() - tail.size(), tail.size(), tail) == 0);
        out.resize(out.size() - 2);
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (i > 0) out += ',';
            out += list[i].text.empty() ? list[i].json.dump() : list[i].text;
        }
        out += "]}";
        return out;
    }
    [[nodiscard]] std::string text() const { return text(events); }
};

class Generator {
public:
    explicit Generator(std::uint64_t seed) : rng_(seed), seed_(seed) {}

    Generated make() {
        Generated g;
        const std::vector<int> offsets{0, 0, 480, -330, 840, -840, 345, -600};
        account_offset_ = rng_.pick(offsets);
        account_id_ = "acct_" + std::to_string(seed_ % 1000);
        OJson account{{"id", account_id_}};
        if (account_offset_ != 0 || rng_.chance(30)) account["utc_offset"] = offset_text(account_offset_);
        const int project_count = static_cast<int>(rng_.between(1, 3));
        OJson projects = OJson::array();
        for (int p = 0; p < project_count; ++p) {
            const std::string id = p == 2 ? "P/~" + std::to_string(p) : "p" + std::to_string(p + 1);
            g.projects.push_back(id);
            projects.push_back(OJson{{"id", id}, {"name", "Project " + std::to_string(p + 1) + " \xC3\xA9"}});
        }
        g.header = OJson{{"format", "easycoda.ledger/1"}, {"account", account}, {"projects", projects}, {"events", OJson::array()}};
        heavy_ = rng_.chance(40);

        // 2026-01-01 plus up to ~300 days, at a random second (sometimes a fraction).
        // (One random number per statement: the order in which operands are evaluated is
        // unspecified, and GCC and clang differ, so a seed would mean two ledgers.)
        opened_ = std::int64_t{20454} * nanos_per_day + rng_.below(300) * nanos_per_day;
        opened_ += rng_.below(86400) * nanos_per_second;
        if (rng_.chance(20)) opened_ += rng_.below(nanos_per_second);
        horizon_ = opened_ + rng_.between(5, 100) * nanos_per_day;
        hot_.push_back(opened_);
        add(event("account_opened", opened_));

        grants();
        usage(g.projects);
        rng_.shuffle(events_);
        for (Event& e : events_) e.text = e.json.dump();
        g.events = std::move(events_);
        g.opened_ns = opened_;
        g.last_ns = opened_;
        for (const Event& e : g.events) g.last_ns = std::max(g.last_ns, e.at_ns);
        return g;
    }

private:
    std::string next_id() {
        const int n = ++id_counter_;
        switch (rng_.below(10)) {
            case 0: return "Z" + std::to_string(n);                 // upper case sorts before lower
            case 1: return "\xC3\xA9v-" + std::to_string(n);        // non-ASCII: after every ASCII byte
            case 2: return "a/b~" + std::to_string(n);              // needs pointer escaping
            default: return "e" + std::to_string(1000 + n);
        }
    }

    // A random instant in [from, horizon]; often one already used, so events share instants.
    std::int64_t instant(std::int64_t from) {
        from = std::max(from, opened_);
        if (rng_.chance(25)) {
            std::vector<std::int64_t> usable;
            for (const std::int64_t t : hot_)
                if (t >= from) usable.push_back(t);
            if (!usable.empty()) return rng_.pick(usable);
        }
        std::int64_t t = from + rng_.below(std::max<std::int64_t>(horizon_ - from, 1) / nanos_per_second + 1) * nanos_per_second;
        if (rng_.chance(10)) t += rng_.below(nanos_per_second);
        if (rng_.chance(30)) hot_.push_back(t);
        return t;
    }

    std::string when(std::int64_t ns) {
        const std::vector<int> offsets{0, 0, 0, account_offset_, 60, -420, 840};
        return instant_text(ns, rng_.pick(offsets));
    }

    Event event(const char* type, std::int64_t at_ns) {
        Event e;
        e.at_ns = at_ns;
        e.json = OJson{{"id", next_id()}, {"type", type}, {"at", when(at_ns)}};
        if (rng_.chance(10)) e.json["account_id"] = account_id_;
        return e;
    }

    void add(Event e) { events_.push_back(std::move(e)); }

    OJson credits_amount(std::int64_t max_whole) {
        const std::int64_t whole = rng_.between(0, max_whole);
        if (rng_.chance(50)) return OJson(std::max<std::int64_t>(whole, 1));
        const std::int64_t fraction = rng_.between(1, 9999);
        std::string digits = std::to_string(fraction);
        digits.insert(0, 4 - digits.size(), '0');
        while (rng_.chance(50) && digits.size() > 1 && digits.back() == '0') digits.pop_back();
        return OJson(std::to_string(whole) + "." + digits);
    }

    void grants() {
        for (std::int64_t i = rng_.below(4); i > 0; --i) {
            Event e = event("credits_purchased", instant(opened_));
            e.json["credits"] = credits_amount(heavy_ ? 300 : 2000);
            if (rng_.chance(50)) e.json["pack"] = rng_.chance(50) ? "pack_1000" : "pack_500";
            add(std::move(e));
        }
        for (std::int64_t i = rng_.below(4); i > 0; --i) {
            const std::int64_t at = instant(opened_);
            Event e = event("credits_granted", at);
            e.json["credits"] = credits_amount(heavy_ ? 100 : 600);
            if (rng_.chance(70)) {
                std::int64_t expires = instant(at + 1);
                if (expires <= at) expires = at + rng_.between(1, 40) * nanos_per_day;
                e.json["expires_at"] = when(expires);
                hot_.push_back(expires);
            }
            if (rng_.chance(50)) e.json["reason"] = "support goodwill";
            add(std::move(e));
        }
        for (std::int64_t i = rng_.below(5); i > 0; --i) {
            const std::int64_t at = instant(opened_);
            Event e = event("subscription_billed", at);
            e.json["plan"] = rng_.chance(60) ? "standard" : "premium";
            e.json["outcome"] = rng_.chance(80) ? "succeeded" : "failed";
            // period_start at, before or after `at`; the period must end after both.
            std::int64_t start = at;
            if (rng_.chance(40)) {
                start = at + (rng_.below(20) - 10) * nanos_per_day;
                start += rng_.below(86400) * nanos_per_second;
                if (start < 0) start = at;
                e.json["period_start"] = when(start);
            }
            if (rng_.chance(50)) {
                const std::int64_t end = std::max(at, start) + rng_.between(1, 45) * nanos_per_day;
                e.json["period_end"] = when(end);
                hot_.push_back(end);
            } else if (start + 28 * nanos_per_day <= at) {
                e.json["period_start"] = when(at);  // a default month from `start` would end before `at`
            }
            if (rng_.chance(25)) e.json["credits"] = credits_amount(heavy_ ? 200 : 3000);
            add(std::move(e));
        }
    }

    std::int64_t amount() { return heavy_ ? rng_.below(rng_.chance(20) ? 9'000'000 : 900'000) : rng_.below(60'000); }

    // Either normalized counts (members sometimes omitted) or a provider's usage object.
    void put_tokens(OJson& e) {
        const std::int64_t out = amount();
        const std::int64_t miss = amount();
        const std::int64_t hit = amount() * (rng_.chance(70) ? 3 : 0);
        switch (rng_.below(8)) {
            case 0:
                e["provider_usage"] = {{"format", "openai_chat"},
                                       {"usage", {{"completion_tokens", out}, {"prompt_tokens", miss + hit},
                                                  {"prompt_tokens_details", {{"cached_tokens", hit}}},
                                                  {"total_tokens", out + miss + hit}}}};
                return;
            case 1:
                e["provider_usage"] = {{"format", "openai_responses"},
                                       {"usage", {{"input_tokens", miss + hit}, {"input_tokens_details", {{"cached_tokens", hit}}},
                                                  {"output_tokens", out}, {"output_tokens_details", {{"reasoning_tokens", out / 2}}}}}};
                return;
            case 2: {
                const std::int64_t created = rng_.below(miss + 1);
                e["provider_usage"] = {{"format", "anthropic_messages"},
                                       {"usage", {{"input_tokens", miss - created}, {"cache_creation_input_tokens", created},
                                                  {"cache_read_input_tokens", hit}, {"output_tokens", out}}}};
                return;
            }
            case 3: {
                const std::int64_t thoughts = rng_.below(out + 1);
                const std::int64_t prompt_miss = rng_.below(miss + 1);
                e["provider_usage"] = {{"format", "gemini"},
                                       {"usage", {{"promptTokenCount", hit + prompt_miss}, {"candidatesTokenCount", out - thoughts},
                                                  {"thoughtsTokenCount", thoughts}, {"cachedContentTokenCount", hit},
                                                  {"toolUsePromptTokenCount", miss - prompt_miss}}}};
                return;
            }
            case 4: {
                OJson usage{{"completion_tokens", out}, {"prompt_cache_hit_tokens", hit}, {"prompt_cache_miss_tokens", miss}};
                if (rng_.chance(70)) usage["prompt_tokens"] = hit + miss;
                e["provider_usage"] = {{"format", "deepseek"}, {"usage", usage}};
                return;
            }
            default: {
                OJson tokens = OJson::object();
                if (out != 0 || rng_.chance(50)) tokens["output"] = out;
                if (miss != 0 || rng_.chance(50)) tokens["input_cache_miss"] = miss;
                if (hit != 0 || rng_.chance(50)) tokens["input_cache_hit"] = hit;
                e["tokens"] = tokens;
                return;
            }
        }
    }

    Event usage_event(std::int64_t at, const std::string& project, const std::string& service) {
        Event e = event("usage", at);
        e.json["project_id"] = project;
        e.json["service"] = service;
        if (rng_.chance(50)) e.json["model"] = rng_.chance(50) ? "m-large" : "m-small";
        put_tokens(e.json);
        return e;
    }

    void usage(const std::vector<std::string>& projects) {
        struct SessionRef {
            std::string project, task, session;
        };
        std::vector<SessionRef> sessions;
        for (const std::string& project : projects) {
            for (std::int64_t t = rng_.between(1, 3); t > 0; --t) {
                const std::string task = "t" + std::to_string(t);
                std::optional<std::int64_t> cancelled;
                if (rng_.chance(25)) cancelled = instant(opened_);
                for (std::int64_t s = rng_.between(1, 3); s > 0; --s) {
                    const std::string session = "s" + std::to_string(s);
                    sessions.push_back({project, task, session});
                    std::int64_t at = instant(opened_);
                    std::int64_t last = at;
                    for (std::int64_t r = rng_.between(1, 4); r > 0; --r) {
                        Event e = usage_event(at, project, "agent_chat");
                        e.json["task_id"] = task;
                        e.json["session_id"] = session;
                        add(std::move(e));
                        last = at;
                        at = rng_.chance(20) ? at : instant(at);
                    }
                    if (rng_.chance(65)) {
                        const std::int64_t done = rng_.chance(20) ? last : instant(last);
                        // A completion after the task's cancellation is refused: that session stays cancelled.
                        if (!cancelled || done <= *cancelled) {
                            Event c = event("session_completed", done);
                            c.json["project_id"] = project;
                            c.json["task_id"] = task;
                            c.json["session_id"] = session;
                            add(std::move(c));
                        }
                    }
                }
                if (cancelled) {
                    for (std::int64_t n = rng_.chance(20) ? 2 : 1; n > 0; --n) {
                        Event c = event("task_cancelled", n == 2 ? instant(*cancelled) : *cancelled);
                        c.json["project_id"] = project;
                        c.json["task_id"] = task;
                        if (rng_.chance(50)) c.json["reason"] = "stopped by the user";
                        add(std::move(c));
                    }
                }
            }
        }
        // Summarization (after completion is fine) and other services.
        for (std::int64_t i = rng_.below(5); i > 0; --i) {
            const SessionRef& ref = rng_.pick(sessions);
            Event e = usage_event(instant(opened_), ref.project, "summarization");
            if (rng_.chance(70)) e.json["task_id"] = ref.task;
            if (e.json.contains("task_id") && rng_.chance(70)) e.json["session_id"] = ref.session;
            add(std::move(e));
        }
        const std::vector<std::string> services{"build", "deploy", "hosting"};
        for (std::int64_t i = rng_.below(5); i > 0; --i) {
            const std::int64_t at = instant(opened_);
            const std::string& project = rng_.pick(projects);
            Event e = usage_event(at, project, rng_.pick(services));
            if (rng_.chance(20)) e.json["task_id"] = "t1";
            add(std::move(e));
        }
    }

    Rng rng_;
    std::uint64_t seed_;
    int id_counter_ = 0;
    int account_offset_ = 0;
    std::string account_id_;
    bool heavy_ = false;
    std::int64_t opened_ = 0;
    std::int64_t horizon_ = 0;
    std::vector<std::int64_t> hot_;
    std::vector<Event> events_;
};

// The number of ledgers is CREDITS_PROPERTY_LEDGERS (env) or, by default,
// 10,000 in optimized native builds and fewer under sanitizers/Debug/WebAssembly.
inline std::uint64_t env_number(const char* name, std::uint64_t fallback) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return fallback;
    return std::strtoull(value, nullptr, 10);
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CREDITS_PROPERTY_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CREDITS_PROPERTY_SANITIZED 1
#endif

inline std::uint64_t ledger_count() {
#if defined(CREDITS_PROPERTY_SANITIZED) || !defined(NDEBUG)
    constexpr std::uint64_t fallback = 300;  // Debug + ASan/UBSan: about 25x slower
#elif defined(__EMSCRIPTEN__)
    constexpr std::uint64_t fallback = 2'000;
#else
    constexpr std::uint64_t fallback = 10'000;
#endif
    return env_number("CREDITS_PROPERTY_LEDGERS", fallback);
}

inline std::uint64_t first_seed() { return env_number("CREDITS_PROPERTY_SEED", 20260901); }

}  // namespace ledger_generator
