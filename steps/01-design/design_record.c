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
    /* TODO: MyService's ServerStream, ClientStream and BidirectionalStream */
    /* TODO: UserService.GetUser, NotificationService.StreamNotifications,
     *       FileService.UploadFile and ChatService.Chat */
};

const size_t DESIGN_RECORD_LEN = sizeof DESIGN_RECORD / sizeof DESIGN_RECORD[0];
