#!/usr/bin/env python3
"""Talks to an echo server the way a user would: UDP datagrams and a TCP stream with a checksum.

  echo_client.py udp HOST PORT COUNT
  echo_client.py tcp HOST PORT BYTES [CONNECTIONS]
Prints one line of results; exits non-zero on any mismatch or timeout.
"""
import hashlib, os, socket, sys, threading, time

def udp(host, port, count):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    start = time.monotonic()
    for i in range(count):
        payload = os.urandom(16 + i % 1000)
        s.sendto(payload, (host, port))
        data, _ = s.recvfrom(2048)
        if data != payload:
            sys.exit(f"udp: datagram {i} came back different ({len(data)} bytes)")
    print(f"udp: {count} datagrams echoed in {time.monotonic() - start:.3f}s")

def tcp_one(host, port, size, results, index):
    payload = os.urandom(size)
    s = socket.create_connection((host, port), timeout=60)
    received = bytearray()
    def reader():
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            received.extend(chunk)
    t = threading.Thread(target=reader)
    t.start()
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    t.join(120)
    s.close()
    ok = hashlib.sha256(received).digest() == hashlib.sha256(payload).digest()
    results[index] = (ok, len(received))

def tcp(host, port, size, connections):
    results = [None] * connections
    start = time.monotonic()
    threads = [threading.Thread(target=tcp_one, args=(host, port, size, results, i)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    elapsed = time.monotonic() - start
    for i, r in enumerate(results):
        if r is None or not r[0]:
            sys.exit(f"tcp: connection {i} failed: {r}")
    total = size * connections
    print(f"tcp: {connections} x {size} bytes echoed, checksums equal, {elapsed:.3f}s, {total * 2 / elapsed / 1e6:.2f} MB/s both ways")

if __name__ == "__main__":
    kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == "udp":
        udp(host, port, int(sys.argv[4]))
    else:
        tcp(host, port, int(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 1)
