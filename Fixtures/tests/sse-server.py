#!/usr/bin/env python3
"""A stand-in for GET /v1/subscribe of `subsidy-ledger serve`, for the tests
of `subsidy-ledger follow` (Tests/CLITests/FollowCommandTests.swift).

It reads the events of a ledger directly (LMDB, as docs/FORMAT.md
describes) and serves them as the HTTP API contract says: `event: event`,
`id: SEQ`, one line of JSON data with `canonical` (Base64), then `event:
head` heartbeats. Options make it misbehave the ways a real network or
server can: drop the first connection after an event, send CRLF line ends
in small pieces with comments, leave `canonical` out, tamper with a hash,
refuse with an API error, or stop accepting connections.

Prints `listening on http://127.0.0.1:PORT` on its first line, like serve,
and logs each request (path and the headers that matter) as a JSON line
to --log.
"""
import argparse
import base64
import datetime
import json
import lmdb
import socket
import socketserver
import struct
import sys
import threading
import time
from urllib.parse import urlsplit, parse_qs

TYPES = ["", "person.registered", "person.certified", "enterprise.registered", "fund.appropriated",
         "fund.transferred", "subsidy.granted", "subsidy.recovered", "loan.issued", "loan.interestDiscounted",
         "loan.repaid", "loan.defaulted", "guarantee.compensated", "guarantee.recovered", "guarantee.writtenOff",
         "entry.reversed"]

parser = argparse.ArgumentParser()
parser.add_argument("--ledger", required=True)
parser.add_argument("--log", required=True)
parser.add_argument("--drop-after", type=int, help="end the first connection abruptly after this seq")
parser.add_argument("--no-canonical", action="store_true")
parser.add_argument("--tamper", type=int, help="flip a bit of this seq's hash")
parser.add_argument("--crlf", action="store_true", help="CRLF line ends, comments, sent a few bytes at a time")
parser.add_argument("--status", type=int, help="refuse every request with this status")
parser.add_argument("--code", default="forbidden")
parser.add_argument("--message", default="refused")
parser.add_argument("--head-hash", help="announce this hash for the head in heartbeats")
parser.add_argument("--retry", type=int, help="send a retry field (milliseconds)")
parser.add_argument("--max-connections", type=int, help="stop listening after this many connections")
args = parser.parse_args()

env = lmdb.open(args.ledger, readonly=True, lock=False, max_dbs=16)
with env.begin() as txn:
    events = txn.cursor(db=env.open_db(b"events", txn=txn, create=False))
    RECORDS = [(struct.unpack(">Q", k)[0], bytes(v[:32]), bytes(v[32:])) for k, v in events]
HEAD = (RECORDS[-1][0], RECORDS[-1][1]) if RECORDS else (0, bytes(32))
LOCK = threading.Lock()
CONNECTIONS = [0]


def event_object(seq, stored_hash, canonical):
    recorded = struct.unpack(">q", canonical[9:17])[0]
    when = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=recorded)
    id_length = canonical[24]
    obj = {"seq": seq, "recorded": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "hash": stored_hash.hex(),
           "id": canonical[25:25 + id_length].decode(), "type": TYPES[canonical[19]], "data": {}}
    if not args.no_canonical:
        obj["canonical"] = base64.b64encode(canonical).decode()
    return obj


class Handler(socketserver.BaseRequestHandler):
    def send(self, text, chunked=True):
        data = text.encode()
        if chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data)
        if args.crlf:
            for start in range(0, len(data), 7):
                self.request.sendall(data[start:start + 7])
        else:
            self.request.sendall(data)

    def message(self, lines):
        end = "\r\n" if args.crlf else "\n"
        if args.crlf:
            lines = [": a comment"] + lines
        return end.join(lines) + end + end

    def handle(self):
        with LOCK:
            CONNECTIONS[0] += 1
            number = CONNECTIONS[0]
        try:
            self.serve(number)
        finally:
            if args.max_connections and number >= args.max_connections:
                threading.Thread(target=self.server.shutdown).start()

    def serve(self, number):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        lines = head.split(b"\r\n\r\n")[0].decode().split("\r\n")
        target = lines[0].split(" ")[1]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        with open(args.log, "a") as log:
            log.write(json.dumps({"target": target, "last-event-id": headers.get("last-event-id"),
                                  "authorization": headers.get("authorization")}) + "\n")
        if args.status:
            body = json.dumps({"error": {"code": args.code, "message": args.message, "details": []}}).encode()
            self.request.sendall(b"HTTP/1.1 %d Refused\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                                 % (args.status, len(body), body))
            return
        query = parse_qs(urlsplit(target).query)
        first = int(query.get("from", ["1"])[0])
        if headers.get("last-event-id"):
            first = int(headers["last-event-id"]) + 1
        types = set(query.get("type", []))
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n")
        if args.retry:
            self.send("retry: %d\n\n" % args.retry)
        try:
            for seq, stored_hash, canonical in RECORDS[first - 1:]:
                obj = event_object(seq, stored_hash, canonical)
                if types and obj["type"] not in types:
                    continue
                if seq == args.tamper:
                    obj["hash"] = bytes([stored_hash[0] ^ 1]).hex() + obj["hash"][2:]
                self.send(self.message(["event: event", "id: %d" % seq, "data: " + json.dumps(obj, separators=(",", ":"))]))
                if number == 1 and seq == args.drop_after:
                    # The connection ends cleanly in the middle of the
                    # stream (FIN, no end of the chunked body).
                    self.request.shutdown(socket.SHUT_WR)
                    return
            head_hash = args.head_hash or HEAD[1].hex()
            while True:
                self.send(self.message(["event: head", "id: %d" % HEAD[0],
                                        "data: " + json.dumps({"seq": HEAD[0], "hash": head_hash}, separators=(",", ":"))]))
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            return


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


server = Server(("127.0.0.1", 0), Handler)
print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
server.serve_forever()
server.server_close()
