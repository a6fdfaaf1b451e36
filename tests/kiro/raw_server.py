"""A deliberately sloppy line-based JSON-RPC peer for the byte-for-byte tests.

For every line it reads it answers with a fixed reply: a valid response for a request,
a non-JSON line for a non-JSON line (so malformed traffic flows both ways), and first
of all a notification. Non-ASCII text and odd spacing make any re-encoding visible.
With a file name as argument it also appends every byte it reads to that file, so a
test can check what the proxy delivered to the server, not only what came back.
"""

import json
import sys

out = sys.stdout.buffer
record = open(sys.argv[1], "ab", buffering=0) if len(sys.argv) > 1 else None
out.write(b'{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"h\xc3\xa9llo"}}\n')
out.flush()
for line in sys.stdin.buffer:
    if record is not None:
        record.write(line)
    try:
        msg = json.loads(line)
    except ValueError:
        out.write(b"%%% server garbage \xff\n")
    else:
        if isinstance(msg, dict) and "id" in msg and "method" in msg:
            out.write(b'{ "jsonrpc" : "2.0", "id" : ' + json.dumps(msg["id"]).encode()
                      + b', "result" : {"ok": "\xe2\x9c\x93"} }\n')
    out.flush()
