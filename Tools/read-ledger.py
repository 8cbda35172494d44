#!/usr/bin/env python3
"""Independent reader for a subsidy-ledger LMDB environment.

Written from docs/FORMAT.md alone (ledger format version 1), without reading
the project's Swift sources or tests, to show that the document is enough to
list every event and verify the hash chain. Standard library + `lmdb` only.

Usage:
    read-ledger.py LEDGER_DIR verify [--expect SEQ:HEX]
    read-ledger.py LEDGER_DIR events
    read-ledger.py LEDGER_DIR streams

verify   recomputes the hash chain (gapless keys, seq inside the record
         equals the key, recorded never decreasing, SHA-256 links) and also
         decodes every record as `events` does; prints one JSON object
         {"head": N, "hash": "<64 hex>", "ok": true}
         or, on failure, ok false plus "firstBadSeq" and "problem"
         (head/hash are then those of the last good event). With --expect,
         an "expect" object {"seq", "matches", ["actual"]} is added; when
         only the expectation fails, ok is false with a "problem" but no
         "firstBadSeq" (no stored record is detectably bad).
         Exit 0 when ok, 1 otherwise.
events   decodes every record and prints one JSON object per line:
         {"seq", "recorded", "hash", "id", "type", "effective",
          ["expect"], "data", ["reversedBy"]} with data keys in ascending
         tag order; reversedBy (from the `reversals` database) is the seq of
         the entry.reversed that reversed the event.
streams  decodes the `streams` database, one JSON object per line.
snapshots replays `projection-snapshots` (whole and delta, canonical and
         packed) and prints per snapshot {"seq", "kind", "entries", "digest",
         "digestOk"}: digest is SHA-256 of the canonical bytes of the state
         after seq.

Anything the document says cannot occur (unknown type code, tag not allowed
for the type, tags not ascending, trailing bytes, unknown schema version, bad
vocabulary code, ...) makes `events`/`streams` fail with exit 2, naming the
seq (or stream) and the byte offset inside the stored value.
Exit 4 when the environment cannot be opened or has a newer format.
"""

import datetime
import hashlib
import json
import re
import struct
import sys
import unicodedata

LEDGER_FORMAT = 1
RECORD_FORMAT = 1
SCHEMA_VERSIONS = {1}
HASH_LEN = 32
PREFIX_LEN = 1 + 8 + 8 + 2  # recordFormat, seq, recorded, schemaVersion

EPOCH = datetime.date(1970, 1, 1)
MIN_DAY = (datetime.date(1900, 1, 1) - EPOCH).days
MAX_DAY = (datetime.date(2199, 12, 31) - EPOCH).days

TYPES = {
    1: "person.registered",
    2: "person.certified",
    3: "enterprise.registered",
    4: "fund.appropriated",
    5: "fund.transferred",
    6: "subsidy.granted",
    7: "subsidy.recovered",
    8: "loan.issued",
    9: "loan.interestDiscounted",
    10: "loan.repaid",
    11: "loan.defaulted",
    12: "guarantee.compensated",
    13: "guarantee.recovered",
    14: "guarantee.writtenOff",
    15: "entry.reversed",
}

# tag -> (field name, kind, vocabulary or None)
FIELDS = {
    1: ("person", "identifier", None),
    2: ("birthDate", "date", None),
    3: ("sex", "enumeration", ["M", "F"]),
    4: ("retirementGroup", "enumeration", ["male", "female-worker", "female-cadre"]),
    5: ("kind", "enumeration", [
        "employment-difficulty", "entrepreneurship-training", "college-graduate",
        "registered-unemployed", "disabled", "veteran"]),
    6: ("graduationDate", "date", None),
    7: ("validUntil", "date", None),
    8: ("enterprise", "identifier", None),
    9: ("size", "enumeration", ["micro", "small", "medium", "large"]),
    10: ("region", "region", None),
    11: ("fund", "identifier", None),
    12: ("fiscalYear", "fiscalYear", None),
    13: ("amount", "money", None),
    14: ("reference", "text", None),
    15: ("fromRegion", "region", None),
    16: ("toRegion", "region", None),
    17: ("grant", "identifier", None),
    18: ("program", "identifier", None),
    19: ("periodStart", "period", None),  # kind depends on the type
    20: ("periodEnd", "period", None),
    21: ("approval", "text", None),
    22: ("voucher", "text", None),
    23: ("reason", "text", None),
    24: ("loan", "identifier", None),
    25: ("category", "enumeration", ["individual", "graduate", "enterprise"]),
    26: ("principal", "money", None),
    27: ("rateBp", "basisPoints", None),
    28: ("benchmarkBp", "basisPoints", None),
    29: ("maturity", "date", None),
    30: ("bank", "text", None),
    31: ("target", "identifier", None),
}
TAG_OF = {name: tag for tag, (name, _, _) in FIELDS.items()}

