// The HTTP face of the account service (docs/server.md, "Routes"): routing on
// the raw request target, authentication, limits, ETags, metrics and one JSON
// log line per request, on cpp-httplib.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "accounts.h"
#include "metrics.h"
#include "store.h"

namespace credits::server {

struct HttpOptions {
    std::string host = "127.0.0.1";
    int port = 8787;
    std::size_t body_bytes_max = std::size_t{16} * 1024 * 1024;
    std::size_t threads = 512;             // worker threads at most (started as connections need them)
    std::int64_t requests_max = 256;       // in flight at once; beyond: 503 overloaded
    int io_timeout_s = 5;                  // read and write timeouts, per operation
    int keep_alive_s = 5;
    std::size_t keep_alive_requests_max = 100;
    int schema_version = 0;                // for /healthz
    std::string console_dir;               // when set: the built console served at / (static_files.h)
};

class HttpServer {
public:
    HttpServer(HttpOptions options, Store& store, AccountService& service, Metrics& metrics);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds the listen address; false when it cannot (port taken). Then the port
    // actually bound is port() (useful with port 0).
    bool bind();
    [[nodiscard]] int port() const { return bound_port_; }
    // Serves until stop(); in-flight requests finish before it returns.
    void serve();
    // Stops accepting, wakes the long-polls; safe from another thread.
    void stop();

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
    int bound_port_ = 0;
};

}  // namespace credits::server
