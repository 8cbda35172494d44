#!/usr/bin/env python3
"""Checks a subsidy-ledger proof bundle (written by `prove --bundle`) offline, independently of the ledger's
code, from the formats alone: c2sp.org/signed-note (Ed25519), c2sp.org/tlog-checkpoint, RFC 9162 §2.1.
Exit 0: valid ("ok: ..."); 1: invalid ("invalid: WHAT: why"); 2: malformed input or usage.
Needs Python 3 and the `cryptography` package (apt-get install python3-cryptography)."""
import base64, hashlib, json, sys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
USAGE = "usage: check-proof.py BUNDLE.json [--key PUBKEY-FILE] [--checkpoint OLD-CHECKPOINT-FILE] [--origin NAME] | --self-test"

class Invalid(Exception): pass    # the input is well formed but does not check out
class Malformed(Exception): pass  # the input cannot be read

def sha256(data): return hashlib.sha256(data).digest()
def node(left, right): return sha256(b"\x01" + left + right)
def b64(text, what, size=None):
    """Canonical padded standard Base64 only, optionally of exactly `size` bytes."""
    try: raw = base64.b64decode(text, validate=True)
    except Exception: raise Malformed(f"{what} is not Base64")
    if base64.b64encode(raw).decode() != text: raise Malformed(f"{what} is not canonical Base64")
    if size is not None and len(raw) != size: raise Malformed(f"{what} is {len(raw)} bytes, not {size}")
    return raw
def count(value, what):
    if type(value) is not int or value < 0: raise Malformed(f"{what} is not a count")
    return value
def key_id(name, pub): return int.from_bytes(sha256(name.encode() + b"\n\x01" + pub)[:4], "big")
def good_name(name): return name != "" and "+" not in name and not any(c.isspace() for c in name)

def parse_key(text):
    """NAME+HASH+BASE64(0x01 || Ed25519 public key) -> (name, id, public key)."""
    parts = text[:-1].split("+", 2) if text.endswith("\n") else text.split("+", 2)
    if len(parts) != 3 or not good_name(parts[0]) or len(parts[1]) != 8 or parts[1].strip("0123456789abcdef"):
        raise Malformed("the verifier key is not NAME+HASH+KEY")
    key = b64(parts[2], "the verifier key", 33)
    if key[0] != 1: raise Malformed("the verifier key is not an Ed25519 key")
    if key_id(parts[0], key[1:]) != int(parts[1], 16): raise Malformed("the verifier key's hash does not match it")
    return parts[0], int(parts[1], 16), key[1:]

def open_note(note, key, what):
    """The text of a signed note, once `key` is found to have signed it."""
    name, kid, pub = key
    if not note.endswith("\n") or any(c < " " and c != "\n" for c in note): raise Malformed(f"{what} is not a note")
    split = note.rfind("\n\n")
    if split < 0: raise Invalid(f"{what} signature", "it is not signed")
    text, lines = note[:split + 1], note[split + 2:].split("\n")[:-1]
    if not 1 <= len(lines) <= 100: raise Malformed(f"{what} has {len(lines)} signatures")
    signed = False
    for line in lines:
        signer, _, sig = line[2:].partition(" ")
        if not line.startswith("\u2014 ") or not good_name(signer): raise Malformed(f"{what} has a bad signature line")
        sig = b64(sig, f"{what}'s signature")
        if len(sig) < 5: raise Malformed(f"{what} has a short signature")
        if signer == name and int.from_bytes(sig[:4], "big") == kid:
            try: Ed25519PublicKey.from_public_bytes(pub).verify(sig[4:], text.encode())
            except InvalidSignature: raise Invalid(f"{what} signature", f"the signature by {name}+{kid:08x} does not verify")
            signed = True
    if not signed: raise Invalid(f"{what} signature", f"not signed by {name}+{kid:08x}")
    return text

def parse_checkpoint(text, what):
    """ORIGIN, SIZE, ROOT lines (then extensions) -> (origin, size, root)."""
    lines = text.split("\n")[:-1]
    if len(lines) < 3 or not lines[0] or "" in lines[3:]: raise Malformed(f"{what} is not a checkpoint")
    if not lines[1].isascii() or not lines[1].isdigit() or (lines[1] != "0" and lines[1][0] == "0") or int(lines[1]) >= 2**64:
        raise Malformed(f"{what}'s size is not a decimal number")
    return lines[0], int(lines[1]), b64(lines[2], f"{what}'s root hash", 32)

def climb(what, fn, sn, first, path):
    """The loop shared by RFC 9162 §2.1.3.2 and §2.1.4.2: (old-tree hash, new-tree hash)."""
    fr = sr = first
    for c in path:
        if sn == 0: raise Invalid(what, "the path has too many hashes")
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while fn and not fn & 1: fn, sn = fn >> 1, sn >> 1
        else: sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0: raise Invalid(what, "the path has too few hashes")
    return fr, sr

