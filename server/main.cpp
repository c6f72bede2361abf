// credits-server: the credit-rule core behind an HTTP API over a database
// (docs/server.md). Commands: serve, token, migrate. Exit status: 0 success,
// 1 a runtime failure (database unreachable, port taken), 2 a wrong command line.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "accounts.h"
#include "auth.h"
#include "http.h"
#include "metrics.h"
#include "static_files.h"
#include "store.h"

namespace {

using namespace credits::server;

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

constexpr const char* usage_text = R"(usage:
  credits-server serve   [--database URL] [--listen HOST:PORT] [--console DIR] [limits...]
  credits-server token   [--database URL] (--service | --account ID)
  credits-server migrate [--database URL]

URL is sqlite:PATH (default sqlite:data/credits.db) or postgresql://user@host:port/db.
--listen defaults to 127.0.0.1:8787 (port 0: any free port, printed at start).
--console DIR serves the built console (web/dist) at / on the same origin as the API.
limits (serve): --body-bytes-max N (16777216)  --batch-events-max N (10000)
                --threads N (512, at most)  --requests-max N (256)  --waiters-max N (32)
                --timeout-s N (5: read and write, per operation)  --keep-alive-s N (5)
                --cached-accounts-max N (64)  --checkpoint-events-min N (1000)
)";

struct Command {
    std::string name;
    std::string database = "sqlite:data/credits.db";
    std::map<std::string, std::string> values;
    bool service = false;
};

int usage_error(const std::string& message) {
    std::cerr << "credits-server: " << message << "\n\n" << usage_text;
    return exit_usage;
}

std::optional<Command> parse(int argc, char** argv, std::string& error) {
    if (argc < 2) {
        error = "missing command";
        return std::nullopt;
    }
    Command command;
    command.name = argv[1];
    static const char* const valued[] = {"--listen",      "--account",     "--body-bytes-max",      "--batch-events-max",
                                         "--threads",     "--requests-max", "--waiters-max",         "--timeout-s",
                                         "--keep-alive-s", "--cached-accounts-max", "--checkpoint-events-min", "--console"};
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--service") {
            command.service = true;
            continue;
        }
        const bool takes_value = arg == "--database" || std::find(std::begin(valued), std::end(valued), arg) != std::end(valued);
        if (!takes_value) {
            error = "unknown argument " + arg;
            return std::nullopt;
        }
        if (i + 1 >= argc) {
            error = arg + " needs a value";
            return std::nullopt;
        }
        const std::string value = argv[++i];
        if (arg == "--database") command.database = value;
        else if (!command.values.emplace(arg, value).second) {
            error = arg + " is given twice";
            return std::nullopt;
        }
    }
    return command;
}

// A flag's whole-number value within [minimum, maximum], or nullopt (with `error` set).
std::optional<long long> number_flag(const Command& command, const std::string& flag, long long fallback,
                                     long long minimum, long long maximum, std::string& error) {
    const auto found = command.values.find(flag);
    if (found == command.values.end()) return fallback;
    const std::string& text = found->second;
    if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoll(text) < minimum || std::stoll(text) > maximum) {
        error = flag + " takes a whole number from " + std::to_string(minimum) + " to " + std::to_string(maximum);
        return std::nullopt;
    }
    return std::stoll(text);
}

bool parse_listen(const std::string& text, HttpOptions& options) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 >= text.size() || text.size() - colon > 6) return false;
    const std::string port = text.substr(colon + 1);
    if (port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) return false;
    options.host = text.substr(0, colon);
    if (options.host.size() > 2 && options.host.front() == '[' && options.host.back() == ']') {
        options.host = options.host.substr(1, options.host.size() - 2);
    }
    options.port = std::stoi(port);
    return true;
}

