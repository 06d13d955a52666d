"""py_client.py: calls the step-4 server from Python, to show that a C server
speaks plain gRPC to any language.

test_python.c runs it against your server program:

    /usr/bin/python3 py_client.py --target 127.0.0.1:PORT --stubs DIR --case my_service

The stubs in DIR come from grpc_tools.protoc, run on the same .proto files
your server was generated from (tests/04-server/step.mk makes them). Each
check prints "ok: ..." or "FAIL #anchor: wanted ..., got ..." (the anchor is
the lesson section that explains it); the exit status is the number of
failed checks.
"""

import argparse
import sys

FAILED = 0


def check(anchor, what, wanted, got):
    global FAILED
    if wanted == got:
        print(f"ok: {what}: {got!r}")
    else:
        FAILED += 1
        print(f"FAIL {anchor}: {what}: wanted {wanted!r}, got {got!r}")


def status_of(call):
    """(code name, details) of a raised grpc.RpcError."""
    if not hasattr(call, "code"):
        return "not a gRPC error", repr(call)
    return call.code().name, call.details()


def check_error(anchor, what, wanted, e):
    """A call raised e (a grpc.RpcError); wanted is the (code, details) it
    should have ended with."""
    got = status_of(e)
    if got[0] == "UNIMPLEMENTED" and got[1].startswith("unknown method"):
        anchor = "#registering-the-services"
        what += " (the service is not registered in main.c)"
    check(anchor, what, wanted, got)


def my_service(ch, pb, timeout):
    from tutorial.v1 import my_service_pb2_grpc as svc

    stub = svc.MyServiceStub(ch)
    # The outline's Go client: UnaryCall with Id "test-123".
    try:
        resp = stub.UnaryCall(pb.Request(id="test-123", value=42), timeout=timeout)
        check("#unarycall", "UnaryCall(test-123).message", "Processed: test-123", resp.message)
    except Exception as e:  # grpc.RpcError
        check_error("#unarycall", "UnaryCall(test-123) status", ("OK", ""), e)
    try:
        stub.UnaryCall(pb.Request(id=""), timeout=timeout)
        check("#unarycall", "UnaryCall(\"\") status", "INVALID_ARGUMENT", "OK")
    except Exception as e:
        check_error("#unarycall", "UnaryCall(\"\") status",
                    ("INVALID_ARGUMENT", "id is required"), e)

    try:
        got = [r.message for r in stub.ServerStream(pb.Request(id="py", value=3), timeout=timeout)]
        check("#serverstream", "ServerStream(py, 3)",
              ["Processed: py #1", "Processed: py #2", "Processed: py #3"], got)
    except Exception as e:
        check_error("#serverstream", "ServerStream(py, 3) status", ("OK", ""), e)

    try:
        reqs = iter([pb.Request(id="a", value=1), pb.Request(id="b", value=2)])
        resp = stub.ClientStream(reqs, timeout=timeout)
        check("#clientstream", "ClientStream(1, 2).message",
              "Processed 2 requests, total value 3", resp.message)
    except Exception as e:
        check_error("#clientstream", "ClientStream status", ("OK", ""), e)

    try:
        reqs = iter([pb.Request(id=f"b{i}") for i in range(3)])
        got = [r.message for r in stub.BidirectionalStream(reqs, timeout=timeout)]
        check("#bidirectionalstream", "BidirectionalStream(b0, b1, b2)",
              ["Processed: b0", "Processed: b1", "Processed: b2"], got)
    except Exception as e:
        check_error("#bidirectionalstream", "BidirectionalStream status", ("OK", ""), e)


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def services(ch, timeout):
    from tutorial.v1 import (chat_service_pb2, chat_service_pb2_grpc, file_service_pb2,
                             file_service_pb2_grpc, notification_service_pb2,
                             notification_service_pb2_grpc, user_service_pb2,
                             user_service_pb2_grpc)

    users = user_service_pb2_grpc.UserServiceStub(ch)
    try:
        u = users.GetUser(user_service_pb2.GetUserRequest(user_id="1"), timeout=timeout)
        check("#getuser", "GetUser(1)", ("Alice", "alice@example.com", "ROLE_ADMIN"),
              (u.name, u.email, user_service_pb2.Role.Name(u.role)))
    except Exception as e:
        check_error("#getuser", "GetUser(1) status", ("OK", ""), e)
    try:
        users.GetUser(user_service_pb2.GetUserRequest(user_id="99"), timeout=timeout)
        check("#getuser", "GetUser(99) status", "NOT_FOUND", "OK")
    except Exception as e:
        check_error("#getuser", "GetUser(99) status", ("NOT_FOUND", "user 99 not found"), e)

    notes = notification_service_pb2_grpc.NotificationServiceStub(ch)
    try:
        req = notification_service_pb2.StreamRequest(user_id="py", max_count=1)
        got = [(n.id, n.message, n.sequence) for n in notes.StreamNotifications(req, timeout=timeout)]
        check("#exercise-3-streamnotifications", "StreamNotifications(py, 1)",
              [("n-1", "Notification 1 for py", 1)], got)
    except Exception as e:
        check_error("#exercise-3-streamnotifications", "StreamNotifications status",
                    ("OK", ""), e)

    files = file_service_pb2_grpc.FileServiceStub(ch)
    parts = [b"hello, ", b"", b"world"]
    try:
        chunks = iter([file_service_pb2.FileChunk(filename="hello.txt" if i == 0 else "", data=p)
                       for i, p in enumerate(parts)])
        r = files.UploadFile(chunks, timeout=timeout)
        check("#exercise-4-uploadfile", "UploadFile(hello, world)",
              (True, fnv1a64(b"".join(parts)), 12), (r.success, r.file_id, r.size))
    except Exception as e:
        check_error("#exercise-4-uploadfile", "UploadFile status", ("OK", ""), e)

    chat = chat_service_pb2_grpc.ChatServiceStub(ch)
    try:
        msgs = iter([chat_service_pb2.ChatMessage(user="py", content="hi from Python")])
        got = [(m.user, m.content) for m in chat.Chat(msgs, timeout=timeout)]
        check("#chat", "Chat(one message, then close)", [("py", "hi from Python")], got)
    except Exception as e:
        check_error("#chat", "Chat status", ("OK", ""), e)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", required=True)
    ap.add_argument("--stubs", required=True)
    ap.add_argument("--case", choices=["my_service", "services"], required=True)
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()
    sys.path.insert(0, args.stubs)
    import grpc
    from tutorial.v1 import my_service_pb2

    with grpc.insecure_channel(args.target) as ch:
        if args.case == "my_service":
            my_service(ch, my_service_pb2, args.timeout)
        else:
            services(ch, args.timeout)
    return min(FAILED, 100)


if __name__ == "__main__":
    sys.exit(main())
