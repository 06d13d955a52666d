/*
 * my_service.h: MyService, the course's running example, one method of each
 * kind of RPC (exercise 1, in my_service.c).
 *
 * my_service_server is what the outline's Go calls `server`: a table with one
 * handler per method. main.c registers it with
 *
 *     tutorial__v1__my_service__register_server(srv, &my_service_server, NULL);
 *
 * MyService keeps no state, so its user pointer is NULL.
 *
 * What the handlers do (tests/04-server/test_my_service.c checks it all):
 *
 *   UnaryCall            empty id: INVALID_ARGUMENT "id is required";
 *                        else success = true, message "Processed: <id>".
 *   ServerStream         empty id: INVALID_ARGUMENT "id is required";
 *                        value outside 0..MY_SERVICE_MAX_VALUE: INVALID_ARGUMENT
 *                        "value must be between 0 and 10000"; else `value`
 *                        responses, i = 1..value: "Processed: <id> #<i>".
 *                        Stops with an error status when a send fails (the
 *                        client went away).
 *   ClientStream         a request with an empty id: INVALID_ARGUMENT "id is
 *                        required" at once; after the client's last request:
 *                        "Processed <n> requests, total value <sum>".
 *   BidirectionalStream  one response "Processed: <id>" per request, sent
 *                        before reading the next; an empty id ends the call
 *                        with INVALID_ARGUMENT "id is required".
 *
 * Every response sets success = true.
 */
#ifndef STEP04_MY_SERVICE_H
#define STEP04_MY_SERVICE_H

#include "tutorial/v1/my_service.cgrpc.h"

/* The largest `value` ServerStream accepts. */
#define MY_SERVICE_MAX_VALUE 10000

extern const Tutorial__V1__MyService_Server my_service_server;

#endif
