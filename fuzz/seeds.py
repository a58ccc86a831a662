#!/usr/bin/env python3
"""Writes the seed inputs of every target into fuzz/corpus/<target>/seed-*: from the HC
vectors (hcpool-core/tests/data), the real hcd/hcwallet transcripts
(hcpool-simnet/tests/data/realhc-transcripts), the sample configuration files and hand-made
messages, tokens and forms. Deterministic; run from the repository root. Inputs the fuzzer
found are kept beside them (fuzz/corpus/<target>/<hash>), see README "Fuzzing"."""
import base64
import glob
import hashlib
import hmac
import json
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
DATA = os.path.join(ROOT, "hcpool-core", "tests", "data")
TRANSCRIPTS = os.path.join(ROOT, "hcpool-simnet", "tests", "data", "realhc-transcripts")


def write(target, items, limit=None):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for f in glob.glob(os.path.join(d, "seed-*")):
        os.remove(f)
    seen = []
    for item in items:
        b = item.encode() if isinstance(item, str) else bytes(item)
        if b not in seen:
            seen.append(b)
    for i, b in enumerate(seen[:limit]):
        with open(os.path.join(d, "seed-%03d" % i), "wb") as f:
            f.write(b)
    return len(seen[:limit])


def walk(v):
    """Every (key, string value) in a JSON tree."""
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, str):
                yield k, x
            else:
                yield from walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk(x)


def load(name):
    with open(os.path.join(DATA, name)) as f:
        return json.load(f)


vectors = [load("hc-vectors.json"), load("keys-addresses.json")]
strings = [kv for v in vectors for kv in walk(v)]

ADDRESS_KEYS = {"encoded_in_test", "hc_encoding", "input", "string", "encode_address", "p2sh_address",
                "pool_pubkey_addr", "user_pubkey_addr", "pool_pubkey_address", "user_pubkey_address",
                "address", "parsed_address", "pubkey_address", "p2pkh_address", "child_0_1_p2pkh",
                "address_addrtype0", "address_addrtype1", "hc_mainnet_address", "p2pkh_EncodeAddress"}
addresses = [s for k, s in strings if k in ADDRESS_KEYS and 20 < len(s) < 200]
# One of every leading character (network) and length first, then the rest.
addresses.sort(key=lambda s: (len(s), s))

KEY_KEYS = {"want_xpub", "want_xprv", "extkey", "key", "xpub", "xprv", "hc_go_xprv", "hc_go_xpub",
            "reserialized", "xpub_79byte_payload_variant"}
keys = [s for k, s in strings if k in KEY_KEYS and len(s) > 4]

SCRIPT_KEYS = {"redeem_script_hex", "p2sh_pkscript_hex", "sstx_vote_output_pkscript_hex",
               "commitment_pkscript_hex", "pkscript_hex"}
scripts = []
for k, s in strings:
    if k in SCRIPT_KEYS or k.endswith("pkscript_hex"):
        try:
            scripts.append(bytes.fromhex(s))
        except ValueError:
            pass
scripts.append(scripts[0].hex())  # the hex form RPC replies carry

frames, txs = [], []
for path in sorted(glob.glob(os.path.join(TRANSCRIPTS, "*.json"))):
    with open(path) as f:
        exchanges = json.load(f)
    for ex in exchanges if isinstance(exchanges, list) else []:
        for key in ("response_raw", "notification_raw", "notifications_raw"):
            raw = ex.get(key)
            for r in raw if isinstance(raw, list) else [raw]:
                if isinstance(r, str) and len(r) <= 4096:
                    frames.append(r)
        for _, s in walk(ex):
            if len(s) > 100 and len(s) % 2 == 0:
                try:
                    b = bytes.fromhex(s)
                except ValueError:
                    continue
                if b[2:4] in (b"\x00\x00", b"\x01\x00") and len(b) < 2048:
                    txs.append(b)
    for ex in exchanges if isinstance(exchanges, list) else []:
        try:
            res = json.loads(ex.get("response_raw") or "null")
        except ValueError:
            continue
        if isinstance(res, dict):
            for _, s in walk(res):
                if len(s) > 100 and len(s) % 2 == 0:
                    try:
                        b = bytes.fromhex(s)
                    except ValueError:
                        continue
                    if b[2:4] in (b"\x00\x00", b"\x01\x00") and len(b) < 2048:
                        txs.append(b)

votebits = load("votebits.json")
NETS = {"mainnet": 0, "testnet": 1, "testnet2": 1, "simnet": 2}
vb = []
for c in votebits["cases"]:
    net = NETS.get(c["network"], 1)
    version = c.get("vote_version", 7)
    # Byte 1: < 128 picks a deployment of the network, >= 128 names version (b - 128).
    sel = 0 if net == 1 and version == 7 else 128 + (version & 0x7f)
    bits = c["votebits"] & 0xffff
    vb.append(bytes([net, sel]) + struct.pack("<H", bits) + ("%d\nmaxblocksize=yes\n07000000" % bits).encode())
vb.append(bytes([1, 0, 5, 0]) + b"-65531\nmaxblocksize=no&maxblocksize=yes\n0700")

def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()

