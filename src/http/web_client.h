#pragma once
// The bundled web client (Converse.js) at /chat/: the page, its start-up script and
// Converse.js's distribution files, read from `root` (web/chat of the source tree or an
// installed copy) and kept in memory after the first request. Read-only after start-up.
#include <map>
#include <string>
#include <vector>

#include "rampart/http/router.h"

namespace rampart::http {

// `hosts`: the served domains; the page names the one in the request's Host header (the first
// host otherwise). `displayNames`: each host's tenant name shown on the page (may be empty).
// `accountUrl`: the account center's path for the page's "My account" link (empty: none).
void addWebClient(Router& router, std::string root, std::vector<std::string> hosts,
                  std::map<std::string, std::string> displayNames = {},
                  std::string accountUrl = {});

// The admin console on the admin listener: `root` is its Vite build (index.html and
// assets/). "/" and every path without a file extension get index.html (the console routes
// in the page); files come from assets/. A strict CSP: this origin's scripts and styles only.
void addAdminConsole(Router& router, std::string root);

// A page built with Vite (index.html and assets/) under `prefix` ("/" or "/NAME/"), served the
// same way: the admin console at "/" on the admin listener, the account center at "/account/"
// on the client listener. `name` is for error texts.
void addWebApp(Router& router, std::string prefix, std::string root, std::string name);

}  // namespace rampart::http
