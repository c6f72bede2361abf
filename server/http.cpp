#include "http.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <thread>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>

#include <nlohmann/json.hpp>

#include "auth.h"
#include "guarded_server.h"
#include "static_files.h"
#include "worker_pool.h"
#include "credits/errors.h"

namespace credits::server {

namespace {

enum class RouteName { healthz, metrics, ledger, quote, report, project_report, forecast, document, console, changes };

struct RouteMatch {
    RouteName name = RouteName::healthz;
    const char* pattern = "";   // the metrics label and the log's route
    const char* method = "GET";
    std::string account_id;
    std::string project_id;
};

// What one request carries from routing to the log line and metrics (the logger
// runs on the request's thread after the answer is written).
struct RequestContext {
    std::chrono::steady_clock::time_point start;
    std::string route = "unmatched";
    std::string request_id;
    bool holds_slot = false;               // counted in flight before its body was read
    std::optional<Principal> principal;    // authorized before its body was read
};
thread_local RequestContext current_request;

std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    if (path.empty() || path[0] != '/') return out;
    path.remove_prefix(1);
    for (int i = 0; i < 16; ++i) {  // no route has more than 6 segments
        const std::size_t slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) return out;
        path.remove_prefix(slash + 1);
    }
    return {};
}

// Routes on the raw request target, not the decoded path: an id is one path
// segment of the account-id characters exactly as sent, so "%2F", "..", or an
// encoded id never reach an account.
std::optional<RouteMatch> match_route(std::string_view path) {
    const std::vector<std::string_view> s = segments(path);
    if (s.size() == 1 && s[0] == "healthz") return RouteMatch{RouteName::healthz, "/healthz", "GET", {}, {}};
    if (s.size() == 1 && s[0] == "metrics") return RouteMatch{RouteName::metrics, "/metrics", "GET", {}, {}};
    if (s.size() < 2 || s[0] != "v1") return std::nullopt;
    if (s.size() == 2 && s[1] == "ledger") return RouteMatch{RouteName::ledger, "/v1/ledger", "POST", {}, {}};
    if (s.size() == 2 && s[1] == "quote") return RouteMatch{RouteName::quote, "/v1/quote", "POST", {}, {}};
    if (s[1] != "accounts" || s.size() < 4 || s[2].empty()) return std::nullopt;
    RouteMatch m;
    m.account_id = std::string(s[2]);
    if (s.size() == 4) {
        const std::string_view leaf = s[3];
        if (leaf == "report") m = RouteMatch{RouteName::report, "/v1/accounts/{id}/report", "GET", m.account_id, {}};
        else if (leaf == "forecast") m = RouteMatch{RouteName::forecast, "/v1/accounts/{id}/forecast", "GET", m.account_id, {}};
        else if (leaf == "document") m = RouteMatch{RouteName::document, "/v1/accounts/{id}/document", "GET", m.account_id, {}};
        else if (leaf == "console-ledger") m = RouteMatch{RouteName::console, "/v1/accounts/{id}/console-ledger", "GET", m.account_id, {}};
        else if (leaf == "changes") m = RouteMatch{RouteName::changes, "/v1/accounts/{id}/changes", "GET", m.account_id, {}};
        else return std::nullopt;
        return m;
    }
    if (s.size() == 6 && s[3] == "projects" && !s[4].empty() && s[5] == "report") {
        return RouteMatch{RouteName::project_report, "/v1/accounts/{id}/projects/{pid}/report", "GET", m.account_id,
                          std::string(s[4])};
    }
    return std::nullopt;
}

const std::set<std::string>& allowed_parameters(RouteName name) {
    static const std::set<std::string> none;
    static const std::set<std::string> report = {"at", "from", "to", "utc_offset", "utc_offsets"};
    static const std::set<std::string> at_only = {"at"};
    static const std::set<std::string> changes = {"after", "wait"};
    switch (name) {
        case RouteName::report:
        case RouteName::project_report: return report;
        case RouteName::forecast: return at_only;
        case RouteName::changes: return changes;
        default: return none;
    }
}

