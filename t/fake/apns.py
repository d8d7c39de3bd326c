#!/usr/bin/python3
# t/fake/apns.py: a fake APNs provider API for the tests (HTTP/2, h2c with
# prior knowledge, on 127.0.0.1 only; Python's h2, Debian's python3-h2).
#
# Prints its port on the first line of stdout and exits by itself after
# --ttl seconds or on SIGTERM.  Each connection is served by a thread.
#
#   apns.py --ttl S --log FILE --name NAME --key-pub PEM --team T --kid K
#           --topic TOPIC [--slow S]
#
# A request must be POST /3/device/<hex token> with "authorization: bearer
# <JWT>" whose ES256 signature verifies with --key-pub and whose header kid
# and claim iss are --kid and --team, and apns-topic --topic; else 403
# InvalidProviderToken (bad JWT), 400 TopicDisallowed or 404 BadPath.
# Then the token's first digits pick the answer:
#   410...  410 Unregistered          400b... 400 BadDeviceToken
#   429...  429 TooManyRequests       500...  500 InternalServerError
#   5104... waits --slow seconds (default 2), then 200
#   403e... marks the JWT presented expired (once per token): every later
#           request with an expired JWT gets 403 ExpiredProviderToken
#   else 200.
# Every request is appended to --log as one JSON line before it is
# answered: {"server","token","status","reason","apns_id","expiration",
# "push_type","topic","jwt","iat","payload"}.

import argparse
import base64
import json
import signal
import socket
import sys
import threading
import time

import h2.config
import h2.connection
import h2.events

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

ap = argparse.ArgumentParser()
ap.add_argument('--ttl', type=int, default=120)
ap.add_argument('--log', required=True)
ap.add_argument('--name', default='apns')
ap.add_argument('--key-pub', required=True)
ap.add_argument('--team', required=True)
ap.add_argument('--kid', required=True)
ap.add_argument('--topic', required=True)
ap.add_argument('--slow', type=float, default=2)
args = ap.parse_args()

with open(args.key_pub, 'rb') as f:
    PUB = serialization.load_pem_public_key(f.read())

LOCK = threading.Lock()
EXPIRED = set()
MARKED = set()


def b64d(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


def check_jwt(jwt):
    """The JWT's iat when it is good, else None."""
    try:
        h, c, s = jwt.split('.')
        head = json.loads(b64d(h))
        claims = json.loads(b64d(c))
        sig = b64d(s)
        if head.get('alg') != 'ES256' or head.get('kid') != args.kid:
            return None
        if claims.get('iss') != args.team or len(sig) != 64:
            return None
        der = utils.encode_dss_signature(int.from_bytes(sig[:32], 'big'),
                                         int.from_bytes(sig[32:], 'big'))
        PUB.verify(der, (h + '.' + c).encode(), ec.ECDSA(hashes.SHA256()))
        return claims.get('iat')
    except (ValueError, InvalidSignature, KeyError):
        return None


def answer(headers, data):
    path = headers.get(':path', '')
    token = path[len('/3/device/'):] if path.startswith('/3/device/') else ''
    auth = headers.get('authorization', '')
    jwt = auth[len('bearer '):] if auth.startswith('bearer ') else ''
    iat = check_jwt(jwt)
    status, reason = 200, ''

    if headers.get(':method') != 'POST' or not token:
        status, reason = 404, 'BadPath'
    elif iat is None:
        status, reason = 403, 'InvalidProviderToken'
    elif headers.get('apns-topic') != args.topic:
        status, reason = 400, 'TopicDisallowed'
    else:
        with LOCK:
            if token.startswith('403e') and token not in MARKED:
                MARKED.add(token)
                EXPIRED.add(jwt)
            expired = jwt in EXPIRED
        if expired:
            status, reason = 403, 'ExpiredProviderToken'
        elif token.startswith('410'):
            status, reason = 410, 'Unregistered'
        elif token.startswith('400b'):
            status, reason = 400, 'BadDeviceToken'
        elif token.startswith('429'):
            status, reason = 429, 'TooManyRequests'
        elif token.startswith('500'):
            status, reason = 500, 'InternalServerError'

    try:
        payload = json.loads(data or b'null')
    except ValueError:
        payload = None
    rec = {'server': args.name, 'token': token, 'status': status,
           'reason': reason, 'apns_id': headers.get('apns-id'),
           'expiration': headers.get('apns-expiration'),
           'push_type': headers.get('apns-push-type'),
           'topic': headers.get('apns-topic'), 'jwt': jwt, 'iat': iat,
           'payload': payload}
    with LOCK:
        with open(args.log, 'a') as f:
            f.write(json.dumps(rec) + '\n')

    if status == 200 and token.startswith('5104'):
        time.sleep(args.slow)
    return status, reason


def serve(sock):
    conn = h2.connection.H2Connection(
        config=h2.config.H2Configuration(client_side=False,
                                         header_encoding='utf-8'))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    streams = {}
    wlock = threading.Lock()

    def reply(sid, headers, data):
        status, reason = answer(headers, data)
        body = json.dumps({'reason': reason}).encode() if reason else b''
        with wlock:
            conn.send_headers(sid, [(':status', str(status)),
                                    ('apns-id', headers.get('apns-id', ''))],
                              end_stream=not body)
            if body:
                conn.send_data(sid, body, end_stream=True)
            sock.sendall(conn.data_to_send())

    while True:
        try:
            data = sock.recv(65536)
        except OSError:
            break
        if not data:
            break
        with wlock:
            events = conn.receive_data(data)
        for ev in events:
            if isinstance(ev, h2.events.RequestReceived):
                streams[ev.stream_id] = [dict(ev.headers), b'']
            elif isinstance(ev, h2.events.DataReceived):
                streams[ev.stream_id][1] += ev.data
                with wlock:
                    conn.acknowledge_received_data(
                        ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                h, d = streams.pop(ev.stream_id)
                threading.Thread(target=reply, args=(ev.stream_id, h, d),
                                 daemon=True).start()
        # under the lock: a reply thread's frames must not interleave
        with wlock:
            out = conn.data_to_send()
            if out:
                sock.sendall(out)
    sock.close()


def main():
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    signal.signal(signal.SIGALRM, lambda *a: sys.exit(0))
    signal.alarm(args.ttl)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', 0))
    ls.listen(64)
    print(ls.getsockname()[1], flush=True)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


main()
