#pragma once
// XEP-0156 discovery of alternative connection methods: /.well-known/host-meta (XRD) and
// /.well-known/host-meta.json, pointing browsers at the XMPP WebSocket endpoint.
#include <string>

#include "rampart/http/router.h"

namespace rampart::http {

// Registers both documents; the WebSocket URL uses the Host header the client sent (when it
// is a plausible host[:port]) so that it names the same origin and port.
void addHostMeta(Router& router, std::string websocketPath, std::string fallbackHost);

}  // namespace rampart::http
