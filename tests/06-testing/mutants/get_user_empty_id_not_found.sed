# user_service.c: GetUser refuses an empty user_id, but with NOT_FOUND
# instead of INVALID_ARGUMENT: the caller's mistake looks like a missing
# user.
/if (req->user_id\[0\] == '\\0')/,/"user_id is required");/s/GRPC_STATUS_INVALID_ARGUMENT/GRPC_STATUS_NOT_FOUND/