// The first query parameter of the raw target that the route does not take or
// that is given twice (the library's parsed parameters fold exact repeats).
std::optional<std::string> unexpected_parameter(std::string_view target, const std::set<std::string>& allowed) {
    const std::size_t question = target.find('?');
    if (question == std::string_view::npos) return std::nullopt;
    std::string_view query = target.substr(question + 1);
    std::set<std::string> seen;
    for (std::size_t i = 0; i < 256 && !query.empty(); ++i) {  // the target is at most 8 KiB anyway
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const std::string key = httplib::detail::decode_url(std::string(pair.substr(0, pair.find('='))), true);
        if (!pair.empty() && (allowed.count(key) == 0 || !seen.insert(key).second)) return key;
        if (amp == std::string_view::npos) return std::nullopt;
        query.remove_prefix(amp + 1);
    }
    return query.empty() ? std::nullopt : std::optional<std::string>("&");
}

// The core's bytes exactly (the CLI prints them followed by a newline), so a report's
// ETag is the digest the console computes of its own answer.
void send_json(httplib::Response& res, int status, std::string body) {
    res.status = status;
    res.set_content(std::move(body), "application/json");
}

void send_error(httplib::Response& res, int status, std::string_view error_code, std::string_view message) {
    send_json(res, status, error_body(error_code, message));
}

// The status's own error, for answers the library makes itself (413, 400, ...).
std::pair<const char*, const char*> default_error(int status) {
    switch (status) {
        case 400: return {"bad_request", "The request could not be read."};
        case 401: return {"unauthorized", "A valid Authorization: Bearer token is needed."};
        case 404: return {"not_found", "No such route."};
        case 405: return {"method_not_allowed", "This route does not take that method."};
        case 408: return {"request_timeout", "The request was not sent in time."};
        case 413: return {"body_too_large", "The body is larger than this server accepts."};
        case 414: return {"uri_too_long", "The request target is too long."};
        case 431: return {"headers_too_large", "The request's headers are larger than this server accepts."};
        case 415: return {"unsupported_media_type", "A POST body must be application/json."};
        case 503: return {"overloaded", "The server is busy; try again."};
        default: return {status >= 500 ? "internal_error" : "bad_request", "The request failed."};
    }
}

// The library bounds each header line and the request line, not their number or sum.
constexpr std::size_t headers_count_max = 100;
constexpr std::size_t headers_bytes_max = 32 * 1024;
// The request line and headers as read (GuardedServer): a head past it is cut off
// while it is read, so memory stays bounded before any authentication.
constexpr std::size_t headers_read_max = 64 * 1024;

bool headers_within_limits(const httplib::Headers& headers) {
    if (headers.size() > headers_count_max) return false;
    std::size_t total = 0;
    for (const auto& [name, value] : headers) total += name.size() + value.size() + 4;
    return total <= headers_bytes_max;
}

bool content_length_over(const httplib::Request& req, std::size_t limit) {
    if (!req.has_header("Content-Length")) return false;
    const std::string text = req.get_header_value("Content-Length");
    if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) return false;
    return std::stoull(text) > limit;  // a malformed length is the library's 400
}

std::string body_too_large_message(std::size_t limit) {
    return "The body is larger than this server accepts (" + std::to_string(limit) + " bytes).";
}

bool is_json_media_type(const std::string& content_type) {
    std::string base = content_type.substr(0, content_type.find(';'));
    while (!base.empty() && base.back() == ' ') base.pop_back();
    for (char& c : base) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return base == "application/json";
}

// A whole number of at most 18 digits (no sign, no spaces), or nullopt.
std::optional<std::int64_t> whole_number(const std::string& text) {
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stoll(text);
}

