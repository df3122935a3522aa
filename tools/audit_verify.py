#!/usr/bin/env python3
"""Independent verifier for Rampart's tamper-evident audit log (see docs/audit-log.md).

  audit_verify.py --db DATA/audit.db --key VERIFIER_KEY [--checkpoint FILE ...]
  audit_verify.py proof-inclusion --leaf-body-file F --index I --size N --root-hex H --proof-file P
  audit_verify.py proof-consistency --first M --second N --first-root-hex H1 --second-root-hex H2
                                    --proof-file P
  audit_verify.py selftest

Exit status: 0 intact (or the proof holds), 1 tampered (or the proof fails), 2 usage or input
error. Written from RFC 9162 section 2.1 (Merkle tree and proofs) and the C2SP signed-note and
tlog-checkpoint formats; it shares no code with the server. Needs Python 3 and
python3-cryptography (for Ed25519) only.
"""

import argparse
import base64
import binascii
import contextlib
import datetime
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import urllib.parse

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


class UsageError(Exception):
    """Bad arguments or unreadable input: exit 2."""


class Tampered(Exception):
    """Evidence that the log was changed: exit 1. `seq` is the first bad record, or None."""

    def __init__(self, seq, what):
        super().__init__(what)
        self.seq, self.what = seq, what

    def __str__(self):
        where = "log head" if self.seq is None else f"record {self.seq}"
        return f"tampered: {where}: {self.what}"


class BadNote(Exception):
    """A checkpoint note that does not parse or does not verify with the given key."""


def b64decode_strict(text):
    """Canonical RFC 4648 base64 only (padding required, no whitespace), else None."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return None
    return raw if base64.b64encode(raw).decode() == text else None


# ---- RFC 9162 section 2.1: the Merkle tree -------------------------------------------------

def sha256(data):
    return hashlib.sha256(data).digest()


def leaf_hash(entry):
    return sha256(b"\x00" + entry)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


EMPTY_ROOT = sha256(b"")


def split_point(n):
    """The largest power of two smaller than n (n > 1): k in RFC 9162 section 2.1.1."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def mth(leaves):
    """MTH(D[n]) over leaf hashes (the leaves are hashed already)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split_point(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


class CompactRange:
    """The roots of the perfect subtrees of the first `size` leaves, largest (leftmost) first:
    one per set bit of `size`. Enough to append a leaf and to compute MTH."""

    def __init__(self, size=0, nodes=()):
        if size < 0 or len(nodes) != bin(size).count("1"):
            raise ValueError("one 32-byte hash per set bit of the size is needed")
        self.size, self.nodes = size, list(nodes)

    @classmethod
    def restore(cls, size, blob):
        if len(blob) % 32:
            raise ValueError("not a whole number of hashes")
        return cls(size, [blob[i:i + 32] for i in range(0, len(blob), 32)])

    def append(self, leaf):
        self.nodes.append(leaf)
        s = self.size
        while s & 1:  # each trailing one bit is a subtree as big as the one just completed
            right = self.nodes.pop()
            self.nodes[-1] = node_hash(self.nodes[-1], right)
            s >>= 1
        self.size += 1

    def root(self):
        if not self.nodes:
            return EMPTY_ROOT
        h = self.nodes[-1]
        for left in reversed(self.nodes[:-1]):
            h = node_hash(left, h)
        return h

    def serialize(self):
        return b"".join(self.nodes)


def inclusion_path(m, leaves):
    """PATH(m, D[n]), RFC 9162 section 2.1.3.1 (used by the self-test)."""
    if len(leaves) <= 1:
        return []
    k = split_point(len(leaves))
    if m < k:
        return inclusion_path(m, leaves[:k]) + [mth(leaves[k:])]
    return inclusion_path(m - k, leaves[k:]) + [mth(leaves[:k])]


def consistency_proof(m, leaves):
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true), RFC 9162 section 2.1.4.1 (self-test)."""
    def subproof(m, d, b):
        if m == len(d):
            return [] if b else [mth(d)]
        k = split_point(len(d))
        if m <= k:
            return subproof(m, d[:k], b) + [mth(d[k:])]
        return subproof(m - k, d[k:], False) + [mth(d[:k])]
    return subproof(m, leaves, True)


