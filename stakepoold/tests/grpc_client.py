#!/usr/bin/env python3
"""A gRPC client that is not ours: Python grpcio stubs generated from proto/stakepoold.proto
at run time call every RPC of a running stakepoold over TLS and check the replies.

Either give a running daemon:

    python3 stakepoold/tests/grpc_client.py --address 127.0.0.1:PORT --cert DIR/rpc.cert

or let the script start one (`stakepoold --demo --rpclisten 127.0.0.1:PORT --datadir DIR` on a
free port and a temporary DIR) and stop it afterwards:

    cargo build -p stakepoold
    python3 stakepoold/tests/grpc_client.py --stakepoold target/debug/stakepoold

When it starts the daemon itself, it runs the checks twice: once without client
certificates (the original's mode, which hcstakepool's web app needs; stakepoold allows it
on loopback, or anywhere with noclientauth=1), and once against a daemon started with
`--clientcafile`: a client without a certificate must be refused, and one presenting the
listed certificate (an openssl P-256 one, so BoringSSL signs with it) passes every check.
The daemon's own certificate is the one it generates (P-256 by default: grpcio cannot
verify the original's P-521).
With --address, give --client-cert and --client-key for a daemon that requires them.

Also checks the standard health service (grpc.health.v1, stubs from grpcio-health-checking).
Needs `pip install grpcio grpcio-tools grpcio-health-checking`. Exits 0 when every check
passed, 1 otherwise.
"""

import argparse
import importlib
import os
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROTO_DIR = os.path.join(REPO, "proto")


