// Starts Converse.js against this server: XMPP over the WebSocket of the same origin, the
// domain the server put into the page, history from the server's archive.
(function () {
  'use strict';
  var domain = document.documentElement.dataset.domain;
  converse.initialize({
    assets_path: '/chat/dist',
    websocket_url: 'wss://' + window.location.host + '/xmpp-websocket',
    discover_connection_methods: false,
    default_domain: domain,
    domain_placeholder: domain,
    muc_domain: 'conference.' + domain,
    view_mode: 'fullscreen',
    allow_registration: false,
    auto_reconnect: true,
    muc_show_logs_before_join: true,
    show_client_info: false,
    loglevel: 'warn',
    i18n: 'en'
  });
})();
