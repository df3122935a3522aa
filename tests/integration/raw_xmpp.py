"""A deliberately small, blocking XMPP client on raw sockets for protocol-level tests.

slixmpp hides the wire (it negotiates features and picks mechanisms by itself), so tests that
check exactly what the server offers, or what it answers to hostile input, use this instead.
Every read is bounded by a timeout; nothing here waits forever.
"""
import base64
import itertools
import ctypes
import ctypes.util
import hashlib
import hmac
import os
import select
import socket
import ssl
import time
import xml.etree.ElementTree as ET

NS_STREAM = "http://etherx.jabber.org/streams"
NS_STREAMS = "urn:ietf:params:xml:ns:xmpp-streams"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind"
NS_CLIENT = "jabber:client"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"

DEFAULT_TIMEOUT = 15.0


def q(ns, local):
    """Clark notation, as ElementTree names elements: {ns}local."""
    return "{%s}%s" % (ns, local)


def local_name(tag):
    return tag.rsplit("}", 1)[-1]


def tls_context(max_version=None, min_version=None, legacy=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the dev server's certificate is self-signed
    if legacy:
        # Let *this* client speak TLS 1.0/1.1, so that a refusal can only come from the server.
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    if min_version is not None:
        ctx.minimum_version = min_version
    if max_version is not None:
        ctx.maximum_version = max_version
    return ctx


class StreamClosed(Exception):
    """The server closed the connection (EOF or reset) while we waited for something."""


_sources = itertools.count(1)


def fresh_source():
    """A loopback address no other test uses: the server counts sign-in failures and
    unfinished negotiations per client address, so tests that fail on purpose act as a client
    of their own (127.77.x.y) and leave 127.0.0.1 unthrottled for everyone else."""
    n = next(_sources) + (os.getpid() % 200) * 256
    return "127.77.%d.%d" % ((n // 250) % 250 + 1, n % 250 + 1)


class RawStream:
    """One client connection: TCP, optional TLS, an incremental parser of the server's stream.

    Top-level elements of the server's stream (children of <stream:stream>) are queued as
    ElementTree elements as they complete; `next()` and `expect()` take them off the queue.
    """

    def __init__(self, port, direct_tls=False, host="localhost", timeout=DEFAULT_TIMEOUT,
                 ssl_context=None, source=None):
        self.host = host
        self.timeout = timeout
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.tls = False
        if direct_tls:
            self._wrap_tls(ssl_context)
        self.queue = []
        self.eof = False
        self.stream_ended = False  # the server sent </stream:stream>
        self.stream_attrs = None
        self.features = None
        self.jid = None
        self._new_parser()

    # ---- transport -------------------------------------------------------------------------

    def _wrap_tls(self, ssl_context=None):
        ctx = ssl_context or tls_context()
        self.sock = ctx.wrap_socket(self.sock, server_hostname=self.host)
        self.tls = True

    def _new_parser(self):
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.depth = 0

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def send_until_answered(self, data, chunk=8192):
        """Send a large payload in chunks, stopping early once the server has said something.

        A server that rejects a flood closes the connection; if we kept writing, the kernel
        could answer our data with a reset and discard the stream error waiting to be read.
        Returns the number of bytes sent.
        """
        if isinstance(data, str):
            data = data.encode("utf-8")
        sent = 0
        while sent < len(data):
            readable, _, _ = select.select([self.sock], [], [], 0)
            if readable or (self.tls and self.sock.pending()):
                break
            try:
                self.sock.sendall(data[sent:sent + chunk])
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
                break
            sent += chunk
        return min(sent, len(data))

    def _pump(self, deadline):
        """Read once (bounded by the deadline) and parse what arrived."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out waiting for the server")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("timed out waiting for the server")
        except (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
            data = b""
        except ssl.SSLError as e:
            if "UNEXPECTED_EOF" in str(e) or "EOF" in str(e):
                data = b""
            else:
                raise
        if not data:
            self.eof = True
            return
        self.parser.feed(data)
        for event, elem in self.parser.read_events():
            if event == "start":
                if self.depth == 0:
                    self.stream_attrs = dict(elem.attrib)
                self.depth += 1
            else:
                self.depth -= 1
                if self.depth == 1:
                    self.queue.append(elem)
                elif self.depth == 0:
                    self.stream_ended = True

    def next(self, timeout=None):
        """The next top-level element from the server; raises StreamClosed at EOF."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.queue:
            if self.eof:
                raise StreamClosed("connection closed by the server")
            self._pump(deadline)
        return self.queue.pop(0)

    def expect(self, predicate, timeout=None):
        """Skip elements until one satisfies `predicate` (a tag or a callable); return it."""
        if isinstance(predicate, str):
            tag = predicate
            predicate = lambda e: e.tag == tag  # noqa: E731
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            el = self.next(timeout=max(0.01, deadline - time.monotonic()))
            if predicate(el):
                return el

    def wait_closed(self, timeout=None):
        """True once the server has closed the TCP connection (everything before is drained)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        try:
            while not self.eof:
                self._pump(deadline)
        except TimeoutError:
            return False
        return True

    def stream_error(self, timeout=None):
        """Wait for <stream:error/>; return (condition, text, element)."""
        err = self.expect(q(NS_STREAM, "error"), timeout)
        cond = [local_name(c.tag) for c in err if c.tag.startswith("{%s}" % NS_STREAMS)
                and local_name(c.tag) != "text"]
        text_el = err.find(q(NS_STREAMS, "text"))
        return (cond[0] if cond else None), (text_el.text if text_el is not None else None), err

    def close(self):
        try:
            if not self.eof:
                self.send("</stream:stream>")
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- stream negotiation ----------------------------------------------------------------

    def open_stream(self, to=None, prolog="", header=None):
        """Send a stream header and wait for the server's <stream:features/>."""
        self._new_parser()
        self.stream_attrs = None
        self.stream_ended = False
        if header is None:
            header = ("<?xml version='1.0'?>%s<stream:stream xmlns='jabber:client' "
                      "xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0' "
                      "xml:lang='en'>" % (prolog, to if to is not None else self.host))
        self.send(header)
        self.features = self.expect(q(NS_STREAM, "features"))
        return self.features

    def send_header(self, to=None, prolog=""):
        """Send a stream header without waiting for anything (for tests that expect errors)."""
        self._new_parser()
        self.send("<?xml version='1.0'?>%s<stream:stream xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>"
                  % (prolog, to if to is not None else self.host))

    def mechanisms(self):
        mechs = self.features.find(q(NS_SASL, "mechanisms"))
        if mechs is None:
            return []
        return [m.text for m in mechs.findall(q(NS_SASL, "mechanism"))]

    def starttls(self, ssl_context=None):
        self.send("<starttls xmlns='%s'/>" % NS_TLS)
        el = self.next()
        if el.tag != q(NS_TLS, "proceed"):
            raise AssertionError("expected <proceed/>, got %s" % ET.tostring(el))
        self._wrap_tls(ssl_context)
        return self.open_stream()

    def secure(self):
        """Reach the post-TLS features, whichever port this is."""
        if self.tls:
            return self.open_stream()
        self.open_stream()
        return self.starttls()

    def auth(self, user, password, mechanism="SCRAM-SHA-256", restart=True, **kw):
        """SCRAM authentication; returns the final <success/> or <failure/> element.

        After <success/> the stream is restarted (new header, features read) unless
        restart=False.
        """
        client = ScramClient(mechanism, user, password, **kw)
        initial = client.first()
        self.send("<auth xmlns='%s' mechanism='%s'>%s</auth>"
                  % (NS_SASL, mechanism, base64.b64encode(initial).decode()))
        el = self.next()
        if el.tag != q(NS_SASL, "challenge"):
            return el
        final = client.final(base64.b64decode(el.text or ""))
        self.send("<response xmlns='%s'>%s</response>"
                  % (NS_SASL, base64.b64encode(final).decode()))
        el = self.next()
        if el.tag == q(NS_SASL, "success"):
            client.verify_server(base64.b64decode(el.text or ""))
            if restart:
                self.open_stream()
        return el

    def bind(self, resource=None):
        """Bind a resource; returns the bound full JID, or raises with the error reply."""
        body = "<resource>%s</resource>" % xml_escape(resource) if resource else ""
        self.send("<iq type='set' id='bind1'><bind xmlns='%s'>%s</bind></iq>" % (NS_BIND, body))
        el = self.expect(lambda e: e.tag == q(NS_CLIENT, "iq") and e.get("id") == "bind1")
        if el.get("type") != "result":
            raise AssertionError("bind failed: %s" % ET.tostring(el).decode())
        self.jid = el.find("%s/%s" % (q(NS_BIND, "bind"), q(NS_BIND, "jid"))).text
        return self.jid

    def login(self, user, password, resource=None, mechanism="SCRAM-SHA-256"):
        """TLS, SASL and resource binding: a session ready for stanzas. Returns the full JID."""
        self.secure()
        result = self.auth(user, password, mechanism)
        if result.tag != q(NS_SASL, "success"):
            raise AssertionError("authentication failed: %s" % ET.tostring(result).decode())
        return self.bind(resource)

    def iq(self, payload, type_="get", to=None, id_=None, timeout=None):
        """Send an IQ and return the matching reply element."""
        id_ = id_ or "iq%d" % int.from_bytes(os.urandom(4), "big")
        to_attr = " to='%s'" % to if to else ""
        self.send("<iq type='%s' id='%s'%s>%s</iq>" % (type_, id_, to_attr, payload))
        return self.expect(lambda e: e.tag == q(NS_CLIENT, "iq") and e.get("id") == id_
                           and e.get("type") in ("result", "error"), timeout)


def xml_escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("'", "&apos;").replace('"', "&quot;"))


def stanza_error_condition(el):
    err = el.find(q(NS_CLIENT, "error"))
    if err is None:
        return None
    for c in err:
        if c.tag.startswith("{%s}" % NS_STANZAS) and local_name(c.tag) != "text":
            return local_name(c.tag)
    return None


# ---- SCRAM (RFC 5802 / RFC 7677), client side, written from the RFC ----------------------

_HASHES = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}


class ScramError(AssertionError):
    pass


class ScramClient:
    """Computes the client messages; `cb_type`/`cb_data` select channel binding (-PLUS)."""

    def __init__(self, mechanism, user, password, cb_type=None, cb_data=b"", gs2_flag=None,
                 nonce=None):
        base = mechanism[:-5] if mechanism.endswith("-PLUS") else mechanism
        self.hash = _HASHES[base]
        self.user = user
        self.password = password
        if gs2_flag is None:
            gs2_flag = ("p=%s" % cb_type) if cb_type else "n"
        self.gs2_header = ("%s,," % gs2_flag).encode()
        self.cb_data = cb_data if gs2_flag.startswith("p=") else b""
        self.nonce = nonce or base64.b64encode(os.urandom(18)).decode()
        self.server_signature = None

    def _h(self, data):
        return hashlib.new(self.hash, data).digest()

    def _hmac(self, key, data):
        return hmac.new(key, data, self.hash).digest()

    def first(self):
        name = self.user.replace("=", "=3D").replace(",", "=2C")
        self.client_first_bare = ("n=%s,r=%s" % (name, self.nonce)).encode()
        return self.gs2_header + self.client_first_bare

    def final(self, server_first):
        attrs = dict(kv.split("=", 1) for kv in server_first.decode().split(","))
        r, salt, iters = attrs["r"], base64.b64decode(attrs["s"]), int(attrs["i"])
        if not r.startswith(self.nonce) or len(r) <= len(self.nonce):
            raise ScramError("server nonce does not extend ours: %r" % r)
        if iters < 4096:
            raise ScramError("iteration count below the RFC 7677 minimum: %d" % iters)
        cbind = base64.b64encode(self.gs2_header + self.cb_data).decode()
        without_proof = ("c=%s,r=%s" % (cbind, r)).encode()
        salted = hashlib.pbkdf2_hmac(self.hash, self.password.encode(), salt, iters)
        client_key = self._hmac(salted, b"Client Key")
        stored_key = self._h(client_key)
        auth_message = self.client_first_bare + b"," + server_first + b"," + without_proof
        signature = self._hmac(stored_key, auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        server_key = self._hmac(salted, b"Server Key")
        self.server_signature = self._hmac(server_key, auth_message)
        return without_proof + b",p=" + base64.b64encode(proof)

    def verify_server(self, server_final):
        attrs = dict(kv.split("=", 1) for kv in server_final.decode().split(","))
        if "v" not in attrs or base64.b64decode(attrs["v"]) != self.server_signature:
            raise ScramError("server signature does not verify: %r" % server_final)


# ---- channel-binding data --------------------------------------------------------------

def tls_server_end_point(sslsock):
    """RFC 5929 section 4.1 for the dev certificate (ECDSA with SHA-256): SHA-256 of the DER."""
    return hashlib.sha256(sslsock.getpeercert(binary_form=True)).digest()


def tls_exporter(sslsock):
    """RFC 9266 tls-exporter data, or None when it cannot be obtained from this Python.

    Python's ssl module has no keying-material exporter, so this reaches the SSL* behind the
    socket with ctypes (PySSLSocket = PyObject_HEAD, a socket weakref, then SSL*) and checks
    that pointer with SSL_version() before trusting it.
    """
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("ssl") or "libssl.so.3")
        obj = sslsock._sslobj
        ptr = ctypes.c_void_p.from_address(id(obj) + 3 * ctypes.sizeof(ctypes.c_void_p)).value
        lib.SSL_version.argtypes = [ctypes.c_void_p]
        lib.SSL_version.restype = ctypes.c_int
        expected = {"TLSv1.3": 0x0304, "TLSv1.2": 0x0303}.get(sslsock.version())
        if not ptr or lib.SSL_version(ptr) != expected:
            return None
        lib.SSL_export_keying_material.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t,
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
        buf = ctypes.create_string_buffer(32)
        label = b"EXPORTER-Channel-Binding"
        if lib.SSL_export_keying_material(ptr, buf, 32, label, len(label), None, 0, 0) != 1:
            return None
        return buf.raw
    except (OSError, AttributeError, ValueError):
        return None


def account_password(name):
    """A password that every password profile accepts, derived from `name` so that a test can
    compute it again. Its letters skip every other one (no "bcd"-like runs cracklib would call
    systematic) and it never contains an account name."""
    import hashlib
    name = name[3:] if name.startswith("pw-") else name
    alphabet = "acegikmoqsuwyACEGIKMOQSUWY"
    digest = hashlib.sha256(name.encode()).digest()
    return "Kx9-%s-Qz" % "".join(alphabet[b % len(alphabet)] for b in digest[:10])