def generate_stubs(out_dir):
    """protoc (grpcio-tools) on the repository's proto: stakepoold_pb2{,_grpc}.py."""
    from grpc_tools import protoc

    proto_include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    rc = protoc.main(
        [
            "protoc",
            "-I" + PROTO_DIR,
            "-I" + proto_include,
            "--python_out=" + out_dir,
            "--grpc_python_out=" + out_dir,
            os.path.join(PROTO_DIR, "stakepoold.proto"),
        ]
    )
    if rc != 0:
        raise SystemExit("protoc failed on proto/stakepoold.proto")
    sys.path.insert(0, out_dir)
    return (
        importlib.import_module("stakepoold_pb2"),
        importlib.import_module("stakepoold_pb2_grpc"),
    )


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client_cert(datadir, name="client"):
    """DIR/NAME.cert and DIR/NAME.key: an openssl P-256 client certificate (extended key
    usage clientAuth) for mutual TLS; stakepoold lists it in its clientcafile."""
    cert, key = os.path.join(datadir, name + ".cert"), os.path.join(datadir, name + ".key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "2", "-subj", "/O=stakepoold grpc client test",
         "-addext", "extendedKeyUsage=clientAuth", "-keyout", key, "-out", cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return cert, key


def start_daemon(binary, datadir, client_ca=None):
    """The daemon generates its own certificate (DIR/rpc.cert): P-256 by default, which
    grpcio's TLS (BoringSSL) verifies; it does not offer ecdsa_secp521r1_sha512, so a
    `tlscurve=P-521` certificate (the original's) fails its handshake."""
    port = free_port()
    cert = os.path.join(datadir, "rpc.cert")
    log = open(os.path.join(datadir, "stakepoold.log"), "wb")
    extra = ["--clientcafile", client_ca] if client_ca else []
    proc = subprocess.Popen(
        [binary, "--demo", "--rpclisten", "127.0.0.1:%d" % port, "--datadir", datadir] + extra,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(
                "stakepoold exited with %s; log:\n%s" % (proc.returncode, read_log(datadir))
            )
        if os.path.exists(cert):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return proc, "127.0.0.1:%d" % port, cert
            except OSError:
                pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("stakepoold did not listen within 60 s; log:\n%s" % read_log(datadir))


def read_log(datadir):
    try:
        with open(os.path.join(datadir, "stakepoold.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]
    except OSError:
        return "(no log)"


class Checks:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def eq(self, what, got, want):
        if got == want:
            self.passed += 1
            print("ok   %s" % what)
        else:
            self.failed += 1
            print("FAIL %s: got %r, want %r" % (what, got, want))


def entries(reply):
    return sorted((t.TicketAddress, bytes(t.TicketHash)) for t in reply.tickets)


def credentials(cert_path, client=None):
    import grpc

    with open(cert_path, "rb") as f:
        root = f.read()
    if client is None:
        return grpc.ssl_channel_credentials(root_certificates=root)
    with open(client[0], "rb") as c, open(client[1], "rb") as k:
        return grpc.ssl_channel_credentials(
            root_certificates=root, certificate_chain=c.read(), private_key=k.read()
        )


def certless_refused(pb, pb_grpc, address, cert_path):
    """A client without a certificate gets nothing from a daemon with clientcafile."""
    import grpc

    c = Checks()
    channel = grpc.secure_channel(address, credentials(cert_path))
    try:
        pb_grpc.StakepooldServiceStub(channel).SetUserVotingPrefs(
            pb.SetUserVotingPrefsRequest(user_voting_config=[]), timeout=10
        )
        c.eq("a client without a certificate is refused", "accepted", "UNAVAILABLE")
    except grpc.RpcError as e:
        c.eq("a client without a certificate is refused", e.code(), grpc.StatusCode.UNAVAILABLE)
    channel.close()
    return c.failed == 0


def run_checks(pb, pb_grpc, address, cert_path, client=None):
    import grpc

    channel = grpc.secure_channel(address, credentials(cert_path, client))
    grpc.channel_ready_future(channel).result(timeout=30)
    version = pb_grpc.VersionServiceStub(channel)
    spd = pb_grpc.StakepooldServiceStub(channel)
    c = Checks()
    t = 10

    v = version.Version(pb.VersionRequest(), timeout=t)
    c.eq("Version major (hcstakepool requires 4)", v.major, 4)
    c.eq(
        "Version string matches the numbers",
        v.version_string,
        "%d.%d.%d" % (v.major, v.minor, v.patch),
    )

    c.eq("Ping", type(spd.Ping(pb.PingRequest(), timeout=t)).__name__, "PingResponse")
    # hcpool's additions to PingResponse: the wallet's and hcd's heights (0 = unknown; the
    # demo chain mines a block every 2 s, so both become known).
    deadline = time.time() + 20
    ping = spd.Ping(pb.PingRequest(), timeout=t)
    while (ping.wallet_height == 0 or ping.node_height == 0) and time.time() < deadline:
        time.sleep(0.5)
        ping = spd.Ping(pb.PingRequest(), timeout=t)
    c.eq("Ping reports the wallet's and hcd's heights", ping.wallet_height > 0 and ping.node_height > 0, True)

    users = [
        pb.UserVotingConfigEntry(
            UserId=1, MultiSigAddress="ScuQxvveKGfpG1ypt6u27F99Anf7EW3cqhq", VoteBits=5,
            VoteBitsVersion=7,
        ),
        pb.UserVotingConfigEntry(
            UserId=2, MultiSigAddress="ScwZtDnfLiGCjrmjwjbxrrgnQgbrrNPQp7t", VoteBits=1,
            VoteBitsVersion=7,
        ),
    ]
    r = spd.SetUserVotingPrefs(pb.SetUserVotingPrefsRequest(user_voting_config=users), timeout=t)
    c.eq("SetUserVotingPrefs", type(r).__name__, "SetUserVotingPrefsResponse")

    live_before = entries(spd.GetLiveTickets(pb.GetLiveTicketsRequest(), timeout=t))
    ticket = (users[0].MultiSigAddress, bytes(range(32)))
    r = spd.SetAddedLowFeeTickets(
        pb.SetAddedLowFeeTicketsRequest(
            tickets=[pb.TicketEntry(TicketAddress=ticket[0], TicketHash=ticket[1])]
        ),
        timeout=t,
    )
    c.eq("SetAddedLowFeeTickets", type(r).__name__, "SetAddedLowFeeTicketsResponse")
    added = entries(spd.GetAddedLowFeeTickets(pb.GetAddedLowFeeTicketsRequest(), timeout=t))
    c.eq("GetAddedLowFeeTickets returns the set just sent", added, [ticket])
    live = entries(spd.GetLiveTickets(pb.GetLiveTicketsRequest(), timeout=t))
    # An added ticket goes live once the wallet lists it (VoterState::set_added_low_fee_tickets);
    # this hash is no ticket of the wallet's.
    c.eq("GetLiveTickets: an added ticket the wallet does not list is not live", ticket in live,
         False)
    c.eq("GetLiveTickets kept the others", live, live_before)
    ignored = entries(spd.GetIgnoredLowFeeTickets(pb.GetIgnoredLowFeeTicketsRequest(), timeout=t))
    c.eq("GetIgnoredLowFeeTickets does not hold an added ticket", ticket in ignored, False)

    try:
        spd.SetAddedLowFeeTickets(
            pb.SetAddedLowFeeTicketsRequest(
                tickets=[pb.TicketEntry(TicketAddress="x", TicketHash=b"short")]
            ),
            timeout=t,
        )
        c.eq("a 5-byte ticket hash is refused", "accepted", "INVALID_ARGUMENT")
    except grpc.RpcError as e:
        c.eq("a 5-byte ticket hash is refused", e.code(), grpc.StatusCode.INVALID_ARGUMENT)
    added = entries(spd.GetAddedLowFeeTickets(pb.GetAddedLowFeeTicketsRequest(), timeout=t))
    c.eq("a refused set leaves the added set as it was", added, [ticket])

    r = spd.SetAddedLowFeeTickets(pb.SetAddedLowFeeTicketsRequest(tickets=[]), timeout=t)
    added = entries(spd.GetAddedLowFeeTickets(pb.GetAddedLowFeeTicketsRequest(), timeout=t))
    c.eq("SetAddedLowFeeTickets([]) empties the set", added, [])

    from grpc_health.v1 import health_pb2, health_pb2_grpc

    health = health_pb2_grpc.HealthStub(channel)
    serving = health_pb2.HealthCheckResponse.SERVING
    for name in ["", "stakepoolrpc.StakepooldService"]:
        deadline = time.time() + 10
        while True:
            st = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=t).status
            if st == serving or time.time() > deadline:
                break
            time.sleep(0.2)
        c.eq("Health.Check(%r): wallet and node connected" % name, st, serving)
    try:
        health.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=t)
        c.eq("Health.Check of an unknown service", "answered", "NOT_FOUND")
    except grpc.RpcError as e:
        c.eq("Health.Check of an unknown service", e.code(), grpc.StatusCode.NOT_FOUND)

    channel.close()
    print("%d passed, %d failed" % (c.passed, c.failed))
    return c.failed == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--address", help="host:port of a running stakepoold")
    ap.add_argument("--cert", help="its rpc.cert")
    ap.add_argument("--client-cert", help="with --address: the client certificate to present")
    ap.add_argument("--client-key", help="with --address: its key")
    ap.add_argument("--stakepoold", help="binary to start with --demo instead")
    a = ap.parse_args()
    if not a.stakepoold and not (a.address and a.cert):
        ap.error("give --stakepoold BINARY, or --address and --cert")
    with tempfile.TemporaryDirectory(prefix="spd-grpc-py-") as tmp:
        pb, pb_grpc = generate_stubs(os.path.join(tmp))
        if not a.stakepoold:
            client = (a.client_cert, a.client_key) if a.client_cert else None
            ok = run_checks(pb, pb_grpc, a.address, a.cert, client)
        else:
            ok = True
            for mtls in (False, True):
                print("-- stakepoold %s" % (
                    "with clientcafile (mutual TLS)" if mtls else "without client certificates"))
                datadir = os.path.join(tmp, "mtls" if mtls else "data")
                os.makedirs(datadir)
                client = client_cert(datadir) if mtls else None
                proc = None
                try:
                    proc, address, cert = start_daemon(
                        a.stakepoold, datadir, client[0] if client else None)
                    this = True
                    if mtls:
                        this = certless_refused(pb, pb_grpc, address, cert)
                    this = run_checks(pb, pb_grpc, address, cert, client) and this
                    if not this:
                        print(read_log(datadir))
                    ok = ok and this
                finally:
                    if proc is not None:
                        proc.terminate()
                        try:
                            proc.wait(timeout=15)
                        except subprocess.TimeoutExpired:
                            proc.kill()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