def verify_inclusion(index, size, leaf_hash, path, root):
    if index >= size: raise Invalid("inclusion", f"leaf index {index} is not below the tree size {size}")
    if climb("inclusion", index, size - 1, leaf_hash, path)[1] != root: raise Invalid("inclusion", "the path does not lead to the root")

def verify_consistency(m, n, old, new, path):
    if m > n: raise Invalid("consistency", f"the old size {m} is above the new size {n}")
    if m in (0, n):
        if path or old != (sha256(b"") if m == 0 else new): raise Invalid("consistency", "the trees differ")
        return
    if not path: raise Invalid("consistency", "the proof is empty")
    if m & (m - 1) == 0: path = [old] + path  # the old tree is a complete subtree: its root starts the path
    fn, sn = m - 1, n - 1
    while fn & 1: fn, sn = fn >> 1, sn >> 1
    if climb("consistency", fn, sn, path[0], path[1:]) != (old, new):
        raise Invalid("consistency", f"the proof does not join the tree of {m} to the tree of {n}")

def decoded_event(leaf, index):
    """The event the leaf holds, decoded by Tools/read-ledger.py (written from docs/FORMAT.md), without its chain hash."""
    import importlib.util, os
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "read-ledger.py")
    spec = importlib.util.spec_from_file_location("read_ledger", path)
    reader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reader)
    try: event = reader.decode_record(index + 1, bytes(32) + leaf)
    except Exception as error: raise Invalid("leaf bytes", f"the leaf is not an event's canonical bytes ({error})")
    del event["hash"]
    return event

def check(bundle, key_text=None, old_note=None, origin_wanted=None, events=True):
    """Checks a bundle (a dict); returns what was shown, raises Invalid or Malformed."""
    try:
        if bundle["bundle"] != 1: raise Malformed(f"bundle version {bundle['bundle']} is unknown")
        key = parse_key(key_text if key_text is not None else bundle["publicKey"])
        origin, size, root = parse_checkpoint(open_note(bundle["checkpoint"], key, "checkpoint"), "checkpoint")
        if origin_wanted is not None and origin != origin_wanted: raise Invalid("origin", f"the checkpoint is of {origin!r}, not {origin_wanted!r}")
        proof = bundle.get("consistency") if "leafIndex" in bundle else bundle
        said = []
        if "leafIndex" in bundle:
            index, leaf = count(bundle["leafIndex"], "leafIndex"), b64(bundle["leaf"], "leaf")
            if (count(bundle["treeSize"], "treeSize"), b64(bundle["rootHash"], "rootHash", 32)) != (size, root):
                raise Invalid("checkpoint", "the checkpoint is not of the bundle's tree size and root")
            if b64(bundle["leafHash"], "leafHash", 32) != sha256(b"\x00" + leaf): raise Invalid("leaf", "leafHash is not the leaf's hash")
            if len(leaf) < 9 or int.from_bytes(leaf[1:9], "big") != index + 1:
                raise Invalid("leaf", f"the event's sequence number is not {index + 1}")
            verify_inclusion(index, size, sha256(b"\x00" + leaf), [b64(h, "path", 32) for h in bundle["path"]], root)
            canonical = lambda value: json.dumps(value, sort_keys=True, ensure_ascii=False)  # 2015 and 2015.0 differ
            if events and canonical(bundle["event"]) != canonical(decoded_event(leaf, index)):
                raise Invalid("event", "the event shown is not the one the leaf bytes hold")
            said.append(f"event {index + 1} is in the tree of {size}")
        if proof is not None:
            m, old = count(proof["fromSize"], "fromSize"), b64(proof["fromRootHash"], "fromRootHash", 32)
            if (count(proof["treeSize"], "treeSize"), b64(proof["rootHash"], "rootHash", 32)) != (size, root):
                raise Invalid("checkpoint", "the checkpoint is not of the consistency proof's new tree")
            verify_consistency(m, size, old, root, [b64(h, "consistency path", 32) for h in proof["path"]])
            said.append(f"the tree of {m} is a prefix of the tree of {size}")
        if old_note is not None:
            old_origin, old_size, old_root = parse_checkpoint(open_note(old_note, key, "old checkpoint"), "old checkpoint")
            if old_origin != origin: raise Invalid("old checkpoint", f"it is of log {old_origin!r}, not {origin!r}")
            if old_size != size or old_root != root:
                if proof is None or (proof["fromSize"], b64(proof["fromRootHash"], "fromRootHash", 32)) != (old_size, old_root):
                    raise Invalid("old checkpoint", "the bundle's consistency proof does not start from it")
            said.append(f"the old checkpoint of {old_size} is a prefix")
        return f"{'; '.join(said) or 'checkpoint signed'} ({origin}, signed by {key[0]}+{key[1]:08x})"
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise Malformed(f"the bundle is incomplete or mistyped ({error!r})")

def expect(holds, what):  # not `assert`, which python -O would drop
    if not holds: raise AssertionError(f"self-test: {what}")
def refused(attempt):
    try: attempt()
    except Invalid: return
    expect(False, "something wrong was accepted")

