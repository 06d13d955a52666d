"""Loads the Python stubs of grpc.testing generated at build time.

interop.mk runs `python3 -m grpc_tools.protoc` over Debian's grpc-proto files
into build/interop/python (never committed). The protos live under the path
grpc/testing/, so the generated modules import each other as `grpc.testing.*`,
inside the namespace of the real grpcio package. Rather than rewrite the
protos, the generated grpc/ folder is added to the grpc package's search path:
`import grpc.testing.test_pb2` then finds the generated file.

The folder is $INTEROP_PY_GEN when set, else build/interop/python under the
repository root.
"""

import os
import sys

import grpc

_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
GEN_DIR = os.environ.get("INTEROP_PY_GEN") or os.path.join(_ROOT, "build", "interop", "python")

_gen_grpc = os.path.join(GEN_DIR, "grpc")
if not os.path.isfile(os.path.join(_gen_grpc, "testing", "test_pb2_grpc.py")):
    sys.exit(f"interop: generated Python stubs not found in {GEN_DIR}; "
             "run `make -f mk/interop.mk interop-python` first")
if _gen_grpc not in grpc.__path__:
    grpc.__path__.append(_gen_grpc)

from grpc.testing import empty_pb2 as empty  # noqa: E402
from grpc.testing import messages_pb2 as messages  # noqa: E402
from grpc.testing import test_pb2_grpc as services  # noqa: E402

__all__ = ["empty", "messages", "services", "GEN_DIR"]