std::string etag_of(const std::string& body) { return "\"sha256:" + sha256_hex(body).substr(0, 32) + "\""; }

bool if_none_match(const std::string& header, const std::string& etag) {
    if (header == "*") return true;
    std::string_view rest = header;
    for (int i = 0; i < 64 && !rest.empty(); ++i) {  // a list of tags, bounded
        const std::size_t comma = rest.find(',');
        std::string_view tag = rest.substr(0, comma);
        while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
        while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
        if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
        if (tag == etag) return true;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return false;
}

std::string utc_now_text() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char buffer[96];  // room for any int the format could print
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1,
                  parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, static_cast<int>(millis));
    return buffer;
}

}  // namespace

struct HttpServer::Impl {
    HttpOptions options;
    Store& store;
    AccountService& service;
    Metrics& metrics;
    GuardedServer server;
    std::atomic<std::int64_t> in_flight{0};
    socket_t listen_socket = INVALID_SOCKET;  // the listening socket, seen as it is made
    std::atomic<std::uint64_t> request_counter{0};
    std::mutex log_mutex;
    std::optional<StaticFiles> console;  // the built console, when served

    Impl(HttpOptions o, Store& s, AccountService& a, Metrics& m)
        : options(std::move(o)), store(s), service(a), metrics(m) {
        if (!options.console_dir.empty()) console.emplace(options.console_dir);
    }

    void configure();
    std::optional<httplib::Server::HandlerResponse> before_body(const std::optional<RouteMatch>& m,
                                                                const httplib::Request& req, httplib::Response& res);
    void release_slot();
    void dispatch(const httplib::Request& req, httplib::Response& res, const std::string& body);
    void route(const RouteMatch& m, const httplib::Request& req, httplib::Response& res, const std::string& body);
    std::optional<Principal> authorize(const httplib::Request& req, httplib::Response& res);
    void answer_account_route(const RouteMatch& m, const httplib::Request& req, httplib::Response& res);
    void answer_report(const RouteMatch& m, const httplib::Request& req, httplib::Response& res);
    void answer_changes(const RouteMatch& m, const httplib::Request& req, httplib::Response& res);
    void answer_document(const RouteMatch& m, httplib::Response& res);
    void answer_console_file(const httplib::Request& req, httplib::Response& res);
    void log(const httplib::Request& req, const httplib::Response& res);
};

