"""Writes a small MaxMind DB file (format 2.0, IPv4 tree, 24-bit records) for the tests: the
networks given map to GeoIP2-City-shaped records (country.iso_code, city.names.en,
location.latitude/longitude). Follows https://maxmind.github.io/MaxMind-DB/ ."""
import ipaddress
import struct
import time


def _ctrl(type_, size):
    """Control byte(s) for a field of `type_` (1-15) and payload `size`."""
    out = bytearray()
    if type_ <= 7:
        first = type_ << 5
        ext = b""
    else:
        first = 0
        ext = bytes([type_ - 7])
    if size < 29:
        out.append(first | size)
        out += ext
    elif size < 29 + 256:
        out.append(first | 29)
        out += ext
        out.append(size - 29)
    elif size < 285 + 65536:
        out.append(first | 30)
        out += ext
        out += struct.pack(">H", size - 285)
    else:
        out.append(first | 31)
        out += ext
        out += struct.pack(">I", size - 65821)[1:]
    return bytes(out)


class U16(int):
    pass


class U32(int):
    pass


class U64(int):
    pass


def encode(value):
    if isinstance(value, (U16, U32, U64)):
        raw = int(value).to_bytes(8, "big").lstrip(b"\0")
        return _ctrl({U16: 5, U32: 6, U64: 9}[type(value)], len(raw)) + raw
    if isinstance(value, bool):
        return _ctrl(14, 1 if value else 0)
    if isinstance(value, str):
        raw = value.encode()
        return _ctrl(2, len(raw)) + raw
    if isinstance(value, float):
        return _ctrl(3, 8) + struct.pack(">d", value)
    if isinstance(value, int):
        if value < 0:
            raise ValueError("negative integers are not needed here")
        raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big").lstrip(b"\0")
        if value < 1 << 16:
            return _ctrl(5, len(raw)) + raw   # uint16
        if value < 1 << 32:
            return _ctrl(6, len(raw)) + raw   # uint32
        return _ctrl(9, len(raw)) + raw       # uint64
    if isinstance(value, dict):
        out = _ctrl(7, len(value))
        for k, v in value.items():
            out += encode(str(k)) + encode(v)
        return out
    if isinstance(value, list):
        out = _ctrl(11, len(value))
        for v in value:
            out += encode(v)
        return out
    raise TypeError(type(value))


def city_record(country, city, lat, lon):
    return {"country": {"iso_code": country, "names": {"en": country}},
            "city": {"names": {"en": city}},
            "location": {"latitude": float(lat), "longitude": float(lon)}}


def write(path, networks):
    """networks: {"127.1.0.0/16": city_record(...), ...} (IPv4 only)."""
    # The tree: node 0 is the root; each node is [left, right], an int index or ("data", i).
    nodes = [[None, None]]
    data_items = []
    for net, record in networks.items():
        n = ipaddress.ip_network(net)
        bits = format(int(n.network_address), "032b")[: n.prefixlen]
        data_items.append(record)
        node = 0
        for i, b in enumerate(bits):
            side = int(b)
            last = i == len(bits) - 1
            if last:
                nodes[node][side] = ("data", len(data_items) - 1)
            else:
                nxt = nodes[node][side]
                if not isinstance(nxt, int):
                    nodes.append([None, None])
                    nxt = len(nodes) - 1
                    nodes[node][side] = nxt
                node = nxt
    node_count = len(nodes)
    section = bytearray()
    offsets = []
    for item in data_items:
        offsets.append(len(section))
        section += encode(item)

    def record_value(r):
        if r is None:
            return node_count  # no data
        if isinstance(r, int):
            return r
        return node_count + 16 + offsets[r[1]]

    tree = bytearray()
    for left, right in nodes:
        tree += record_value(left).to_bytes(3, "big") + record_value(right).to_bytes(3, "big")
    metadata = {
        "node_count": U32(node_count),
        "record_size": U16(24),
        "ip_version": U16(4),
        "database_type": "Rampart-Test-City",
        "languages": ["en"],
        "binary_format_major_version": U16(2),
        "binary_format_minor_version": U16(0),
        "build_epoch": U64(int(time.time())),
        "description": {"en": "test database"},
    }
    with open(path, "wb") as f:
        f.write(bytes(tree))
        f.write(b"\0" * 16)
        f.write(bytes(section))
        f.write(b"\xab\xcd\xefMaxMind.com")
        f.write(encode(metadata))
    return path