def self_test():
    leaves = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
    def mth(d):  # the tree hash straight from RFC 9162 §2.1.1
        if len(d) == 1: return sha256(b"\x00" + d[0])
        k = 1 << (len(d) - 1).bit_length() - 1  # the largest power of two below len(d)
        return node(mth(d[:k]), mth(d[k:]))
    expect([mth(leaves[:n]).hex()[:8] for n in range(1, 9)] == ["6e340b9c", "fac54203", "aeb6bcfe", "d37ee418", "4e3bbb1f",
           "76e67dad", "ddb89be4", "5dc9da79"] and mth(leaves).hex().endswith("eff4604328"), "the roots of the CT vectors")
    e = lambda b: base64.b64encode(b).decode()
    hx = lambda *hs: [bytes.fromhex(h) for h in hs]
    p1, p2 = "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
    verify_inclusion(5, 8, sha256(b"\x00" + leaves[5]), hx("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", p1, p2), mth(leaves))
    verify_consistency(6, 8, mth(leaves[:6]), mth(leaves), hx("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", p1, p2))
    verify_inclusion(6, 7, sha256(b"\x00" + leaves[6]), [mth(leaves[4:6]), mth(leaves[:4])], mth(leaves[:7]))  # a last, lone leaf
    refused(lambda: verify_inclusion(4, 8, sha256(b"\x00" + leaves[5]), hx(p1, p1, p2), mth(leaves)))
    refused(lambda: verify_consistency(6, 8, mth(leaves[:6]), mth(leaves), hx(p1, p2)))
    key = parse_key("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    sig = "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    expect(open_note(text + "\n" + sig, key, "note") == text, "the PeterNeumann note opens")
    sign = lambda body: body + "\n\u2014 PeterNeumann " + e(bytes.fromhex("c74f20a3") + Ed25519PrivateKey.from_private_bytes(seed).sign(body.encode())) + "\n"
    seed = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
    expect(sign(text) == text + "\n" + sig, "the PeterNeumann note is signed byte for byte")
    refused(lambda: open_note(text.replace("you", "You", 1) + "\n" + sig, key, "note"))
    # A two-event bundle, signed with the same key, checked whole and then tampered with.
    l0, l1 = b"\x01" + (1).to_bytes(8, "big") + b"a", b"\x01" + (2).to_bytes(8, "big") + b"b"
    h0, h1 = sha256(b"\x00" + l0), sha256(b"\x00" + l1)
    bundle = {"bundle": 1, "leafIndex": 1, "treeSize": 2, "leaf": e(l1), "leafHash": e(h1), "path": [e(h0)], "rootHash": e(node(h0, h1)),
              "consistency": {"fromSize": 1, "treeSize": 2, "fromRootHash": e(h0), "rootHash": e(node(h0, h1)), "path": [e(h1)]},
              "checkpoint": sign(f"ledger.example\n2\n{e(node(h0, h1))}\n"), "publicKey": "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"}
    bare = lambda bundle, **options: check(bundle, events=False, **options)  # its leaves are not events
    expect(bare(bundle).startswith("event 2 is in the tree of 2; the tree of 1"), "the bundle checks out")
    bare(bundle, old_note=sign(f"ledger.example\n1\n{e(h0)}\n"))
    for old in (f"ledger.example\n1\n{e(h1)}\n", f"other.example\n1\n{e(h0)}\n"): refused(lambda: bare(bundle, old_note=sign(old)))
    for field, value in [("leafIndex", 0), ("leaf", e(l0)), ("path", [e(h1)])]: refused(lambda: bare(dict(bundle, **{field: value})))
    return "the Certificate Transparency vectors, the PeterNeumann note and a two-event bundle check out"

def main(args):
    if args == ["--self-test"]: return print("ok: " + self_test())
    options = dict(zip(args[1::2], args[2::2]))
    if len(args) % 2 == 0 or set(options) - {"--key", "--checkpoint", "--origin"}: raise Malformed(USAGE)
    read = lambda path: open(path, encoding="utf-8").read() if path else None
    def unique(pairs):  # a repeated key could show a reader one value and the checker another
        if len({key for key, _ in pairs}) != len(pairs): raise Malformed("a key appears twice in one object")
        return dict(pairs)
    try: bundle = json.loads(read(args[0]), object_pairs_hook=unique)
    except (OSError, ValueError) as error: raise Malformed(f"cannot read {args[0]}: {error}")
    if not isinstance(bundle, dict): raise Malformed(f"{args[0]} is not a JSON object")
    said = check(bundle, read(options.get("--key")), read(options.get("--checkpoint")), options.get("--origin"))
    if "--key" not in options:
        print("warning: the key was taken from the bundle itself; pass --key with a key you trust", file=sys.stderr)
        said += " -- with the bundle's own key, not one you gave"
    print("ok: " + said)

if __name__ == "__main__":
    try: main(sys.argv[1:])
    except Invalid as error: print(f"invalid: {error.args[0]}: {error.args[1]}"); sys.exit(1)
    except (Malformed, OSError, UnicodeError) as error: print(f"malformed: {error}", file=sys.stderr); sys.exit(2)
