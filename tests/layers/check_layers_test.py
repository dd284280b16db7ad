#!/usr/bin/env python3
"""scripts/check-layers on small fake trees: each planted violation is named with its rule, the
allowed exceptions and the clean tree pass. Usage: check_layers_test.py PATH/TO/check-layers"""

import os
import subprocess
import sys
import tempfile

SCRIPT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "check-layers")

# A tree that keeps every rule, with each allowed exception used once.
CLEAN = {
    "core/result.h": '#pragma once\n#include <string>\n',
    "core/crypto.cpp": '#include <openssl/evp.h>\n#include "core/result.h"\n',
    "saml/xml.cpp": ('#include <openssl/evp.h>\n#include "core/result.h"\n'
                     '// no clock reads here: time(nullptr) and RAND_bytes are the caller\'s\n'
                     'const char* kText = "std::random_device fopen( sqlite3_open";\n'
                     'int n = 100\'000; int when = t.time();\n'),
    "policy/policy_source.h": '#pragma once\n#include "core/result.h"\n',
    "policy/release.h": '#pragma once\n#include "policy/policy_source.h"\n',
    "store/db.cpp": '#include <sqlite3.h>\n#include "policy/policy_source.h"\n'
                    'int f() { return sqlite3_close_v2(nullptr); }\n',
    "config/config.cpp": '#include <fstream>\n#include <arpa/inet.h>\n#include "core/result.h"\n',
    "connectors/ent/ent_side.cpp": '#include "saml/xml.h"\n#include "store/db.h"\n',
    "broker/http/server.cpp": ('#include <openssl/ssl.h>\n#include <boost/beast/http.hpp>\n'
                               'int g() { return SSL_CTX_set_min_proto_version(nullptr, 0); }\n'),
    "broker/flows/acs.cpp": ('#include "connectors/ent/ent_side.h"\n#include "policy/release.h"\n'
                             '#include "saml/xml.h"\n#include "store/db.h"\n'),
    "broker/demo/ent_idp.cpp": '#include "broker/demo/html.h"\n#include "broker/router.h"\n',
    "broker/commands/serve.cpp": '#include "broker/demo/demo_peers.h"\n#include "broker/flows/flows.h"\n',
    "tests/store/db_test.cpp": '#include <sqlite3.h>\n#include "broker/flows/flows.h"\n',
}

