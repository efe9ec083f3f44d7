#!/usr/bin/python3
"""A spoofed DNS flood, for response rate limiting (RRL) tests and the bench.

Usage: dns_spoofed_flood.py GUEST IFACE PREFIX SECONDS RATE NAME TYPE

From inside a test network namespace (root): sends DNS queries for NAME/TYPE (with EDNS,
payload 1232) to GUEST port 53 for SECONDS at about RATE a second, from source addresses
spread over PREFIX.0/24 (PREFIX is three octets, e.g. 10.66.5), written with a raw socket
(IP_HDRINCL). The guest sends its answers to its gateway, so they are caught on IFACE with a
packet socket; nothing in the namespace owns those addresses. Prints one line of JSON: queries
sent and their UDP payload octets, answers caught and theirs, how many had TC set, and the
amplification (answer octets / query octets).
"""
import json, random, socket, struct, sys, threading, time

guest, iface, prefix, seconds, rate, name, qtype = sys.argv[1:8]
seconds, rate = float(seconds), float(rate)
TYPES = {"A": 1, "NS": 2, "TXT": 16, "AAAA": 28, "ANY": 255}

def query(ident):
    q = struct.pack("!HHHHHH", ident, 0, 1, 0, 0, 1)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + struct.pack("!HH", TYPES[qtype], 1)
    return q + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"

def checksum(header):
    total = sum(struct.unpack("!10H", header))
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF

def packet(source, sport, payload):
    udp = struct.pack("!HHHH", sport, 53, 8 + len(payload), 0) + payload
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                         socket.inet_aton(source), socket.inet_aton(guest))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + udp

caught = {"answers": 0, "answer_octets": 0, "truncated": 0}
stop = threading.Event()

def sniff():
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((iface, 0))
    s.settimeout(0.2)
    guest_bytes, net = socket.inet_aton(guest), socket.inet_aton(prefix + ".0")[:3]
    while not stop.is_set():
        try:
            frame = s.recv(65535)
        except socket.timeout:
            continue
        ip = frame[14:]
        if len(ip) < 28 or ip[9] != 17 or ip[12:16] != guest_bytes or ip[16:19] != net:
            continue
        udp = ip[(ip[0] & 0x0F) * 4:]
        if udp[:2] != b"\x00\x35":
            continue
        dns = udp[8:]
        caught["answers"] += 1
        caught["answer_octets"] += len(dns)
        if len(dns) > 2 and dns[2] & 0x02:
            caught["truncated"] += 1

sniffer = threading.Thread(target=sniff)
sniffer.start()
time.sleep(0.3)
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
sent = sent_octets = 0
start = time.monotonic()
while True:
    elapsed = time.monotonic() - start
    if elapsed >= seconds:
        break
    if sent > elapsed * rate:
        time.sleep(0.001)
        continue
    payload = query(random.randrange(65536))
    source = "%s.%d" % (prefix, random.randrange(1, 255))
    raw.sendto(packet(source, random.randrange(1024, 65536), payload), (guest, 0))
    sent += 1
    sent_octets += len(payload)
time.sleep(1.0)  # the last answers
stop.set()
sniffer.join()
caught.update(queries=sent, query_octets=sent_octets, seconds=seconds,
              amplification=round(caught["answer_octets"] / max(sent_octets, 1), 3))
print(json.dumps(caught))