def verify_inclusion(leaf, index, size, proof, root):
    """RFC 9162 section 2.1.3.2, step by step."""
    if index >= size:  # 1
        return False
    fn, sn = index, size - 1  # 2
    r = leaf  # 3
    for p in proof:  # 4
        if sn == 0:  # 4a
            return False
        if fn & 1 or fn == sn:  # 4b
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1  # 4c
        sn >>= 1
    return sn == 0 and r == root  # 5


def verify_consistency(first, second, first_hash, second_hash, proof):
    """RFC 9162 section 2.1.4.2, step by step, for 0 < first < second. (Equal sizes are outside
    the algorithm: the proof is empty and the roots must be equal.)"""
    if first == second and first > 0:
        return not proof and first_hash == second_hash
    if not 0 < first < second:
        return False
    if not proof:  # 1
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # 2: first is an exact power of 2
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1  # 3
    while fn & 1:  # 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # 5
    for c in path[1:]:  # 6
        if sn == 0:  # 6a
            return False
        if fn & 1 or fn == sn:  # 6b
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1  # 6c
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0  # 7


# ---- C2SP signed notes and checkpoints ----------------------------------------------------

SIG_PREFIX = "\u2014 "  # an em dash and a space start every signature line


def key_id(name, public_key):
    return sha256(name.encode() + b"\n\x01" + public_key)[:4]


class VerifierKey:
    """<name>+<8 hex digits of key id>+<base64(0x01 || 32-byte Ed25519 public key)>"""

    def __init__(self, text):
        parts = text.strip().split("+", 2)  # the base64 key may itself contain '+'
        if len(parts) != 3 or not parts[0] or re.search(r"[\x00-\x20\x7f]", parts[0]):
            raise UsageError("a verifier key is <origin>+<key id>+<base64 key>")
        self.name, hex_id, b64 = parts
        raw = b64decode_strict(b64)
        if raw is None or len(raw) != 33 or raw[0] != 1:
            raise UsageError("the verifier key is not an Ed25519 (type 0x01) key")
        self.raw = raw[1:]
        self.id = key_id(self.name, self.raw)
        if hex_id.lower() != self.id.hex():
            raise UsageError(f"the verifier key's id {hex_id} does not match its key "
                             f"({self.id.hex()})")
        self.public = Ed25519PublicKey.from_public_bytes(self.raw)


def raw_public(private):
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign_checkpoint(private, name, size, root):
    """The note the server writes (used by the self-test to build logs)."""
    text = f"{name}\n{size}\n{base64.b64encode(root).decode()}\n"
    public = raw_public(private)
    sig = base64.b64encode(key_id(name, public) + private.sign(text.encode())).decode()
    return f"{text}\n{SIG_PREFIX}{name} {sig}\n"


