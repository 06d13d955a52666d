/*
 * design_record.c: exercise 3, the design of every method in proto/tutorial/v1, as data.
 * Add one entry per method, meeting the requirements in design_record.h; `make test`
 * here runs its tests (suite design_record, tests/01-design/test_design_record.c).
 * Lesson: docs/en/steps/01-design.md#the-design-record
 */
#include "design_record.h"

const struct method_design DESIGN_RECORD[] = {
    /* Worked example: MyService.UnaryCall answers "Processed: <id>" and
     * changes nothing on the server, so repeating it is harmless. */
    {
        .path = "/tutorial.v1.MyService/UnaryCall",
        .request = "Request",
        .response = "Response",
        .when = "whenever a client wants one id processed",
        .kind = RPC_UNARY,
        .deadline_ms = 1000,
        .max_message_bytes = 4 * 1024,
        .idempotent = true,
        .retryable = true,
    },
    /* TODO: MyService's ServerStream, ClientStream and BidirectionalStream */
    /* TODO: UserService.GetUser, NotificationService.StreamNotifications,
     *       FileService.UploadFile and ChatService.Chat */
};

const size_t DESIGN_RECORD_LEN = sizeof DESIGN_RECORD / sizeof DESIGN_RECORD[0];
