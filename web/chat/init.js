// Starts Converse.js against this server: XMPP over the WebSocket of the same origin, the
// domain the server put into the page, history from the server's archive. The page is
// Rampart's, not Converse's: a small plugin replaces Converse's logo, header links, footer and
// About dialog (which point to conversejs.org, dead in an offline network) with the Rampart
// brand and a help dialog, so that nothing on the page links or loads from another origin.
// The language follows the browser: English, or Simplified Chinese for any Chinese locale.
(function () {
  'use strict';
  const root = document.documentElement;
  // A "{{...}}" marker the server did not fill in counts as unset.
  const pageValue = (name) => {
    const value = (root.dataset[name] || '').trim();
    return /^\{\{.*\}\}$/.test(value) ? '' : value;
  };
  const domain = pageValue('domain');
  const tenant = pageValue('tenantName') || domain;
  // The account center: a path on this server (never another origin).
  const accountPath = pageValue('accountUrl');
  const accountUrl = /^\/(?!\/)/.test(accountPath) ? accountPath : '';

  // Every string this file shows, in each language the page offers. Converse's own strings
  // come from its catalogue (dist/locales), loaded for the same language.
  const STRINGS = {
    en: {
      title: 'Rampart chat',
      help: 'Help',
      account: 'My account',
      signinTitle: 'Signing in',
      signinText: 'Sign in with your user name and the password your administrator gave you. ' +
        'Your full chat address is your user name followed by @{domain}.',
      appsTitle: 'Desktop and mobile apps',
      appsText: 'Any XMPP app (for example Gajim, Conversations or Monal) works with the same ' +
        'address and password.',
      passwordTitle: 'Forgotten password',
      passwordText: 'Ask your administrator to set a new one; this page cannot reset passwords.',
      passwordTextAccount: 'Change it under "My account", where "Forgot your password?" also ' +
        'resets a forgotten one with a code sent to your phone. Otherwise ask your administrator.',
      aboutTitle: 'About this client',
      aboutText: 'The Rampart web client for {tenant}, built on the open-source Converse.js ' +
        '{version} (Mozilla Public License 2.0). It talks only to this server.',
      linkWarning: 'Suspicious link',
      linkWarningText: 'The server flagged this link: do not sign in, enter codes or pay ' +
        'anything through it.',
      linkReasonFraud: 'it appears next to words used in fraud',
      linkReasonListed: 'it is on a blocklist',
      noticeTitle: 'Privacy notice',
      noticeVersion: 'Version {version}',
      noticeFirst: 'Before you use {tenant} chat, read how your organisation processes your ' +
        'personal information, and accept it.',
      noticeChanged: 'The privacy notice has changed since you accepted version {version}. ' +
        'Read the new version and accept it to go on.',
      noticeAccept: 'I have read and accept',
      noticeDecline: 'Decline and sign out',
      noticeFailed: 'Your answer could not be recorded: {reason}'
    },
    zh_CN: {
      title: 'Rampart 聊天',
      help: '帮助',
      account: '我的账户',
      signinTitle: '登录',
      signinText: '请使用您的用户名和管理员提供的密码登录。您的完整聊天地址是用户名加上 @{domain}。',
      appsTitle: '桌面和手机应用',
      appsText: '任何 XMPP 应用（例如 Gajim、Conversations 或 Monal）都可以使用相同的地址和密码。',
      passwordTitle: '忘记密码',
      passwordText: '请联系管理员设置新密码；本页面无法重置密码。',
      passwordTextAccount: '请在“我的账户”中修改；忘记密码时，可在那里通过“忘记密码？”用发送到手机的验证码重置。否则请联系管理员。',
      aboutTitle: '关于本客户端',
      aboutText: '{tenant} 的 Rampart 网页客户端，基于开源的 Converse.js {version}' +
        '（Mozilla 公共许可证 2.0）。它只与本服务器通信。',
      linkWarning: '可疑链接',
      linkWarningText: '服务器标记了此链接：请勿通过它登录、输入验证码或付款。',
      linkReasonFraud: '它出现在诈骗常用语附近',
      linkReasonListed: '它在拦截名单上',
      noticeTitle: '隐私政策',
      noticeVersion: '版本 {version}',
      noticeFirst: '使用 {tenant} 聊天之前，请阅读您所在组织如何处理您的个人信息，并表示同意。',
      noticeChanged: '您同意版本 {version} 之后，隐私政策已有更新。请阅读新版本并同意后继续。',
      noticeAccept: '我已阅读并同意',
      noticeDecline: '不同意并退出',
      noticeFailed: '未能记录您的答复：{reason}'
    }
  };

  // The first of the browser's languages that the page offers; English otherwise.
  function pickLanguage(languages) {
    for (const tag of languages) {
      const lower = String(tag).toLowerCase();
      if (lower === 'zh' || lower.startsWith('zh-')) {
        return 'zh_CN';
      }
      if (lower === 'en' || lower.startsWith('en-')) {
        return 'en';
      }
    }
    return 'en';
  }
  const wanted = pickLanguage(navigator.languages && navigator.languages.length
    ? navigator.languages : [navigator.language || 'en']);
  let language = wanted;
  const htmlLang = { en: 'en', zh_CN: 'zh-CN' };
  const setLanguage = (lang) => {
    language = STRINGS[lang] ? lang : 'en';
    root.lang = htmlLang[language];
    document.title = STRINGS[language].title;
  };
  const t = (key, values) => (STRINGS[language][key] || STRINGS.en[key])
    .replace(/\{(\w+)\}/g, (all, name) => (values && name in values ? values[name] : all));
  setLanguage(wanted);

  // COMPAT: the npm package of Converse.js 12.0.0 ships language chunks from builds other than
  // converse.min.js: the catalogue chunk numbers its module where the bundle asks for
  // "./src/i18n/locales/LANG/LC_MESSAGES/converse.po", and the date-names chunk is an ES module
  // where the bundle loads classic scripts. Unrepaired, Converse logs "Cannot read properties of
  // undefined" and stays in English. This names the catalogue as it arrives and installs the
  // date names (on Converse's own dayjs) before Converse asks for them.
  async function repairLanguageChunks(lang) {
    const chunks = self.webpackChunkconverse_js;
    if (lang === 'en' || !chunks) {
      return;
    }
    const runtimePush = chunks.push;
    chunks.push = function (entry) {
      const modules = (entry && entry[1]) || {};
      for (const id of Object.keys(modules)) {
        if (/^\d+$/.test(id) && String(modules[id]).includes('locale_data')) {
          const probe = { exports: {} };
          modules[id](probe, probe.exports);
          const data = probe.exports.locale_data;
          const catalogue = data && data.converse && data.converse[''] && data.converse[''].lang;
          if (catalogue) {
            modules[`./src/i18n/locales/${catalogue}/LC_MESSAGES/converse.po`] = modules[id];
          }
        }
      }
      return runtimePush.apply(this, arguments);
    };
    try {
      const dates = lang.toLowerCase().replace('_', '-');
      const chunk = await import(`/chat/dist/locales/dayjs/${dates}-js.js`);
      if (chunk.__webpack_ids__ && chunk.__webpack_modules__) {
        chunks.push([chunk.__webpack_ids__, Object.assign({}, chunk.__webpack_modules__, {
          './node_modules/dayjs/dayjs.min.js': (module) => {
            module.exports = converse.env.dayjs;
          }
        })]);
      }
    } catch (e) {
      console.warn(`Rampart: no ${lang} date names: ${e}`);
    }
  }

  converse.plugins.add('rampart-branding', {
    dependencies: ['converse-modal', 'converse-controlbox'],
    initialize() {
      const _converse = this._converse;
      const { api } = _converse;
      const { html } = _converse.env;
      const { CustomElement, BaseModal } = _converse.exports;
      // Converse has loaded its catalogue by now; if that failed it runs in English, and so
      // does everything here.
      const i18n = _converse.env.i18n;
      if (i18n && i18n.getLocale) {
        setLanguage(i18n.getLocale());
      }

      // A shield with a crenellated wall and a gate (the favicon in index.html is the same).
      const logo = () => html`<svg class="rampart-logo" viewBox="0 0 64 64" aria-hidden="true"
          xmlns="http://www.w3.org/2000/svg">
        <path d="M32 4 56 12V30C56 45 46 55 32 60 18 55 8 45 8 30V12Z"/>
        <path class="rampart-logo__wall" d="M18 22H22V27H26V22H30V27H34V22H38V27H42V22H46V44H18Z"/>
        <path d="M29 44V38A3 3 0 0 1 35 38V44Z"/>
      </svg>`;

      class RampartLogo extends CustomElement {
        render() {
          return logo();
        }
      }

      // The heading above the login form: the product and, in the full-page view, the tenant.
      class RampartBrand extends CustomElement {
        static get properties() {
          return { hide_byline: { type: Boolean } };
        }

        constructor() {
          super();
          this.hide_byline = false;
        }

        render() {
          const fullscreen = api.settings.get('view_mode') === 'fullscreen';
          return html`<span class="brand-heading rampart-brand">
            <span class="brand-name-wrapper ${fullscreen ? 'brand-name-wrapper--fullscreen' : ''}">
              ${logo()}
              <span class="brand-name">
                <span class="brand-name__text">Rampart</span>
                ${fullscreen && !this.hide_byline && tenant
                  ? html`<p class="byline rampart-tenant">${tenant}</p>` : ''}
              </span>
            </span>
          </span>`;
        }
      }

      // The header of the login page: help, and the account center.
      class RampartNavbar extends CustomElement {
        render() {
          const openHelp = (ev) => {
            ev.preventDefault();
            api.modal.show('converse-about-modal');
          };
          return html`<nav class="navbar">
            <div class="container-fluid">
              <ul class="navbar-nav ms-auto mb-2">
                ${accountUrl ? html`<li class="nav-item">
                  <a class="nav-link rampart-account-link" href="${accountUrl}">${t('account')}</a>
                </li>` : ''}
                <li class="nav-item">
                  <a class="nav-link rampart-help-link" href="#" @click=${openHelp}>${t('help')}</a>
                </li>
              </ul>
            </div>
          </nav>`;
        }
      }

      // Converse's footer credits its sponsors with images and links from other sites.
      class RampartFooter extends CustomElement {
        render() {
          return '';
        }
      }

      // Shown from the header's Help link (Converse's About dialog lives under this name).
      class RampartHelp extends BaseModal {
        getModalTitle() {
          return t('help');
        }

        // Converse's own Close button takes its text before the catalogue has loaded.
        renderModalFooter() {
          const close = i18n && i18n.__ ? i18n.__('Close') : 'Close';
          return html`<div class="modal-footer">
            <button type="button" class="btn btn-secondary" data-bs-dismiss="modal">
              ${close}
            </button>
          </div>`;
        }

        renderModal() {
          return html`<div class="rampart-help">
            <h6>${t('signinTitle')}</h6>
            <p>${t('signinText', { domain })}</p>
            <h6>${t('appsTitle')}</h6>
            <p>${t('appsText')}</p>
            <h6>${t('passwordTitle')}</h6>
            <p>${t(accountUrl ? 'passwordTextAccount' : 'passwordText')}</p>
            <h6>${t('aboutTitle')}</h6>
            <p>${t('aboutText', { tenant, version: _converse.VERSION_NAME })}</p>
          </div>`;
        }
      }

      // Links the server flagged for the recipient (<link-warning xmlns='urn:rampart:content:0'
      // url rule reason/>, set by the server only): a banner under the message.
      const NS_CONTENT = 'urn:rampart:content:0';
      // Only the message's own children count, or those of the message a server wrapper
      // carries (a carbon copy, an archive result); the server removes these elements from
      // whatever a client sends, forwarded messages included.
      const NS_WRAPPERS = ['urn:xmpp:carbons:2', 'urn:xmpp:mam:2'];
      const linkWarnings = (stanza, attrs) => {
        const found = [];
        const carriers = [stanza];
        for (const wrapper of Array.from(stanza.children || [])) {
          if (!NS_WRAPPERS.includes(wrapper.namespaceURI)) {
            continue;
          }
          for (const fwd of Array.from(wrapper.children || [])) {
            if (fwd.localName !== 'forwarded' || fwd.namespaceURI !== 'urn:xmpp:forward:0') {
              continue;
            }
            for (const inner of Array.from(fwd.children || [])) {
              if (inner.localName === 'message') {
                carriers.push(inner);
              }
            }
          }
        }
        for (const m of carriers) {
          for (const el of Array.from(m.children || [])) {
            if (el.localName === 'link-warning' && el.namespaceURI === NS_CONTENT) {
              found.push({ url: el.getAttribute('url') || '',
                           reason: el.getAttribute('reason') || '' });
            }
          }
        }
        return found.length ? Object.assign(attrs, { rampart_link_warnings: found }) : attrs;
      };
      api.listen.on('parseMessage', linkWarnings);
      api.listen.on('parseMUCMessage', linkWarnings);
      const BaseMessage = api.elements.registry['converse-chat-message'];
      if (BaseMessage) {
        class RampartMessage extends BaseMessage {
          renderMessageText() {
            const text = super.renderMessageText();
            const warnings = this.model.get('rampart_link_warnings') || [];
            if (!warnings.length) {
              return text;
            }
            return html`${text}<div class="rampart-link-warning" role="note"
                aria-label="${t('linkWarning')}">
              <strong>⚠ ${t('linkWarning')}</strong>
              <p>${t('linkWarningText')}</p>
              <ul>${warnings.map((w) => html`<li><code>${w.url}</code>
                (${t(w.reason === 'fraud-cues' ? 'linkReasonFraud' : 'linkReasonListed')})</li>`)}
              </ul>
            </div>`;
          }
        }
        api.elements.define('converse-chat-message', RampartMessage);
      }

      // The tenant's privacy notice (urn:rampart:privacy:0), asked for after every sign-in: when
      // the current version waits for an answer, a modal dialog shows it; accepting records the
      // answer on the server, declining signs out. A server without the feature answers with an
      // error and nothing is shown.
      const NS_PRIVACY = 'urn:rampart:privacy:0';
      const { stx } = converse.env;
      const noticeLang = () => (language === 'zh_CN' ? 'zh-CN' : 'en');
      function showNotice(notice) {
        const version = notice.getAttribute('version') || '';
        const accepted = notice.getAttribute('accepted') || '';
        const textEl = Array.from(notice.children).find((c) => c.localName === 'text');
        const dialog = document.createElement('dialog');
        dialog.className = 'rampart-notice';
        dialog.setAttribute('aria-labelledby', 'rampart-notice-title');
        dialog.setAttribute('lang', noticeLang());
        const heading = document.createElement('h2');
        heading.id = 'rampart-notice-title';
        heading.textContent = t('noticeTitle');
        const meta = document.createElement('p');
        meta.className = 'rampart-notice__version';
        meta.textContent = t('noticeVersion', { version });
        const intro = document.createElement('p');
        intro.textContent = accepted ? t('noticeChanged', { version: accepted })
          : t('noticeFirst', { tenant });
        const body = document.createElement('div');
        body.className = 'rampart-notice__text';
        body.tabIndex = 0;
        body.setAttribute('role', 'document');
        body.setAttribute('aria-label', t('noticeTitle'));
        body.textContent = textEl ? textEl.textContent : '';
        const problem = document.createElement('p');
        problem.className = 'rampart-notice__problem';
        problem.setAttribute('role', 'alert');
        const actions = document.createElement('div');
        actions.className = 'rampart-notice__actions';
        const accept = document.createElement('button');
        accept.type = 'button';
        accept.className = 'btn btn-primary';
        accept.textContent = t('noticeAccept');
        const decline = document.createElement('button');
        decline.type = 'button';
        decline.className = 'btn btn-secondary';
        decline.textContent = t('noticeDecline');
        actions.append(accept, decline);
        dialog.append(heading, meta, intro, body, problem, actions);
        // Escape does not dismiss it: the notice needs an answer.
        dialog.addEventListener('cancel', (ev) => ev.preventDefault());
        accept.addEventListener('click', async () => {
          accept.disabled = true;
          problem.textContent = '';
          try {
            await api.sendIQ(stx`<iq type="set" xmlns="jabber:client">
              <accept xmlns="${NS_PRIVACY}" version="${version}"/></iq>`);
            dialog.close();
            dialog.remove();
          } catch (e) {
            const reason = e && e.querySelector ? (e.querySelector('text')?.textContent || '')
              : String(e);
            problem.textContent = t('noticeFailed', { reason });
            accept.disabled = false;
          }
        });
        decline.addEventListener('click', () => {
          dialog.close();
          dialog.remove();
          api.user.logout();
        });
        document.body.append(dialog);
        dialog.showModal();
        body.focus();
      }
      async function askNotice() {
        if (document.querySelector('dialog.rampart-notice')) {
          return;
        }
        let reply;
        try {
          reply = await api.sendIQ(stx`<iq type="get" xmlns="jabber:client">
            <notice xmlns="${NS_PRIVACY}" xml:lang="${noticeLang()}"/></iq>`);
        } catch (e) {
          return;  // not offered here
        }
        const notice = reply && Array.from(reply.children || [])
          .find((c) => c.localName === 'notice' && c.namespaceURI === NS_PRIVACY);
        if (notice && notice.getAttribute('required') === 'true') {
          showNotice(notice);
        }
      }
      api.listen.on('connected', askNotice);
      api.listen.on('reconnected', askNotice);

      api.elements.define('converse-logo', RampartLogo);
      api.elements.define('converse-brand-logo', RampartBrand);
      api.elements.define('converse-controlbox-navbar', RampartNavbar);
      api.elements.define('converse-footer', RampartFooter);
      api.elements.define('converse-about-modal', RampartHelp);
    }
  });

  repairLanguageChunks(wanted).finally(() => converse.initialize({
    // With the trailing slash: Converse loads its language catalogues from here.
    assets_path: '/chat/dist/',
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
    // Nothing from other sites: no embedded players, the logo as the notification icon.
    embed_3rd_party_media_players: false,
    notification_icon: document.querySelector('link[rel="icon"]').href,
    whitelisted_plugins: ['rampart-branding'],
    loglevel: 'warn',
    i18n: wanted,
    locales: ['en', 'zh_CN']
  }));
})();