def open_checkpoint(note, key):
    """(size, root) of a checkpoint note signed by `key`; raises BadNote."""
    try:
        text = note.decode("utf-8") if isinstance(note, bytes) else note
    except UnicodeDecodeError:
        raise BadNote("it is not UTF-8 text") from None
    end = text.find("\n\n")
    if end < 0:
        raise BadNote("it has no blank line before its signatures")
    signed, sigs = text[:end + 1], text[end + 2:]
    lines = signed.split("\n")[:-1]  # origin, size, root, then extension lines (none defined)
    if len(lines) < 3:
        raise BadNote("it needs an origin, a size and a root line")
    origin, size, root = lines[0], lines[1], b64decode_strict(lines[2])
    if origin != key.name:
        raise BadNote(f"its origin is {origin!r}, the key's is {key.name!r}")
    if not re.fullmatch(r"0|[1-9][0-9]{0,19}", size):
        raise BadNote(f"its size line {size!r} is not a decimal number")
    if root is None or len(root) != 32:
        raise BadNote("its root line is not a base64 SHA-256 hash")
    if not sigs.endswith("\n"):
        raise BadNote("its signature lines do not end with a newline")
    others = []
    for line in sigs[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise BadNote("a signature line does not start with an em dash and a space")
        name, _, b64 = line[len(SIG_PREFIX):].partition(" ")
        raw = b64decode_strict(b64)
        if raw is None or len(raw) < 5:
            raise BadNote("a signature line is malformed")
        if name != key.name or raw[:4] != key.id:
            others.append(f"{name}+{raw[:4].hex()}")
            continue
        try:
            key.public.verify(raw[4:], signed.encode())
        except InvalidSignature:
            raise BadNote("its signature by the given key does not verify") from None
        return int(size), root
    raise BadNote("it is not signed by the given key" +
                  (f" (only by {', '.join(others)})" if others else ""))


# ---- the database ---------------------------------------------------------------------------

def as_bytes(value):
    if value is None:
        return b""
    return value if isinstance(value, bytes) else str(value).encode()


def check_position(seq, body):
    """The record's own position is part of what was hashed: body.seq must equal the row.
    Returns the parsed body."""
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):
        raise Tampered(seq, "its body is not JSON") from None
    s = obj.get("seq") if isinstance(obj, dict) else None
    if type(s) is not int:
        raise Tampered(seq, 'its body is not a JSON object with an integer "seq"')
    if s != seq:
        raise Tampered(seq, f"it holds the body of record {s} (records were moved or reordered)")
    return obj


def format_time(ms):
    """The body's "time" for a time_ms value: 2026-12-02T03:55:00.123Z."""
    try:
        t = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)
    except (OverflowError, TypeError):
        return None
    return f"{t.year:04d}-{t:%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z"


def check_columns(seq, obj, columns):
    """The row's time_ms, actor, tenant, action and result are unsigned copies of the body's
    fields, used to search and to choose what retention prunes: they must agree with it."""
    time_ms, *texts = columns
    if format_time(time_ms) != obj.get("time"):
        raise Tampered(seq, f"its time_ms column ({time_ms}) does not match its body's time "
                            f"({obj.get('time')}); retention prunes by that column")
    for name, value in zip(("actor", "tenant", "action", "result"), texts):
        if as_bytes(value).decode(errors="replace") != obj.get(name):
            raise Tampered(seq, f"its {name} column does not match its body (searches by "
                                f"{name} would be misled)")