# type -> "[optional]" / plain required, as in FORMAT.md
ALLOWED_TEXT = {
    "person.registered": "person, birthDate, sex, [retirementGroup]",
    "person.certified": "person, kind, [graduationDate], [validUntil]",
    "enterprise.registered": "enterprise, size, region",
    "fund.appropriated": "region, fund, fiscalYear, amount, [reference]",
    "fund.transferred": "fund, fiscalYear, amount, [reference], fromRegion, toRegion",
    "subsidy.granted": "[person], [enterprise], region, fund, fiscalYear, amount, grant, "
                       "program, [periodStart], [periodEnd], [approval], [voucher]",
    "subsidy.recovered": "amount, grant, [voucher], [reason]",
    "loan.issued": "[person], [enterprise], region, loan, category, principal, rateBp, "
                   "benchmarkBp, maturity, bank",
    "loan.interestDiscounted": "region, fund, fiscalYear, amount, periodStart, periodEnd, "
                               "[voucher], loan",
    "loan.repaid": "loan, principal",
    "loan.defaulted": "loan",
    "guarantee.compensated": "region, fund, fiscalYear, amount, [voucher], loan",
    "guarantee.recovered": "region, fund, fiscalYear, amount, loan",
    "guarantee.writtenOff": "amount, approval, loan",
    "entry.reversed": "reason, target",
}


def _parse_allowed():
    out = {}
    for typ, text in ALLOWED_TEXT.items():
        allowed = {}
        for item in (s.strip() for s in text.split(",")):
            optional = item.startswith("[")
            allowed[TAG_OF[item.strip("[]")]] = not optional
        out[typ] = allowed  # tag -> required?
    return out


ALLOWED = _parse_allowed()

ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}\Z")
STREAM_KINDS = ["budget-line", "person", "enterprise", "grant", "loan"]


class Corrupt(Exception):
    """Something FORMAT.md says cannot occur."""