void HttpServer::Impl::configure() {
    const std::size_t threads = std::max<std::size_t>(options.threads, 2);
    server.new_task_queue = [threads] { return new ElasticPool(threads); };
    server.set_payload_max_length(options.body_bytes_max);
    // SO_REUSEADDR only: the library's default also sets SO_REUSEPORT, which lets a second
    // server bind a port that is taken (and share its connections) instead of failing.
    server.set_socket_options([this](socket_t sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        listen_socket = sock;
    });
    server.set_read_timeout(options.io_timeout_s, 0);
    server.set_write_timeout(options.io_timeout_s, 0);
    server.set_keep_alive_timeout(options.keep_alive_s);
    server.set_keep_alive_max_count(options.keep_alive_requests_max);
    server.head_bytes_max = headers_read_max;
    server.head_deadline = std::chrono::seconds(options.io_timeout_s);
    server.after_request = [this] { release_slot(); };
    // Runs before the body is read: a POST that is not JSON is refused before the library
    // reads (and, for a form, parses) its body, and the connection is closed over it.
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        GuardedServer::head_read();
        // Every answer is whole: a Range header is ignored (a cut report would carry the
        // whole report's ETag, a cut error would not parse).
        const_cast<httplib::Request&>(req).ranges.clear();
        release_slot();
        current_request = RequestContext{};
        current_request.start = std::chrono::steady_clock::now();
        current_request.request_id = "req-" + std::to_string(request_counter.fetch_add(1) + 1);
        res.set_header("X-Request-Id", current_request.request_id);
        const std::string_view target = req.target;
        const std::optional<RouteMatch> m = match_route(target.substr(0, target.find('?')));
        if (m) current_request.route = m->pattern;
        if (!headers_within_limits(req.headers)) {
            res.set_header("Connection", "close");
            send_error(res, 431, "headers_too_large", "The request's headers are larger than this server accepts.");
            return httplib::Server::HandlerResponse::Handled;
        }
        // Refused from Content-Length alone, at once: the library would first read and
        // drop the whole announced body.
        if (content_length_over(req, options.body_bytes_max)) {
            res.set_header("Connection", "close");
            send_error(res, 413, "body_too_large", body_too_large_message(options.body_bytes_max));
            return httplib::Server::HandlerResponse::Handled;
        }
        if (req.method == "POST" && m && std::string_view(m->method) == "POST" &&
            !is_json_media_type(req.get_header_value("Content-Type"))) {
            res.set_header("Connection", "close");
            send_error(res, 415, "unsupported_media_type", "A POST body must be application/json.");
            return httplib::Server::HandlerResponse::Handled;
        }
        return before_body(m, req, res).value_or(httplib::Server::HandlerResponse::Unhandled);
    });
    const auto handler = [this](const httplib::Request& req, httplib::Response& res) { dispatch(req, res, req.body); };
    // Bodies are read here, bounded as they arrive: the library bounds Content-Length
    // bodies but not chunked or compressed ones.
    const auto reading = [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
        std::string body;
        bool over = false;
        const bool read = reader([&](const char* data, std::size_t length) {
            if (body.size() + length > options.body_bytes_max) {
                over = true;
                return false;
            }
            body.append(data, length);
            return true;
        });
        if (!read) {
            res.set_header("Connection", "close");
            if (over || res.status == 413) return send_error(res, 413, "body_too_large", body_too_large_message(options.body_bytes_max));
            return send_error(res, 400, "bad_request", "The body could not be read.");
        }
        dispatch(req, res, body);
    };
    server.Get(".*", handler);
    server.Options(".*", handler);
    server.Post(".*", reading);
    server.Put(".*", reading);
    server.Patch(".*", reading);
    server.Delete(".*", reading);
    server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        const_cast<httplib::Request&>(req).ranges.clear();  // the library's own answers are whole too
        if (res.body.empty() && !res.is_chunked_content_provider_) {
            const auto [error_code, message] = default_error(res.status);
            res.set_content(error_body(error_code, message), "application/json");
        }
        return httplib::Server::HandlerResponse::Handled;
    }));
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        send_error(res, 500, code::internal_error, "The server failed to answer; nothing was changed by this answer.");
    });
    server.set_logger([this](const httplib::Request& req, const httplib::Response& res) { log(req, res); });
}

void HttpServer::Impl::log(const httplib::Request& req, const httplib::Response& res) {
    const auto elapsed = std::chrono::steady_clock::now() - current_request.start;
    const std::int64_t duration_us =
        current_request.request_id.empty() ? 0 : std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
    metrics.record_request(current_request.route, res.status, duration_us);
    // The target's path only: no query, no header (the Authorization header and its
    // token never reach the log).
    const std::string path = req.target.substr(0, std::min(req.target.find('?'), std::size_t{512}));
    const nlohmann::json line = {{"time", utc_now_text()},         {"request_id", current_request.request_id},
                                 {"method", req.method},           {"path", path},
                                 {"route", current_request.route}, {"status", res.status},
                                 {"duration_us", duration_us},     {"bytes", res.body.size()}};
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    {
        const std::lock_guard lock(log_mutex);
        std::fwrite(text.data(), 1, text.size(), stderr);
    }
    release_slot();
    current_request = RequestContext{};
}

void HttpServer::Impl::release_slot() {
    if (!current_request.holds_slot) return;
    current_request.holds_slot = false;
    in_flight.fetch_sub(1);
}