def verify_db(db, key, kept_files=()):
    """Checks the whole log. Returns (records checked, tree size, root, notes); raises
    Tampered for the first problem, UsageError when the input cannot be read."""
    notes, kept = [], {}
    for f in kept_files:
        try:
            with open(f, "rb") as fh:
                size, root = open_checkpoint(fh.read(), key)
        except OSError as e:
            raise UsageError(f"cannot read {f}: {e.strerror}") from None
        except BadNote as e:
            raise UsageError(f"the kept checkpoint {f} is unusable: {e}") from None
        kept.setdefault(size, []).append((f, root))

    def check_kept(size, root, pruned=False):
        for f, r in kept.get(size, ()):
            if r != root:
                raise Tampered(size, f"the records up to {size}{' (pruned)' if pruned else ''} "
                                     f"do not match the kept checkpoint {f}")

    if not os.path.isfile(db):
        raise UsageError(f"{db} is not a file")
    try:
        con = sqlite3.connect("file:" + urllib.parse.quote(os.path.abspath(db)) + "?mode=ro",
                              uri=True)
    except sqlite3.Error as e:
        raise UsageError(f"cannot open {db}: {e}") from None
    con.text_factory = bytes  # the bodies exactly as stored
    try:
        meta = con.execute("SELECT value FROM audit_meta WHERE key = 'origin'").fetchone()
        head = con.execute("SELECT size, frontier, checkpoint, anchor_size, anchor_frontier "
                           "FROM audit_head WHERE id = 1").fetchone()
        if meta and meta[0] != key.name.encode():
            notes.append(f"the log calls itself {meta[0].decode(errors='replace')!r}, "
                         f"the key is for {key.name!r}")
        if head is None:
            raise Tampered(None, "the audit_head row is missing")
        h_size, h_frontier, h_checkpoint, a_size, a_frontier = head
        try:
            tree = CompactRange.restore(a_size, as_bytes(a_frontier))
        except ValueError:
            raise Tampered(None, f"the retention anchor does not hold one hash per set bit of "
                                 f"its size {a_size}") from None
        check_kept(a_size, tree.root(), pruned=True)
        for size, files in sorted(kept.items()):
            if size < a_size:
                notes.extend(f"the kept checkpoint {f} (size {size}) is older than the retention "
                             f"anchor ({a_size}) and cannot be checked" for f, _ in files)

        records = 0
        rows = con.execute("SELECT seq, body, leaf, checkpoint, time_ms, actor, tenant, action, "
                           "result FROM audit_log ORDER BY seq")
        for seq, body, stored_leaf, checkpoint, *columns in rows:
            body = as_bytes(body)
            if seq <= a_size:
                raise Tampered(seq, f"it is stored although records up to {a_size} were pruned, "
                                    "so no checkpoint covers it")
            if seq != tree.size + 1:
                raise Tampered(tree.size + 1, f"it is missing (the next stored record is {seq})")
            obj = check_position(seq, body)
            leaf = leaf_hash(body)
            tree.append(leaf)
            try:
                size, root = open_checkpoint(as_bytes(checkpoint), key)
            except BadNote as e:
                raise Tampered(seq, f"its checkpoint does not verify: {e}") from None
            if size != seq:
                raise Tampered(seq, f"its checkpoint is for tree size {size}")
            if root != tree.root():
                if as_bytes(stored_leaf) != leaf:
                    what = ("it was changed after it was written (its body matches neither its "
                            "stored leaf hash nor its signed checkpoint)")
                else:
                    what = ("it does not match its signed checkpoint (its body was changed and the "
                            "leaf hash rewritten, or a record was inserted or replaced here")
                    anchor = a_size > 0 and seq == a_size + 1
                    what += ", or the retention anchor was changed)" if anchor else ")"
                raise Tampered(seq, what)
            if as_bytes(stored_leaf) != leaf:
                raise Tampered(seq, "its stored leaf hash was changed (the body itself matches "
                                    "the signed tree)")
            check_columns(seq, obj, columns)
            check_kept(seq, root)
            if records == 0:
                first_time = obj["time"]
            records += 1
    except sqlite3.Error as e:
        raise UsageError(f"{db} cannot be read as a Rampart audit log: {e}") from None
    finally:
        con.close()

    size, root = tree.size, tree.root()
    if size < h_size:
        raise Tampered(size + 1, f"it is missing: the log head counts {h_size} records, the log "
                                 f"ends at {size} (truncated)")
    if size > h_size:
        raise Tampered(h_size + 1, f"it was added behind the log head, which counts {h_size}")
    if kept and max(kept) > size:
        big = max(kept)
        raise Tampered(size + 1, f"it is missing: the kept checkpoint {kept[big][0][0]} covers "
                                 f"{big} records, the log has {size} (truncated)")
    if h_size or h_checkpoint:
        try:
            c_size, c_root = open_checkpoint(as_bytes(h_checkpoint), key)
        except BadNote as e:
            raise Tampered(None, f"its checkpoint does not verify: {e}") from None
        if c_size != h_size or c_root != root:
            raise Tampered(None, "its checkpoint does not match the records")
    if as_bytes(h_frontier) != tree.serialize():
        raise Tampered(None, "its compact range does not match the records (the next record "
                             "would be signed over a wrong tree)")
    if a_size:
        notes.append(f"records 1 to {a_size} were removed by retention; " +
                     (f"the oldest left, {a_size + 1}, is from {first_time}" if records else
                      "none are left"))
    return records, size, root, notes