class Fatal(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------- helpers

def day_to_iso(n):
    return (EPOCH + datetime.timedelta(days=n)).isoformat()


def month_to_iso(index):
    year, month0 = divmod(index, 12)
    return "%04d-%02d" % (year, month0 + 1)


def micros_to_iso(us):
    days, rem = divmod(us, 86_400_000_000)
    secs, micro = divmod(rem, 1_000_000)
    d = EPOCH + datetime.timedelta(days=days)
    h, rem2 = divmod(secs, 3600)
    m, s = divmod(rem2, 60)
    return "%sT%02d:%02d:%02d.%06dZ" % (d.isoformat(), h, m, s, micro)


def fen_to_yuan(fen):
    sign = "-" if fen < 0 else ""
    q, r = divmod(abs(fen), 100)
    return "%s%d.%02d" % (sign, q, r)


class Reader:
    """Cursor over one stored value; offsets are relative to the value start."""

    def __init__(self, buf, start=0, where="", canonical=False):
        self.canonical = canonical
        self.buf = bytes(buf)
        self.pos = start
        self.where = where

    def fail(self, msg, at=None):
        at = self.pos if at is None else at
        raise Corrupt("%s, byte offset %d of the stored value (%d of the canonical bytes): %s"
                      % (self.where, at, at - HASH_LEN, msg) if self.canonical else
                      "%s, byte offset %d: %s" % (self.where, at, msg))

    def take(self, n, what):
        if self.pos + n > len(self.buf):
            self.fail("truncated: %s needs %d bytes, %d left"
                      % (what, n, len(self.buf) - self.pos))
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self, what):
        return self.take(1, what)[0]

    def u16(self, what):
        return struct.unpack(">H", self.take(2, what))[0]

    def u32(self, what):
        return struct.unpack(">I", self.take(4, what))[0]

    def u64(self, what):
        return struct.unpack(">Q", self.take(8, what))[0]

    def i32(self, what):
        return struct.unpack(">i", self.take(4, what))[0]

    def i64(self, what):
        return struct.unpack(">q", self.take(8, what))[0]

    def utf8(self, n, what):
        at = self.pos
        raw = self.take(n, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            self.fail("%s is not UTF-8 (%s)" % (what, e), at)

    def end(self):
        if self.pos != len(self.buf):
            self.fail("%d trailing bytes" % (len(self.buf) - self.pos))


def check_day(r, n, what, at):
    if not MIN_DAY <= n <= MAX_DAY:
        r.fail("%s day %d outside 1900-01-01 … 2199-12-31" % (what, n), at)
    return day_to_iso(n)


def check_identifier(r, s, what, at):
    if not ID_RE.match(s):
        r.fail("%s %r is not 1–64 characters of A–Z a–z 0–9 . _ : -" % (what, s), at)
    return s


def check_text(r, s, n, what, at):
    if not 1 <= n <= 256:
        r.fail("%s is %d bytes, not 1–256" % (what, n), at)
    for ch in s:
        if unicodedata.category(ch) == "Cc":
            r.fail("%s contains control character U+%04X" % (what, ord(ch)), at)
    return s


# ---------------------------------------------------------------- opening

def open_env(path):
    # Imported here so that the decoder alone (Tools/check-proof.py uses
    # decode_record) needs nothing beyond the standard library.
    import lmdb
    try:
        env = lmdb.open(path, readonly=True, lock=False, max_dbs=16,
                        subdir=True, create=False)
    except lmdb.Error as e:
        raise Fatal(4, "cannot open ledger %s: %s" % (path, e))
    try:
        meta = env.open_db(b"meta", create=False)
        with env.begin(db=meta) as txn:
            fmt = txn.get(b"format")
    except lmdb.Error as e:
        raise Fatal(4, "ledger %s has no meta database: %s" % (path, e))
    if fmt is None or len(fmt) != 4:
        raise Fatal(4, "meta/format missing or not a u32")
    version = struct.unpack(">I", fmt)[0]
    if version > LEDGER_FORMAT:
        raise Fatal(4, "ledger format %d is newer than %d, which this reader understands"
                    % (version, LEDGER_FORMAT))
    return env


def open_db(env, name):
    import lmdb
    try:
        return env.open_db(name, create=False)
    except lmdb.Error as e:
        raise Fatal(4, "database %r missing: %s" % (name.decode(), e))


# ---------------------------------------------------------------- verify

def verify(env, expect):
    events = open_db(env, b"events")
    prev = bytes(HASH_LEN)
    expected = 1
    last_recorded = None
    hash_at_expect = None
    bad = None
    with env.begin(db=events) as txn:
        for key, value in txn.cursor():
            value = bytes(value)
            if len(key) != 8:
                bad = (expected, "key %s is not 8 bytes" % key.hex())
                break
            seq = struct.unpack(">Q", key)[0]
            if seq != expected:
                bad = (expected, "gap: expected key %d, found %d" % (expected, seq))
                break
            if len(value) < HASH_LEN + PREFIX_LEN:
                bad = (seq, "record of %d bytes is too short" % len(value))
                break
            inner_seq = struct.unpack(">Q", value[33:41])[0]
            if inner_seq != seq:
                bad = (seq, "record seq %d differs from key %d" % (inner_seq, seq))
                break
            recorded = struct.unpack(">q", value[41:49])[0]
            if last_recorded is not None and recorded < last_recorded:
                bad = (seq, "recorded time %s is before the previous %s"
                       % (micros_to_iso(recorded), micros_to_iso(last_recorded)))
                break
            digest = hashlib.sha256(prev + value[HASH_LEN:]).digest()
            if digest != value[:HASH_LEN]:
                bad = (seq, "hash mismatch: stored %s, computed %s"
                       % (value[:HASH_LEN].hex(), digest.hex()))
                break
            try:
                decode_record(seq, value)
            except Corrupt as e:
                # A record whose chain is intact but which cannot be decoded
                # is still not a valid event (FORMAT.md: "a reader refuses a
                # version it does not know", tags ascending, ...).
                bad = (seq, "record cannot be decoded: %s" % e)
                break
            prev, last_recorded = digest, recorded
            if expect is not None and seq == expect[0]:
                hash_at_expect = digest
            expected += 1
    head = expected - 1
    out = {"head": head, "hash": prev.hex()}
    expect_out = None
    if expect is not None:
        eseq, ehash = expect
        expect_out = {"seq": eseq, "matches": False}
        if eseq == 0:  # hash(0): nothing to compare but the 32 zero bytes
            expect_out["matches"] = ehash == bytes(HASH_LEN).hex()
        elif eseq <= head:  # the chain up to eseq was verified
            expect_out["actual"] = hash_at_expect.hex()
            expect_out["matches"] = hash_at_expect.hex() == ehash
    if bad is None:
        out["ok"] = expect_out is None or expect_out["matches"]
        if not out["ok"]:
            # No record is detectably bad: the chain is intact, but it is not
            # the chain that was written down, so no firstBadSeq is given.
            out["problem"] = ("the expected seq %d is beyond the head %d" % (expect[0], head)
                              if expect[0] > head else
                              "the hash at %d differs from the expected one" % expect[0])
    else:
        out["ok"] = False
        out["firstBadSeq"] = bad[0]
        out["problem"] = bad[1]
    if expect_out is not None:
        out["expect"] = expect_out
    print(json.dumps(out))
    return 0 if out["ok"] else 1


def parse_expect(text):
    m = re.fullmatch(r"(\d+):([0-9a-fA-F]{64})", text or "")
    if not m:
        raise Fatal(2, "--expect must be SEQ:<64 hex digits>, got %r" % text)
    return int(m.group(1)), m.group(2).lower()


# ---------------------------------------------------------------- events

def decode_field(r, typ, tag):
    name, kind, vocab = FIELDS[tag]
    at = r.pos
    if kind == "period":
        kind = "monthOrDate" if typ == "subsidy.granted" else "date"
    if kind in ("identifier", "text", "region"):
        n = r.u16(name + " length")
        s = r.utf8(n, name)
        if kind == "identifier":
            return check_identifier(r, s, name, at)
        if kind == "text":
            return check_text(r, s, n, name, at)
        if n == 0:
            r.fail("%s is empty" % name, at)
        return s
    if kind == "date":
        return check_day(r, r.i32(name), name, at)
    if kind == "monthOrDate":
        value = r.i32(name)
        form_at = r.pos
        form = r.u8(name + " form")
        if form == 0:
            year = value // 12
            if not 1900 <= year <= 2199:
                r.fail("%s month index %d (year %d) outside 1900 … 2199"
                       % (name, value, year), at)
            return month_to_iso(value)
        if form == 1:
            return check_day(r, value, name, at)
        r.fail("%s has unknown monthOrDate form %d" % (name, form), form_at)
    if kind == "money":
        return fen_to_yuan(r.i64(name))
    if kind == "fiscalYear":
        v = r.i64(name)
        if not 1990 <= v <= 2100:
            r.fail("fiscalYear %d outside 1990–2100" % v, at)
        return v
    if kind == "basisPoints":
        v = r.i64(name)
        if not 0 <= v <= 10000:
            r.fail("%s %d outside 0–10000" % (name, v), at)
        return v
    if kind == "enumeration":
        code = r.u8(name)
        if code >= len(vocab):
            r.fail("%s code %d is not in its vocabulary %s" % (name, code, vocab), at)
        return vocab[code]
    raise AssertionError(kind)


def decode_record(key_seq, value):
    r = Reader(value, 0, "seq %d" % key_seq, canonical=True)
    stored_hash = r.take(HASH_LEN, "hash")
    at = r.pos
    rf = r.u8("recordFormat")
    if rf != RECORD_FORMAT:
        r.fail("unknown recordFormat %d" % rf, at)
    at = r.pos
    seq = r.u64("seq")
    if seq != key_seq:
        r.fail("record seq %d differs from key %d" % (seq, key_seq), at)
    recorded = r.i64("recorded")
    at = r.pos
    schema = r.u16("schemaVersion")
    if schema not in SCHEMA_VERSIONS:
        r.fail("unknown schemaVersion %d" % schema, at)
    at = r.pos
    code = r.u8("type")
    if code not in TYPES:
        r.fail("unknown type code %d" % code, at)
    typ = TYPES[code]
    at = r.pos
    effective = check_day(r, r.i32("effective"), "effective", at)
    at = r.pos
    id_len = r.u8("idLength")
    id_at = r.pos
    raw_id = r.take(id_len, "id")
    try:
        event_id = raw_id.decode("ascii")
    except UnicodeDecodeError:
        r.fail("id is not ASCII", id_at)
    check_identifier(r, event_id, "id", id_at)
    out = {
        "seq": seq,
        "recorded": micros_to_iso(recorded),
        "hash": stored_hash.hex(),
        "id": event_id,
        "type": typ,
        "effective": effective,
    }
    at = r.pos
    has_expect = r.u8("hasExpect")
    if has_expect == 1:
        slen = r.u8("expect stream length")
        s_at = r.pos
        stream = r.utf8(slen, "expect stream")
        if slen == 0:
            r.fail("expect stream is empty", s_at)
        out["expect"] = {"stream": stream, "version": r.u64("expect version")}
    elif has_expect != 0:
        r.fail("hasExpect is %d, not 0 or 1" % has_expect, at)
    count = r.u8("fieldCount")
    allowed = ALLOWED[typ]
    data = {}
    last_tag = 0
    for _ in range(count):
        at = r.pos
        tag = r.u8("tag")
        if tag <= last_tag:
            r.fail("tag %d does not follow tag %d in ascending order" % (tag, last_tag), at)
        if tag not in allowed:
            r.fail("tag %d (%s) is not allowed in %s"
                   % (tag, FIELDS[tag][0] if tag in FIELDS else "unknown", typ), at)
        last_tag = tag
        data[FIELDS[tag][0]] = decode_field(r, typ, tag)
    for tag, required in allowed.items():
        if required and FIELDS[tag][0] not in data:
            r.fail("required field %s (tag %d) of %s is missing"
                   % (FIELDS[tag][0], tag, typ))
    r.end()
    out["data"] = data
    return out


def events(env):
    db = open_db(env, b"events")
    # The `reversals` database: reversed seq -> seq of its entry.reversed.
    reversed_by = {}
    with env.begin(db=open_db(env, b"reversals")) as txn:
        for key, value in txn.cursor():
            reversed_by[struct.unpack(">Q", key)[0]] = struct.unpack(">Q", value)[0]
    expected = 1
    with env.begin(db=db) as txn:
        for key, value in txn.cursor():
            if len(key) != 8:
                raise Corrupt("key %s after seq %d is not 8 bytes" % (key.hex(), expected - 1))
            seq = struct.unpack(">Q", key)[0]
            if seq != expected:
                raise Corrupt("gap in events: expected seq %d, found %d" % (expected, seq))
            out = decode_record(seq, value)
            if seq in reversed_by:
                out["reversedBy"] = reversed_by[seq]
            print(json.dumps(out, ensure_ascii=False))
            expected += 1
    return 0


# ---------------------------------------------------------------- streams

def decode_stream(name, value):
    r = Reader(value, 0, "stream %r" % name)
    at = r.pos
    enc = r.u8("encoding")
    if enc != 1:
        r.fail("unknown stream encoding %d" % enc, at)
    out = {"stream": name, "version": r.u64("version")}
    at = r.pos
    kind = r.u8("kind")
    if kind >= len(STREAM_KINDS):
        r.fail("unknown stream kind %d" % kind, at)
    out["kind"] = STREAM_KINDS[kind]
    if kind >= 1:
        out["creatorSeq"] = r.u64("creatorSeq")
        out["createdOn"] = day_to_iso(r.i32("createdOn"))
        at = r.pos
        rev = r.u8("creatorReversed")
        if rev not in (0, 1):
            r.fail("creatorReversed is %d, not 0 or 1" % rev, at)
        out["creatorReversed"] = bool(rev)
        out["dependents"] = r.u32("dependents")
    if kind == 3:
        out["granted"] = fen_to_yuan(r.i64("granted"))
        out["recovered"] = fen_to_yuan(r.i64("recovered"))
    if kind == 4:
        out["principal"] = fen_to_yuan(r.i64("principal"))
        out["repaid"] = fen_to_yuan(r.i64("repaid"))
        out["writtenOff"] = fen_to_yuan(r.i64("writtenOff"))
        default_seq = r.u64("defaultSeq")
        defaulted_on = r.i32("defaultedOn")
        out["defaultSeq"] = default_seq
        out["defaultedOn"] = day_to_iso(defaulted_on) if default_seq else None
        for label in ("compensations", "guaranteeRecoveries"):
            n = r.u32(label + " count")
            items = []
            for _ in range(n):
                items.append({"seq": r.u64(label + " seq"),
                              "day": day_to_iso(r.i32(label + " day")),
                              "amount": fen_to_yuan(r.i64(label + " fen"))})
            out[label] = items
    r.end()
    return out


def streams(env):
    db = open_db(env, b"streams")
    with env.begin(db=db) as txn:
        for key, value in txn.cursor():
            try:
                name = bytes(key).decode("utf-8")
            except UnicodeDecodeError:
                raise Corrupt("stream key %s is not UTF-8" % bytes(key).hex())
            print(json.dumps(decode_stream(name, bytes(value)), ensure_ascii=False))
    return 0


# ---------------------------------------------------------------- main

# ---------------------------------------------------------------- the Merkle tree

def tree(env):
    """Recomputes the Merkle tree over the events (RFC 9162) and checks what
    `meta` -> `merkle-frontier` and the `merkle` database hold against it."""
    import base64
    leaf = lambda data: hashlib.sha256(b"\x00" + data).digest()
    node = lambda left, right: hashlib.sha256(b"\x01" + left + right).digest()
    stack = []  # (level, hash) of the complete subtrees, largest first
    stored_levels = {}
    size = 0
    with env.begin(db=open_db(env, b"events")) as txn:
        for key, value in txn.cursor():
            level, h = 0, leaf(value[HASH_LEN:])
            while stack and stack[-1][0] == level:
                h, level = node(stack.pop()[1], h), level + 1
                if level % 4 == 0:
                    stored_levels[(level, (size + 1) // (1 << level) - 1)] = h
            stack.append((level, h))
            size += 1
    with env.begin(db=open_db(env, b"meta")) as txn:
        frontier = txn.get(b"merkle-frontier")
    if frontier is None:
        raise Corrupt("meta has no merkle-frontier")
    count = struct.unpack(">Q", frontier[:8])[0]
    hashes = [frontier[i:i + 32] for i in range(8, len(frontier), 32)]
    if len(frontier) != 8 + 32 * bin(count).count("1") or count != size:
        raise Corrupt("merkle-frontier holds %d bytes for %d leaves; the log has %d events" % (len(frontier), count, size))
    if hashes != [h for _, h in stack]:
        raise Corrupt("merkle-frontier differs from the tree of the events")
    with env.begin(db=open_db(env, b"merkle")) as txn:
        stored = {(k[0], struct.unpack(">Q", k[1:])[0]): v for k, v in txn.cursor()}
    if stored != stored_levels:
        raise Corrupt("the merkle database differs from the complete subtrees at levels 4, 8, 12, ...")
    root = hashlib.sha256(b"").digest() if not stack else stack[-1][1]
    for _, h in reversed(stack[:-1]):
        root = node(h, root)
    print(json.dumps({"size": size, "rootHash": base64.b64encode(root).decode(), "storedNodes": len(stored)}))
    return 0


# ------------------------------------------------------------- snapshots

MONTH_LIMIT = 10000 * 12


def varint(r, what):
    """An unsigned 32-bit LEB128 number in its shortest form."""
    at = r.pos
    value = 0
    for index in range(5):
        byte = r.u8(what)
        if index == 4 and (byte & 0x7F) > 0x0F:
            r.fail("%s: a variable-length number past 32 bits" % what, at)
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            if byte == 0 and index > 0:
                r.fail("%s: a variable-length number not in its shortest form" % what, at)
            return value
    r.fail("%s: a variable-length number longer than 5 bytes" % what, at)


def unpack_person(value, where):
    """The canonical person x programme value of a packed one."""
    r = Reader(value, where=where)
    granted, recovered, grants = r.i64("granted"), r.i64("recovered"), r.u32("grants")
    months = []
    previous = None  # (last month, count)
    for _ in range(r.u32("runs")):
        at = r.pos
        first, length, count = r.i32("first month"), r.u32("run length"), r.u32("run count")
        if length < 1 or count < 1 or first < 0 or first + length > MONTH_LIMIT:
            r.fail("an empty month run, a count of 0, or months outside the years 0-9999", at)
        if previous is not None and (first <= previous[0] or (first == previous[0] + 1 and count == previous[1])):
            r.fail("month runs out of order, overlapping or not maximal", at)
        months.extend((month, count) for month in range(first, first + length))
        previous = (first + length - 1, count)
    days = []
    count_days = r.u32("days")
    if count_days:
        day = r.i32("first day")
        for index in range(count_days):
            if index:
                at = r.pos
                gap = varint(r, "day gap")
                if gap < 1 or day + gap > 0x7FFFFFFF:
                    r.fail("approval days out of order", at)
                day += gap
            at = r.pos
            count = varint(r, "day count")
            if count < 1:
                r.fail("an approval day counted zero times", at)
            days.append((day, count))
    r.end()
    out = struct.pack(">qqII", granted, recovered, grants, len(months))
    out += b"".join(struct.pack(">iI", m, c) for m, c in months)
    out += struct.pack(">I", len(days)) + b"".join(struct.pack(">iI", d, c) for d, c in days)
    return out


def snapshots(env):
    """Replays `projection-snapshots` in seq order (kinds 0-3) and prints,
    per snapshot, its kind, the number of entries of the state after its
    seq, SHA-256 of that state's canonical bytes (what `rebuild` prints as
    its digest when the snapshot is at the head), and whether its digest in
    `projection-meta` is SHA-256(stored hash of the event ‖ stored value)."""
    state = None  # (table byte + key) -> canonical value
    stored_events = open_db(env, b"events")
    meta = open_db(env, b"projection-meta")
    stored_snapshots = open_db(env, b"projection-snapshots")
    with env.begin() as txn:
        for key, value in txn.cursor(db=stored_snapshots):
            if len(key) != 8:
                raise Corrupt("projection-snapshots: a key of %d bytes" % len(key))
            seq = struct.unpack(">Q", key)[0]
            where = "snapshot %d" % seq
            r = Reader(value, where=where)
            kind = r.u8("kind")
            if kind > 3:
                r.fail("unknown snapshot kind %d" % kind, 0)
            whole, packed = kind in (0, 2), kind in (2, 3)
            if whole:
                state = {}
            elif state is None:
                raise Corrupt("%s: a delta with no whole snapshot before it" % where)
            while r.pos < len(r.buf):
                table = r.u8("table")
                if table not in (1, 2, 3, 4):
                    r.fail("unknown table %d" % table, r.pos - 1)
                name = bytes([table]) + r.take(r.u16("key length"), "key")
                if not whole:
                    present = r.u8("present")
                    if present == 0:
                        state.pop(name, None)
                        continue
                    if present != 1:
                        r.fail("presence flag %d" % present, r.pos - 1)
                entry = r.take(r.u32("value length"), "value")
                if packed and table == 2:
                    entry = unpack_person(entry, "%s, entry %r" % (where, name[1:]))
                state[name] = entry
            canonical = b"".join(struct.pack(">BH", k[0], len(k) - 1) + k[1:] + struct.pack(">I", len(v)) + v
                                 for k, v in sorted(state.items()))
            record = txn.get(key, db=stored_events)
            digest = txn.get(b"snapshot" + key, db=meta)
            print(json.dumps({"seq": seq, "kind": kind, "entries": len(state),
                              "digest": hashlib.sha256(canonical).hexdigest(),
                              "digestOk": None if digest is None or record is None
                              else hashlib.sha256(record[:HASH_LEN] + value).digest() == digest}))
    return 0


USAGE = "usage: read-ledger.py LEDGER_DIR verify [--expect SEQ:HEX] | events | streams | tree | snapshots"


def main(argv):
    if len(argv) < 2:
        raise Fatal(2, USAGE)
    path, command, rest = argv[0], argv[1], argv[2:]
    if command == "verify":
        expect = None
        if rest:
            if len(rest) == 2 and rest[0] == "--expect":
                expect = parse_expect(rest[1])
            elif len(rest) == 1 and rest[0].startswith("--expect="):
                expect = parse_expect(rest[0].split("=", 1)[1])
            else:
                raise Fatal(2, USAGE)
        return verify(open_env(path), expect)
    if rest:
        raise Fatal(2, USAGE)
    if command == "events":
        return events(open_env(path))
    if command == "streams":
        return streams(open_env(path))
    if command == "tree":
        return tree(open_env(path))
    if command == "snapshots":
        return snapshots(open_env(path))
    raise Fatal(2, USAGE)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Corrupt as e:
        sys.stdout.flush()
        print("read-ledger: corrupt ledger: %s" % e, file=sys.stderr)
        sys.exit(2)
    except Fatal as e:
        sys.stdout.flush()
        print("read-ledger: %s" % e, file=sys.stderr)
        sys.exit(e.code)
    except BrokenPipeError:
        sys.exit(0)
