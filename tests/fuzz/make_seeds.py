#!/usr/bin/env python3
"""Writes the seed corpora in corpus/<target>/ from the exchanges in tsp-digest.md.

Run again after changing the input format in fuzz_common.h; the fuzzers never write here
(scripts/test copies each corpus to a scratch directory first).
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SEP = b"\x00\xff\x00"

CREATE_V6V4 = (b'<tunnel action="create" type="v6v4" proxy="no">\r\n <client>\r\n'
               b'  <address type="ipv4">127.0.0.1</address>\r\n  <keepalive interval="30">\r\n'
               b'    <address type="ipv6">::</address>\r\n  </keepalive>\r\n </client>\r\n</tunnel>\r\n')
CREATE_V4V6 = (b'<tunnel action="create" type="v4v6" proxy="no">\r\n <client>\r\n'
               b'  <address type="ipv6">::1</address>\r\n  <keepalive interval="30">\r\n'
               b'    <address type="ipv4">127.0.0.1</address>\r\n  </keepalive>\r\n </client>\r\n</tunnel>\r\n')
ROUTER = (b'<tunnel action="create" type="v6v4" proxy="no">\r\n <client>\r\n'
          b'  <address type="ipv4">127.0.0.1</address>\r\n  <keepalive interval="30">\r\n'
          b'    <address type="ipv6">::</address>\r\n  </keepalive>\r\n  <router>\r\n'
          b'   <prefix length="64"/>\r\n   <dns_server>\r\n     <address type="dn">ns1.example.net</address>\r\n'
          b'   </dns_server>\r\n  </router>\r\n </client>\r\n</tunnel>\r\n')
INFO_V4V6 = (b'<tunnel action="info" type="v4v6" lifetime="1440">\r\n <server>\r\n'
             b'  <address type="ipv4">192.0.2.1</address>\r\n  <address type="ipv6">::1</address>\r\n'
             b' </server>\r\n <client>\r\n  <address type="ipv4">192.0.2.2</address>\r\n'
             b'  <address type="ipv6">::1</address>\r\n  <dns_server>\r\n   <address type="ipv6">::1</address>\r\n'
             b'  </dns_server>\r\n  <keepalive interval="30">\r\n   <address type="ipv4">192.0.2.1</address>\r\n'
             b'  </keepalive>\r\n </client>\r\n</tunnel>\r\n')
FREENET6 = (b'<tunnel action="info" type="v6udpv4" lifetime="604800"><server><address type="ipv4">81.171.72.11'
            b'</address><address type="ipv6">2001:05c0:1400:000b:0000:0000:0000:1634</address></server><client>'
            b'<address type="ipv4">85.228.25.3</address><router><prefix length="56">2001:05c0:1501:e300:0000:0000:'
            b'0000:0000</prefix></router><keepalive interval="30"><address type="ipv6">2001:05c0:1400:000b:0000:'
            b'0000:0000:1634</address></keepalive></client></tunnel>')
BROKERS = b'<tunnel action="info"><broker><address type="dn">b.example</address><address type="ipv6">2001:db8::9</address></broker></tunnel>\r\n'
ACCEPT = b'<tunnel action="accept"></tunnel>\r\n'
CAPS = b"CAPABILITY TUNNEL=V6V4 TUNNEL=V6UDPV4 TUNNEL=V4V6 AUTH=ANONYMOUS AUTH=PLAIN AUTH=DIGEST-MD5 AUTH=SCRAM-SHA-256\r\n"


def framed(body):
    return b"Content-length: %d\r\n" % len(body) + body


def stream(chunk, data):
    return bytes([((chunk - 1) << 1) & 0xFE]) + data


def datagrams(*payloads):
    return b"\x01" + SEP.join(payloads)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


client_anon = [b"VERSION=2.0.2\r\n", b"AUTHENTICATE ANONYMOUS\r\n\x00", framed(CREATE_V4V6), framed(ACCEPT)]
write("fuzz_server_session", "anon_tcp", stream(64, b"".join(client_anon)))
write("fuzz_server_session", "anon_tcp_bytewise", stream(1, b"".join(client_anon)))
write("fuzz_server_session", "anon_udp", datagrams(*client_anon))
write("fuzz_server_session", "plain_tcp", stream(128, b"VERSION=2.0.1\r\nAUTHENTICATE PLAIN\r\n\x00\x00node1\x00pw\r\n" + framed(CREATE_V6V4)))
write("fuzz_server_session", "plain_udp", datagrams(b"VERSION=2.0.0\r\n", b"AUTHENTICATE PLAIN\r\n\x00", b"\x00node1\x00pw\r\n", framed(ROUTER)))
write("fuzz_server_session", "digest_udp", datagrams(b"VERSION=2.0.2\r\n", b"AUTHENTICATE DIGEST-MD5\r\n\x00", b"dXNlcm5hbWU9Im5vZGUxIg==\r\n", b""))
write("fuzz_server_session", "scram_tcp", stream(32, b"VERSION=2.0.2\r\nAUTHENTICATE SCRAM-SHA-256\r\nbiwsbj1ub2RlMSxyPWFiYw==\r\n"))
write("fuzz_server_session", "v1_tcp", stream(64, b"VERSION=1.0.1\r\nAUTHENTICATE ANONYMOUS\r\n" + framed(b'<tunnel action="info"></tunnel>\r\n') + framed(b'<tunnel action="delete"></tunnel>\r\n')))

server_anon = [CAPS, b"200 Success\r\n", framed(b"200 Success\r\n" + INFO_V4V6), b""]
write("fuzz_client_session", "anon_tcp", stream(64, b"".join(server_anon)))
write("fuzz_client_session", "anon_udp", datagrams(*server_anon))
write("fuzz_client_session", "delete_push", stream(128, CAPS + b"200 Success\r\n" + framed(b"200 Success\r\n" + INFO_V4V6) + framed(b"200 Success\r\n" + INFO_V4V6.replace(b'"info"', b'"delete"'))))
write("fuzz_client_session", "referral", stream(64, b"1302 Unsupported client version\r\n" + BROKERS))
write("fuzz_client_session", "errors", datagrams(CAPS, b"200 Success\r\n", framed(b"306 Address Pool Exhausted\r\n"), framed(b"1306 Pool\r\n" + BROKERS)))
write("fuzz_client_session", "digest_challenge", datagrams(CAPS.replace(b" AUTH=SCRAM-SHA-256", b""),
      b"cmVhbG09ImRzdG0iLG5vbmNlPSIwMTIzNDU2Nzg5YWJjZGVmIixxb3A9YXV0aCxhbGdvcml0aG09bWQ1LXNlc3MsY2hhcnNldD11dGY4\r\n"))

for name, xml in [("create_v6v4", CREATE_V6V4), ("create_v4v6", CREATE_V4V6), ("router", ROUTER),
                  ("info_v4v6", INFO_V4V6), ("freenet6", FREENET6), ("brokers", BROKERS), ("accept", ACCEPT),
                  ("ruby_info", b'<tunnel action="info" type="v6anyv4">\n</tunnel>'),
                  ("two_ipv6", CREATE_V4V6.replace(b"<address type=\"ipv6\">::1</address>",
                                                   b"<address type=\"ipv6\">fe80::1</address><address type=\"ipv6\">2001:db8::1</address>"))]:
    write("fuzz_tunnel_xml", name, xml)

write("fuzz_framing", "anon_stream", b"".join(client_anon))
write("fuzz_framing", "rudp", b"\xf0\x00\x00\xf0\x00\x00\x00\x01VERSION=2.0.2\r\n")
write("fuzz_framing", "server_reply", framed(b"200 Success\r\n" + INFO_V4V6))
write("fuzz_framing", "caps", CAPS + b"302 Unsupported client version\r\n")

# fuzz_json: control-socket requests and answers (controlplane/ctl/PROTOCOL.md), RFC 8259 §13's
# examples, escapes and number edges.
write("fuzz_json", "request_status", b'{"cmd":"status","args":{}}\n')
write("fuzz_json", "request_mappings", b'{"cmd":"mappings","args":{"ipv4":"192.0.2.1","offset":0,"limit":100}}\n')
write("fuzz_json", "answer_status",
      b'{"ok":true,"result":{"agent":{"version":"0.1.0","pid":42,"generation":3,"uptime_s":3600,'
      b'"tsp_sessions":2},"dataplane":{"attached":true,"generation":7,"pid":41,"heartbeat_age_ms":12,'
      b'"applied_sequence":1000,"next_sequence":1001,"lcores":[{"lcore":1,"rx_pps":1.5e6,"tx_pps":1499999.25}]},'
      b'"mappings":1000,"pools":[{"prefix":"192.0.2.0/24","size":256,"used":10}]}}')
write("fuzz_json", "answer_error", b'{"ok":false,"error":"requested address unavailable","code":308}')
write("fuzz_json", "rfc8259_image",
      b'{"Image":{"Width":800,"Height":600,"Title":"View from 15th Floor","Thumbnail":'
      b'{"Url":"http://www.example.com/image/481989943","Height":125,"Width":100},'
      b'"Animated":false,"IDs":[116,943,234,38793]}}')
write("fuzz_json", "rfc8259_places",
      b'[{"precision":"zip","Latitude":37.7668,"Longitude":-122.3959,"Address":"","City":"SAN FRANCISCO"},'
      b'{"precision":"zip","Latitude":37.371991,"Longitude":-122.026020,"Zip":"94085"}]')
write("fuzz_json", "escapes", b'"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u00e9\\uD834\\uDD1E caf\xc3\xa9"')
write("fuzz_json", "numbers", b'[0,-0,1.5,-1.5e-7,1E+2,9223372036854775807,-9223372036854775808,'
      b'18446744073709551615,18446744073709551616,1e308,5e-324,1e-400]')
write("fuzz_json", "nested", b' [ { "a" : [ [ ] , { } , null , true , false ] } ] ')