# ---- proofs from the admin API ----------------------------------------------------------------

def read_proof(path):
    try:
        with open(path, "rb") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read the proof file {path}: {e}") from None
    proof = data.get("proof") if isinstance(data, dict) else None
    if not isinstance(proof, list):
        raise UsageError(f'{path} is not {{"proof": ["base64", ...]}}')
    out = [b64decode_strict(p) if isinstance(p, str) else None for p in proof]
    if any(h is None or len(h) != 32 for h in out):
        raise UsageError(f"{path}: every proof element must be a base64 SHA-256 hash")
    return out


def root_hex(text):
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise UsageError(f"{text!r} is not a 64-digit hex SHA-256 root")
    return raw


def cmd_inclusion(argv):
    p = argparse.ArgumentParser(prog="audit_verify.py proof-inclusion",
                                description="Checks an RFC 9162 inclusion proof for one record.")
    p.add_argument("--leaf-body-file", required=True,
                   help="the record's body as stored (one trailing newline is ignored)")
    p.add_argument("--index", type=int, required=True, help="leaf index: the record's seq - 1")
    p.add_argument("--size", type=int, required=True, help="tree size the root is for")
    p.add_argument("--root-hex", required=True)
    p.add_argument("--proof-file", required=True, help='JSON {"proof": ["base64", ...]}')
    a = p.parse_args(argv)
    try:
        with open(a.leaf_body_file, "rb") as f:
            body = f.read()
    except OSError as e:
        raise UsageError(f"cannot read {a.leaf_body_file}: {e.strerror}") from None
    body = body[:-2] if body.endswith(b"\r\n") else body[:-1] if body.endswith(b"\n") else body
    if not 0 <= a.index < a.size:
        raise UsageError("need 0 <= index < size")
    ok = verify_inclusion(leaf_hash(body), a.index, a.size, read_proof(a.proof_file),
                          root_hex(a.root_hex))
    print(f"{'ok' if ok else 'invalid'}: the record is {'' if ok else 'not shown to be '}"
          f"leaf {a.index} of the tree of {a.size} records with root {a.root_hex.lower()}")
    return 0 if ok else 1


def cmd_consistency(argv):
    p = argparse.ArgumentParser(prog="audit_verify.py proof-consistency",
                                description="Checks an RFC 9162 consistency proof.")
    p.add_argument("--first", type=int, required=True)
    p.add_argument("--second", type=int, required=True)
    p.add_argument("--first-root-hex", required=True)
    p.add_argument("--second-root-hex", required=True)
    p.add_argument("--proof-file", required=True, help='JSON {"proof": ["base64", ...]}')
    a = p.parse_args(argv)
    if not 0 < a.first <= a.second:
        raise UsageError("need 0 < first <= second")
    ok = verify_consistency(a.first, a.second, root_hex(a.first_root_hex),
                            root_hex(a.second_root_hex), read_proof(a.proof_file))
    print(f"{'ok' if ok else 'invalid'}: the tree of {a.first} records is "
          f"{'' if ok else 'not shown to be '}a prefix of the tree of {a.second} records")
    return 0 if ok else 1


# ---- self-test -------------------------------------------------------------------------------

# The Certificate Transparency reference vectors (RFC 6962 trees of these entries).
CT_ENTRIES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
              bytes(range(0x50, 0x58)), bytes(range(0x60, 0x70))]
CT_ROOTS = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]

