// cpp-httplib's server with a bound on each request's head. The library (0.11.4)
// bounds every header line but not their number nor the time they take: a client
// could send header lines forever, before any authentication, and the server
// would keep them all in memory. Here each request's request line and headers
// together must fit in `head_bytes_max` and arrive within `head_deadline`; past
// either the head's reads fail, the library answers 400 and the connection is
// closed. The body that follows is the route's to bound (docs/server.md,
// "Security").
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <functional>

namespace credits::server {

class GuardedServer : public httplib::Server {
public:
    std::size_t head_bytes_max = 64 * 1024;
    std::chrono::seconds head_deadline{10};
    // Runs on the request's thread after each request on a connection is answered
    // (or abandoned), so per-request state can be released.
    std::function<void()> after_request;

    // Called once the head is read (the pre-routing handler): the body is not the head.
    static void head_read();

private:
    // Replaces the library's own loop over a connection's requests (the same
    // keep-alive rules) to read through a stream that enforces the head bound.
    bool process_and_close_socket(socket_t sock) override;
};

}  // namespace credits::server
