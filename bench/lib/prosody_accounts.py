#!/usr/bin/env python3
"""Writes Prosody 0.12 internal-storage account files for user1..userN (password Rb7-load-N).

Each file holds what mod_auth_internal_hashed stores: a SCRAM-SHA-1 StoredKey and ServerKey
with their salt and iteration count, never the password. Writing them directly takes seconds;
`prosodyctl register` would start a Lua process per user.

usage: prosody_accounts.py DATA_PATH HOST COUNT ITERATIONS
"""
import hashlib
import hmac
import os
import sys
import uuid
from multiprocessing import Pool


def encode(s: str) -> str:
    # util.datamanager: every punctuation character becomes %xx.
    return "".join("%%%02x" % ord(c) if not c.isalnum() else c for c in s)


def account(args):
    directory, n, iterations = args
    user, password = f"user{n}", f"Rb7-load-{n}"
    salt = str(uuid.uuid4())
    salted = hashlib.pbkdf2_hmac("sha1", password.encode(), salt.encode(), iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha1).digest()
    stored_key = hashlib.sha1(client_key).hexdigest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha1).hexdigest()
    body = (
        "return {\n"
        f'\t["iteration_count"] = {iterations};\n'
        f'\t["salt"] = "{salt}";\n'
        f'\t["server_key"] = "{server_key}";\n'
        f'\t["stored_key"] = "{stored_key}";\n'
        "};\n"
    )
    with open(os.path.join(directory, encode(user) + ".dat"), "w") as f:
        f.write(body)


def main():
    data_path, host, count, iterations = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    directory = os.path.join(data_path, encode(host), "accounts")
    os.makedirs(directory, exist_ok=True)
    with Pool(2) as pool:
        pool.map(account, [(directory, n, iterations) for n in range(1, count + 1)], chunksize=256)


if __name__ == "__main__":
    main()
