#!/usr/bin/python3
# t/fake/apns.py: a fake APNs provider API for the tests (HTTP/2, h2c with
# prior knowledge, on 127.0.0.1 only; Python's h2, Debian's python3-h2).
#
# Prints its port on the first line of stdout and exits by itself after
# --ttl seconds or on SIGTERM.  Each connection is served by a thread,
# which answers the streams itself but those that wait (5104..., 9a1r...),
# which get a thread each.
# With --cert and --key it speaks h2 over TLS (ALPN "h2"), where libcurl
# multiplexes its requests as streams of one connection; else h2c with
# prior knowledge (libcurl 7.88 opens a connection per request).
#
#   apns.py --ttl S --log FILE --name NAME --key-pub PEM --team T --kid K
#           --topic TOPIC [--slow S] [--cert PEM --key PEM] [--quiet]
#           [--delay MS]
#
# --delay holds every answer MS milliseconds without holding up the other
# streams, as the network between a server and Apple would (benchmarks).
#
# A request must be POST /3/device/<hex token> with "authorization: bearer
# <JWT>" whose ES256 signature verifies with --key-pub and whose header kid
# and claim iss are --kid and --team, and apns-topic --topic; else 403
# InvalidProviderToken (bad JWT), 400 TopicDisallowed or 404 BadPath.
# Then the token's first digits pick the answer:
#   410...  410 Unregistered          400b... 400 BadDeviceToken
#   429...  429 TooManyRequests       500...  500 InternalServerError
#   5104... waits --slow seconds (default 2), then 200
#   9a1r... waits (5 s at most) until another 9a1r request is being
#           answered at the same time, then 200 with "met" true in its
#           line: only a client with several requests in flight meets one
#   403e... marks the JWT presented expired (once per token): every later
#           request with an expired JWT gets 403 ExpiredProviderToken
#   else 200.
# Every request is appended to --log as one JSON line before it is
# answered: {"server","token","status","reason","apns_id","expiration",
# "push_type","topic","jwt","iat","payload","conn","stream","inflight",
# "met"}: conn numbers the connections, inflight counts the requests being
# answered when this one arrived.  --quiet leaves out jwt and payload
# (long drains).

import argparse
import base64
import heapq
import json
import signal
import select
import socket
import ssl
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
ap.add_argument('--cert')
ap.add_argument('--key')
ap.add_argument('--quiet', action='store_true')
ap.add_argument('--delay', type=float, default=0)
args = ap.parse_args()

with open(args.key_pub, 'rb') as f:
    PUB = serialization.load_pem_public_key(f.read())

LOCK = threading.Lock()
EXPIRED = set()
MARKED = set()
GOOD = {}           # JWTs verified: their iat
STATE = {'conns': 0, 'inflight': 0, 'pair': 0}
PAIRED = threading.Condition(LOCK)
LOGF = open(args.log, 'a')


