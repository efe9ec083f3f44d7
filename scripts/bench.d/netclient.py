#!/usr/bin/env python3
"""The measuring side of ./scripts/bench's network section; runs in the bench's network
namespace and talks to an echo server (UDP and TCP) the way a user would.

  netclient.py ready HOST PORT TIMEOUT_S PIDFILE
      Prints "probing", then sends a UDP probe every 10 ms until one is echoed and prints
      reply_ns=CLOCK_REALTIME of the first reply (compare with `date +%s%N` taken just before
      QEMU started: start it only after "probing", so Python's own start-up is not counted).
      Gives up after TIMEOUT_S, or once the process whose pid is in PIDFILE (QEMU) has exited.
  netclient.py dnsready HOST PORT TIMEOUT_S PIDFILE
      The same with a DNS query (www.example.test A, a fresh id each time) as the probe: prints
      reply_ns= of the first response to one of the probes (QR set, the same id and question).
  netclient.py udp HOST PORT COUNT
      COUNT 64-byte datagrams, one at a time; prints the median round trip in ms (and p90).
  netclient.py tcp HOST PORT BYTES
      BYTES of random data through one connection, sent and read back concurrently, SHA-256
      compared; prints MB/s each way (BYTES / seconds from first send to last byte back).

Output: one line of key=value words. Exit status 1 with a message on any failure.
"""
import hashlib
import os
import socket
import sys
import threading
import time


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def dns_query(ident, name="www.example.test", qtype=1):
    """A DNS query in wire format (RFC 1035 4.1): header with RD clear, one question, class IN."""
    labels = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l) + b"\0"
    return ident.to_bytes(2, "big") + b"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00" + labels + qtype.to_bytes(2, "big") + b"\x00\x01"


def echo_probe(n):
    return b"bench-ready %d" % n


def echo_answers(data, sent):
    return data.startswith(b"bench-ready ")


def dns_probe(n):
    return dns_query(n & 0xFFFF)


def dns_answers(data, sent):
    # An answer (QR set, NOERROR, at least one answer record) to one of our probes: the same
    # question, an id we have sent (ids count up from 0 with the probes).
    question = sent[12:]
    return (len(data) >= 12 + len(question) and data[2] & 0x80 and data[3] & 0x0F == 0
            and int.from_bytes(data[6:8], "big") > 0
            and data[12:12 + len(question)] == question
            and int.from_bytes(data[:2], "big") <= int.from_bytes(sent[:2], "big"))


def ready(host, port, timeout, pidfile, probe_of=echo_probe, answers=echo_answers):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    print("probing", flush=True)
    deadline = time.monotonic() + timeout
    probe = 0
    pid = None
    while time.monotonic() < deadline:
        if pid is None:
            try:
                with open(pidfile) as f:
                    pid = int(f.read().strip() or "0") or None
            except (OSError, ValueError):
                pass
        elif probe % 10 == 0 and not alive(pid):
            fail("QEMU exited before the first reply")
        sent = probe_of(probe)
        try:
            s.sendto(sent, (host, port))
        except OSError:
            pass  # no carrier or no route yet: the guest is not up
        probe += 1
        until = time.monotonic() + 0.01
        while (left := until - time.monotonic()) > 0:
            s.settimeout(left)
            try:
                data, _ = s.recvfrom(2048)
            except (socket.timeout, BlockingIOError):
                break
            except OSError:
                continue
            if answers(data, sent):
                print(f"reply_ns={time.time_ns()} probes={probe}")
                return
    fail(f"no reply within {timeout:.0f} s ({probe} UDP probes to {host}:{port})")


def udp(host, port, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.connect((host, port))
    rtts = []
    for i in range(count):
        payload = i.to_bytes(4, "big") + os.urandom(60)
        start = time.perf_counter_ns()
        s.send(payload)
        while True:
            try:
                data = s.recv(2048)
            except socket.timeout:
                fail(f"udp: no reply to datagram {i} within 3 s")
            except OSError as e:
                fail(f"udp: datagram {i}: {e}")
            if data[:4] == payload[:4]:
                break  # (a late reply to an earlier datagram is skipped)
        rtts.append((time.perf_counter_ns() - start) / 1e6)
        if data != payload:
            fail(f"udp: datagram {i} came back different ({len(data)} bytes)")
    rtts.sort()
    median = rtts[len(rtts) // 2] if len(rtts) % 2 else (rtts[len(rtts) // 2 - 1] + rtts[len(rtts) // 2]) / 2
    print(f"udp_median_ms={median:.3f} udp_p90_ms={rtts[int(len(rtts) * 0.9)]:.3f} datagrams={count}")


def tcp(host, port, size):
    payload = os.urandom(size)
    want = hashlib.sha256(payload).hexdigest()
    s = socket.create_connection((host, port), timeout=60)
    digest = hashlib.sha256()
    got = 0
    error = []

    def reader():
        nonlocal got
        try:
            while True:
                chunk = s.recv(262144)
                if not chunk:
                    return
                digest.update(chunk)
                got += len(chunk)
        except OSError as e:
            error.append(e)

    t = threading.Thread(target=reader)
    start = time.perf_counter()
    t.start()
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    t.join(120)
    elapsed = time.perf_counter() - start
    s.close()
    if t.is_alive() or error:
        fail(f"tcp: echo stalled or failed after {got} of {size} bytes: {error}")
    if got != size or digest.hexdigest() != want:
        fail(f"tcp: {got} of {size} bytes came back, checksum {'equal' if digest.hexdigest() == want else 'DIFFERENT'}")
    print(f"tcp_mbps={size / elapsed / 1e6:.2f} tcp_s={elapsed:.3f} bytes={size} sha256=equal")


def main():
    kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == "ready":
        ready(host, port, float(sys.argv[4]), sys.argv[5])
    elif kind == "dnsready":
        ready(host, port, float(sys.argv[4]), sys.argv[5], dns_probe, dns_answers)
    elif kind == "udp":
        udp(host, port, int(sys.argv[4]))
    elif kind == "tcp":
        tcp(host, port, int(sys.argv[4]))
    else:
        fail(__doc__)


if __name__ == "__main__":
    main()