// A request with a body is counted in flight and authorized before the body is
// read, so neither too many requests nor a client without a token make the server
// take in bodies (up to body_bytes_max each). Refused ones close the connection
// over the body not read. nullopt: go on and read the body.
std::optional<httplib::Server::HandlerResponse> HttpServer::Impl::before_body(const std::optional<RouteMatch>& m,
                                                                              const httplib::Request& req,
                                                                              httplib::Response& res) {
    if (req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS") return std::nullopt;
    const auto refuse = [&res] {
        res.set_header("Connection", "close");
        return httplib::Server::HandlerResponse::Handled;
    };
    if (!m || req.method != m->method) {  // 404 or 405: the body is not needed to say so
        dispatch(req, res, {});
        return refuse();
    }
    if (in_flight.fetch_add(1) >= options.requests_max) {
        in_flight.fetch_sub(1);
        send_error(res, 503, "overloaded", "Too many requests are in flight; try again.");
        res.set_header("Retry-After", "1");
        return refuse();
    }
    current_request.holds_slot = true;
    if (m->name == RouteName::ledger) {
        try {
            current_request.principal = authorize(req, res);
        } catch (const StoreError&) {
            send_error(res, 503, "database_unavailable", "The database did not answer.");
            return refuse();
        }
        if (!current_request.principal) return refuse();
        if (current_request.principal->kind != TokenKind::service) {
            send_error(res, 403, "forbidden", "Only a service token may ingest.");
            return refuse();
        }
    }
    return std::nullopt;
}

void HttpServer::Impl::dispatch(const httplib::Request& req, httplib::Response& res, const std::string& body) {
    // Requests with a body were counted before it was read (before_body).
    const bool counted_here = !current_request.holds_slot;
    struct InFlight {
        std::atomic<std::int64_t>& count;
        bool held;
        ~InFlight() {
            if (held) count.fetch_sub(1);
        }
    } in_flight_guard{in_flight, counted_here};
    if (counted_here && in_flight.fetch_add(1) >= options.requests_max) {
        send_error(res, 503, "overloaded", "Too many requests are in flight; try again.");
        res.set_header("Retry-After", "1");
        return;
    }
    const std::string_view target = req.target;
    const std::optional<RouteMatch> m = match_route(target.substr(0, target.find('?')));
    if (!m && console && target.substr(0, 4) != "/v1/" && target != "/v1") return answer_console_file(req, res);
    if (!m) return send_error(res, 404, "not_found", "No such route.");
    const bool method_ok = req.method == m->method || (req.method == "HEAD" && std::string_view(m->method) == "GET");
    if (!method_ok) {
        res.set_header("Allow", m->method);
        return send_error(res, 405, "method_not_allowed", std::string("This route takes ") + m->method + ".");
    }
    try {
        route(*m, req, res, body);
    } catch (const StoreError&) {
        send_error(res, 503, "database_unavailable", "The database did not answer.");
    }
}

std::optional<Principal> HttpServer::Impl::authorize(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value_count("Authorization") == 1) {
        const std::string authorization = req.get_header_value("Authorization");  // outlives the view into it
        if (const auto token = bearer_token(authorization)) {
            if (std::optional<Principal> principal = authenticate(store, *token)) return principal;
        }
    }
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, 401, "unauthorized", "A valid Authorization: Bearer token is needed.");
    return std::nullopt;
}