def b64d(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


def check_jwt(jwt):
    """The JWT's iat when it is good, else None."""
    with LOCK:
        if jwt in GOOD:
            return GOOD[jwt]
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
        with LOCK:
            GOOD[jwt] = claims.get('iat')
        return claims.get('iat')
    except (ValueError, InvalidSignature, KeyError):
        return None


def answer(headers, data, conn, sid):
    with LOCK:
        STATE['inflight'] += 1
        inflight = STATE['inflight']
    try:
        return answer1(headers, data, conn, sid, inflight)
    finally:
        with LOCK:
            STATE['inflight'] -= 1


def meet():
    """Waits for another 9a1r request in flight: True when one came."""
    with PAIRED:
        STATE['pair'] += 1
        PAIRED.notify_all()
        met = PAIRED.wait_for(lambda: STATE['pair'] >= 2, timeout=5)
    time.sleep(0.2)     # the other one sees this one too
    with PAIRED:
        STATE['pair'] -= 1
    return bool(met)


def answer1(headers, data, conn, sid, inflight):
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

    met = None
    if status == 200 and token.startswith('9a1r'):
        met = meet()
    try:
        payload = json.loads(data or b'null')
    except ValueError:
        payload = None
    rec = {'server': args.name, 'token': token, 'status': status,
           'reason': reason, 'apns_id': headers.get('apns-id'),
           'expiration': headers.get('apns-expiration'),
           'push_type': headers.get('apns-push-type'),
           'topic': headers.get('apns-topic'), 'jwt': jwt, 'iat': iat,
           'payload': payload, 'conn': conn, 'stream': sid,
           'inflight': inflight, 'met': met}
    if args.quiet:
        del rec['jwt'], rec['payload']
    with LOCK:
        LOGF.write(json.dumps(rec) + '\n')
        LOGF.flush()

    if status == 200 and token.startswith('5104'):
        time.sleep(args.slow)
    return status, reason


def serve(sock, n):
    """One connection.  Only this thread reads and writes the socket (an
    SSL socket is not to be used from two threads at once): the threads
    that answer streams queue their frames in conn and wake it through a
    socket pair."""
    conn = h2.connection.H2Connection(
        config=h2.config.H2Configuration(client_side=False,
                                         header_encoding='utf-8'))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    streams = {}
    wlock = threading.Lock()
    wake_r, wake_w = socket.socketpair()
    this = threading.current_thread()
    later = []          # answers held for --delay: (due, sid, ...)

    def reply(sid, headers, data):
        status, reason = answer(headers, data, n, sid)
        inline = threading.current_thread() is this
        if inline and args.delay > 0:
            heapq.heappush(later, (time.monotonic() + args.delay / 1000.0,
                                   sid, status, reason,
                                   headers.get('apns-id', '')))
            return
        send(sid, status, reason, headers.get('apns-id', ''))
        if inline:
            return
        try:
            wake_w.send(b'x')
        except OSError:
            pass

    def send(sid, status, reason, apns_id):
        body = json.dumps({'reason': reason}).encode() if reason else b''
        with wlock:
            try:
                conn.send_headers(sid, [(':status', str(status)),
                                        ('apns-id', apns_id)],
                                  end_stream=not body)
                if body:
                    conn.send_data(sid, body, end_stream=True)
            except Exception:
                pass        # the stream or the connection is gone

    while True:
        wait = 1.0
        if later:
            wait = max(0.0, min(wait, later[0][0] - time.monotonic()))
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            ready = [sock]
        else:
            ready, _, _ = select.select([sock, wake_r], [], [], wait)
        while later and later[0][0] <= time.monotonic():
            send(*heapq.heappop(later)[1:])
        if wake_r in ready:
            wake_r.recv(65536)
        if sock in ready:
            try:
                data = sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            with wlock:
                try:
                    events = conn.receive_data(data)
                except Exception:
                    break
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
                    tok = h.get(':path', '')[len('/3/device/'):]
                    if tok.startswith(('5104', '9a1r')):
                        # answers that wait get a thread of their own
                        threading.Thread(target=reply,
                                         args=(ev.stream_id, h, d),
                                         daemon=True).start()
                    else:
                        reply(ev.stream_id, h, d)
        with wlock:
            out = conn.data_to_send()
        try:
            if out:
                sock.sendall(out)
        except OSError:
            break
    sock.close()
    wake_r.close()
    wake_w.close()


def main():
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    signal.signal(signal.SIGALRM, lambda *a: sys.exit(0))
    signal.alarm(args.ttl)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', 0))
    ls.listen(64)
    tls = None
    if args.cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.cert, args.key)
        tls.set_alpn_protocols(['h2'])
    print(ls.getsockname()[1], flush=True)
    while True:
        c, _ = ls.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with LOCK:
            STATE['conns'] += 1
            n = STATE['conns']
        threading.Thread(target=start, args=(c, n, tls), daemon=True).start()


def start(c, n, tls):
    if tls is not None:
        try:
            c = tls.wrap_socket(c, server_side=True)
        except (OSError, ssl.SSLError):
            c.close()
            return
    serve(c, n)


main()