poolconf = [read("sample-hcstakepool.conf"), """[Application Options]
; comment
apisecret=secret-jwt
cookiesecret=cookie
dbpassword=pw
coldwalletextpub=tpubCold
votingwalletextpub=tpubVoting
testnet=1
wallethosts=127.0.0.1,10.0.0.2:12345,[::1]:1
walletusers=u1,u2,u3
walletpasswords=p1,p2,p3
walletcerts=a.cert,b.cert,c.cert
adminips=127.0.0.1
adminuserids=1,2
poolfees=2.5
listen="[::]:8000"
maintenance=1
dburl=sqlite://pool.db
"""]
stakepooldconf = [read("sample-stakepoold.conf"), """[Application Options]
coldwalletextpub=tpubX
poolfees=5
dbhost=db.local
dbpassword=secret
hcdhost=127.0.0.1
hcduser=u
hcdpassword=p
hcdcert=hcd.cert
wallethost=10.0.0.2:1234
walletuser=u
walletpassword=p
walletcert=/abs/wallet.cert
rpclisten=127.0.0.1:9113
rpclisten=[::1]
metricslisten=127.0.0.1:9114
""", "demo=1\ndatadir=d\nsimnet=1\nclientcafile=ca.pem\n"]


def varint(n):
    out = b""
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, wire, payload):
    key = varint(num << 3 | wire)
    if wire == 0:
        return key + varint(payload & 0xffffffffffffffff)
    return key + varint(len(payload)) + payload


def ticket(addr, h):
    return field(1, 2, addr.encode()) + field(2, 2, h)


def user(uid, addr, bits, ver):
    return field(1, 0, uid) + field(2, 2, addr.encode()) + field(3, 0, bits) + field(4, 0, ver)


grpc = [
    b"",
    field(1, 2, ticket("TcfdqCrK2fiFJBZnGj5N6xs6rMsbQBsJBYf", bytes(range(32)))),
    field(1, 2, ticket("Tc", b"\x01" * 31)) + field(1, 2, ticket("", b"")),
    field(1, 2, user(1, "TcfdqCrK2fiFJBZnGj5N6xs6rMsbQBsJBYf", 5, 7)),
    field(1, 2, user(-1, "x", 70000, -1)) + field(1, 2, user(2**62, "", 1, 2**33)),
    field(1, 2, b"4.0.0") + field(2, 0, 4) + field(3, 0, 0) + field(4, 0, 0),
]

SECRET = b"fuzz-apisecret"


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token(alg, claims, secret=SECRET, header=None):
    h = b64((header or '{"alg":"%s","typ":"JWT"}' % alg).encode())
    c = b64(claims.encode())
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}.get(alg)
    sig = b64(hmac.new(secret, ("%s.%s" % (h, c)).encode(), digest).digest()) if digest else ""
    return "%s.%s.%s" % (h, c, sig)


jwt = [
    token("HS256", '{"iat":1481730366,"iss":"http://127.0.0.1:8000","loggedInAs":64}'),
    token("HS384", '{"iat":1.4e9,"loggedInAs":1.0,"exp":1800000000}'),
    token("HS512", '{"loggedInAs":18446744073709551615,"nbf":1}'),
    token("HS256", '{"iat":1900000000,"loggedInAs":2}'),
    token("HS256", '{"loggedInAs":-1}'),
    token("none", '{"loggedInAs":1}'),
    token("RS256", '{"loggedInAs":1}'),
    token("HS256", '{"loggedInAs":1}', header='{"alg":"HS256","typ":"JWT","kid":"x"}'),
    struct.pack("<Qq", 64, 1481730366) + b"http://127.0.0.1:8000",
]

ADDR = "TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt"
HASH = "2a98cc0838b0e43109ba803195eeea128b7fd5339feee30b1a6cb95e5954c267"
form = [
    "email=a%40b.c&password=12345678&passwordrepeat=12345678&csrf_token=t&captcha_id=1&captcha_answer=x",
    "email=a@b.c&password=pw&csrf_token=t",
    "password=12345678&newpassword=abcdefgh&newpasswordrepeat=abcdefgh&csrf_token=t",
    "email=+new%40b.c+&password=x&csrf_token=t",
    "UserPubKeyAddr=%s&csrf_token=t" % ADDR,
    "agenda0=2&agenda1=8&csrf_token=t",
    "agenda0=x&csrf_token=t",
    "csrf_token=t&action=Add&tickets=%s&tickets=zz" % HASH,
    "csrf_token=t&action=Remove&tickets=%s" % HASH,
    "live=2&voted=0&missed=3&expired=99999999999999999999&invalid=1",
    "VoteBits=5&UserPubKeyAddr=%s" % ADDR,
    "VoteBits=-65531",
    "csrf_token=t",
]

counts = {
    "address": write("address", addresses, 60),
    "xpub": write("xpub", keys, 40),
    "tx": write("tx", txs, 24),
    "script": write("script", scripts, 40),
    "votebits": write("votebits", vb, 40),
    "poolconf": write("poolconf", poolconf),
    "stakepooldconf": write("stakepooldconf", stakepooldconf),
    "jsonrpc": write("jsonrpc", frames, 80),
    "grpc": write("grpc", grpc),
    "jwt": write("jwt", jwt),
    "form": write("form", form),
}
print(" ".join("%s=%d" % kv for kv in counts.items()))