void HttpServer::Impl::route(const RouteMatch& m, const httplib::Request& req, httplib::Response& res,
                             const std::string& body) {
    if (const std::optional<std::string> wrong = unexpected_parameter(req.target, allowed_parameters(m.name))) {
        return send_error(res, 400, "bad_request", "Query parameter \"" + wrong->substr(0, 64) + "\" is not allowed here, or repeated.");
    }
    switch (m.name) {
        case RouteName::healthz: {
            store.account("");  // throws StoreError (503) when the database does not answer
            return send_json(res, 200, "{\"status\":\"ok\",\"schema_version\":" + std::to_string(options.schema_version) + "}");
        }
        case RouteName::metrics:
            res.status = 200;
            return res.set_content(metrics.render(service.cached_accounts()), "text/plain; version=0.0.4");
        case RouteName::quote: {
            const Reply reply = service.quote(body);
            return send_json(res, reply.status, reply.body);
        }
        case RouteName::ledger: {
            const std::optional<Principal> principal =
                current_request.principal ? current_request.principal : authorize(req, res);
            if (!principal) return;
            if (principal->kind != TokenKind::service) {
                return send_error(res, 403, "forbidden", "Only a service token may ingest.");
            }
            const Reply reply = service.ingest(body);
            return send_json(res, reply.status, reply.body);
        }
        default:
            return answer_account_route(m, req, res);
    }
}

void HttpServer::Impl::answer_account_route(const RouteMatch& m, const httplib::Request& req, httplib::Response& res) {
    const std::optional<Principal> principal = authorize(req, res);
    if (!principal) return;
    // Another account, a malformed id and a missing account answer alike: nothing leaks.
    const bool may_read = principal->kind == TokenKind::service || principal->account_id == m.account_id;
    if (!may_read || !valid_account_id(m.account_id)) {
        return send_error(res, 404, "account_not_found", "No such account, or this token may not read it.");
    }
    switch (m.name) {
        case RouteName::report:
        case RouteName::project_report:
        case RouteName::forecast: return answer_report(m, req, res);
        case RouteName::changes: return answer_changes(m, req, res);
        case RouteName::document: return answer_document(m, res);
        case RouteName::console: {
            const Reply reply = service.console_ledger(m.account_id);
            // The cursor the document is at: the console follows /changes?after= it, so no event
            // stored while the document was read is missed or fetched twice.
            if (reply.status == 200 && reply.cursor >= 0) res.set_header("Credits-Cursor", std::to_string(reply.cursor));
            return send_json(res, reply.status, reply.body);
        }
        default: return send_error(res, 404, "not_found", "No such route.");
    }
}

void HttpServer::Impl::answer_report(const RouteMatch& m, const httplib::Request& req, httplib::Response& res) {
    ReportQuestion question;
    question.kind = m.name == RouteName::project_report ? ReportKind::project
                    : m.name == RouteName::forecast     ? ReportKind::forecast
                                                        : ReportKind::account;
    if (m.name == RouteName::project_report && !valid_account_id(m.project_id)) {
        return send_error(res, 404, "not_found", "Project ids in a path are 1 to 128 of A-Z a-z 0-9 . _ : ~ -.");
    }
    question.project_id = m.project_id;
    question.at = req.get_param_value("at");
    question.from = req.get_param_value("from");
    question.to = req.get_param_value("to");
    question.utc_offset = req.get_param_value("utc_offset");
    question.utc_offsets = req.get_param_value("utc_offsets");
    // An empty value is a mistake, not a parameter left out: it would otherwise ask a
    // different question (the whole history, now) than the caller meant.
    for (const char* name : {"at", "from", "to", "utc_offset", "utc_offsets"}) {
        if (req.has_param(name) && req.get_param_value(name).empty()) {
            return send_error(res, 400, "bad_request", std::string(name) + ", when given, must not be empty.");
        }
    }
    Reply reply = service.report(m.account_id, question);
    if (reply.retry_after_s > 0) res.set_header("Retry-After", std::to_string(reply.retry_after_s));
    if (reply.status == 200) {
        const std::string etag = etag_of(reply.body);
        res.set_header("ETag", etag);
        res.set_header("Cache-Control", "no-cache");
        if (req.has_header("If-None-Match") && if_none_match(req.get_header_value("If-None-Match"), etag)) {
            res.status = 304;
            return;
        }
    }
    send_json(res, reply.status, std::move(reply.body));
}