# The server's schema (src/storage/sqlite/sqlite_audit_store.cc), for the self-test's logs.
SCHEMA = """
CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, actor TEXT NOT NULL,
  tenant TEXT NOT NULL, action TEXT NOT NULL, result TEXT NOT NULL, body TEXT NOT NULL,
  leaf BLOB NOT NULL, checkpoint TEXT NOT NULL);
CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL,
  frontier BLOB NOT NULL, checkpoint TEXT NOT NULL, anchor_size INTEGER NOT NULL,
  anchor_frontier BLOB NOT NULL);
INSERT INTO audit_head VALUES (1, 0, x'', '', 0, x'');
CREATE TABLE audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def record_time(seq):
    return 1764647700000 + 1001 * seq


def record_body(seq):
    fields = {"seq": seq, "time": format_time(record_time(seq)),
              "actor": "admin@example.com", "role": "sysadmin", "source": "192.0.2.7",
              "client": "rampartctl", "tenant": "example.com", "action": "user.create",
              "object": f"user{seq}@example.com", "result": "success", "request_id": f"r{seq}",
              "details": {"n": str(seq)}}
    return json.dumps(fields, separators=(",", ":")).encode()


def write_log(path, private, name, n, pruned):
    """A log of `n` records as the server writes it, with records 1..pruned removed."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.executescript(SCHEMA)
    con.execute("INSERT INTO audit_meta VALUES ('origin', ?)", (name,))
    tree, checkpoints = CompactRange(), {}
    for seq in range(1, n + 1):
        body = record_body(seq)
        tree.append(leaf_hash(body))
        if seq == pruned:
            anchor = tree.serialize()
        checkpoints[seq] = sign_checkpoint(private, name, seq, tree.root())
        con.execute("INSERT INTO audit_log VALUES (?, ?, 'admin@example.com', 'example.com', "
                    "'user.create', 'success', ?, ?, ?)",
                    (seq, record_time(seq), body.decode(), leaf_hash(body), checkpoints[seq]))
    con.execute("UPDATE audit_head SET size = ?, frontier = ?, checkpoint = ?, anchor_size = ?, "
                "anchor_frontier = ?", (n, tree.serialize(), checkpoints[n], pruned, anchor))
    con.execute("DELETE FROM audit_log WHERE seq <= ?", (pruned,))
    con.commit()
    con.close()
    return checkpoints