# (file, content, the finding that must be printed).
PLANTED = [
    ("policy/leak.cpp", '#include <sqlite3.h>\n', "policy/leak.cpp:1: pure: <sqlite3.h>"),
    ("policy/leak.cpp", '#include <sqlite3.h>\n', "policy/leak.cpp:1: sqlite: <sqlite3.h> outside"),
    ("broker/flows/pg.cpp", '#include <libpq-fe.h>\n', "broker/flows/pg.cpp:1: sqlite: <libpq-fe.h> outside"),
    ("broker/flows/kv.cpp", '#include <hiredis/hiredis.h>\n',
     "broker/flows/kv.cpp:1: sqlite: <hiredis/hiredis.h> outside"),
    ("saml/up.cpp", '#include "core/result.h"\n#include "broker/flows/flows.h"\n',
     "saml/up.cpp:2: layers: saml/ includes broker/flows/flows.h: broker/ is above saml/"),
    ("broker/flows/wire.cpp", '#include <boost/beast/http.hpp>\n',
     "broker/flows/wire.cpp:1: beast-asio: <boost/beast/http.hpp> outside broker/http/"),
    ("broker/flows/wire2.cpp", 'namespace http = boost::beast::http;\n',
     "broker/flows/wire2.cpp:1: beast-asio: boost::beast outside broker/http/"),
    ("policy/side.h", '#include "saml/xml.h"\n',
     "policy/side.h:1: layers: policy/ includes saml/xml.h: saml and policy never include"),
    ("saml/side.h", '#include "policy/release.h"\n',
     "saml/side.h:1: layers: saml/ includes policy/release.h: saml and policy never include"),
    ("store/audit.h", '#include "policy/release.h"\n',
     "store/audit.h:1: layers: store/ includes policy/release.h: policy/ is beside store/"),
    ("core/down.h", '#include "store/db.h"\n',
     "core/down.h:1: layers: core/ includes store/db.h: store/ is above core/"),
    ("connectors/up.cpp", '#include "broker/router.h"\n',
     "connectors/up.cpp:1: layers: connectors/ includes broker/router.h"),
    ("store/test_only.cpp", '#include "tests/support/fixtures.h"\n',
     "store/test_only.cpp:1: layers: includes tests/support/fixtures.h: tests/ is not a module"),
    ("saml/clock.cpp", 'long t = std::chrono::system_clock::now().time_since_epoch().count();\n',
     "saml/clock.cpp:1: pure: clock read (system_clock::now)"),
    ("policy/clock.cpp", 'long t = time(nullptr);\n', "policy/clock.cpp:1: pure: clock read"),
    ("policy/clock2.cpp", 'long t = core::systemNow();\n',
     "policy/clock2.cpp:1: pure: clock read (systemNow("),
    ("saml/random.cpp", 'void f(unsigned char* b) { RAND_bytes(b, 16); }\n',
     "saml/random.cpp:1: pure: random draw (RAND_bytes)"),
    ("policy/random.cpp", 'std::random_device rd;\n',
     "policy/random.cpp:1: pure: random draw (random_device)"),
    ("saml/file.cpp", '#include <fstream>\n', "saml/file.cpp:1: pure: <fstream> (file access)"),
    ("policy/file.cpp", 'void f() { FILE* f = fopen("x", "r"); }\n',
     "policy/file.cpp:1: pure: file read (fopen("),
    ("saml/net.cpp", '#include <sys/socket.h>\n', "saml/net.cpp:1: pure: <sys/socket.h> (sockets)"),
    ("broker/commands/hash.cpp", '#include <openssl/evp.h>\n',
     "broker/commands/hash.cpp:1: openssl: <openssl/evp.h> outside core/ and saml/"),
    ("broker/http/hash.cpp", '#include <openssl/evp.h>\n',
     "broker/http/hash.cpp:1: openssl: <openssl/evp.h> outside core/ and saml/"),
    ("policy/mac.cpp", 'unsigned char mac[EVP_MAX_MD_SIZE];\n',
     "policy/mac.cpp:1: openssl: OpenSSL's EVP_MAX_MD_SIZE outside core/ and saml/"),
    ("broker/flows/demo.cpp", '#include "broker/demo/demo_peers.h"\n',
     "broker/flows/demo.cpp:1: demo: includes broker/demo/demo_peers.h: only broker/commands/"),
    ("broker/router.cpp", '#include "broker/demo/peers.h"\n',
     "broker/router.cpp:1: demo: includes broker/demo/peers.h: only broker/commands/"),
    ("connectors/demo.cpp", '#include "broker/demo/html.h"\n',
     "connectors/demo.cpp:1: demo: includes broker/demo/html.h: only broker/commands/"),
    ("broker/flows/sql.cpp", 'int rc = sqlite3_exec(db, "", nullptr, nullptr, nullptr);\n',
     "broker/flows/sql.cpp:1: sqlite: sqlite3_exec outside store/"),
]


def write_tree(root, files):
    for rel, content in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(content)


def check(root):
    p = subprocess.run([sys.executable, SCRIPT, "--root", root], capture_output=True, text=True,
                       check=False)
    return p.returncode, p.stdout, p.stderr


def main():
    failures = []
    with tempfile.TemporaryDirectory(prefix="garde-layers-") as tmp:
        clean = os.path.join(tmp, "clean")
        write_tree(clean, CLEAN)
        rc, out, err = check(clean)
        if rc != 0 or out.strip():
            failures.append(f"the clean tree fails (exit {rc}):\n{out}{err}")

        for i, (rel, content, expected) in enumerate(PLANTED):
            root = os.path.join(tmp, f"planted{i}")
            write_tree(root, {**CLEAN, rel: content})
            rc, out, err = check(root)
            if rc != 1:
                failures.append(f"{rel}: exit {rc}, expected 1:\n{out}{err}")
            if not any(line.startswith(expected) for line in out.splitlines()):
                failures.append(f"{rel}: no line starting with {expected!r} in:\n{out}{err}")
            others = [line for line in out.splitlines() if not line.startswith(rel + ":")]
            if others:
                failures.append(f"{rel}: findings in other files: {others}")

    if failures:
        print("\n".join(failures))
        return 1
    print(f"check-layers: clean tree passes, {len(PLANTED)} planted violations found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
