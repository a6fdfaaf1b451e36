"""A minimal HTTP upstream for the byte-for-byte tests of `perfcycle-mcp-proxy --url`.

It records every request as it arrived, one JSON line per request in the file named by
its second argument (method, path, Content-Encoding and the body as hex, so invalid
UTF-8 survives), and answers each with the same small JSON-RPC result. No MCP logic:
the point is what the proxy delivered, not what a real server would make of it.

Usage: raw_http_server.py PORT RECORD_FILE
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

REPLY = b'{"jsonrpc":"2.0","id":1,"result":{}}'


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with open(sys.argv[2], "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "encoding": self.headers.get("Content-Encoding"),
                                "body": body.hex()}) + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(REPLY)))
        self.end_headers()
        self.wfile.write(REPLY)

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1])), Recorder).serve_forever()