def selftest():
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    # 1. Reference vectors: MTH by definition and by compact range, and a restored range.
    leaves = [leaf_hash(e) for e in CT_ENTRIES]
    check(EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          "empty root")
    tree = CompactRange()
    for n in range(1, 9):
        tree.append(leaves[n - 1])
        check(mth(leaves[:n]).hex() == CT_ROOTS[n - 1], f"reference root of {n} leaves (MTH)")
        check(tree.root().hex() == CT_ROOTS[n - 1], f"reference root of {n} leaves (range)")
        check(CompactRange.restore(n, tree.serialize()).root() == tree.root(), f"restore {n}")

    # 2. Proofs generated here verify, for all sizes up to 20; altered ones do not.
    leaves = [leaf_hash(b"record %d" % i) for i in range(20)]
    for n in range(1, 21):
        root = mth(leaves[:n])
        for m in range(n):
            path = inclusion_path(m, leaves[:n])
            check(verify_inclusion(leaves[m], m, n, path, root), f"inclusion {m}/{n}")
            check(not verify_inclusion(leaf_hash(b"x"), m, n, path, root), f"other leaf {m}/{n}")
            if n > 1:
                check(not verify_inclusion(leaves[m], (m + 1) % n, n, path, root),
                      f"other index {m}/{n}")
                check(not verify_inclusion(leaves[m], m, n, path[:-1], root), f"short {m}/{n}")
        for m in range(1, n + 1):
            first, proof = mth(leaves[:m]), consistency_proof(m, leaves[:n])
            check(verify_consistency(m, n, first, root, proof), f"consistency {m}/{n}")
            if m < n:
                bad = proof[:-1] + [bytes([proof[-1][0] ^ 1]) + proof[-1][1:]]
                check(not verify_consistency(m, n, first, root, bad), f"altered proof {m}/{n}")
                check(not verify_consistency(m, n, leaves[0] if m > 1 else leaves[1], root,
                                             proof), f"wrong first root {m}/{n}")

    # 3. Whole logs: an intact one verifies, each kind of tampering names the right record.
    private = Ed25519PrivateKey.generate()
    raw = raw_public(private)
    name = "example.com/audit"
    key = VerifierKey(f"{name}+{key_id(name, raw).hex()}+"
                      + base64.b64encode(b"\x01" + raw).decode())
    stranger = raw_public(Ed25519PrivateKey.generate())
    other_key = VerifierKey(f"{name}+{key_id(name, stranger).hex()}+"
                            + base64.b64encode(b"\x01" + stranger).decode())
    with tempfile.TemporaryDirectory() as d:
        clean = os.path.join(d, "clean.db")
        cps = write_log(clean, private, name, 12, pruned=5)
        for size in (3, 9, 12):
            with open(os.path.join(d, f"cp{size}"), "w") as f:
                f.write(cps[size])
        with open(os.path.join(d, "forged9"), "w") as f:
            f.write(sign_checkpoint(private, name, 9, leaf_hash(b"x")))

        def frontier_at(con, size):
            a_size, anchor = con.execute(
                "SELECT anchor_size, anchor_frontier FROM audit_head").fetchone()
            tree = CompactRange.restore(a_size, anchor)
            for (body,) in con.execute("SELECT body FROM audit_log WHERE seq > ? AND seq <= ? "
                                       "ORDER BY seq", (a_size, size)):
                tree.append(leaf_hash(body.encode()))
            return tree.serialize()

        def truncate(con):
            con.execute("DELETE FROM audit_log WHERE seq > 10")
            con.execute("UPDATE audit_head SET size = 10, checkpoint = ?, frontier = ?",
                        (cps[10], frontier_at(con, 10)))

        def change8(con):
            body = record_body(8).decode().replace("user8@", "userX@")
            con.execute("UPDATE audit_log SET body = ?, leaf = ? WHERE seq = 8",
                        (body, leaf_hash(body.encode())))

        cases = [  # (name, SQL or function, kept checkpoints, key, expected seq or "ok")
            ("intact", None, ["cp3", "cp9", "cp12"], key, "ok"),
            ("body changed", "UPDATE audit_log SET body = replace(body, 'user8@', 'userX@') "
                             "WHERE seq = 8", [], key, 8),
            ("body and leaf changed", change8, [], key, 8),
            ("leaf column changed", "UPDATE audit_log SET leaf = zeroblob(32) WHERE seq = 10",
             [], key, 10),
            ("record deleted", "DELETE FROM audit_log WHERE seq = 9", [], key, 9),
            ("records swapped", "UPDATE audit_log SET seq = -seq WHERE seq IN (7, 8); "
                                "UPDATE audit_log SET seq = 15 + seq WHERE seq IN (-7, -8)",
             [], key, 7),
            ("last record deleted", "DELETE FROM audit_log WHERE seq = 12", [], key, 12),
            ("truncated with the key", truncate, [], key, "ok"),
            ("truncation behind a kept checkpoint", truncate, ["cp12"], key, 11),
            ("kept checkpoint of another tree", None, ["forged9"], key, 9),
            ("record below the anchor", "INSERT INTO audit_log SELECT 3, time_ms, actor, "
             "tenant, action, result, body, leaf, checkpoint FROM audit_log WHERE seq = 6",
             [], key, 3),
            ("anchor changed", "UPDATE audit_head SET anchor_frontier = "
                               "zeroblob(length(anchor_frontier))", [], key, 6),
            ("head frontier changed", "UPDATE audit_head SET frontier = "
                                      "zeroblob(length(frontier))", [], key, None),
            ("another key", None, [], other_key, 6),
            ("time column moved back", "UPDATE audit_log SET time_ms = 0 WHERE seq = 11",
             [], key, 11),
            ("actor column changed", "UPDATE audit_log SET actor = 'x' WHERE seq = 7", [], key, 7),
        ]
        for i, (what, change, kept, k, expect) in enumerate(cases):
            db = os.path.join(d, f"case{i}.db")
            shutil.copy(clean, db)
            if change:
                con = sqlite3.connect(db)
                con.executescript(change) if isinstance(change, str) else change(con)
                con.commit()
                con.close()
            try:
                records, size, _, _ = verify_db(db, k, [os.path.join(d, c) for c in kept])
                got = "ok"
                check(what != "intact" or (records, size) == (7, 12), "intact: counts")
            except Tampered as e:
                got = e.seq
            check(got == expect, f"log {what}: expected {expect}, got {got}")

        # 4. The proof commands, on files as an auditor saves them from the admin API.
        hashes = [leaf_hash(record_body(seq)) for seq in range(1, 13)]
        files = {"body": record_body(5) + b"\n", "inclusion": inclusion_path(4, hashes),
                 "consistency": consistency_proof(7, hashes)}
        for name, content in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(content if name == "body" else json.dumps(
                    {"proof": [base64.b64encode(h).decode() for h in content]}).encode())
        root7, root12 = mth(hashes[:7]).hex(), mth(hashes).hex()
        for args, expect in [
                (["proof-inclusion", "--index", "4", "--root-hex", root12], 0),
                (["proof-inclusion", "--index", "5", "--root-hex", root12], 1),
                (["proof-consistency", "--first-root-hex", root7, "--second-root-hex", root12], 0),
                (["proof-consistency", "--first-root-hex", root12, "--second-root-hex", root7], 1)]:
            if args[0] == "proof-inclusion":
                args += ["--size", "12", "--leaf-body-file", os.path.join(d, "body")]
            else:
                args += ["--first", "7", "--second", "12"]
            args += ["--proof-file", os.path.join(d, args[0][6:])]
            with contextlib.redirect_stdout(io.StringIO()):
                got = main(args)
            check(got == expect, f"{' '.join(args[:3])}: expected {expect}, got {got}")

    for f in failures:
        print(f"FAIL: {f}")
    print("selftest: " + ("ok" if not failures else f"{len(failures)} failures"))
    return 1 if failures else 0


