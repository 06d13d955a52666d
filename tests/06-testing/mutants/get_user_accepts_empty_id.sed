# user_service.c: GetUser does not check for an empty user_id and asks the
# repository for "" (over the sample users: NOT_FOUND, not INVALID_ARGUMENT).
/if (req->user_id\[0\] == '\\0')/,/"user_id is required");/d