// Options of `serve`: false (with `error`) when a flag is wrong.
bool serve_options(const Command& command, HttpOptions& http, ServiceLimits& limits, std::string& error) {
    if (const auto listen = command.values.find("--listen"); listen != command.values.end() && !parse_listen(listen->second, http)) {
        error = "--listen takes HOST:PORT, e.g. 127.0.0.1:8787";
        return false;
    }
    if (const auto console = command.values.find("--console"); console != command.values.end()) {
        if (!StaticFiles(console->second).valid()) {
            error = "--console takes a directory holding the built console's index.html (npm run build:web makes web/dist)";
            return false;
        }
        http.console_dir = console->second;
    }
    const auto flag = [&](const char* name, long long fallback, long long minimum, long long maximum, auto& target) {
        const std::optional<long long> value = number_flag(command, name, fallback, minimum, maximum, error);
        if (value) target = static_cast<std::remove_reference_t<decltype(target)>>(*value);
        return value.has_value();
    };
    return flag("--body-bytes-max", 16LL << 20, 1024, 1LL << 30, http.body_bytes_max) &&
           flag("--threads", 512, 2, 4096, http.threads) && flag("--requests-max", 256, 1, 100000, http.requests_max) &&
           flag("--timeout-s", 5, 1, 300, http.io_timeout_s) && flag("--keep-alive-s", 5, 1, 300, http.keep_alive_s) &&
           flag("--batch-events-max", 10000, 1, 1000000, limits.batch_events_max) &&
           flag("--waiters-max", 32, 0, 100000, limits.waiters_max) &&
           flag("--cached-accounts-max", 64, 1, 1000000, limits.cached_accounts_max) &&
           flag("--checkpoint-events-min", 1000, 1, 1LL << 40, limits.checkpoint_events_min);
}

int serve(const Command& command) {
    HttpOptions http;
    ServiceLimits limits;
    std::string error;
    if (!serve_options(command, http, limits, error)) return usage_error(error);
    // SIGTERM and SIGINT are taken by one thread with sigwait (blocked everywhere
    // else), so shutdown runs as ordinary code, not in a signal handler.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    std::unique_ptr<Store> store = Store::open(command.database);
    http.schema_version = store->migrate();
    Metrics metrics;
    AccountService service(*store, credits::Engine::with_defaults(), metrics, limits);
    HttpServer server(http, *store, service, metrics);
    if (!server.bind()) {
        std::cerr << "credits-server: cannot listen on " << http.host << ':' << http.port << "\n";
        return exit_failure;
    }
    std::fprintf(stderr, "{\"level\":\"info\",\"message\":\"listening\",\"host\":\"%s\",\"port\":%d,\"schema_version\":%d}\n",
                 http.host.c_str(), server.port(), http.schema_version);
    std::thread waiter([&] {
        int received = 0;
        sigwait(&signals, &received);
        server.stop();
    });
    server.serve();
    // serve() also returns when listening fails on its own: wake the waiter then.
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    std::fprintf(stderr, "{\"level\":\"info\",\"message\":\"stopped\"}\n");
    return exit_ok;
}

int token(const Command& command) {
    const auto account = command.values.find("--account");
    if (command.service == (account != command.values.end())) return usage_error("token takes --service or --account ID");
    for (const auto& [flag, value] : command.values) {
        if (flag != "--account") return usage_error(flag + " is not an option of token");
    }
    Principal principal;
    principal.kind = command.service ? TokenKind::service : TokenKind::account;
    if (!command.service) {
        if (!valid_account_id(account->second)) return usage_error("--account takes an account id (1-128 of A-Z a-z 0-9 . _ : ~ -)");
        principal.account_id = account->second;
    }
    std::unique_ptr<Store> store = Store::open(command.database);
    store->migrate();
    const std::string text = generate_token(principal.kind);
    store->add_token(sha256_hex(text), principal);
    std::cout << (command.service ? "A service token (ingests and reads every account)"
                                  : "An account token (reads account " + principal.account_id + ")")
              << "; it is shown once, and only its SHA-256 is stored:\n"
              << text << std::endl;
    return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
    std::string error;
    const std::optional<Command> command = parse(argc, argv, error);
    if (!command) return usage_error(error);
    if (command->name == "--help" || command->name == "help") {
        std::cout << usage_text;
        return exit_ok;
    }
    try {
        if (command->name == "serve") return serve(*command);
        if (command->name == "token") return token(*command);
        if (command->name == "migrate") {
            if (!command->values.empty() || command->service) return usage_error("migrate takes only --database");
            std::unique_ptr<Store> store = Store::open(command->database);
            std::cout << "schema_version " << store->migrate() << std::endl;
            return exit_ok;
        }
    } catch (const std::exception& failure) {
        std::cerr << "credits-server: " << failure.what() << "\n";
        return exit_failure;
    }
    return usage_error("unknown command " + command->name);
}