void HttpServer::Impl::answer_changes(const RouteMatch& m, const httplib::Request& req, httplib::Response& res) {
    std::int64_t after = 0;
    std::int64_t wait_s = 25;
    if (req.has_param("after")) {
        const auto parsed = whole_number(req.get_param_value("after"));
        if (!parsed) return send_error(res, 400, "bad_request", "after must be a cursor: a whole number.");
        after = *parsed;
    }
    if (req.has_param("wait")) {
        const auto parsed = whole_number(req.get_param_value("wait"));
        if (!parsed || *parsed > 30) return send_error(res, 400, "bad_request", "wait must be 0 to 30 seconds.");
        wait_s = *parsed;
    }
    const Reply reply = service.changes(m.account_id, after, static_cast<int>(wait_s));
    if (reply.cursor >= 0) res.set_header("Credits-Cursor", std::to_string(reply.cursor));
    if (reply.status == 200 && reply.more) res.set_header("Credits-More", "true");
    if (reply.retry_after_s > 0) res.set_header("Retry-After", std::to_string(reply.retry_after_s));
    if (reply.status == 204) {
        res.status = 204;
        return;
    }
    send_json(res, reply.status, reply.body);
}

void HttpServer::Impl::answer_document(const RouteMatch& m, httplib::Response& res) {
    if (!service.account_exists(m.account_id)) {
        return send_error(res, 404, "account_not_found", "No such account, or this token may not read it.");
    }
    res.status = 200;
    // Streamed in pages straight from the store: a big account is never one string.
    res.set_chunked_content_provider("application/json", [this, id = m.account_id](std::size_t, httplib::DataSink& sink) {
        try {
            service.document(id, [&](std::string_view piece) { return sink.write(piece.data(), piece.size()); });
        } catch (const std::exception&) {
            return false;  // the connection is closed: the client sees a cut answer, never a wrong one
        }
        sink.done();
        return true;
    });
}

// Every path outside /v1 (and /healthz, /metrics) is a file of the console, with the console's
// security headers; the API's answers keep their own.
void HttpServer::Impl::answer_console_file(const httplib::Request& req, httplib::Response& res) {
    current_request.route = "console";
    if (req.method != "GET" && req.method != "HEAD") {
        for (const auto& [name, value] : StaticFiles::security_headers()) res.set_header(name, value);
        res.set_header("Allow", "GET, HEAD");
        res.status = 405;
        return res.set_content("Method not allowed\n", "text/plain; charset=utf-8");
    }
    StaticAnswer answer = console->answer(req.target);
    for (const auto& [name, value] : answer.headers) res.set_header(name, value);
    res.status = answer.status;
    res.set_content(std::move(answer.body), answer.content_type);
}

HttpServer::HttpServer(HttpOptions options, Store& store, AccountService& service, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), store, service, metrics)) {
    impl_->configure();
}

HttpServer::~HttpServer() = default;

bool HttpServer::bind() {
    if (impl_->options.port == 0) {
        bound_port_ = impl_->server.bind_to_any_port(impl_->options.host);
        if (bound_port_ <= 0) return false;
    } else {
        if (!impl_->server.bind_to_port(impl_->options.host, impl_->options.port)) return false;
        bound_port_ = impl_->options.port;
    }
    // The library listens with a backlog of 5: a burst of clients connecting at once
    // (a console reconnecting its long-polls) would overflow it and wait a SYN
    // retransmission (1 s). Listening again on a listening socket sets a new backlog.
    if (impl_->listen_socket != INVALID_SOCKET) ::listen(impl_->listen_socket, SOMAXCONN);
    return true;
}

void HttpServer::serve() { impl_->server.listen_after_bind(); }

void HttpServer::stop() {
    impl_->service.stop_waiting();
    impl_->server.stop();
}

}  // namespace credits::server
