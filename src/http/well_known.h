#pragma once
// XEP-0156 discovery of alternative connection methods: /.well-known/host-meta (XRD) and
// /.well-known/host-meta.json, pointing browsers at the XMPP WebSocket endpoint.
#include <string>
#include <vector>

#include "rampart/http/router.h"

namespace rampart::http {

// Registers both documents; the WebSocket URL uses the Host header the client sent when it
// names one of `knownHosts` (with any port), so that it points at the same origin and port;
// any other Host gets the first known host.
void addHostMeta(Router& router, std::string websocketPath, std::vector<std::string> knownHosts);

}  // namespace rampart::http