# ---- command line ----------------------------------------------------------------------------

def cmd_selftest(argv):
    if argv:
        raise UsageError("selftest takes no arguments")
    return selftest()


def cmd_verify(argv):
    p = argparse.ArgumentParser(
        prog="audit_verify.py", usage=__doc__.split("\n\n")[1].strip("\n") + "\n",
        description="Recomputes the audit log's Merkle tree from the stored records and checks "
                    "every signed checkpoint with the given key.")
    p.add_argument("--db", required=True, help="the log's SQLite file (audit.db)")
    p.add_argument("--key", required=True, help="verifier key, <origin>+<key id>+<base64 key>")
    p.add_argument("--checkpoint", action="append", default=[], metavar="FILE",
                   help="a checkpoint note kept outside the server (repeatable)")
    a = p.parse_args(argv)
    try:
        records, size, root, notes = verify_db(a.db, VerifierKey(a.key), a.checkpoint)
    except Tampered as e:
        print(e)
        return 1
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    print(f"ok: {records} records, tree size {size}, root {root.hex()}")
    return 0


def main(argv):
    commands = {"proof-inclusion": cmd_inclusion, "proof-consistency": cmd_consistency,
                "selftest": cmd_selftest}
    try:
        if argv and argv[0] in commands:
            return commands[argv[0]](argv[1:])
        return cmd_verify(argv)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
