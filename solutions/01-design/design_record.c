/*
 * design_record.c: exercise 3, the design of every method in proto/tutorial/v1,
 * as data. Add one entry per method, meeting the requirements in
 * design_record.h; `make test` here runs its tests (suite design_record,
 * tests/01-design/test_design_record.c). Lesson:
 * docs/en/steps/01-design.md#the-design-record
 */
#include "design_record.h"

const struct method_design DESIGN_RECORD[] = {
    DESIGN_WORKED_EXAMPLE, /* MyService.UnaryCall, in design_record.h */
    {
        .path = "/tutorial.v1.MyService/ServerStream",
        .request = "Request",
        .response = "Response",
        .when = "when a client wants a series of results for one id",
        .kind = RPC_SERVER_STREAMING,
        .deadline_ms = 30 * 1000,
        .max_message_bytes = 4 * 1024,
        .idempotent = true,
        .retryable = false, /* safe to repeat, but the client decides */
    },
    {
        .path = "/tutorial.v1.MyService/ClientStream",
        .request = "Request",
        .response = "Response",
        .when = "when a client has a batch of values and wants one summary",
        .kind = RPC_CLIENT_STREAMING,
        .deadline_ms = 30 * 1000,
        .max_message_bytes = 4 * 1024,
        .idempotent = false, /* a server may store what it is sent */
        .retryable = false,
    },
    {
        .path = "/tutorial.v1.MyService/BidirectionalStream",
        .request = "Request",
        .response = "Response",
        .when = "when both sides need to talk at the same time",
        .kind = RPC_BIDI_STREAMING,
        .deadline_ms = 60 * 1000,
        .max_message_bytes = 4 * 1024,
        .idempotent = false,
        .retryable = false,
    },
    {
        .path = "/tutorial.v1.UserService/GetUser",
        .request = "GetUserRequest",
        .response = "User",
        .when = "when a page needs a user's profile",
        .kind = RPC_UNARY,
        .deadline_ms = 250, /* two 80 ms attempts fit; the page's 300 ms too */
        .max_message_bytes = 16 * 1024,
        .idempotent = true, /* a read */
        .retryable = true,
    },
    {
        .path = "/tutorial.v1.NotificationService/StreamNotifications",
        .request = "StreamRequest",
        .response = "Notification",
        .when = "when a user opens the app; it lasts for the session",
        .kind = RPC_SERVER_STREAMING,
        .deadline_ms = 30 * 60 * 1000,
        .max_message_bytes = 16 * 1024,
        .idempotent = true, /* sending notifications does not mark them read */
        .retryable = true,
    },
    {
        .path = "/tutorial.v1.FileService/UploadFile",
        .request = "FileChunk",
        .response = "UploadResponse",
        .when = "when a user picks a file to upload",
        .kind = RPC_CLIENT_STREAMING,
        .deadline_ms = 5 * 60 * 1000,
        .max_message_bytes = 128 * 1024,
        .idempotent = false, /* every upload stores a new file */
        .retryable = false,
    },
    {
        .path = "/tutorial.v1.ChatService/Chat",
        .request = "ChatMessage",
        .response = "ChatMessage",
        .when = "when a member joins a room; it lasts while they stay",
        .kind = RPC_BIDI_STREAMING,
        .deadline_ms = 60 * 60 * 1000,
        .max_message_bytes = 8 * 1024,
        .idempotent = false, /* a repeated message is posted twice */
        .retryable = false,
    },
};

const size_t DESIGN_RECORD_LEN = sizeof DESIGN_RECORD / sizeof DESIGN_RECORD[0];
